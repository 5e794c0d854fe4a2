/**
 * parseGoFloat: Go's strconv.ParseFloat(s, 64), which reads nsq_to_nsq's --require-json-value and
 * every JSON number. The tables are the cases Go's own strconv tests pin (expected values written
 * as Go prints them), then the places where Go and JS `Number()` read the same text differently,
 * then seeded round trips against independent references.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {parseGoFloat} from '../../../../src/core/tools/relay/go-parse-float.js'
import {mulberry32u} from '../../../helpers/prng.js'

/** Go's printed result → the float64 it names; 'err' = an error (syntax or range) */
function expect(s: string, want: string): void {
  const got = parseGoFloat(s)
  const label = JSON.stringify(s.length > 60 ? s.slice(0, 60) + '…' : s)
  if (want === 'err') return assert.equal(got, undefined, `${label} is an error in Go`)
  const w = want === 'NaN' ? NaN : want === '+Inf' ? Infinity : want === '-Inf' ? -Infinity : Number(want)
  assert.ok(got !== undefined, `${label} parses in Go`)
  assert.ok(Object.is(got, w), `${label}: ${got} !== ${want}`)
}

test('decimals: signs, exponents, rounding to nearest even', () => {
  const cases: [string, string][] = [
    ['1', '1'],
    ['+1', '1'],
    ['-1', '-1'],
    ['-0.1', '-0.1'],
    ['-0', '-0'],
    ['1e23', '1e+23'],
    ['1E23', '1e+23'],
    ['100000000000000000000000', '1e+23'],
    ['1e-100', '1e-100'],
    ['123456700', '1.234567e+08'],
    ['99999999999999974834176', '9.999999999999997e+22'],
    ['100000000000000000000001', '1.0000000000000001e+23'],
    ['100000000000000008388608', '1.0000000000000001e+23'],
    ['100000000000000016777215', '1.0000000000000001e+23'],
    ['100000000000000016777216', '1.0000000000000003e+23'],
    ['1e-20', '1e-20'],
    ['625e-3', '0.625'],
    ['.5', '0.5'],
    ['5.', '5'],
    ['+.5e1', '5'],
    ['00012', '12'],
    ['000.5', '0.5'],
    ['0.00e-01234567890123456789', '0'],
    ['-0e+01234567890123456789', '-0'],
    ['0e348', '0'],
    ['1.7976931348623157e308', '1.7976931348623157e+308'],
    ['1.7976931348623158e308', '1.7976931348623157e+308'],
    ['5e-324', '5e-324'],
    ['3e-324', '5e-324'],
    ['2e-324', '0'],
    ['1e-400000', '0'],
    ['1e-4294967296', '0'],
    ['2.2250738585072012e-308', '2.2250738585072014e-308'],
    ['2.2250738585072011e-308', '2.225073858507201e-308'],
    ['4.630813248087435e+307', '4.630813248087435e+307'],
    ['22.222222222222222', '22.22222222222222'],
    ['2.' + '2'.repeat(4000) + 'e+1', '22.22222222222222'],
    ['1.00000000000000011102230246251565404236316680908203125', '1'],
    ['1.00000000000000011102230246251565404236316680908203124', '1'],
    ['1.00000000000000011102230246251565404236316680908203126', '1.0000000000000002'],
    ['1.00000000000000011102230246251565404236316680908203125' + '0'.repeat(10000) + '1', '1.0000000000000002'],
    ['1.00000000000000033306690738754696212708950042724609375', '1.0000000000000004'],
    ['1090544144181609348671888949248', '1.0905441441816093e+30'],
    ['1090544144181609348835077142190', '1.0905441441816094e+30'],
  ]
  for (const [s, w] of cases) expect(s, w)
})

test('beyond the float64 range is an error (JS would say Infinity); specials are values', () => {
  const tooBig = ['1.7976931348623159e308', '-1.7976931348623159e308', '1.797693134862315808e308', '2e308', '1e309', '1e400', '-1e400']
  tooBig.push('1e400000', '1e+4294967296', '1e+18446744073709551616')
  for (const s of tooBig) expect(s, 'err')
  const specials: [string, string][] = [
    ['nan', 'NaN'],
    ['NaN', 'NaN'],
    ['NAN', 'NaN'],
    ['inf', '+Inf'],
    ['-Inf', '-Inf'],
    ['+INF', '+Inf'],
    ['-Infinity', '-Inf'],
    ['+INFINITY', '+Inf'],
    ['Infinity', '+Inf'],
    ['iNfInItY', '+Inf'],
  ]
  for (const [s, w] of specials) expect(s, w)
  // only the whole word: no sign on nan, no partial "infinity", nothing after
  for (const s of ['+nan', '-nan', 'nan1', 'infinit', 'infinityy', 'inf ', 'in', 'i', 'n', '+', '-', 'infx', '\u0130nf']) expect(s, 'err')
})

