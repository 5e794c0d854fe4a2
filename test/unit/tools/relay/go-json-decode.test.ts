/**
 * unmarshalGo: Go's json.Unmarshal into interface{}, over bytes. What it accepts and refuses, the
 * values it makes (float64 numbers, last duplicate key wins), and how it coerces strings to UTF-8:
 * Go's unquote, one U+FFFD per byte that does not start a valid sequence, and its surrogate rules.
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import {isUtf8} from 'node:buffer'

import {decodeRune, MAX_NESTING_DEPTH, unmarshalGo} from '../../../../src/core/tools/relay/go-json-decode.js'
import type {GoJsonValue} from '../../../../src/core/tools/relay/go-json.js'
import {mulberry32u} from '../../../helpers/prng.js'

const bytes = (...parts: (string | number[])[]): Buffer => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))))

function decode(input: string | Buffer): GoJsonValue {
  const r = unmarshalGo(typeof input === 'string' ? Buffer.from(input, 'utf8') : input)
  assert.ok(r.ok, `${JSON.stringify(input.toString())} should decode, got ${r.ok ? '' : r.error}`)
  return r.value
}

function refuse(input: string | Buffer, why?: RegExp): void {
  const r = unmarshalGo(typeof input === 'string' ? Buffer.from(input, 'utf8') : input)
  assert.ok(!r.ok, `${JSON.stringify(input.toString())} should be refused`)
  if (why) assert.match(r.error, why)
}

/** a decoded string value of `"…"` made of these raw bytes */
const str = (...inner: (string | number[])[]): GoJsonValue => decode(bytes('"', ...inner, '"'))

test('every kind of value, objects as Maps, numbers as float64', () => {
  assert.equal(decode('null'), null)
  assert.equal(decode('true'), true)
  assert.equal(decode('false'), false)
  assert.equal(decode('"x"'), 'x')
  assert.equal(decode('12'), 12)
  assert.ok(Object.is(decode('-0'), -0))
  assert.equal(decode('-1.5e3'), -1500)
  assert.deepEqual(decode('[]'), [])
  assert.deepEqual(decode('{}'), new Map())
  assert.deepEqual(decode(' {"a" : [1, {"b":null}, "c"] , "d":{} } '), new Map<string, GoJsonValue>([['a', [1, new Map([['b', null]]), 'c']], ['d', new Map()]]))
  const m = decode('{"__proto__":1,"constructor":2,"":3}') as Map<string, GoJsonValue>
  assert.deepEqual([...m], [['__proto__', 1], ['constructor', 2], ['', 3]])
})

test('numbers: float64 precision, -0 kept, underflow to 0, beyond float64 an error anywhere in the body', () => {
  assert.equal(decode('12345678901234567890'), 12345678901234567168)
  assert.equal(decode('9007199254740993'), 9007199254740992)
  assert.equal(decode('1e-400'), 0)
  assert.ok(Object.is(decode('-1e-400'), -0))
  assert.ok(Object.is(decode('-0.0e7'), -0))
  assert.equal(decode('1.7976931348623157e308'), Number.MAX_VALUE)
  assert.equal(decode('0.1e1'), 1)
  assert.equal(decode('1E+2'), 100)
  for (const s of ['1e400', '-1e309', '[1, 1e400]', '{"a":{"b":[2e308]}}', '{"a":1.8e308}']) refuse(s, /cannot unmarshal number/)
})

test('duplicate keys: the last one wins, at every level', () => {
  assert.deepEqual(decode('{"a":1,"b":2,"a":3}'), new Map([['a', 3], ['b', 2]]))
  assert.deepEqual(decode('{"o":{"x":1,"x":{"y":2}},"o":{"z":true}}'), new Map([['o', new Map([['z', true]])]]))
  assert.deepEqual(decode('{"o":{"x":1,"x":{"y":2}}}'), new Map([['o', new Map([['x', new Map([['y', 2]])]])]]))
})

test('whitespace is space, tab, LF, CR only, anywhere between tokens', () => {
  assert.deepEqual(decode(' \t\r\n{ \t\r\n"a" \t\r\n: \t\r\n[ \t\r\n1 \t\r\n, \t\r\n2 \t\r\n] \t\r\n} \t\r\n'), new Map([['a', [1, 2]]]))
  for (const ws of ['\f', '\v', '\u00a0', '\u2028', '\ufeff', '\u0000']) {
    refuse(`${ws}{}`)
    refuse(`{}${ws}`)
    refuse(`{${ws}}`)
  }
})

