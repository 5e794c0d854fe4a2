/**
 * Go's strconv.ParseFloat(s, 64), as nsq_to_nsq reads --require-json-value (NSQ-SPEC §1.4) and
 * as Go's encoding/json reads every JSON number into a float64 (it calls the same function).
 *
 * Go's syntax is not JS's `Number()`:
 *   accepted by Go, not by JS   `1_000` (underscores between digits), `0x1p4` (hex mantissa with a
 *                               binary exponent), `inf`, `+INF`, `nan` (any ASCII case)
 *   accepted by JS, not by Go   ` 1`, `1 ` (no trimming), `0x10` (a hex float needs its `p`
 *                               exponent), `0b1`, `0o7`, `''`
 *   out of range                `1e400` is an error in Go (ErrRange), where JS gives Infinity;
 *                               an underflow (`1e-400`) is 0 in both
 *
 * A decimal is read as Go's readFloat reads it: its significant digits and the place of the
 * point, the exponent counted up to 5 digits (Go stops adding digits once it reaches 10000, so a
 * longer exponent saturates; it matters only for inputs with thousands of leading zeros). The value
 * is then the correctly rounded float64 of those digits, which both Go and V8 compute exactly,
 * so the digits are handed to `Number()` in a form it reads the same way. A hex float is rounded
 * as Go's atofHex does: its first 16 hex digits, a sticky bit for the rest, round half to even.
 */

const PLUS = 0x2b
const MINUS = 0x2d
const DOT = 0x2e
const UNDERSCORE = 0x5f
const ZERO = 0x30
const NINE = 0x39

/** ASCII-only lower case, as Go's `lower(c)` (c | 0x20) for letters. */
const lower = (c: number): number => c | 0x20

const isDigit = (c: number): boolean => c >= ZERO && c <= NINE
const isHexLetter = (c: number): boolean => lower(c) >= 0x61 && lower(c) <= 0x66

/** `s` in ASCII lower case (other characters kept), to match Go's case-blind specials. */
function asciiLower(s: string): string {
  return s.replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) | 0x20))
}

/**
 * The float64 Go's strconv.ParseFloat(s, 64) returns for `s`, or undefined where it returns an
 * error (a syntax error, or a value beyond the float64 range). NaN and ±Infinity come back for
 * Go's `nan`, `inf` and `infinity` spellings.
 */
export function parseGoFloat(s: string): number | undefined {
  const sp = special(s)
  if (sp !== undefined) return sp
  return readFloat(s)
}

/** Go's `special`, whole-string only: ParseFloat rejects `inf` followed by anything. */
function special(s: string): number | undefined {
  const c0 = s.charCodeAt(0)
  const signed = c0 === PLUS || c0 === MINUS
  const rest = asciiLower(signed ? s.slice(1) : s)
  if (rest === 'inf' || rest === 'infinity') return c0 === MINUS ? -Infinity : Infinity
  if (!signed && rest === 'nan') return NaN
  return undefined
}

