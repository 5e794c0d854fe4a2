/** The option-table engine: one declaration per option, read the way the Go programs read text. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {OptionError, OptionTable, option, rangeText} from '../../../src/core/util/options-table.js'

const specs = {
  count: option.int({flag: 'count', default: 5, min: 0, max: 10, description: 'a count'}),
  bytes: option.size({flag: 'max-bytes', default: 1024, min: 1, description: 'a size'}),
  ratio: option.float({default: 0.5, min: 0, max: 1, description: 'a ratio'}),
  wait: option.duration({flag: 'wait-time', default: 60_000, min: 100, max: 300_000, description: 'a duration'}),
  beat: option.duration({flag: 'beat', default: 30_000, min: 1000, max: 60_000, disable: true, description: 'a duration that -1ms disables'}),
  on: option.bool({flag: 'on', default: true, description: 'a switch'}),
  name: option.string({flag: 'name', default: 'x', description: 'a string'}),
  peers: option.strings({flag: 'peer', cfg: 'all_peers', default: [], description: 'a list'}),
  listen: option.address({flag: 'listen', default: '127.0.0.1:80', description: 'an address'}),
  maybe: option.address({default: '', allowEmpty: true, description: 'an address or nothing'}),
  level: option.enum({flag: 'level', default: 'low', values: ['low', 'high'], parse: (s) => (s.toLowerCase() === 'low' || s.toLowerCase() === 'high' ? (s.toLowerCase() as 'low' | 'high') : null), json: (v) => (v === 'low' ? 1 : 2), description: 'an enum'}),
  hidden: option.string({flag: 'secret', cfg: null, default: '', description: 'not in the config'}),
  internal: option.int({default: 7, description: 'no flag'}),
  feature: option.bool({default: false, unsupported: 'not yet', description: 'a feature not there yet'}),
}

const table = new OptionTable(specs, {
  label: (key, spec) => (spec.flag === undefined ? key : `--${spec.flag}`),
  crossCheck: (o) => (o.count > o.bytes ? {key: 'count', why: `must be <= --max-bytes ${o.bytes}`} : null),
})

/** assert.throws matcher: an OptionError for `key` with this exact message (and detail). */
function refused(key: string, message: string, detail?: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof OptionError, String(err))
    assert.equal(err.code, 'ERR_INVALID_OPTION')
    assert.equal(err.key, key)
    assert.equal(err.message, message)
    if (detail !== undefined) assert.equal(err.detail, detail)
    return true
  }
}

test('defaults: one frozen object in declaration order; lists are frozen too', () => {
  assert.deepEqual(Object.keys(table.defaults), Object.keys(specs))
  assert.deepEqual(table.keys, Object.keys(specs))
  assert.ok(Object.isFrozen(table.defaults))
  assert.ok(Object.isFrozen(table.defaults.peers))
  assert.equal(table.defaults.wait, 60_000)
  assert.equal(table.defaults.level, 'low')
})

test('resolve: defaults under a partial; undefined keeps the default; lists are copied', () => {
  const peers = ['a:1']
  const v = table.resolve({count: 7, name: undefined, peers})
  assert.equal(v.count, 7)
  assert.equal(v.name, 'x')
  assert.deepEqual(v.peers, ['a:1'])
  assert.notEqual(v.peers, peers, 'a copy, not the caller\'s array')
  assert.notEqual(table.resolve().peers, table.defaults.peers, 'a fresh list each time')
  table.resolve().peers.push('z')
  assert.deepEqual(table.defaults.peers, [])
})

