/**
 * The broker's option tables against nsqd 1.3.0 (NSQ-SPEC §2.1, nsqd's Options `flag`/`cfg`
 * tags): every flag name, default and config name, the bounds, and the errors that name them.
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import {hostname} from 'node:os'

import {BROKER_OPTIONS, DEFAULT_BROKER_OPTIONS, NSQD_COMPAT_OPTIONS, OptionError, defaultNodeId, resolveBrokerOptions} from '../../../src/core/broker/options.js'

/** [flag, config name, default as Go prints it] — nsqd 1.3.0's, except the 127.0.0.1 addresses. */
const NSQD_FLAGS: [string, string, string][] = [
  ['node-id', 'id', 'crc32(md5(hostname)) % 1024'],
  ['tcp-address', 'tcp_address', '127.0.0.1:4150'],
  ['http-address', 'http_address', '127.0.0.1:4151'],
  ['broadcast-address', 'broadcast_address', 'the OS hostname'],
  ['broadcast-tcp-port', 'broadcast_tcp_port', '0'],
  ['broadcast-http-port', 'broadcast_http_port', '0'],
  ['lookupd-tcp-address', 'nsqlookupd_tcp_addresses', ''],
  ['data-path', 'data_path', ''],
  ['log-level', 'log_level', 'info'],
  ['mem-queue-size', 'mem_queue_size', '10000'],
  ['max-bytes-per-file', 'max_bytes_per_file', '104857600'],
  ['sync-every', 'sync_every', '2500'],
  ['sync-timeout', 'sync_timeout', '2s'],
  ['msg-timeout', 'msg_timeout', '1m0s'],
  ['max-msg-timeout', 'max_msg_timeout', '15m0s'],
  ['max-msg-size', 'max_msg_size', '1048576'],
  ['max-body-size', 'max_body_size', '5242880'],
  ['max-req-timeout', 'max_req_timeout', '1h0m0s'],
  ['max-rdy-count', 'max_rdy_count', '2500'],
  ['max-heartbeat-interval', 'max_heartbeat_interval', '1m0s'],
  ['max-output-buffer-size', 'max_output_buffer_size', '65536'],
  ['max-output-buffer-timeout', 'max_output_buffer_timeout', '30s'],
  ['min-output-buffer-timeout', 'min_output_buffer_timeout', '25ms'],
  ['output-buffer-timeout', 'output_buffer_timeout', '250ms'],
  ['max-channel-consumers', 'max_channel_consumers', '0'],
  ['deflate', 'deflate', 'true'],
  ['max-deflate-level', 'max_deflate_level', '6'],
  ['snappy', 'snappy', 'true'],
  ['https-address', 'https_address', '127.0.0.1:4152'],
  ['tls-cert', 'tls_cert', ''],
  ['tls-key', 'tls_key', ''],
  ['tls-client-auth-policy', 'tls_client_auth_policy', ''],
  ['tls-root-ca-file', 'tls_root_ca_file', ''],
  ['tls-required', 'tls_required', 'false'],
  ['auth-http-address', 'auth_http_addresses', ''],
  ['http-client-connect-timeout', 'http_client_connect_timeout', '2s'],
  ['http-client-request-timeout', 'http_client_request_timeout', '5s'],
  ['tls-min-version', 'tls_min_version', 'tls1.0'],
]

/** The flags nsqkit takes without acting on them, with nsqd's defaults. */
const NSQD_COMPAT_FLAGS: [string, string | null, string][] = [
  ['config', null, ''],
  ['log-prefix', 'log_prefix', '[nsqd] '],
  ['queue-scan-selection-count', 'queue_scan_selection_count', '20'],
  ['queue-scan-worker-pool-max', 'queue_scan_worker_pool_max', '4'],
  ['statsd-address', 'statsd_address', ''],
  ['statsd-prefix', 'statsd_prefix', 'nsq.%s'],
  ['statsd-interval', 'statsd_interval', '1m0s'],
  ['statsd-mem-stats', 'statsd_mem_stats', 'true'],
  ['statsd-udp-packet-size', 'statsd_udp_packet_size', '508'],
  ['statsd-exclude-ephemeral', 'statsd_exclude_ephemeral', 'false'],
  ['e2e-processing-latency-percentile', 'e2e_processing_latency_percentiles', ''],
  ['e2e-processing-latency-window-time', 'e2e_processing_latency_window_time', '10m0s'],
]