function readFloat(s: string): number | undefined {
  const n = s.length
  let i = 0
  let neg = false
  if (i < n && (s.charCodeAt(i) === PLUS || s.charCodeAt(i) === MINUS)) {
    neg = s.charCodeAt(i) === MINUS
    i++
  }
  let hex = false
  if (i + 2 < n && s.charCodeAt(i) === ZERO && lower(s.charCodeAt(i + 1)) === 0x78) {
    hex = true
    i += 2
  }
  let underscores = false
  let sawDot = false
  let sawDigits = false
  let nd = 0 // significant digits seen
  let dp = 0 // where the point sits, in digits from the first significant one
  const digits: string[] = [] // decimal: every significant digit
  let mant = 0n // hex: the first 16 significant digits
  let ndMant = 0
  let trunc = false // hex: a non-zero digit beyond those 16
  for (; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c === UNDERSCORE) {
      underscores = true
      continue
    }
    if (c === DOT) {
      if (sawDot) break
      sawDot = true
      dp = nd
      continue
    }
    if (isDigit(c) || (hex && isHexLetter(c))) {
      sawDigits = true
      if (c === ZERO && nd === 0) {
        dp-- // a leading zero
        continue
      }
      nd++
      if (!hex) digits.push(s[i] as string)
      else if (ndMant < 16) {
        mant = mant * 16n + BigInt(isDigit(c) ? c - ZERO : lower(c) - 0x61 + 10)
        ndMant++
      } else if (c !== ZERO) trunc = true
      continue
    }
    break
  }
  if (!sawDigits) return undefined
  if (!sawDot) dp = nd
  if (hex) {
    dp *= 4
    ndMant *= 4
  }
  const expChar = hex ? 0x70 : 0x65 // p, e
  if (i < n && lower(s.charCodeAt(i)) === expChar) {
    i++
    if (i >= n) return undefined
    let esign = 1
    if (s.charCodeAt(i) === PLUS) i++
    else if (s.charCodeAt(i) === MINUS) {
      i++
      esign = -1
    }
    if (i >= n || !isDigit(s.charCodeAt(i))) return undefined
    let e = 0
    for (; i < n && (isDigit(s.charCodeAt(i)) || s.charCodeAt(i) === UNDERSCORE); i++) {
      if (s.charCodeAt(i) === UNDERSCORE) {
        underscores = true
        continue
      }
      if (e < 10000) e = e * 10 + (s.charCodeAt(i) - ZERO)
    }
    dp += e * esign
  } else if (hex) return undefined // a hex mantissa needs its p exponent
  if (i !== n) return undefined
  if (underscores && !underscoreOK(s)) return undefined
  if (hex) return hexFloat(mant, mant !== 0n ? dp - ndMant : 0, neg, trunc)
  if (nd === 0) return neg ? -0 : 0
  const v = Number(`0.${digits.join('')}e${dp}`)
  if (!Number.isFinite(v)) return undefined // ErrRange
  return neg ? -v : v
}

/** Go's underscoreOK: an underscore only between digits, or between the base prefix and a digit. */
function underscoreOK(str: string): boolean {
  let s = str
  let saw = '^' // ^ start, 0 digit or prefix, _ underscore, ! anything else
  let i = 0
  if (s.length >= 1 && (s.charCodeAt(0) === PLUS || s.charCodeAt(0) === MINUS)) s = s.slice(1)
  let hex = false
  if (s.length >= 2 && s.charCodeAt(0) === ZERO && 'box'.includes(String.fromCharCode(lower(s.charCodeAt(1))))) {
    i = 2
    saw = '0'
    hex = lower(s.charCodeAt(1)) === 0x78
  }
  for (; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (isDigit(c) || (hex && isHexLetter(c))) {
      saw = '0'
      continue
    }
    if (c === UNDERSCORE) {
      if (saw !== '0') return false
      saw = '_'
      continue
    }
    if (saw === '_') return false
    saw = '!'
  }
  return saw !== '_'
}

/**
 * mant × 2^exp rounded to a float64 as Go's atofHex rounds it: normalise to 1+52 bits plus a
 * guard bit and a sticky bit, denormalise below 2^-1022, round half to even; beyond the largest
 * float64 is Go's range error (undefined).
 */
function hexFloat(mant: bigint, exp2: number, neg: boolean, trunc: boolean): number | undefined {
  const MIN_EXP = -1022
  const MAX_EXP = 1023
  let m = mant
  let exp = exp2 + 52
  while (m !== 0n && m >> 54n === 0n) {
    m <<= 1n
    exp--
  }
  if (trunc) m |= 1n
  while (m >> 55n !== 0n) {
    m = (m >> 1n) | (m & 1n)
    exp++
  }
  while (m > 1n && exp < MIN_EXP - 2) {
    m = (m >> 1n) | (m & 1n)
    exp++
  }
  let round = m & 3n
  m >>= 2n
  round |= m & 1n
  exp += 2
  if (round === 3n) {
    m++
    if (m === 1n << 53n) {
      m >>= 1n
      exp++
    }
  }
  if (exp > MAX_EXP) return undefined
  // m < 2^53 is exact as a double; a subnormal m (< 2^52) sits at exp = -1022, i.e. m × 2^-1074
  const v = m === 0n ? 0 : Number(m) * 2 ** (exp - 52)
  return neg ? -v : v
}
