/**
 * marshalGo: Go 1.19's json.Marshal of decoded values. Exact text for floats (shortest digits,
 * plain below 1e21 and from 1e-6, else Go's exponent form; -0 kept), int64s, HTML-safe strings,
 * keys sorted by bytes, and the refusals (NaN, Inf, a bigint beyond int64). The float format is
 * also checked against an independent rendering of Go's rules from the shortest digits.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {compareCodePoints, formatGoFloat, GoJsonMarshalError, marshalGo, quoteGo} from '../../../../src/core/tools/relay/go-json.js'
import type {GoJsonValue} from '../../../../src/core/tools/relay/go-json.js'
import {mulberry32u} from '../../../helpers/prng.js'

const obj = (entries: [string, GoJsonValue][]): Map<string, GoJsonValue> => new Map(entries)

test('scalars', () => {
  assert.equal(marshalGo(null), 'null')
  assert.equal(marshalGo(true), 'true')
  assert.equal(marshalGo(false), 'false')
  assert.equal(marshalGo('x'), '"x"')
  assert.equal(marshalGo(''), '""')
  assert.equal(marshalGo(0n), '0')
  assert.equal(marshalGo(-42n), '-42')
  assert.equal(marshalGo(9223372036854775807n), '9223372036854775807')
  assert.equal(marshalGo(-9223372036854775808n), '-9223372036854775808')
})

test('float64: shortest digits; plain from 1e-6 up to below 1e21, exponent form outside, e-07 written e-7', () => {
  const cases: [number, string][] = [
    [0, '0'],
    [-0, '-0'],
    [1, '1'],
    [-1, '-1'],
    [1.5, '1.5'],
    [0.1, '0.1'],
    [0.30000000000000004, '0.30000000000000004'],
    [123.456, '123.456'],
    [1e20, '100000000000000000000'],
    [123456789012345680000, '123456789012345680000'],
    [999999999999999900000, '999999999999999900000'],
    [1e21, '1e+21'],
    [-1e21, '-1e+21'],
    [1.5e21, '1.5e+21'],
    [1e100, '1e+100'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [2 ** 60, '1152921504606847000'],
    [2 ** 53, '9007199254740992'],
    [2 ** 63, '9223372036854776000'],
    [Number('12345678901234567890'), '12345678901234567000'], // the float64 12345678901234567168
    [1e-6, '0.000001'],
    [1.5e-6, '0.0000015'],
    [9.99e-7, '9.99e-7'],
    [1e-7, '1e-7'],
    [-1e-7, '-1e-7'],
    [1.2345e-8, '1.2345e-8'],
    [1e-9, '1e-9'],
    [1e-10, '1e-10'],
    [5e-324, '5e-324'],
    [2.2250738585072014e-308, '2.2250738585072014e-308'],
  ]
  for (const [f, want] of cases) {
    assert.equal(formatGoFloat(f), want, String(f))
    assert.equal(marshalGo(f), want, String(f))
  }
})

test('NaN and ±Inf are Go\'s UnsupportedValueError; a bigint beyond int64 cannot be a Go value', () => {
  for (const [f, text] of [
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ] as const) {
    assert.throws(() => marshalGo(f), (e: unknown) => e instanceof GoJsonMarshalError && e.code === 'ERR_GO_JSON_UNSUPPORTED' && e.message === `json: unsupported value: ${text}`)
    assert.throws(() => marshalGo([obj([['x', f]])]), GoJsonMarshalError)
  }
  assert.throws(() => marshalGo(2n ** 63n), GoJsonMarshalError)
  assert.throws(() => marshalGo(-(2n ** 63n) - 1n), GoJsonMarshalError)
})

/** Go's fmtF / fmtE with shortest digits, written from the rules, from toExponential()'s digits */
function goRules(f: number): string {
  if (Object.is(f, -0)) return '-0'
  if (f === 0) return '0'
  const sign = f < 0 ? '-' : ''
  const [mant, e] = Math.abs(f).toExponential().split('e') as [string, string]
  const digits = mant.replace('.', '')
  const exp = Number(e) // value = d.ddd × 10^exp
  const abs = Math.abs(f)
  if (abs < 1e-6 || abs >= 1e21) {
    const es = Math.abs(exp) < 10 ? `0${Math.abs(exp)}` : String(Math.abs(exp))
    let s = `${sign}${digits[0]}${digits.length > 1 ? '.' + digits.slice(1) : ''}e${exp < 0 ? '-' : '+'}${es}`
    if (/e-0\d$/.test(s)) s = s.slice(0, -2) + s.slice(-1)
    return s
  }
  const dp = exp + 1 // digits before the point
  if (dp <= 0) return `${sign}0.${'0'.repeat(-dp)}${digits}`
  if (dp >= digits.length) return sign + digits + '0'.repeat(dp - digits.length)
  return `${sign}${digits.slice(0, dp)}.${digits.slice(dp)}`
}