test('resolve: every value is checked, the error names the option by its label and says the bounds', () => {
  assert.throws(() => table.resolve({count: 11}), refused('count', 'invalid value for --count: 11 (must be between 0 and 10)', 'invalid value 11 (must be between 0 and 10)'))
  assert.throws(() => table.resolve({bytes: 0}), refused('bytes', 'invalid value for --max-bytes: 0 (must be >= 1)'))
  assert.throws(() => table.resolve({wait: 50}), refused('wait', 'invalid value for --wait-time: 50ms (must be between 100ms and 5m0s)'))
  assert.throws(() => table.resolve({beat: 0}), refused('beat', 'invalid value for --beat: 0s (must be -1ms to disable, or between 1s and 1m0s)'))
  assert.throws(() => table.resolve({ratio: 2}), refused('ratio', 'invalid value for ratio: 2 (must be between 0 and 1)'), 'no flag: the label is the key')
  assert.throws(() => table.resolve({count: 1.5}), refused('count', 'invalid value for --count: 1.5 (not an integer; must be between 0 and 10)'))
  assert.throws(() => table.resolve({wait: Number.NaN}), refused('wait', 'invalid value for --wait-time: NaN (not a finite number of milliseconds; must be between 100ms and 5m0s)'))
  const loose = (p: Record<string, unknown>): unknown => table.resolve(p as never)
  assert.throws(() => loose({on: 'yes'}), refused('on', 'invalid value for --on: "yes" (must be true or false)'))
  assert.throws(() => loose({name: 5}), refused('name', 'invalid value for --name: 5 (must be a string)'))
  assert.throws(() => loose({peers: ['a', 1]}), refused('peers', 'invalid value for --peer: ["a",1] (must be a list of strings)'))
  assert.throws(() => loose({level: 'mid'}), refused('level', 'invalid value for --level: "mid" (must be one of low, high)'))
  assert.equal(table.resolve({beat: -1}).beat, -1, '-1 disables')
  assert.equal(table.resolve({maybe: ''}).maybe, '')
})

test('resolve: an unknown key is an error, with the nearest key when one is close', () => {
  const loose = (p: Record<string, unknown>): unknown => table.resolve(p as never)
  assert.throws(() => loose({cuont: 1}), refused('cuont', 'unknown option "cuont" (did you mean "count"?)'))
  assert.throws(() => loose({zzzzzzzz: 1}), refused('zzzzzzzz', 'unknown option "zzzzzzzz"'))
  for (const k of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    assert.throws(() => table.resolve(JSON.parse(`{"${k}": 1}`) as never), (e: unknown) => e instanceof OptionError && e.key === k, k)
  }
})

test('resolve: the checks across options run after each value, and name the option at fault', () => {
  assert.throws(() => table.resolve({count: 9, bytes: 8}), refused('count', 'invalid value for --count: 9 (must be <= --max-bytes 8)'))
  assert.equal(table.resolve({count: 8, bytes: 8}).count, 8)
})

test('parse: ints and sizes are strconv.ParseInt text; the bounds are checked too', () => {
  assert.equal(table.parse('count', '7'), 7)
  assert.equal(table.parse('count', '+7'), 7)
  assert.ok(Object.is(table.parse('count', '-0'), 0), '-0 is 0')
  assert.equal(table.parse('count', '007'), 7)
  assert.equal(table.parse('bytes', '1048576'), 1048576)
  assert.equal(table.parse('count', 3), 3, 'a number is taken as it is')
  for (const bad of ['1.5', '1e3', '0x10', '', ' 5', '5 ', 'ten', '1_000', '5k', '1MB']) {
    assert.throws(() => table.parse('count', bad), refused('count', `invalid value for --count: ${JSON.stringify(bad)} (not an integer; must be between 0 and 10)`), bad)
  }
  assert.throws(() => table.parse('bytes', '1MB'), refused('bytes', 'invalid value for --max-bytes: "1MB" (not an integer; must be >= 1)'), 'sizes are whole bytes, as nsqd\'s int64 flags')
  assert.throws(() => table.parse('count', '11'), refused('count', 'invalid value for --count: 11 (must be between 0 and 10)', 'invalid value 11 (must be between 0 and 10)'))
  assert.throws(() => table.parse('count', '99999999999999999999'), (e: unknown) => e instanceof OptionError && /not an integer/.test(e.message))
})

test('parse: floats are decimal or exponent numbers, not Inf or NaN', () => {
  for (const [s, n] of [['0.25', 0.25], ['.5', 0.5], ['1', 1], ['1e-1', 0.1], ['+0.75', 0.75]] as const) assert.equal(table.parse('ratio', s), n, s)
  for (const bad of ['NaN', 'Inf', 'abc', '', '0.5.1']) assert.throws(() => table.parse('ratio', bad), refused('ratio', `invalid value for ratio: ${JSON.stringify(bad)} (not a number; must be between 0 and 1)`), bad)
})

