/**
 * Go's json.Unmarshal into interface{} (Go 1.19, the Go that built nsq 1.3.0), over the bytes of
 * a message body: nsq_to_nsq decodes every body this way once JSON filtering is on (NSQ-SPEC §1.4).
 *
 * What Go accepts, and so what this accepts:
 *   - exactly RFC 8259's grammar, whitespace being space, \t, \n, \r only: no BOM, no comments,
 *     no trailing commas, no leading zeros (`01`), no `+1`, `.5`, `1.`, NaN or Infinity, and
 *     nothing but whitespace after the top-level value (Unmarshal checks the whole input first);
 *   - at most 10000 arrays and objects nested (Go's scanner: "exceeded max depth");
 *   - raw bytes of any value >= 0x20 inside strings (control bytes are refused), valid UTF-8 or
 *     not: strings are then coerced to UTF-8 the way Go's unquote does it, each byte that does not
 *     begin a valid sequence (utf8.DecodeRune's (RuneError, 1)) becoming one U+FFFD, so a
 *     sequence cut short is one U+FFFD per byte (not WHATWG's one per maximal subpart, which is
 *     why TextDecoder is not used);
 *   - \u escapes: a valid surrogate pair is joined; any other surrogate (lone, reversed, or a high
 *     one before a non-low \u) becomes U+FFFD and the escape after it is read on its own;
 *   - numbers become float64 through strconv.ParseFloat; one beyond the float64 range (`1e400`) is
 *     an error (Go's UnmarshalTypeError), an underflow is 0, and `-0` stays -0;
 *   - duplicate object keys: the last one wins.
 *
 * The parser is iterative (an explicit stack), so the 10000 levels Go allows cost no JS stack.
 */
import {isUtf8} from 'node:buffer'

import type {GoJsonValue} from './go-json.js'
import {parseGoFloat} from './go-parse-float.js'

export type GoJsonDecoded = {ok: true; value: GoJsonValue} | {ok: false; error: string}

/** Go's encoding/json maxNestingDepth. */
export const MAX_NESTING_DEPTH = 10000

const TAB = 0x09
const LF = 0x0a
const CR = 0x0d
const SPACE = 0x20
const QUOTE = 0x22
const COMMA = 0x2c
const MINUS = 0x2d
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39
const COLON = 0x3a
const LBRACKET = 0x5b
const BACKSLASH = 0x5c
const RBRACKET = 0x5d
const LBRACE = 0x7b
const RBRACE = 0x7d

type Frame = {arr: GoJsonValue[]; map?: undefined} | {map: Map<string, GoJsonValue>; key: string; arr?: undefined}

class DecodeFault extends Error {}

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= ZERO && c <= NINE
const isHexDigit = (c: number | undefined): boolean => c !== undefined && ((c >= ZERO && c <= NINE) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66))

/** Go's json.Unmarshal(body, &v) with v an interface{}: the value, or why Go returns an error. */
export function unmarshalGo(body: Buffer): GoJsonDecoded {
  try {
    return {ok: true, value: new Decoder(body).run()}
  } catch (e) {
    if (e instanceof DecodeFault) return {ok: false, error: e.message}
    throw e
  }
}

class Decoder {
  private i = 0
  private readonly stack: Frame[] = []

  constructor(private readonly b: Buffer) {}

