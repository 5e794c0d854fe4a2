/** The client config: go-nsq v1.1.0's Config options, defaults and bounds (NSQ-SPEC §4.1, §0.2). */
import test from 'node:test'
import assert from 'node:assert/strict'
import {existsSync, readFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {
  applyOptFlags,
  type ClientConfig,
  ConfigError,
  DEFAULT_CLIENT_CONFIG,
  OPTION_KEYS,
  parseOptFlag,
  resolveClientConfig,
  setOption,
} from '../../../src/core/client/options.js'
import {NSQKIT_VERSION, USER_AGENT} from '../../../src/core/version.js'

/** assert.throws matcher: a ConfigError for `key` whose message matches `re`. */
function configError(key: string, re?: RegExp): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof ConfigError, String(err))
    assert.equal(err.code, 'ERR_INVALID_CONFIG')
    assert.equal(err.name, 'ConfigError')
    assert.equal(err.key, key)
    if (key !== '') assert.ok(err.message.includes(key), `message names the key: ${err.message}`)
    if (re) assert.match(err.message, re)
    return true
  }
}

const fresh = (): ClientConfig => resolveClientConfig()

test('defaults: every option, as go-nsq v1.1.0 NewConfig() (durations in ms)', () => {
  const host = hostname()
  assert.deepEqual({...DEFAULT_CLIENT_CONFIG}, {
    dial_timeout: 1000,
    read_timeout: 60_000,
    write_timeout: 1000,
    local_addr: '',
    lookupd_poll_interval: 60_000,
    lookupd_poll_jitter: 0.3,
    lookupd_poll_timeout: 60_000,
    max_requeue_delay: 900_000,
    default_requeue_delay: 90_000,
    backoff_strategy: 'exponential',
    max_backoff_duration: 120_000,
    backoff_multiplier: 1000,
    max_attempts: 5,
    low_rdy_idle_timeout: 10_000,
    low_rdy_timeout: 30_000,
    rdy_redistribute_interval: 5000,
    client_id: host.split('.')[0],
    hostname: host,
    user_agent: USER_AGENT,
    heartbeat_interval: 30_000,
    sample_rate: 0,
    tls_v1: false,
    tls_root_ca_file: '',
    tls_insecure_skip_verify: false,
    tls_cert: '',
    tls_key: '',
    tls_min_version: '',
    deflate: false,
    deflate_level: 6,
    snappy: false,
    output_buffer_size: 16384,
    output_buffer_timeout: 250,
    max_in_flight: 1,
    msg_timeout: 0,
    auth_secret: '',
    skip_lookupd_authorization: true,
  } satisfies ClientConfig)
  assert.equal(USER_AGENT, `nsqkit/${NSQKIT_VERSION}`)
  assert.ok(!DEFAULT_CLIENT_CONFIG.client_id.includes('.'))
})

test('defaults are frozen; OPTION_KEYS lists every key once, in go-nsq order', () => {
  assert.ok(Object.isFrozen(DEFAULT_CLIENT_CONFIG))
  assert.ok(Object.isFrozen(OPTION_KEYS))
  assert.deepEqual([...OPTION_KEYS], Object.keys(DEFAULT_CLIENT_CONFIG))
  assert.equal(new Set(OPTION_KEYS).size, 36)
  assert.equal(OPTION_KEYS[0], 'dial_timeout')
  assert.equal(OPTION_KEYS.at(-1), 'skip_lookupd_authorization')
})

test('resolveClientConfig: defaults, overrides, a fresh object each time', () => {
  const a = resolveClientConfig()
  assert.deepEqual(a, {...DEFAULT_CLIENT_CONFIG})
  assert.notEqual(a, DEFAULT_CLIENT_CONFIG)
  a.max_in_flight = 99
  assert.equal(DEFAULT_CLIENT_CONFIG.max_in_flight, 1)
  assert.notEqual(resolveClientConfig(), a)

  const b = resolveClientConfig({max_in_flight: 200, backoff_strategy: 'full_jitter', tls_v1: true, client_id: 'me', msg_timeout: undefined})
  assert.equal(b.max_in_flight, 200)
  assert.equal(b.backoff_strategy, 'full_jitter')
  assert.equal(b.tls_v1, true)
  assert.equal(b.client_id, 'me')
  assert.equal(b.msg_timeout, 0, 'undefined keeps the default')
})