test('parse: durations are Go durations, in milliseconds; a bare number is refused as by time.ParseDuration', () => {
  for (const [s, ms] of [['60s', 60_000], ['1m30s', 90_000], ['250ms', 250], ['1.5s', 1500], ['2m', 120_000], ['0.1s', 100], ['100000us', 100], ['100000000ns', 100], ['5m', 300_000]] as const) {
    assert.equal(table.parse('wait', s), ms, s)
  }
  assert.equal(table.parse('beat', '-1ms'), -1)
  assert.equal(table.parse('wait', 1000), 1000, 'a number is milliseconds')
  for (const bad of ['60', 'abc', '1d', '', '5 s']) {
    assert.throws(
      () => table.parse('wait', bad),
      refused('wait', `--wait-time: invalid duration ${JSON.stringify(bad)} (use a Go duration such as 60s, 250ms, 1m30s)`, `invalid duration ${JSON.stringify(bad)} (use a Go duration such as 60s, 250ms, 1m30s)`),
      bad,
    )
  }
  assert.throws(() => table.parse('wait', '50ms'), refused('wait', 'invalid value for --wait-time: 50ms (must be between 100ms and 5m0s)'))
  assert.throws(() => table.parse('wait', '0'), refused('wait', 'invalid value for --wait-time: 0s (must be between 100ms and 5m0s)'), '"0" is a duration (0s)')
})

