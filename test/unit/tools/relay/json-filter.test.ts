/**
 * filterMessage: nsq_to_nsq's JSON filtering, each branch of Go's HandleMessage / shouldPassMessage
 * / filterMessage: when it is on, undecodable bodies dropped with Go's log line, the required field
 * (drop, or REQ + backoff when a value is required too), the value comparison (string exactly,
 * number as float64 ==, anything else no), the whitelist's exact bytes, and pass-through of the
 * very same Buffer otherwise.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {filterMessage, jsonFilterActive, MISSING_FIELD_FOR_VALUE, UNABLE_TO_DECODE} from '../../../../src/core/tools/relay/json-filter.js'
import type {FilterResult, JsonFilterOptions} from '../../../../src/core/tools/relay/json-filter.js'

const opts = (o: Partial<JsonFilterOptions>): JsonFilterOptions => ({requireField: '', requireValue: '', whitelist: [], ...o})
const body = (s: string | number[]): Buffer => (typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s))

function action(b: Buffer | string, o: Partial<JsonFilterOptions>): FilterResult['action'] {
  return filterMessage(typeof b === 'string' ? body(b) : b, opts(o)).action
}

/** the bytes forwarded for `input` with this whitelist (fails unless it passes) */
function whitelisted(input: string | Buffer, whitelist: string[], more: Partial<JsonFilterOptions> = {}): string {
  const r = filterMessage(typeof input === 'string' ? body(input) : input, opts({whitelist, ...more}))
  assert.equal(r.action, 'pass', `${input.toString()} should pass, got ${JSON.stringify(r)}`)
  return (r as {body: Buffer}).body.toString('utf8')
}

test('jsonFilterActive: only a required field or a whitelist turns filtering on', () => {
  assert.equal(jsonFilterActive(opts({})), false)
  assert.equal(jsonFilterActive(opts({requireValue: 'x'})), false, 'a value without a field is ignored')
  assert.equal(jsonFilterActive(opts({requireField: 'f'})), true)
  assert.equal(jsonFilterActive(opts({whitelist: ['a']})), true)
  assert.equal(jsonFilterActive(opts({whitelist: ['']})), true, 'the empty key is a key')
})

test('off: every body is forwarded as the same Buffer, JSON or not', () => {
  for (const o of [opts({}), opts({requireValue: 'x'})]) {
    for (const s of ['not json', '', '{"a":1}', '[1]', '{']) {
      const b = body(s)
      const r = filterMessage(b, o)
      assert.equal(r.action, 'pass')
      assert.equal((r as {body: Buffer}).body, b, 'the very Buffer')
    }
  }
})

test('without a whitelist a passing body is forwarded byte for byte, odd formatting and all', () => {
  const bodies = [
    '{"f":"v"}',
    '  {\n\t"f" :\r\n "v" , "z":[1.0, -0, 1E+2 ,0.10]}',
    '{"f":"v"}\n',
    ' \t\r\n{"f":"v","f":"v"} \t\r\n',
    '{"f":"v","n":1.000,"big":12345678901234567890,"e":"\\u00e9\\/","html":"<&>"}',
    '{"z":1,"f":"v","a":2}',
    '{"f":"v","x":[1.0,  2.50, {"b":1,"a":2}]}',
  ]
  for (const s of bodies) {
    for (const o of [opts({requireField: 'f'}), opts({requireField: 'f', requireValue: 'v'})]) {
      const b = body(s)
      const r = filterMessage(b, o)
      assert.equal(r.action, 'pass', s)
      assert.equal((r as {body: Buffer}).body, b, `${s}: the very Buffer`)
    }
  }
  // invalid UTF-8 inside a string, and a raw U+2028: still the original bytes
  const raw = body([0x7b, 0x22, 0x66, 0x22, 0x3a, 0x22, 0xff, 0xe2, 0x80, 0xa8, 0x22, 0x7d])
  const r = filterMessage(raw, opts({requireField: 'f'}))
  assert.equal(r.action, 'pass')
  assert.equal((r as {body: Buffer}).body, raw)
})