interface Bound {
  key: keyof ClientConfig
  ok: number[]
  bad: number[]
  /** other options the case needs (the heartbeat/read_timeout cross-check) */
  with?: Partial<ClientConfig>
}

// One value inside and one outside each edge (NSQ-SPEC §4.1 plus the documented nsqkit bounds).
const BOUNDS: Bound[] = [
  {key: 'dial_timeout', ok: [0, 3_600_000], bad: [-1]},
  {key: 'read_timeout', ok: [100, 300_000], bad: [99, 300_001], with: {heartbeat_interval: -1}},
  {key: 'write_timeout', ok: [100, 300_000], bad: [99, 300_001]},
  {key: 'lookupd_poll_interval', ok: [10, 300_000], bad: [9, 300_001]},
  {key: 'lookupd_poll_jitter', ok: [0, 1, 0.5], bad: [-0.01, 1.01]},
  {key: 'lookupd_poll_timeout', ok: [0, 1], bad: [-1]},
  {key: 'max_requeue_delay', ok: [0, 3_600_000], bad: [-1, 3_600_001]},
  {key: 'default_requeue_delay', ok: [0, 3_600_000], bad: [-1, 3_600_001]},
  {key: 'max_backoff_duration', ok: [0, 3_600_000], bad: [-1, 3_600_001]},
  {key: 'backoff_multiplier', ok: [0, 3_600_000], bad: [-1, 3_600_001]},
  {key: 'max_attempts', ok: [0, 65535], bad: [-1, 65536]},
  {key: 'low_rdy_idle_timeout', ok: [1000, 300_000], bad: [999, 300_001]},
  {key: 'low_rdy_timeout', ok: [1000, 300_000], bad: [999, 300_001]},
  {key: 'rdy_redistribute_interval', ok: [1, 5000], bad: [0, 5001]},
  {key: 'heartbeat_interval', ok: [-1, 1000, 300_000], bad: [-2, 0, 999, 300_001], with: {read_timeout: 300_000}},
  {key: 'sample_rate', ok: [0, 99], bad: [-1, 100]},
  {key: 'deflate_level', ok: [1, 9], bad: [0, 10]},
  {key: 'output_buffer_size', ok: [-1, 0, 64, 16384], bad: [-2]},
  {key: 'output_buffer_timeout', ok: [-1, 0, 250], bad: [-2, -0.5]},
  {key: 'max_in_flight', ok: [0, 1_000_000], bad: [-1]},
  {key: 'msg_timeout', ok: [0, 1000], bad: [-1]},
]

const DURATION_KEYS = new Set<keyof ClientConfig>([
  'dial_timeout', 'read_timeout', 'write_timeout', 'lookupd_poll_interval', 'lookupd_poll_timeout', 'max_requeue_delay',
  'default_requeue_delay', 'max_backoff_duration', 'backoff_multiplier', 'low_rdy_idle_timeout', 'low_rdy_timeout',
  'rdy_redistribute_interval', 'heartbeat_interval', 'output_buffer_timeout', 'msg_timeout',
])

/** How the value is written on a command line: a Go duration for durations. */
const asFlag = (key: keyof ClientConfig, v: number): string => (DURATION_KEYS.has(key) ? `${v}ms` : String(v))