test("parse: bools are strconv.ParseBool's spellings; a number is true when not 0", () => {
  for (const s of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(table.parse('on', s), true, s)
  for (const s of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(table.parse('on', s), false, s)
  assert.equal(table.parse('on', 0), false)
  assert.equal(table.parse('on', 2), true)
  assert.equal(table.parse('on', true), true)
  for (const bad of ['yes', 'no', 'on', 'tRUE', '', ' true', '2']) {
    assert.throws(() => table.parse('on', bad), refused('on', `invalid value for --on: ${JSON.stringify(bad)} (must be one of 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False)`), bad)
  }
  assert.throws(() => table.parse('on', 0.5), (e: unknown) => e instanceof OptionError && /must be true or false/.test(e.message))
})

test('parse: addresses are host:port with a port 0-65535; allowEmpty takes ""', () => {
  for (const a of ['127.0.0.1:4150', '[::1]:0', 'localhost:65535', ':4150']) assert.equal(table.parse('listen', a), a)
  assert.throws(() => table.parse('listen', 'localhost'), refused('listen', 'invalid value for --listen: "localhost" (missing port; must be host:port, with port 0 for any port)'))
  assert.throws(() => table.parse('listen', 'h:70000'), refused('listen', 'invalid value for --listen: "h:70000" (port out of range 0-65535; must be host:port, with port 0 for any port)'))
  assert.throws(() => table.parse('listen', ''), (e: unknown) => e instanceof OptionError && /missing port/.test(e.message), '"" only where allowed')
  assert.equal(table.parse('maybe', ''), '')
})

test("parse: enums take their values, or what the option's own parse accepts; '' is never text", () => {
  assert.equal(table.parse('level', 'HIGH'), 'high')
  assert.equal(table.parse('level', 'low'), 'low')
  assert.throws(() => table.parse('level', 'mid'), refused('level', 'invalid value for --level: "mid" (must be one of low, high)'))
  assert.throws(() => table.parse('level', ''), refused('level', 'invalid value for --level: "" (must be one of low, high)'))
})

test('parse: strings take any text; a string list takes one item per text', () => {
  assert.equal(table.parse('name', 'a,b c'), 'a,b c')
  assert.equal(table.parse('name', 42), '42')
  assert.deepEqual(table.parse('peers', 'a:1'), ['a:1'])
})

test('names: Go flag, config name (the flag with _ unless declared), lookups both ways', () => {
  assert.equal(table.byFlag('max-bytes'), 'bytes')
  assert.equal(table.byFlag('bytes'), undefined)
  assert.equal(table.cfgName('bytes'), 'max_bytes')
  assert.equal(table.cfgName('wait'), 'wait_time')
  assert.equal(table.cfgName('peers'), 'all_peers')
  assert.equal(table.byCfg('all_peers'), 'peers')
  assert.equal(table.byCfg('peer'), undefined)
  assert.equal(table.cfgName('hidden'), null, 'cfg: null keeps a flag out of the config')
  assert.equal(table.byCfg('secret'), undefined)
  assert.equal(table.cfgName('internal'), null, 'no flag, no config name')
  assert.equal(table.byCfg('constructor'), undefined)
  assert.equal(table.label('wait'), '--wait-time')
  assert.equal(table.label('ratio'), 'ratio')
})

test("json: Go's encoding of the field: durations in integer ns, an enum by its own rule", () => {
  assert.equal(table.json('wait', 60_000), 60_000_000_000)
  assert.equal(table.json('wait', 1.5), 1_500_000)
  assert.equal(table.json('beat', -1), -1_000_000)
  assert.equal(table.json('level', 'high'), 2)
  assert.equal(table.json('count', 5), 5)
  assert.deepEqual(table.json('peers', ['a']), ['a'])
})

test('describe: the default as Go prints it and what is accepted, in words', () => {
  assert.deepEqual(table.describe('wait'), {
    key: 'wait',
    kind: 'duration',
    flag: 'wait-time',
    cfg: 'wait_time',
    default: '1m0s',
    accepts: 'between 100ms and 5m0s',
    description: 'a duration',
  })
  assert.equal(table.describe('beat').accepts, '-1ms to disable, or between 1s and 1m0s')
  assert.equal(table.describe('level').accepts, 'one of low, high')
  assert.equal(table.describe('listen').accepts, 'host:port')
  assert.equal(table.describe('maybe').accepts, "host:port, or '' for none")
  assert.equal(table.describe('name').accepts, '')
  assert.equal(table.describe('internal').accepts, '', 'no bounds: anything of the type')
  assert.equal(table.describe('peers').default, '')
  assert.equal(new OptionTable({a: option.string({default: 'h', defaultText: 'the hostname', description: 'd'})}, {label: (k) => k}).describe('a').default, 'the hostname')
})

test('unsupported: the first option set to other than its default that nsqkit cannot do yet', () => {
  assert.equal(table.unsupported(table.resolve()), null)
  assert.deepEqual(table.unsupported(table.resolve({feature: true})), {key: 'feature', reason: 'not yet'})
})

test('a table whose default breaks its own bounds fails when it is made', () => {
  assert.throws(() => new OptionTable({a: option.int({default: 0, min: 1, description: 'd'})}, {label: (k) => k}), /the default of a is refused: must be >= 1/)
  assert.throws(() => new OptionTable({a: option.enum({default: 'z' as string, values: ['x'], description: 'd'})}, {label: (k) => k}), /the default of a is refused/)
})

test('error: a table can throw its own OptionError subclass', () => {
  class MyError extends OptionError {
    override readonly code = 'ERR_MINE'
  }
  const t = new OptionTable({a: option.int({default: 1, min: 1, description: 'd'})}, {label: (k) => k, error: (e) => new MyError(e)})
  assert.throws(
    () => t.parse('a', '0'),
    (e: unknown) => e instanceof MyError && e.code === 'ERR_MINE' && e.key === 'a' && e.message === 'invalid value for a: 0 (must be >= 1)',
  )
  assert.throws(() => t.resolve({b: 1} as never), (e: unknown) => e instanceof MyError && e.message === 'unknown option "b" (did you mean "a"?)')
})

test('rangeText', () => {
  assert.equal(rangeText(option.int({default: 0, description: ''})), 'any value')
  assert.equal(rangeText(option.int({default: 0, max: 9, description: ''})), '<= 9')
  assert.equal(rangeText(option.duration({default: 0, min: 0, max: 3_600_000, description: ''})), 'between 0s and 1h0m0s')
  assert.equal(rangeText(option.int({default: 0, min: 0, disable: true, description: ''})), '-1 to disable, or >= 0')
})