test('hex floats: a p exponent is required; rounding as atofHex, including subnormals', () => {
  const cases: [string, string][] = [
    ['0x1p0', '1'],
    ['0x1p1', '2'],
    ['0x1p-1', '0.5'],
    ['0x1ep-1', '15'],
    ['-0x1ep-1', '-15'],
    ['-0x1_ep-1', '-15'],
    ['0X1P4', '16'],
    ['0x1p-200', '6.223015277861142e-61'],
    ['0x1p200', '1.6069380442589903e+60'],
    ['0x1fFe2.p0', '131042'],
    ['0x1fFe2.P0', '131042'],
    ['-0x2p3', '-16'],
    ['0x0.fp4', '15'],
    ['0x0.fp0', '0.9375'],
    ['0x.8p1', '1'],
    ['0x1.8p1', '3'],
    ['0x1.9p6', '100'],
    ['0x0p+01234567890123456789', '0'],
    ['-0x0.00p-01234567890123456789', '-0'],
    ['0x0p1026', '0'],
    ['0x1.fffffffffffffp1023', '1.7976931348623157e+308'],
    ['0x1fffffffffffffp+971', '1.7976931348623157e+308'],
    ['0x.1fffffffffffffp1027', '1.7976931348623157e+308'],
    ['0x1.fffffffffffff7fffp1023', '1.7976931348623157e+308'],
    ['0x2.00000000000000p-1010', '1.8227805048890994e-304'],
    ['0x1.fffffffffffff7p-1010', '1.8227805048890992e-304'],
    ['0x1.fffffffffffff8p-1010', '1.8227805048890994e-304'],
    ['0x1.fffffffffffff0p-1022', '4.4501477170144023e-308'],
    ['0x1.fffffffffffff8p-1022', '4.450147717014403e-308'],
    ['0x1.00000000000000p-1022', '2.2250738585072014e-308'],
    ['0x0.fffffffffffff0p-1022', '2.225073858507201e-308'],
    ['0x0.ffffffffffffe7p-1022', '2.2250738585072004e-308'],
    ['0x1.ffffffffffffe8p-1023', '2.225073858507201e-308'],
    ['0x0.00000003456788p-1022', '1.694649e-317'],
    ['0x0.00000003456789p-1022', '1.6946496e-317'],
    ['0x0.0000000345678800000000000000000000000001p-1022', '1.6946496e-317'],
    ['0x0.00000000000058p-1022', '3e-323'],
    ['0x0.00000000000057p-1022', '2.5e-323'],
    ['0x0.00000000000010p-1022', '5e-324'],
    ['0x0.000000000000081p-1022', '5e-324'],
    ['0x0.00000000000008p-1022', '0'],
    ['0x0.00000000000007fp-1022', '0'],
    ['0x1p-1074', '5e-324'],
    ['0x1p-1075', '0'],
    ['0x1.8p-1075', '5e-324'],
    ['0x1p-4294967296', '0'],
    ['0x1.1111111111111p222', '7.18931911124017e+66'],
    ['0x2.2222222222222p221', '7.18931911124017e+66'],
    ['0x2.' + '2'.repeat(4000) + 'p221', '7.18931911124017e+66'],
    ['0x1.00000000000008p0', '1'],
    ['0x1.00000000000007Fp0', '1'],
    ['0x1.000000000000081p0', '1.0000000000000002'],
    ['0x1.00000000000009p0', '1.0000000000000002'],
    ['0x1.00000000000008' + '0'.repeat(10000) + '1p0', '1.0000000000000002'],
    ['0x1.00000000000018p0', '1.0000000000000004'],
  ]
  for (const [s, w] of cases) expect(s, w)
  const errors = [
    ['0x1p1024', '-0x1p1024', '0x2p1023', '0x.1p1028', '0x.2p1027', '0x1.fffffffffffff8p1023', '0x1fffffffffffff.8p+971'],
    ['-0x1fffffffffffff8p+967', '0x.1fffffffffffff8p1027', '-0x.1fffffffffffff9p1027', '0x1p1025', '0x1p2000000000', '0x1p+18446744073709551616'],
    ['0x', '0x.', '0x1', '0x.1', '0x1p', '0x1p+', '0x1p-', '0x1e2', '1p2', '0x10', '0xff', '0x1.8', '0xp1', '0x.p1', '0xg1p0', '0b1', '0o7', '0b1p0'],
  ].flat()
  for (const s of errors) expect(s, 'err')
})

test('underscores only between digits (or after the base prefix), in mantissa and exponent alike', () => {
  expect('1_23.50_0_0e+1_2', '1.235e+14')
  expect('1_000', '1000')
  expect('0_1', '1')
  expect('1e1_0', '1e+10')
  expect('0x_1_2.3_4_5p+1_2', '74565')
  expect('-0x_1p0', '-1')
  const bad = ['-_123.5e+12', '+_123.5e+12', '_123.5e+12', '1__23.5e+12', '123_.5e+12', '123._5e+12', '123.5_e+12', '123.5__0e+12', '123.5e_+12']
  bad.push('123.5e+_12', '123.5e_-12', '123.5e-_12', '123.5e+1__2', '123.5e+12_', '1_', '_1', '_', '1_e5')
  bad.push('-_0x12.345p+12', '+_0x12.345p+12', '_0x12.345p+12', '0x__12.345p+12', '0x1__2.345p+12', '0x12_.345p+12', '0x12._345p+12')
  bad.push('0x12.3__45p+12', '0x12.345_p+12', '0x12.345p_+12', '0x12.345p+_12', '0x12.345p_-12', '0x12.345p-_12', '0x12.345p+1__2', '0x12.345p+12_')
  for (const s of bad) expect(s, 'err')
})