test('bounds: resolveClientConfig accepts each edge and rejects just past it, naming the key and the bounds', () => {
  for (const {key, ok, bad, with: extra} of BOUNDS) {
    for (const v of ok) {
      assert.equal(resolveClientConfig({...extra, [key]: v})[key], v, `${key}=${v}`)
    }
    for (const v of bad) {
      assert.throws(() => resolveClientConfig({...extra, [key]: v}), configError(key, /\(must be /), `${key}=${v}`)
    }
  }
})

test('bounds: setOption with command-line strings, both sides of each edge', () => {
  for (const {key, ok, bad} of BOUNDS) {
    for (const v of ok) {
      const cfg = fresh()
      setOption(cfg, key, asFlag(key, v))
      assert.equal(cfg[key], v, `${key}=${v}`)
    }
    for (const v of bad) {
      const cfg = fresh()
      assert.throws(() => setOption(cfg, key, asFlag(key, v)), configError(key, /\(must be /), `${key}=${v}`)
      assert.deepEqual(cfg, fresh(), 'a rejected value leaves the config unchanged')
    }
  }
})

test('bound messages name the key, the value and the fix', () => {
  assert.throws(() => resolveClientConfig({max_in_flight: -1}), configError('max_in_flight', /^invalid value for max_in_flight: -1 \(must be >= 0\)$/))
  assert.throws(() => resolveClientConfig({read_timeout: 50, heartbeat_interval: -1}), configError('read_timeout', /^invalid value for read_timeout: 50ms \(must be between 100ms and 5m0s\)$/))
  assert.throws(() => resolveClientConfig({sample_rate: 100}), configError('sample_rate', /must be between 0 and 99/))
  assert.throws(() => resolveClientConfig({heartbeat_interval: 0}), configError('heartbeat_interval', /must be -1ms to disable, or between 1s and 5m0s/))
  assert.throws(() => resolveClientConfig({output_buffer_size: -2}), configError('output_buffer_size', /must be -1 to disable, or >= 0/))
  assert.throws(() => resolveClientConfig({max_requeue_delay: 3_600_001}), configError('max_requeue_delay', /between 0s and 1h0m0s/))
})

test('resolveClientConfig: wrong types, non-finite numbers, unknown keys', () => {
  const loose = (p: Record<string, unknown>): ClientConfig => resolveClientConfig(p as Partial<ClientConfig>)
  assert.throws(() => loose({max_in_flight: '5'}), configError('max_in_flight', /not an integer/))
  assert.throws(() => loose({max_in_flight: 1.5}), configError('max_in_flight', /not an integer/))
  assert.throws(() => loose({read_timeout: '60s'}), configError('read_timeout', /not a finite number of milliseconds/))
  assert.throws(() => loose({read_timeout: Number.NaN}), configError('read_timeout'))
  assert.throws(() => loose({dial_timeout: Number.POSITIVE_INFINITY}), configError('dial_timeout'))
  assert.throws(() => loose({lookupd_poll_jitter: Number.NaN}), configError('lookupd_poll_jitter', /not a number/))
  assert.throws(() => loose({tls_v1: 'true'}), configError('tls_v1', /true or false/))
  assert.throws(() => loose({client_id: 5}), configError('client_id', /must be a string/))
  assert.throws(() => loose({backoff_strategy: 'linear'}), configError('backoff_strategy', /exponential, full_jitter/))
  assert.throws(() => loose({foo_bar: 1}), configError('foo_bar', /^unknown option "foo_bar"$/))
  assert.throws(() => loose({maxInFlight: 1}), configError('maxInFlight', /unknown option/))
})

test('tls_min_version: the four go-nsq names; empty means the default', () => {
  for (const v of ['ssl3.0', 'tls1.0', 'tls1.1', 'tls1.2']) {
    assert.equal(resolveClientConfig({tls_min_version: v}).tls_min_version, v)
    const cfg = fresh()
    setOption(cfg, 'tls_min_version', v)
    assert.equal(cfg.tls_min_version, v)
  }
  assert.equal(resolveClientConfig({tls_min_version: ''}).tls_min_version, '')
  for (const v of ['tls1.3', 'TLS1.2', '1.2']) {
    assert.throws(() => resolveClientConfig({tls_min_version: v}), configError('tls_min_version', /ssl3\.0, tls1\.0, tls1\.1, tls1\.2/))
    assert.throws(() => setOption(fresh(), 'tls_min_version', v), configError('tls_min_version'))
  }
  assert.throws(() => setOption(fresh(), 'tls_min_version', ''), configError('tls_min_version'))
})

test('local_addr: empty or host:port', () => {
  for (const v of ['', '127.0.0.1:0', '[::1]:5000', 'localhost:4150']) assert.equal(resolveClientConfig({local_addr: v}).local_addr, v)
  for (const v of ['127.0.0.1', '127.0.0.1:x', '1.2.3.4:70000']) {
    assert.throws(() => resolveClientConfig({local_addr: v}), configError('local_addr', /host:port/))
    assert.throws(() => setOption(fresh(), 'local_addr', v), configError('local_addr'))
  }
})

test('setOption: durations are Go duration strings or numbers of milliseconds', () => {
  const cfg = fresh()
  setOption(cfg, 'read_timeout', '30s')
  assert.equal(cfg.read_timeout, 30_000)
  setOption(cfg, 'read_timeout', '1m30s')
  assert.equal(cfg.read_timeout, 90_000)
  setOption(cfg, 'read_timeout', 45_000)
  assert.equal(cfg.read_timeout, 45_000)
  setOption(cfg, 'msg_timeout', '2m')
  assert.equal(cfg.msg_timeout, 120_000)
  setOption(cfg, 'heartbeat_interval', '-1ms')
  assert.equal(cfg.heartbeat_interval, -1)
  setOption(cfg, 'output_buffer_timeout', '-1ms')
  assert.equal(cfg.output_buffer_timeout, -1)
  setOption(cfg, 'rdy_redistribute_interval', '1.5ms')
  assert.equal(cfg.rdy_redistribute_interval, 1.5)

  // a bare number string is not a duration, as with Go's time.ParseDuration
  assert.throws(
    () => setOption(cfg, 'read_timeout', '5'),
    configError('read_timeout', /^read_timeout: invalid duration "5" \(use a Go duration such as 60s, 250ms/),
  )
  for (const v of ['', '60', 'abc', '1d', '-1']) assert.throws(() => setOption(cfg, 'msg_timeout', v), configError('msg_timeout', /invalid duration/))
  assert.throws(() => setOption(cfg, 'read_timeout', true), configError('read_timeout', /not a finite number of milliseconds/))
  assert.throws(() => setOption(cfg, 'read_timeout', Number.NaN), configError('read_timeout'))
  assert.equal(cfg.read_timeout, 45_000, 'unchanged after the errors')
})

test('setOption: integers', () => {
  const cfg = fresh()
  setOption(cfg, 'max_in_flight', '100')
  assert.equal(cfg.max_in_flight, 100)
  setOption(cfg, 'max_in_flight', '+7')
  assert.equal(cfg.max_in_flight, 7)
  setOption(cfg, 'max_in_flight', 250)
  assert.equal(cfg.max_in_flight, 250)
  setOption(cfg, 'max_attempts', '0')
  assert.equal(cfg.max_attempts, 0)
  setOption(cfg, 'output_buffer_size', '-1')
  assert.equal(cfg.output_buffer_size, -1)
  setOption(cfg, 'max_in_flight', '-0')
  assert.ok(Object.is(cfg.max_in_flight, 0))
  for (const v of ['1.5', '1e3', '0x10', '', ' 5', '5 ', 'ten', '1_000']) {
    assert.throws(() => setOption(cfg, 'max_in_flight', v), configError('max_in_flight', /not an integer/), JSON.stringify(v))
  }
  assert.throws(() => setOption(cfg, 'max_in_flight', 2.5), configError('max_in_flight', /not an integer/))
  assert.throws(() => setOption(cfg, 'max_in_flight', true), configError('max_in_flight', /not an integer/))
  assert.throws(() => setOption(cfg, 'max_in_flight', '99999999999999999999'), configError('max_in_flight'))
  assert.equal(cfg.max_in_flight, 0)
})

test('setOption: lookupd_poll_jitter is a float', () => {
  const cfg = fresh()
  for (const [s, n] of [['0.5', 0.5], ['.25', 0.25], ['1', 1], ['0', 0], ['1e-1', 0.1], ['+0.75', 0.75]] as const) {
    setOption(cfg, 'lookupd_poll_jitter', s)
    assert.equal(cfg.lookupd_poll_jitter, n, s)
  }
  setOption(cfg, 'lookupd_poll_jitter', 0.9)
  assert.equal(cfg.lookupd_poll_jitter, 0.9)
  for (const v of ['abc', '', 'NaN', 'Inf', '0.5.1']) {
    assert.throws(() => setOption(cfg, 'lookupd_poll_jitter', v), configError('lookupd_poll_jitter', /not a number/), v)
  }
  assert.throws(() => setOption(cfg, 'lookupd_poll_jitter', '1.5'), configError('lookupd_poll_jitter', /between 0 and 1/))
})

test("setOption: bools take Go's strconv.ParseBool set, booleans and integers", () => {
  const cfg = fresh()
  for (const s of ['1', 't', 'T', 'TRUE', 'true', 'True']) {
    cfg.tls_v1 = false
    setOption(cfg, 'tls_v1', s)
    assert.equal(cfg.tls_v1, true, s)
  }
  for (const s of ['0', 'f', 'F', 'FALSE', 'false', 'False']) {
    cfg.tls_v1 = true
    setOption(cfg, 'tls_v1', s)
    assert.equal(cfg.tls_v1, false, s)
  }
  setOption(cfg, 'snappy', true)
  assert.equal(cfg.snappy, true)
  setOption(cfg, 'snappy', 0)
  assert.equal(cfg.snappy, false)
  setOption(cfg, 'deflate', 1)
  assert.equal(cfg.deflate, true)
  setOption(cfg, 'skip_lookupd_authorization', 'false')
  assert.equal(cfg.skip_lookupd_authorization, false)
  setOption(cfg, 'tls_insecure_skip_verify', 'T')
  assert.equal(cfg.tls_insecure_skip_verify, true)
  for (const v of ['yes', 'no', 'tRUE', 'on', '', ' true', '2']) {
    assert.throws(() => setOption(cfg, 'deflate', v), configError('deflate', /must be one of 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False/), v)
  }
  assert.throws(() => setOption(cfg, 'deflate', 0.5), configError('deflate'))
})

test('setOption: strings and backoff_strategy', () => {
  const cfg = fresh()
  setOption(cfg, 'client_id', 'worker-1')
  setOption(cfg, 'hostname', 'box.example.com')
  setOption(cfg, 'user_agent', 'nsq_tail/1.3.0 go-nsq/1.1.0')
  setOption(cfg, 'auth_secret', 'a,b,c')
  setOption(cfg, 'tls_root_ca_file', '/etc/ca.pem')
  setOption(cfg, 'tls_cert', '/etc/cert.pem')
  setOption(cfg, 'tls_key', '/etc/key.pem')
  assert.equal(cfg.client_id, 'worker-1')
  assert.equal(cfg.hostname, 'box.example.com')
  assert.equal(cfg.user_agent, 'nsq_tail/1.3.0 go-nsq/1.1.0')
  assert.equal(cfg.auth_secret, 'a,b,c')
  assert.equal(cfg.tls_root_ca_file, '/etc/ca.pem')
  assert.equal(cfg.tls_cert, '/etc/cert.pem')
  assert.equal(cfg.tls_key, '/etc/key.pem')
  setOption(cfg, 'client_id', 42)
  assert.equal(cfg.client_id, '42')

  setOption(cfg, 'backoff_strategy', 'full_jitter')
  assert.equal(cfg.backoff_strategy, 'full_jitter')
  setOption(cfg, 'backoff_strategy', 'exponential')
  assert.equal(cfg.backoff_strategy, 'exponential')
  for (const v of ['linear', 'FULL_JITTER', 'full-jitter', '']) {
    assert.throws(() => setOption(cfg, 'backoff_strategy', v), configError('backoff_strategy', /must be one of exponential, full_jitter/), v)
  }
})

test('setOption: keys are normalised; unknown keys are errors naming the key', () => {
  const cfg = fresh()
  setOption(cfg, 'max-in-flight', '5')
  assert.equal(cfg.max_in_flight, 5)
  setOption(cfg, 'MAX_IN_FLIGHT', '6')
  assert.equal(cfg.max_in_flight, 6)
  setOption(cfg, 'Max-In-Flight', 7)
  assert.equal(cfg.max_in_flight, 7)
  setOption(cfg, 'TLS-V1', 'true')
  assert.equal(cfg.tls_v1, true)

  assert.throws(() => setOption(cfg, 'foo_bar', '1'), configError('foo_bar', /^unknown option "foo_bar"$/))
  assert.throws(() => setOption(cfg, 'foo-bar', '1'), configError('foo_bar', /^unknown option "foo_bar"$/))
  assert.throws(() => setOption(cfg, 'max_in_fligt', '1'), configError('max_in_fligt', /unknown option "max_in_fligt" \(did you mean "max_in_flight"\?\)/))
  assert.throws(() => setOption(cfg, 'tls_config', 'x'), configError('tls_config', /tls_root_ca_file/))
  assert.throws(() => setOption(cfg, '', 'x'), configError(''))
  assert.throws(() => setOption(cfg, '__proto__', 'x'), configError('__proto__', /unknown option/))
  assert.throws(() => setOption(cfg, 'constructor', 'x'), configError('constructor', /unknown option/))
  assert.equal(cfg.max_in_flight, 7)
})

test('parseOptFlag: the first comma splits, a bare key means true, - becomes _', () => {
  assert.deepEqual(parseOptFlag('max_in_flight,100'), {key: 'max_in_flight', value: '100'})
  assert.deepEqual(parseOptFlag('tls_v1'), {key: 'tls_v1', value: 'true'})
  assert.deepEqual(parseOptFlag('a,b,c'), {key: 'a', value: 'b,c'})
  assert.deepEqual(parseOptFlag('max-in-flight,5'), {key: 'max_in_flight', value: '5'})
  assert.deepEqual(parseOptFlag('auth_secret,'), {key: 'auth_secret', value: ''})
  assert.deepEqual(parseOptFlag('user_agent,x/1 (a-b)'), {key: 'user_agent', value: 'x/1 (a-b)'})
  for (const flag of ['', ',5', ',', ' ,x']) {
    assert.throws(() => parseOptFlag(flag), configError('', /expected key,value/), JSON.stringify(flag))
  }
})

test('applyOptFlags: applies the flags to a copy and leaves base alone', () => {
  const base = fresh()
  const before = structuredClone(base)
  const out = applyOptFlags(base, ['max_in_flight,100', 'tls_v1', 'max-in-flight,5', 'msg_timeout,2m', 'backoff_strategy,full_jitter', 'auth_secret,s,e,c'])
  assert.deepEqual(base, before)
  assert.notEqual(out, base)
  assert.equal(out.max_in_flight, 5, 'the later flag wins')
  assert.equal(out.tls_v1, true)
  assert.equal(out.msg_timeout, 120_000)
  assert.equal(out.backoff_strategy, 'full_jitter')
  assert.equal(out.auth_secret, 's,e,c')

  // works on the frozen defaults too
  assert.equal(applyOptFlags(DEFAULT_CLIENT_CONFIG, ['snappy']).snappy, true)
  assert.deepEqual(applyOptFlags(DEFAULT_CLIENT_CONFIG, []), {...DEFAULT_CLIENT_CONFIG})
  assert.equal(DEFAULT_CLIENT_CONFIG.snappy, false)

  assert.throws(() => applyOptFlags(base, ['max_in_flight,-1']), configError('max_in_flight', /must be >= 0/))
  assert.throws(() => applyOptFlags(base, ['read_timeout,5']), configError('read_timeout', /invalid duration "5"/))
  assert.throws(() => applyOptFlags(base, ['nope,1']), configError('nope', /unknown option/))
  assert.throws(() => applyOptFlags(base, ['max_in_flight']), configError('max_in_flight', /not an integer/), 'bare key means "true"')
  assert.throws(() => applyOptFlags(base, [',1']), configError(''))
  assert.deepEqual(base, before, 'unchanged after failed applications')
})

test('cross-check: heartbeat_interval must not exceed read_timeout, unless it is -1', () => {
  assert.equal(resolveClientConfig({heartbeat_interval: 60_000}).heartbeat_interval, 60_000, 'equal is allowed, as in go-nsq')
  assert.throws(
    () => resolveClientConfig({heartbeat_interval: 60_001}),
    configError('heartbeat_interval', /must be <= read_timeout 1m0s, or -1ms to disable/),
  )
  assert.throws(() => resolveClientConfig({read_timeout: 10_000}), configError('heartbeat_interval', /read_timeout 10s/))
  assert.equal(resolveClientConfig({read_timeout: 100, heartbeat_interval: -1}).read_timeout, 100)

  const base = fresh()
  assert.throws(() => applyOptFlags(base, ['read_timeout,10s']), configError('heartbeat_interval'))
  // checked after all flags, so their order does not matter
  for (const flags of [['read_timeout,10s', 'heartbeat_interval,5s'], ['heartbeat_interval,5s', 'read_timeout,10s']]) {
    const out = applyOptFlags(base, flags)
    assert.equal(out.read_timeout, 10_000)
    assert.equal(out.heartbeat_interval, 5000)
  }
  assert.equal(applyOptFlags(base, ['read_timeout,100ms', 'heartbeat_interval,-1ms']).heartbeat_interval, -1)
  // setOption alone does not cross-check (go-nsq's Set does not either)
  const cfg = fresh()
  setOption(cfg, 'read_timeout', '10s')
  assert.equal(cfg.read_timeout, 10_000)
})

test("NSQKIT_VERSION equals package.json's version", () => {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir)
    assert.notEqual(up, dir, 'package.json not found above the test')
    dir = up
  }
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {name: string; version: string}
  assert.equal(pkg.name, 'nsqkit')
  assert.equal(NSQKIT_VERSION, pkg.version)
  assert.equal(USER_AGENT, `nsqkit/${pkg.version}`)
})