test('refused: not RFC 8259, or anything after the value', () => {
  const bad = [
    '',
    ' ',
    '\n',
    '{',
    '}',
    '[',
    '{"a":1',
    '{"a":1,}',
    '[1,]',
    '[,1]',
    '{,}',
    '{"a"}',
    '{"a":}',
    '{"a" 1}',
    '{a:1}',
    "{'a':1}",
    '{"a":1 "b":2}',
    '[1 2]',
    '{"a":1}}',
    '{"a":1}{"b":2}',
    '{"a":1} x',
    '{"a":1}\u0000',
    '{} []',
    '01',
    '-01',
    '+1',
    '.5',
    '1.',
    '1.e5',
    '1e',
    '1e+',
    '-',
    '--1',
    '0x10',
    'NaN',
    'Infinity',
    '-Infinity',
    'nul',
    'nulll',
    'True',
    'tru',
    'falsy',
    'undefined',
    '"abc',
    '"\\"',
    '"\\x41"',
    "\"\\'\"",
    '"\\u12"',
    '"\\u12g4"',
    '"\\U0041"',
    '"a\tb"',
    '"a\nb"',
    '"\u0000"',
    '"\u001f"',
    '/* c */{}',
    '{} // c',
    '{"a":1}\n{"a":2}',
  ]
  for (const s of bad) refuse(s)
  refuse(bytes([0xef, 0xbb, 0xbf], '{}'), /0xef/) // a UTF-8 BOM
  refuse(bytes('{}', [0xef, 0xbb, 0xbf]))
  refuse('', /unexpected end of JSON input/)
  refuse('{"a":1} x', /after top-level value/)
})

test(`nesting: ${MAX_NESTING_DEPTH} arrays and objects deep decode, one more is "exceeded max depth"`, () => {
  const deep = (n: number, open: (k: number) => string, close: (k: number) => string): string => {
    let s = ''
    for (let k = 0; k < n; k++) s += open(k)
    for (let k = n - 1; k >= 0; k--) s += close(k)
    return s
  }
  const mixed = (n: number): string => deep(n, (k) => (k % 2 ? '[' : '{"k":'), (k) => (k % 2 ? ']' : '}'))
  assert.ok(unmarshalGo(Buffer.from(deep(MAX_NESTING_DEPTH, () => '[', () => ']'))).ok)
  assert.ok(unmarshalGo(Buffer.from(mixed(MAX_NESTING_DEPTH))).ok)
  assert.ok(unmarshalGo(Buffer.from(deep(MAX_NESTING_DEPTH - 1, () => '[', () => ']').replace(/\[\]/, '[[], {}, 1]'))).ok, 'empty containers count as a level')
  refuse(deep(MAX_NESTING_DEPTH + 1, () => '[', () => ']'), /exceeded max depth/)
  refuse(mixed(MAX_NESTING_DEPTH + 1), /exceeded max depth/)
  refuse(deep(MAX_NESTING_DEPTH, () => '[', () => ']').replace(/\[\]/, '[{}]'), /exceeded max depth/)
  // the depth is of containers open at once, not in total
  assert.ok(unmarshalGo(Buffer.from('[' + '[],'.repeat(MAX_NESTING_DEPTH * 2) + '[]]')).ok)
})

test('string escapes: the eight short ones and \\u, with \\u0000 and DEL allowed', () => {
  assert.equal(decode('"\\"\\\\\\/\\b\\f\\n\\r\\t"'), '"\\/\b\f\n\r\t')
  assert.equal(decode('"\\u0041\\u00e9\\u20AC\\u0000"'), 'Aé€\u0000')
  assert.equal(decode('"a\u007fb"'), 'a\u007fb')
  assert.equal(decode('"<&>\u2028"'), '<&>\u2028')
})

test('\\u surrogates: a pair is joined; any other surrogate is U+FFFD and the next escape stands alone', () => {
  assert.equal(decode('"\\ud83d\\ude00"'), '\u{1f600}')
  assert.equal(decode('"\\uD83D\\uDE00"'), '\u{1f600}')
  assert.equal(decode('"\\ud800"'), '\ufffd', 'a lone high surrogate')
  assert.equal(decode('"\\udc00"'), '\ufffd', 'a lone low surrogate')
  assert.equal(decode('"\\ud800x"'), '\ufffdx', 'high, then a plain character')
  assert.equal(decode('"\\ud800\\u0041"'), '\ufffdA', 'high, then a non-surrogate escape: read on its own')
  assert.equal(decode('"\\ud800\\ud800\\udc00"'), '\ufffd\u{10000}', 'high, then a valid pair')
  assert.equal(decode('"\\udc00\\ud800"'), '\ufffd\ufffd', 'reversed')
  assert.equal(decode('"\\udc00\\udc00"'), '\ufffd\ufffd', 'two lows')
  assert.equal(decode('"\\ud800\\ud800"'), '\ufffd\ufffd', 'two highs')
  assert.equal(decode('"\\ud800\\n"'), '\ufffd\n')
  assert.equal(decode('"\\ud800\\\\udc00"'), '\ufffd\\udc00', 'an escaped backslash is no escape')
  assert.deepEqual(decode('{"\\ud800":1}'), new Map([['\ufffd', 1]]), 'keys too')
})