test("the broker's flags: nsqd's names, config names and defaults, each declared once", () => {
  const got = BROKER_OPTIONS.keys.filter((k) => BROKER_OPTIONS.specs[k].flag !== undefined).map((k) => {
    const d = BROKER_OPTIONS.describe(k)
    return [d.flag, d.cfg, d.default]
  })
  assert.deepEqual(got, NSQD_FLAGS)
  // nsqd's internal settings have no flag and no /config name
  for (const k of ['queueScanInterval', 'clientTimeout'] as const) {
    assert.equal(BROKER_OPTIONS.specs[k].flag, undefined)
    assert.equal(BROKER_OPTIONS.cfgName(k), null)
  }
  assert.equal(DEFAULT_BROKER_OPTIONS.queueScanInterval, 100)
  assert.equal(DEFAULT_BROKER_OPTIONS.clientTimeout, 60_000)
})

test('the flags accepted for compatibility: nsqd\'s names, config names and defaults', () => {
  const got = NSQD_COMPAT_OPTIONS.keys.map((k) => {
    const d = NSQD_COMPAT_OPTIONS.describe(k)
    return [d.flag, d.cfg, d.default]
  })
  assert.deepEqual(got, NSQD_COMPAT_FLAGS)
  const all = [...NSQD_FLAGS, ...NSQD_COMPAT_FLAGS].map(([f]) => f)
  assert.equal(new Set(all).size, all.length, 'no flag in both tables')
})

test('defaults that depend on the machine are the machine\'s', () => {
  assert.equal(DEFAULT_BROKER_OPTIONS.nodeId, defaultNodeId(hostname()))
  assert.equal(DEFAULT_BROKER_OPTIONS.broadcastAddress, hostname())
  assert.ok(DEFAULT_BROKER_OPTIONS.nodeId >= 0 && DEFAULT_BROKER_OPTIONS.nodeId < 1024)
})

test("/config's Go JSON: durations in ns, the log level as lg.LogLevel's number, nsqd's TLS numbers", () => {
  assert.equal(BROKER_OPTIONS.json('msgTimeout', DEFAULT_BROKER_OPTIONS.msgTimeout), 60e9)
  assert.equal(BROKER_OPTIONS.json('logLevel', 'info'), 2)
  assert.equal(BROKER_OPTIONS.json('logLevel', 'fatal'), 5)
  assert.equal(BROKER_OPTIONS.json('tlsMinVersion', 'tls1.0'), 0x0301)
  assert.equal(BROKER_OPTIONS.json('tlsRequired', 'false'), 0)
  assert.equal(BROKER_OPTIONS.json('tlsRequired', 'tcp-https'), 1)
  assert.equal(BROKER_OPTIONS.json('tlsRequired', 'true'), 2)
})

test('only the lookupd addresses and the log level are settable at run time (nsqd\'s PUT /config)', () => {
  const settable = BROKER_OPTIONS.keys.filter((k) => BROKER_OPTIONS.specs[k].settable === true).map((k) => BROKER_OPTIONS.cfgName(k))
  assert.deepEqual(settable, ['nsqlookupd_tcp_addresses', 'log_level'])
})

/** assert.throws matcher: an OptionError for `key` whose message is exactly `message`. */
function refused(key: string, message: string): (err: unknown) => boolean {
  return (err: unknown) => {
    assert.ok(err instanceof OptionError, String(err))
    assert.equal(err.code, 'ERR_INVALID_OPTION')
    assert.equal(err.key, key)
    assert.equal(err.message, message)
    return true
  }
}

