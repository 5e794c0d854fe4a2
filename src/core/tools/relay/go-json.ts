/**
 * The values Go's encoding/json works with when it decodes into interface{} (NSQ-SPEC §1.4:
 * nsq_to_nsq unmarshals a body into map[string]interface{} and marshals the whitelisted part),
 * and Marshal's bytes for them, as Go 1.19 (the Go that built nsq 1.3.0) writes them.
 *
 *   Go                        here
 *   nil                       null
 *   bool                      boolean
 *   float64                   number
 *   int64                     bigint (nsq_to_nsq turns whole top-level floats into int64)
 *   string                    string (Go's bytes are the string's UTF-8)
 *   []interface{}             array
 *   map[string]interface{}    Map (any key, `__proto__` included; insertion order is irrelevant)
 *
 * Marshal's rules:
 *   - map keys sorted by their bytes (Go's string <), i.e. by code point, not by UTF-16 unit;
 *   - strings HTML-safe: `<` `>` `&` as \u003c \u003e \u0026, U+2028/U+2029 as \u2028 \u2029,
 *     `"` and `\` backslashed, \n \r \t named, every other control byte \u00XX in lower-case hex
 *     (Go 1.19 has no \b or \f: those came in Go 1.22); DEL and all other text as is;
 *   - a float64 the shortest way that reads back the same: plain digits (`1e20` is
 *     100000000000000000000) unless it is below 1e-6 or at least 1e21 in magnitude, then
 *     exponent form with Go's cleanup of a one-digit negative exponent (1e-07 → 1e-7). That is,
 *     digit for digit, what JS's Number#toString writes (same shortest digits, same two
 *     thresholds, same exponent form), except that Go keeps the sign of -0;
 *   - NaN and ±Inf cannot be marshalled (Go's UnsupportedValueError); decoding never makes them.
 *
 * A JS string holding a lone surrogate (never produced by the decoder) is written as is and becomes
 * U+FFFD once encoded to UTF-8, as a Go string made from those bytes would hold it.
 */

export type GoJsonValue = null | boolean | number | bigint | string | readonly GoJsonValue[] | GoJsonObject
export type GoJsonObject = ReadonlyMap<string, GoJsonValue>

const INT64_MIN = -(2n ** 63n)
const INT64_MAX = 2n ** 63n - 1n

/** A value Go's json.Marshal refuses (NaN, ±Inf) or that Go could not hold (a bigint beyond int64). */
export class GoJsonMarshalError extends Error {
  readonly code = 'ERR_GO_JSON_UNSUPPORTED'
  override readonly name = 'GoJsonMarshalError'
}

/** Go's json.Marshal of `value`, as text (encode it as UTF-8 for Go's bytes). */
export function marshalGo(value: GoJsonValue): string {
  const out: string[] = []
  write(value, out)
  return out.join('')
}

function write(v: GoJsonValue, out: string[]): void {
  if (v === null) out.push('null')
  else if (typeof v === 'boolean') out.push(v ? 'true' : 'false')
  else if (typeof v === 'number') out.push(formatGoFloat(v))
  else if (typeof v === 'bigint') {
    if (v < INT64_MIN || v > INT64_MAX) throw new GoJsonMarshalError(`json: ${v} does not fit an int64`)
    out.push(v.toString())
  } else if (typeof v === 'string') out.push(quoteGo(v))
  else if (v instanceof Map) {
    const keys = [...v.keys()].sort(compareCodePoints)
    out.push('{')
    keys.forEach((k, i) => {
      if (i > 0) out.push(',')
      out.push(quoteGo(k), ':')
      write(v.get(k) as GoJsonValue, out)
    })
    out.push('}')
  } else {
    const arr = v as readonly GoJsonValue[]
    out.push('[')
    arr.forEach((e, i) => {
      if (i > 0) out.push(',')
      write(e, out)
    })
    out.push(']')
  }
}

/** encoding/json's float64 text (floatEncoder, bits 64): see the header for why String() is it. */
export function formatGoFloat(f: number): string {
  if (!Number.isFinite(f)) throw new GoJsonMarshalError(`json: unsupported value: ${Number.isNaN(f) ? 'NaN' : f > 0 ? '+Inf' : '-Inf'}`)
  return Object.is(f, -0) ? '-0' : String(f)
}

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /[\u0000-\u001f"\\<>&\u2028\u2029]/
const HEX = '0123456789abcdef'

/** Go's encodeState.string with escapeHTML (what json.Marshal uses). */
export function quoteGo(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`
  let out = '"'
  let start = 0
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    let esc: string
    if (c === 0x22) esc = '\\"'
    else if (c === 0x5c) esc = '\\\\'
    else if (c === 0x0a) esc = '\\n'
    else if (c === 0x0d) esc = '\\r'
    else if (c === 0x09) esc = '\\t'
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26) esc = `\\u00${HEX[c >> 4]}${HEX[c & 0xf]}`
    else if (c === 0x2028 || c === 0x2029) esc = `\\u202${HEX[c & 0xf]}`
    else continue
    out += s.slice(start, i) + esc
    start = i + 1
  }
  return out + s.slice(start) + '"'
}

/**
 * Go's string order (bytewise on UTF-8), which is code point order. UTF-16 order differs only
 * where a surrogate pair (U+10000 and up) meets a unit in U+E000..U+FFFF: the pair sorts after.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x === y) continue
    return rank(x) - rank(y)
  }
  return a.length - b.length
}

/** a UTF-16 unit's place in code point order: surrogates above U+E000..U+FFFF */
const rank = (u: number): number => (u >= 0xd800 && u <= 0xdfff ? u + 0x2000 : u >= 0xe000 ? u - 0x800 : u)