test('a body that is not a JSON object is dropped with Go\'s log line, before any field check', () => {
  const bad = ['', ' ', 'hello', '[]', '[{"f":"v"}]', '"f"', '1', '-0', 'true', 'false'] // not an object
  bad.push('{', '{"f":"v"', '{"f":"v",}', "{'f':'v'}", '{f:"v"}') // not JSON
  bad.push('{"f":"v"} x', '{"f":"v"}{"f":"v"}', '{"f":"v"}\n{"f":"v"}') // something after the object
  bad.push('{"f":"v","n":1e400}', '{"f":"v","n":[-1e309]}', '{"f":"v\u0001"}', '{"f":"\\x"}', '{"f":NaN}', '{"f":01}', '{"f":.5}', '{"f":+1}')
  bad.push('{"f":"v"' + ',"n":' + '['.repeat(10000) + ']'.repeat(10000) + '}')
  for (const s of bad) {
    for (const o of [opts({requireField: 'f'}), opts({requireField: 'f', requireValue: 'v'}), opts({whitelist: ['f']}), opts({requireField: 'f', whitelist: ['f']})]) {
      assert.deepEqual(filterMessage(body(s), o), {action: 'drop', reason: UNABLE_TO_DECODE + s}, JSON.stringify(s.slice(0, 40)))
    }
  }
  assert.equal(UNABLE_TO_DECODE, 'Unable to decode json: ')
  const bom = body([0xef, 0xbb, 0xbf, ...Buffer.from('{"f":"v"}')])
  assert.deepEqual(filterMessage(bom, opts({requireField: 'f'})), {action: 'drop', reason: 'Unable to decode json: \ufeff{"f":"v"}'}, 'a UTF-8 BOM')
  // 9999 levels inside the top-level object: 10000 in all, Go's limit
  assert.equal(action('{"f":"v","n":' + '['.repeat(9999) + ']'.repeat(9999) + '}', {requireField: 'f'}), 'pass')
})

test('a top-level null is a nil map to Go: an object without fields, not an error', () => {
  assert.equal(action('null', {requireField: 'f'}), 'drop')
  assert.deepEqual(filterMessage(body(' null '), opts({requireField: 'f', requireValue: 'v'})), {action: 'requeue', reason: MISSING_FIELD_FOR_VALUE})
  assert.equal(whitelisted('null', ['f']), '{}')
  assert.equal(whitelisted('\nnull\n', ['a', 'b']), '{}')
})

test('the required field: missing drops, or with a required value REQ + backoff with Go\'s log line', () => {
  assert.equal(MISSING_FIELD_FOR_VALUE, 'missing field to check required value')
  const missing = ['{}', '{"g":"v"}', '{"F":"v"}', '{"o":{"f":"v"}}', '{"a":[{"f":"v"}]}', '{" f":"v"}', '{"f ":"v"}']
  for (const s of missing) {
    const drop = filterMessage(body(s), opts({requireField: 'f'}))
    assert.equal(drop.action, 'drop', s)
    assert.deepEqual(filterMessage(body(s), opts({requireField: 'f', requireValue: 'v'})), {action: 'requeue', reason: MISSING_FIELD_FOR_VALUE}, s)
    assert.deepEqual(filterMessage(body(s), opts({requireField: 'f', requireValue: 'v', whitelist: ['f', 'g']})), {action: 'requeue', reason: MISSING_FIELD_FOR_VALUE}, s)
  }
  // present with any value passes when no value is required, null included
  for (const v of ['"v"', '""', 'null', 'false', '0', '[]', '{}', '{"f":1}']) assert.equal(action(`{"f":${v}}`, {requireField: 'f'}), 'pass', v)
  // odd field names are plain keys
  assert.equal(action('{"__proto__":1}', {requireField: '__proto__'}), 'pass')
  assert.equal(action('{}', {requireField: '__proto__'}), 'drop')
  assert.equal(action('{}', {requireField: 'constructor'}), 'drop')
  assert.equal(action('{"a.b":1}', {requireField: 'a.b'}), 'pass')
  assert.equal(action('{"é":1}', {requireField: 'é'}), 'pass')
  assert.equal(action('{"\\u00e9":1}', {requireField: 'é'}), 'pass', 'keys compare decoded')
  assert.equal(action('{"f":1,"f":null}', {requireField: 'f', requireValue: '1'}), 'drop', 'the last duplicate counts')
})