test('resolveBrokerOptions: each bound once, named by its flag', () => {
  const cases: [Record<string, unknown>, string, string][] = [
    [{nodeId: 1024}, 'nodeId', 'invalid value for --node-id: 1024 (must be between 0 and 1023)'],
    [{maxDeflateLevel: 0}, 'maxDeflateLevel', 'invalid value for --max-deflate-level: 0 (must be between 1 and 9)'],
    [{memQueueSize: -1}, 'memQueueSize', 'invalid value for --mem-queue-size: -1 (must be >= 0)'],
    [{maxMsgSize: 0}, 'maxMsgSize', 'invalid value for --max-msg-size: 0 (must be >= 1)'],
    [{maxRdyCount: 0}, 'maxRdyCount', 'invalid value for --max-rdy-count: 0 (must be >= 1)'],
    [{maxOutputBufferSize: 63}, 'maxOutputBufferSize', 'invalid value for --max-output-buffer-size: 63 (must be >= 64)'],
    [{syncEvery: 0}, 'syncEvery', 'invalid value for --sync-every: 0 (must be >= 1)'],
    [{maxBytesPerFile: 0}, 'maxBytesPerFile', 'invalid value for --max-bytes-per-file: 0 (must be >= 1)'],
    [{broadcastTcpPort: 65536}, 'broadcastTcpPort', 'invalid value for --broadcast-tcp-port: 65536 (must be between 0 and 65535)'],
    [{msgTimeout: 0}, 'msgTimeout', 'invalid value for --msg-timeout: 0s (must be >= 1ms)'],
    [{maxReqTimeout: -1}, 'maxReqTimeout', 'invalid value for --max-req-timeout: -1ms (must be >= 0s)'],
    [{tcpAddress: 'nope'}, 'tcpAddress', 'invalid value for --tcp-address: "nope" (missing port; must be host:port, with port 0 for any port)'],
    [{logLevel: 'loud'}, 'logLevel', 'invalid value for --log-level: "loud" (must be one of debug, info, warn, error, fatal, in any case)'],
    [{clientTimeout: 1}, 'clientTimeout', 'invalid value for clientTimeout: 1ms (must be >= 2ms)'],
    // the checks across options
    [{maxMsgSize: 100, maxBodySize: 99}, 'maxBodySize', 'invalid value for --max-body-size: 99 (must be >= --max-msg-size 100)'],
    [{msgTimeout: 20 * 60_000}, 'msgTimeout', 'invalid value for --msg-timeout: 20m0s (must be <= --max-msg-timeout 15m0s)'],
  ]
  for (const [partial, key, message] of cases) assert.throws(() => resolveBrokerOptions(partial), refused(key, message), JSON.stringify(partial))
  // '' disables the HTTP API; the TCP address must be one
  assert.equal(resolveBrokerOptions({httpAddress: ''}).httpAddress, '')
  assert.throws(() => resolveBrokerOptions({tcpAddress: ''}), refused('tcpAddress', 'invalid value for --tcp-address: "" (missing port; must be host:port, with port 0 for any port)'))
  // the edges themselves are accepted
  const edges = resolveBrokerOptions({nodeId: 1023, maxDeflateLevel: 9, memQueueSize: 0, maxReqTimeout: 0, broadcastHttpPort: 65535, maxBodySize: 1048576})
  assert.equal(edges.nodeId, 1023)
  assert.equal(edges.maxBodySize, edges.maxMsgSize)
})

test('resolveBrokerOptions: a fresh object over frozen defaults; the lookupd list is copied', () => {
  const addrs = ['127.0.0.1:4160']
  const a = resolveBrokerOptions({lookupdTcpAddresses: addrs})
  assert.deepEqual(a.lookupdTcpAddresses, addrs)
  assert.notEqual(a.lookupdTcpAddresses, addrs)
  assert.ok(Object.isFrozen(DEFAULT_BROKER_OPTIONS))
  const b = resolveBrokerOptions()
  b.lookupdTcpAddresses.push('x:1')
  assert.deepEqual(DEFAULT_BROKER_OPTIONS.lookupdTcpAddresses, [])
  assert.deepEqual(resolveBrokerOptions().lookupdTcpAddresses, [])
})