  run(): GoJsonValue {
    const b = this.b
    for (;;) {
      this.skipSpace()
      // one value starts at i; containers push a frame and go round for their first element
      let value: GoJsonValue
      const c = b[this.i]
      if (c === LBRACE || c === LBRACKET) {
        if (this.stack.length + 1 > MAX_NESTING_DEPTH) this.fail('exceeded max depth')
        this.i++
        this.skipSpace()
        if (c === LBRACE) {
          if (b[this.i] === RBRACE) {
            this.i++
            value = new Map()
          } else {
            this.stack.push({map: new Map(), key: this.readKey()})
            continue
          }
        } else if (b[this.i] === RBRACKET) {
          this.i++
          value = []
        } else {
          this.stack.push({arr: []})
          continue
        }
      } else if (c === QUOTE) value = this.readString()
      else if (c === MINUS || isDigit(c)) value = this.readNumber()
      else if (c === 0x74) value = this.literal('true', true)
      else if (c === 0x66) value = this.literal('false', false)
      else if (c === 0x6e) value = this.literal('null', null)
      else this.fail(c === undefined ? 'unexpected end of JSON input' : `invalid character ${this.show(c)} looking for beginning of value`)
      // the value is complete: hand it to its container, closing containers as they end
      for (;;) {
        const top = this.stack[this.stack.length - 1]
        this.skipSpace()
        if (top === undefined) {
          if (this.i < b.length) this.fail(`invalid character ${this.show(b[this.i] as number)} after top-level value`)
          return value
        }
        if (top.arr) top.arr.push(value)
        else top.map.set(top.key, value)
        const d = b[this.i]
        if (d === COMMA) {
          this.i++
          if (top.map) {
            this.skipSpace()
            top.key = this.readKey()
          }
          break
        }
        if (d === (top.arr ? RBRACKET : RBRACE)) {
          this.i++
          this.stack.pop()
          value = top.arr ?? top.map
          continue
        }
        this.fail(d === undefined ? 'unexpected end of JSON input' : `invalid character ${this.show(d)} after ${top.arr ? 'array element' : 'object key:value pair'}`)
      }
    }
  }

  private fail(why: string): never {
    throw new DecodeFault(why)
  }

  private show(c: number): string {
    return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `0x${c.toString(16).padStart(2, '0')}`
  }

  private skipSpace(): void {
    const b = this.b
    let c = b[this.i]
    while (c === SPACE || c === LF || c === CR || c === TAB) c = b[++this.i]
  }

  /** an object key, its colon and the space after it (i is at the key's quote, or should be) */
  private readKey(): string {
    const c = this.b[this.i]
    if (c !== QUOTE) this.fail(c === undefined ? 'unexpected end of JSON input' : `invalid character ${this.show(c)} looking for beginning of object key string`)
    const key = this.readString()
    this.skipSpace()
    const d = this.b[this.i]
    if (d !== COLON) this.fail(d === undefined ? 'unexpected end of JSON input' : `invalid character ${this.show(d)} after object key`)
    this.i++
    return key
  }

  private literal<T extends GoJsonValue>(word: string, value: T): T {
    for (let k = 0; k < word.length; k++) {
      const c = this.b[this.i + k]
      if (c !== word.charCodeAt(k)) this.fail(c === undefined ? 'unexpected end of JSON input' : `invalid character ${this.show(c)} in literal ${word}`)
    }
    this.i += word.length
    return value
  }

  private readNumber(): number {
    const b = this.b
    const start = this.i
    let i = start
    if (b[i] === MINUS) i++
    if (b[i] === ZERO) i++
    else if (isDigit(b[i])) while (isDigit(b[i])) i++
    else this.numberFault(i)
    if (b[i] === DOT) {
      i++
      if (!isDigit(b[i])) this.numberFault(i)
      while (isDigit(b[i])) i++
    }
    if (b[i] === 0x65 || b[i] === 0x45) {
      i++
      if (b[i] === 0x2b || b[i] === MINUS) i++
      if (!isDigit(b[i])) this.numberFault(i)
      while (isDigit(b[i])) i++
    }
    this.i = i
    const text = b.toString('latin1', start, i)
    const f = parseGoFloat(text)
    if (f === undefined) this.fail(`json: cannot unmarshal number ${text} into Go value of type float64`)
    return f
  }

  private numberFault(i: number): never {
    const c = this.b[i]
    this.fail(c === undefined ? 'unexpected end of JSON input' : `invalid character ${this.show(c)} in numeric literal`)
  }