test('the required value: a JSON string equals it exactly; a JSON number == its float64; nothing else', () => {
  const cases: [json: string, arg: string, pass: boolean][] = [
    // strings: exact text after unquoting, never numerically
    ['"abc"', 'abc', true],
    ['"abc"', 'ABC', false],
    ['"abc"', 'abc ', false],
    ['"1"', '1', true],
    ['"1.0"', '1', false],
    ['"1"', '1.0', false],
    ['" 1"', ' 1', true],
    ['"Infinity"', 'Infinity', true],
    ['"\\u00e9"', 'é', true],
    ['"caf\\u00e9"', 'café', true],
    ['"\\ud83d\\ude00"', '\u{1f600}', true],
    ['"a\\/b"', 'a/b', true],
    ['"<&>"', '<&>', true],
    ['""', 'x', false],
    // numbers: the argument through strconv.ParseFloat, compared as float64
    ['1', '1', true],
    ['1', '1.0', true],
    ['1.0', '1', true],
    ['100', '1e2', true],
    ['100', '1E+2', true],
    ['1e2', '100', true],
    ['100', '1_00', true],
    ['100', '0x1.9p6', true],
    ['16', '0x1p4', true],
    ['16', '0x10', false],
    ['1', ' 1', false],
    ['1', '1 ', false],
    ['1', '+1', true],
    ['0.5', '.5', true],
    ['5', '5.', true],
    ['0', '-0', true],
    ['-0', '0', true],
    ['1e-400', '0', true],
    ['0.1', '0.1000000000000000055511151231257827', true],
    ['0.1', '0.10000000000000002', false],
    ['12345678901234567890', '12345678901234567000', true],
    ['12345678901234567890', '12345678901234567891', true],
    ['12345678901234567890', '12345678901234569000', false],
    ['9007199254740993', '9007199254740992', true],
    ['1', 'Infinity', false],
    ['1', 'inf', false],
    ['1', 'nan', false],
    ['1', '1e400', false],
    ['1', 'abc', false],
    ['2', '1', false],
    ['-1', '1', false],
    // other types never match
    ['true', 'true', false],
    ['false', 'false', false],
    ['null', 'null', false],
    ['[]', '[]', false],
    ['["v"]', 'v', false],
    ['{}', '{}', false],
    ['[1]', '1', false],
    ['{"v":1}', 'v', false],
  ]
  for (const [json, arg, pass] of cases) {
    const r = filterMessage(body(`{"f":${json}}`), opts({requireField: 'f', requireValue: arg}))
    assert.equal(r.action, pass ? 'pass' : 'drop', `${json} vs ${JSON.stringify(arg)}`)
  }
  // invalid UTF-8 in the value is U+FFFD once decoded, byte by byte
  assert.equal(action(body([...Buffer.from('{"f":"a'), 0xff, 0xfe, ...Buffer.from('"}')]), {requireField: 'f', requireValue: 'a\ufffd\ufffd'}), 'pass')
  assert.equal(action(body([...Buffer.from('{"f":"'), 0xf0, 0x9f, 0x98, ...Buffer.from('"}')]), {requireField: 'f', requireValue: '\ufffd'}), 'drop', 'three bytes, three U+FFFD')
  // the other fields do not matter
  assert.equal(action('{"g":"v","f":"w"}', {requireField: 'f', requireValue: 'v'}), 'drop')
})

test('whitelist: only the listed top-level keys that are present, keys sorted, no whitespace', () => {
  const input = ' {\n  "zeta" : "z",\n  "alpha": 1,\r\n  "mid":[ 1 , 2 ],\t"drop":"me" }\n'
  assert.equal(whitelisted(input, ['zeta', 'alpha', 'mid']), '{"alpha":1,"mid":[1,2],"zeta":"z"}')
  assert.equal(whitelisted(input, ['mid', 'zeta', 'alpha', 'mid']), '{"alpha":1,"mid":[1,2],"zeta":"z"}', 'order and repeats of the flags do not matter')
  assert.equal(whitelisted(input, ['absent']), '{}')
  assert.equal(whitelisted(input, ['absent', 'zeta']), '{"zeta":"z"}')
  assert.equal(whitelisted('{"":1,"a":2}', ['']), '{"":1}')
  assert.equal(whitelisted('{"B":1,"a":2,"b":3,"A":4}', ['a', 'b', 'A', 'B']), '{"A":4,"B":1,"a":2,"b":3}', 'by bytes: upper case first')
  assert.equal(whitelisted('{"\\uffff":1,"\\ud800\\udc00":2}', ['\uffff', '\u{10000}']), '{"\uffff":1,"\u{10000}":2}', 'by code point')
  assert.equal(whitelisted('{"a":1,"a":2}', ['a']), '{"a":2}', 'the last duplicate')
  assert.equal(whitelisted('{"__proto__":{"x":1},"k":true}', ['__proto__', 'k']), '{"__proto__":{"x":1},"k":true}')
  assert.equal(whitelisted('{"t":true,"f":false,"n":null,"s":"","a":[],"o":{}}', ['t', 'f', 'n', 's', 'a', 'o']), '{"a":[],"f":false,"n":null,"o":{},"s":"","t":true}')
  // with a passing required field and value, the whitelist still applies, and need not keep that field
  assert.equal(whitelisted('{"type":"click","x":1,"y":2}', ['x'], {requireField: 'type', requireValue: 'click'}), '{"x":1}')
  assert.equal(action('{"type":"view","x":1}', {requireField: 'type', requireValue: 'click', whitelist: ['x']}), 'drop')
  // the forwarded Buffer is new
  const b = body('{"a":1}')
  const r = filterMessage(b, opts({whitelist: ['a']}))
  assert.notEqual((r as {body: Buffer}).body, b)
  assert.deepEqual((r as {body: Buffer}).body, b, 'same bytes here, since the body was already compact and sorted')
})