test('seeded: formatGoFloat is Go\'s rules applied to the shortest digits, for random doubles of every size', () => {
  const next = mulberry32u(0xf10a7)
  const view = new DataView(new ArrayBuffer(8))
  const sample: number[] = [1e21, 1e-6, 5e-324, -5e-324, Number.MAX_VALUE, 999999999999999900000, Number('9.999999999999999e-7'), 1e-7]
  for (let n = 0; n < 5000; n++) {
    view.setUint32(0, next())
    view.setUint32(4, next())
    sample.push(view.getFloat64(0))
    sample.push((next() / 2 ** 32) * 10 ** ((next() % 60) - 30)) // many near the two thresholds
  }
  for (const f of sample) if (Number.isFinite(f)) assert.equal(formatGoFloat(f), goRules(f), String(f))
})

test('strings: HTML-safe, U+2028/U+2029 escaped, other controls \\u00XX in lower case (Go 1.19: no \\b or \\f)', () => {
  const named: Record<number, string> = {0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x22: '\\"', 0x5c: '\\\\', 0x3c: '\\u003c', 0x3e: '\\u003e', 0x26: '\\u0026'}
  for (let c = 0; c < 0x80; c++) {
    const want = named[c] ?? (c < 0x20 ? `\\u00${c.toString(16).padStart(2, '0')}` : String.fromCharCode(c))
    assert.equal(quoteGo(String.fromCharCode(c)), `"${want}"`, `0x${c.toString(16)}`)
  }
  assert.equal(quoteGo('\b\f\u001b'), '"\\u0008\\u000c\\u001b"')
  assert.equal(quoteGo('<script>alert("x&y")</script>'), '"\\u003cscript\\u003ealert(\\"x\\u0026y\\")\\u003c/script\\u003e"')
  assert.equal(quoteGo('a\u2028b\u2029c'), '"a\\u2028b\\u2029c"')
  assert.equal(quoteGo('/'), '"/"', 'the solidus is not escaped')
  assert.equal(quoteGo('\u007f\u0080\u00e9\u200b\ufeff\ufffd€𝄞\u{1f600}'), '"\u007f\u0080\u00e9\u200b\ufeff\ufffd€𝄞\u{1f600}"', 'everything else as is')
  assert.equal(quoteGo('x\ty\nz'), '"x\\ty\\nz"')
  // a lone surrogate (never decoded from JSON) becomes U+FFFD once encoded, as Go's bytes would
  assert.deepEqual(Buffer.from(marshalGo('a\ud800b'), 'utf8'), Buffer.from('"a\ufffdb"', 'utf8'))
})

test('objects: keys sorted by their bytes and escaped like strings; arrays keep their order', () => {
  assert.equal(marshalGo(obj([])), '{}')
  assert.equal(marshalGo([]), '[]')
  assert.equal(marshalGo(obj([['b', 1], ['a', 2], ['B', 3], ['', 4], ['aa', 5], ['a\u0000', 6]])), '{"":4,"B":3,"a":2,"a\\u0000":6,"aa":5,"b":1}')
  assert.equal(marshalGo(obj([['\u{10000}', 1], ['\uffff', 2], ['\ue000', 3], ['\ud7ff', 4]])), '{"\ud7ff":4,"\ue000":3,"\uffff":2,"\u{10000}":1}', 'code point order, not UTF-16 order')
  assert.equal(marshalGo(obj([['é', 1], ['z', 2], ['<', 3]])), '{"\\u003c":3,"z":2,"é":1}', 'sorted by the raw key, written escaped')
  assert.equal(marshalGo(obj([['__proto__', 1], ['constructor', null]])), '{"__proto__":1,"constructor":null}')
  const nested = obj([['z', [3, 1, 2, obj([['y', 1], ['x', [obj([['b', -0], ['a', 1.5]])]]])]], ['a', obj([['d', true], ['c', 'c']])]])
  assert.equal(marshalGo(nested), '{"a":{"c":"c","d":true},"z":[3,1,2,{"x":[{"a":1.5,"b":-0}],"y":1}]}')
  assert.equal(marshalGo([null, true, 'x', 1e21, 7n, [], obj([])]), '[null,true,"x",1e+21,7,[],{}]')
})

test('seeded: compareCodePoints orders as Go does, by UTF-8 bytes', () => {
  const next = mulberry32u(0xc0de)
  const pool = [0x41, 0x61, 0x7f, 0xe9, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfeff, 0xffff, 0x10000, 0x1f600, 0x10ffff]
  const bmp = (): number => (next() % 2 ? next() % 0xd800 : 0xe000 + (next() % 0x2000)) // no surrogates
  const supplementary = (): number => 0x10000 + (next() % 0x100000)
  const codePoint = (): number => [() => pool[next() % pool.length] as number, bmp, supplementary][next() % 3]!()
  const randomString = (): string => Array.from({length: next() % 5}, () => String.fromCodePoint(codePoint())).join('')
  for (let n = 0; n < 5000; n++) {
    const a = randomString()
    const b = randomString()
    const want = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
    assert.equal(Math.sign(compareCodePoints(a, b)), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`)
  }
})