  /** a string literal (i at its opening quote), unquoted as Go's unquoteBytes does */
  private readString(): string {
    const b = this.b
    const start = this.i + 1
    let i = start
    let escapes = false
    let high = false
    for (;;) {
      const c = b[i]
      if (c === undefined) this.fail('unexpected end of JSON input')
      if (c === QUOTE) break
      if (c < 0x20) this.fail(`invalid character ${this.show(c)} in string literal`)
      if (c === BACKSLASH) {
        escapes = true
        const e = b[i + 1]
        if (e === 0x75) {
          for (let k = 2; k < 6; k++) {
            const h = b[i + k]
            if (!isHexDigit(h)) this.fail(h === undefined ? 'unexpected end of JSON input' : `invalid character ${this.show(h)} in \\u hexadecimal character escape`)
          }
          i += 6
          continue
        }
        if (e === undefined) this.fail('unexpected end of JSON input')
        if (!'"\\/bfnrt'.includes(String.fromCharCode(e))) this.fail(`invalid character ${this.show(e)} in string escape code`)
        i += 2
        continue
      }
      if (c >= 0x80) high = true
      i++
    }
    this.i = i + 1
    if (!escapes && !high) return b.toString('latin1', start, i)
    if (!escapes && isUtf8(b.subarray(start, i))) return b.toString('utf8', start, i)
    return unquote(b, start, i)
  }
}

const SIMPLE_ESCAPES: Readonly<Record<number, string>> = {0x22: '"', 0x5c: '\\', 0x2f: '/', 0x62: '\b', 0x66: '\f', 0x6e: '\n', 0x72: '\r', 0x74: '\t'}

/** The general case of Go's unquote over b[start, end) (already checked by the scanner). */
function unquote(b: Buffer, start: number, end: number): string {
  const units: number[] = []
  let out = ''
  const flush = (): void => {
    out += String.fromCharCode(...units)
    units.length = 0
  }
  let r = start
  while (r < end) {
    if (units.length > 4096) flush()
    const c = b[r] as number
    if (c === BACKSLASH) {
      const e = b[r + 1] as number
      if (e !== 0x75) {
        units.push((SIMPLE_ESCAPES[e] as string).charCodeAt(0))
        r += 2
        continue
      }
      const u = hex4(b, r)
      r += 6
      if (u < 0xd800 || u >= 0xe000) {
        units.push(u)
        continue
      }
      const lo = r + 6 <= end && b[r] === BACKSLASH && b[r + 1] === 0x75 ? hex4(b, r) : -1
      if (u < 0xdc00 && lo >= 0xdc00 && lo < 0xe000) {
        units.push(u, lo) // a valid pair: both escapes consumed
        r += 6
      } else units.push(0xfffd) // the next escape, if any, is read on its own
      continue
    }
    if (c < 0x80) {
      units.push(c)
      r++
      continue
    }
    const [cp, size] = decodeRune(b, r, end)
    if (cp > 0xffff) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff))
    else units.push(cp)
    r += size
  }
  flush()
  return out
}

function hex4(b: Buffer, at: number): number {
  return parseInt(b.toString('latin1', at + 2, at + 6), 16)
}

const CONT_LO = 0x80
const CONT_HI = 0xbf

/** Go's utf8.DecodeRune over b[i, end): the code point and its length, (U+FFFD, 1) when invalid. */
export function decodeRune(b: Buffer, i: number, end: number): [number, number] {
  const c0 = b[i] as number
  const bad: [number, number] = [0xfffd, 1]
  if (c0 < 0x80) return [c0, 1]
  if (c0 < 0xc2 || c0 > 0xf4) return bad
  const cont = (k: number, lo = CONT_LO, hi = CONT_HI): number => {
    const x = i + k < end ? (b[i + k] as number) : -1
    return x >= lo && x <= hi ? x & 0x3f : -1
  }
  if (c0 < 0xe0) {
    const c1 = cont(1)
    return c1 < 0 ? bad : [((c0 & 0x1f) << 6) | c1, 2]
  }
  if (c0 < 0xf0) {
    const c1 = cont(1, c0 === 0xe0 ? 0xa0 : CONT_LO, c0 === 0xed ? 0x9f : CONT_HI)
    const c2 = c1 < 0 ? -1 : cont(2)
    return c2 < 0 ? bad : [((c0 & 0x0f) << 12) | (c1 << 6) | c2, 3]
  }
  const c1 = cont(1, c0 === 0xf0 ? 0x90 : CONT_LO, c0 === 0xf4 ? 0x8f : CONT_HI)
  const c2 = c1 < 0 ? -1 : cont(2)
  const c3 = c2 < 0 ? -1 : cont(3)
  return c3 < 0 ? bad : [((c0 & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3, 4]
}