test('whitelist: top-level whole numbers become int64 (every digit), nested ones stay float64', () => {
  const top: [string, string][] = [
    ['1.0', '1'],
    ['1.5', '1.5'],
    ['-3', '-3'],
    ['1E2', '100'],
    ['0.1e1', '1'],
    ['123.456', '123.456'],
    ['-0', '0'],
    ['-0.0', '0'],
    ['-1e-400', '0'],
    ['1e-400', '0'],
    ['1e-6', '0.000001'],
    ['1e-7', '1e-7'],
    ['1.5e-7', '1.5e-7'],
    ['5e-324', '5e-324'],
    ['1152921504606846976', '1152921504606846976'],
    ['1.152921504606846976e18', '1152921504606846976'],
    ['9007199254740993', '9007199254740992'],
    ['4611686018427387904', '4611686018427387904'],
    ['9223372036854774784', '9223372036854774784'],
    ['-9223372036854775808', '-9223372036854775808'],
    ['9223372036854775807', '9223372036854776000'],
    ['9223372036854775808', '9223372036854776000'],
    ['12345678901234567890', '12345678901234567000'],
    ['1e20', '100000000000000000000'],
    ['1e21', '1e+21'],
    ['-1e21', '-1e+21'],
    ['1.5e300', '1.5e+300'],
    ['1.7976931348623157e308', '1.7976931348623157e+308'],
  ]
  for (const [json, want] of top) assert.equal(whitelisted(`{"n":${json}}`, ['n']), `{"n":${want}}`, json)
  // nested: float64 formatting, so -0 keeps its sign and big whole numbers print 17 digits
  assert.equal(whitelisted('{"o":{"n":1.0,"z":-0,"b":1152921504606846976}}', ['o']), '{"o":{"b":1152921504606847000,"n":1,"z":-0}}')
  assert.equal(whitelisted('{"a":[1.0,-0,1152921504606846976,1e21,1e-7,-9223372036854775808]}', ['a']), '{"a":[1,-0,1152921504606847000,1e+21,1e-7,-9223372036854776000]}')
  assert.equal(whitelisted('{"a":[[[2.50]]]}', ['a']), '{"a":[[[2.5]]]}')
})

test('whitelist: nested objects sorted too; strings HTML-safe; text re-encoded from the decoded value', () => {
  assert.equal(whitelisted('{"o":{"z":{"d":1,"c":2},"a":[{"y":1,"x":2}]},"p":0}', ['o']), '{"o":{"a":[{"x":2,"y":1}],"z":{"c":2,"d":1}}}')
  assert.equal(whitelisted('{"h":"<a href=\\"x\\">&amp;</a>"}', ['h']), '{"h":"\\u003ca href=\\"x\\"\\u003e\\u0026amp;\\u003c/a\\u003e"}')
  assert.equal(whitelisted('{"<k>":1}', ['<k>']), '{"\\u003ck\\u003e":1}', 'keys escaped too')
  assert.equal(whitelisted('{"s":"\\u2028\\u2029"}', ['s']), '{"s":"\\u2028\\u2029"}')
  assert.equal(whitelisted('{"s":"\u2028"}', ['s']), '{"s":"\\u2028"}', 'a raw U+2028 is escaped on the way out')
  assert.equal(whitelisted('{"s":"\\b\\f\\n\\r\\t\\u0001\\u001f\\u007f"}', ['s']), '{"s":"\\u0008\\u000c\\n\\r\\t\\u0001\\u001f\u007f"}')
  assert.equal(whitelisted('{"s":"a\\/b\\\\c\\"d"}', ['s']), '{"s":"a/b\\\\c\\"d"}')
  assert.equal(whitelisted('{"s":"\\u00e9\\u20ac\\ud83d\\ude00 é"}', ['s']), '{"s":"é€\u{1f600} é"}', 'escapes decoded, written raw')
  assert.equal(whitelisted('{"s":"\\ud800\\udc00\\ud800"}', ['s']), '{"s":"\u{10000}\ufffd"}')
  // invalid UTF-8 becomes one raw U+FFFD per byte that does not start a valid sequence
  const raw = body([...Buffer.from('{"s":"a'), 0xff, 0xf0, 0x9f, 0x98, 0x62, ...Buffer.from('"}')])
  const r = filterMessage(raw, opts({whitelist: ['s']}))
  assert.deepEqual((r as {body: Buffer}).body, Buffer.from('{"s":"a\ufffd\ufffd\ufffd\ufffdb"}', 'utf8'))
  assert.deepEqual((r as {body: Buffer}).body.subarray(7, 10), Buffer.from([0xef, 0xbf, 0xbd]))
})