test('an exponent stops growing once it reaches 10000 (Go: "it doesn\'t matter if it\'s not the exact number")', () => {
  // five digits are read exactly: 10^-20001 × 10^20005
  expect('0.' + '0'.repeat(20000) + '1e20005', '10000')
  // from the sixth digit on, Go stops adding: 100005 is read as 10000
  expect('0.' + '0'.repeat(10000) + '1e100005', '0.1') // in truth beyond float64
  expect('0.' + '0'.repeat(100000) + '1e100005', '0') // in truth 10^4
  expect('1' + '0'.repeat(10000) + 'e-100005', '1') // in truth 10^-90005
  expect('0x0.' + '0'.repeat(2500) + '1p100005', '0.0625') // in truth beyond float64
  expect('1e100005', 'err')
  expect('1e-100005', '0')
})

test('where JS Number() and Go part ways', () => {
  // JS Number() reads these (as 0, 1, 16, 31, 5, 15); Go refuses them: no trimming, no bare hex, no 0b or 0o
  for (const s of ['', ' 1', '1 ', '\t1', '1\n', '0x10', '0X1F', '0b101', '0o17']) {
    assert.ok(!Number.isNaN(Number(s)), `JS reads ${JSON.stringify(s)}`)
    expect(s, 'err')
  }
  // neither reads these
  for (const s of ['1.1.', '1x', '1e', '1e-', '.e-1', '1\u00002', '.', 'e5', '\u0661']) expect(s, 'err')
  // Go accepts, JS Number() gives NaN
  expect('1_000', '1000')
  expect('0x1p4', '16')
  expect('inf', '+Inf')
  expect('+Inf', '+Inf')
  expect('nan', 'NaN')
  // Go refuses what JS rounds to Infinity
  expect('1e400', 'err')
})

/** the exact decimal text of mant × 2^exp (BigInt arithmetic, no rounding) */
function exactDecimal(mant: bigint, exp: number): string {
  if (exp >= 0) return (mant << BigInt(exp)).toString()
  const digits = (mant * 5n ** BigInt(-exp)).toString() // mant × 2^exp = mant × 5^-exp / 10^-exp
  return `${digits}e${exp}`
}

test('seeded: random hex floats round exactly as the correctly rounded exact value (V8 reads that)', () => {
  const next = mulberry32u(0x6e7166)
  for (let n = 0; n < 4000; n++) {
    const ndigits = 1 + (next() % 20) // beyond 16 digits exercises the sticky bit
    let hexDigits = ''
    for (let k = 0; k < ndigits; k++) hexDigits += (next() % 16).toString(16)
    const point = next() % (ndigits + 1)
    const e = (next() % 2250) - 1180
    const text = `0x${hexDigits.slice(0, point)}.${hexDigits.slice(point)}p${e}`
    const mant = BigInt('0x' + hexDigits)
    const exact = exactDecimal(mant, e - 4 * (ndigits - point))
    const want = Number(exact)
    const got = parseGoFloat(text)
    if (!Number.isFinite(want)) assert.equal(got, undefined, text)
    else assert.ok(Object.is(got, want), `${text}: ${got} !== ${want}`)
  }
})

test('seeded: every double reads back from its shortest, fixed and exponent forms', () => {
  const next = mulberry32u(0x0f10a7)
  const buf = new DataView(new ArrayBuffer(8))
  for (let n = 0; n < 4000; n++) {
    buf.setUint32(0, next())
    buf.setUint32(4, next())
    const x = buf.getFloat64(0)
    if (!Number.isFinite(x)) continue
    for (const s of [String(x), x.toExponential(), x.toExponential(20), Math.abs(x) < 1e21 ? x.toFixed(20) : String(x)]) {
      const got = parseGoFloat(s)
      assert.ok(Object.is(got, Number(s)), `${s}: ${got} !== ${Number(s)}`)
    }
  }
})

test('seeded: random JSON-syntax decimals agree with Number() (the JSON numbers Go reads)', () => {
  const next = mulberry32u(0x4a534f4e)
  const digits = (k: number): string => Array.from({length: k}, () => String(next() % 10)).join('')
  for (let n = 0; n < 4000; n++) {
    let s = next() % 2 ? '-' : ''
    s += next() % 4 === 0 ? '0' : String(1 + (next() % 9)) + digits(next() % 25)
    if (next() % 2) s += '.' + digits(1 + (next() % 25))
    if (next() % 2) s += (next() % 2 ? 'e' : 'E') + ['', '+', '-'][next() % 3] + String(next() % 400)
    const want = Number(s)
    const got = parseGoFloat(s)
    if (!Number.isFinite(want)) assert.equal(got, undefined, s)
    else assert.ok(Object.is(got, want), `${s}: ${got} !== ${want}`)
  }
})