test('raw UTF-8 is kept; each byte that does not start a valid sequence becomes one U+FFFD', () => {
  const R = '\ufffd'
  assert.equal(str('héllo €𝄞 \u{1f600}'), 'héllo €𝄞 \u{1f600}')
  assert.equal(str([0xef, 0xbf, 0xbd]), R, 'an encoded U+FFFD is valid and kept')
  assert.equal(str('a', [0x80], 'b'), `a${R}b`, 'a lone continuation byte')
  assert.equal(str([0xc0, 0x80]), R + R, 'overlong NUL')
  assert.equal(str([0xc1, 0xbf]), R + R, 'overlong')
  assert.equal(str([0xe0, 0x80, 0x80]), R + R + R, 'overlong 3-byte')
  assert.equal(str([0xed, 0xa0, 0x80]), R + R + R, 'an encoded surrogate')
  assert.equal(str([0xf0, 0x9f, 0x98]), R + R + R, 'a 4-byte sequence cut short: one per byte (WHATWG would give one)')
  assert.equal(str([0xe2, 0x82], 'x'), R + R + 'x', 'a 3-byte sequence cut short')
  assert.equal(str([0xf4, 0x90, 0x80, 0x80]), R + R + R + R, 'beyond U+10FFFF')
  assert.equal(str([0xf5], [0xff], [0xfe]), R + R + R)
  assert.equal(str([0xf0, 0x90, 0x80, 0x80]), '\u{10000}')
  assert.equal(str([0xf4, 0x8f, 0xbf, 0xbf]), '\u{10ffff}')
  assert.equal(str([0xe0, 0xa0, 0x80]), '\u0800')
  assert.equal(str([0xed, 0x9f, 0xbf]), '\ud7ff')
  // the same bytes next to escapes take the general path, with the same result
  assert.equal(str('\\n', [0xf0, 0x9f, 0x98], '\\u0041', [0xc3, 0xa9]), `\n${R}${R}${R}Aé`)
  assert.deepEqual(decode(bytes('{"', [0xff], '":"', [0xc3], '"}')), new Map([[R, R]]), 'keys are coerced too')
})

test('long strings through the general path keep every character', () => {
  const long = 'ab\\n'.repeat(5000) + '\\u00e9'
  assert.equal(decode(`"${long}"`), 'ab\n'.repeat(5000) + 'é')
  const raw = bytes('"', ...Array.from({length: 3000}, () => [0x80]), '"')
  assert.equal(decode(raw), '\ufffd'.repeat(3000))
})

/** a reference for utf8.DecodeRune from Node's own UTF-8 validation: the one length that forms one code point */
function referenceRune(b: Buffer, i: number, end: number): [number, number] {
  for (let len = 1; len <= 4 && i + len <= end; len++) {
    const slice = b.subarray(i, i + len)
    if (!isUtf8(slice)) continue
    const s = slice.toString('utf8')
    const cp = s.codePointAt(0) as number
    if (String.fromCodePoint(cp) === s) return [cp, len]
  }
  return [0xfffd, 1]
}

test('seeded: decodeRune agrees with a reference built on Node\'s UTF-8 validation, on random bytes', () => {
  const next = mulberry32u(0xdec0de)
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef, 0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xff]
  for (let n = 0; n < 3000; n++) {
    const len = 1 + (next() % 12)
    const b = Buffer.from(Array.from({length: len}, () => (next() % 3 ? (interesting[next() % interesting.length] as number) : next() % 256)))
    for (let i = 0; i < len; i++) assert.deepEqual(decodeRune(b, i, len), referenceRune(b, i, len), `${b.toString('hex')} at ${i}`)
    // and the decoder's strings are those runes, end to end
    let want = ''
    for (let i = 0; i < len; ) {
      const [cp, size] = referenceRune(b, i, len)
      if (b[i] === 0x22 || b[i] === 0x5c || (b[i] as number) < 0x20) {
        want = ''
        break
      }
      want += String.fromCodePoint(cp)
      i += size
    }
    if (want !== '' || len === 0) assert.equal(decode(bytes('"', [...b], '"')), want, b.toString('hex'))
  }
})
