/**
 * serve's flags are generated from the broker's option table: each flag, given in Go syntax to
 * bin/nsqd, reaches the broker (read back from /config), the help lists them, and a value the
 * table refuses exits 2 with one line naming the flag.
 */
import {after, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {join} from 'node:path'

import {BROKER_OPTIONS} from '../../src/core/broker/options.js'
import {testCerts} from '../helpers/certs.js'
import {REPO_ROOT, RUN_JS, startServe, type ServeChild} from '../helpers/serve.js'

const certs = testCerts()

const NSQD = join(REPO_ROOT, 'bin', 'nsqd')
const serves: ServeChild[] = []

after(async () => {
  for (const s of serves) await s.stop('SIGKILL').catch(() => undefined)
})

function run(args: string[]): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, {cwd: REPO_ROOT, timeout: 15_000, killSignal: 'SIGKILL', env: {...process.env, NO_COLOR: '1'}}, (_err, stdout, stderr) => {
      resolve({code: child.exitCode, stdout: String(stdout), stderr: String(stderr)})
    })
  })
}

/** [Go flag as typed, /config cfg name, the /config answer] for every table flag but the three startServe sets. */
const GIVEN: [string, string, string][] = [
  ['-node-id=77', 'id', '77'],
  ['-broadcast-address=nsqd-7.example', 'broadcast_address', 'nsqd-7.example'],
  ['-broadcast-tcp-port=14150', 'broadcast_tcp_port', '14150'],
  ['-broadcast-http-port=14151', 'broadcast_http_port', '14151'],
  ['-lookupd-tcp-address=127.0.0.1:4160', 'nsqlookupd_tcp_addresses', '["127.0.0.1:4160","127.0.0.1:4162"]'],
  ['-lookupd-tcp-address=127.0.0.1:4162', 'nsqlookupd_tcp_addresses', '["127.0.0.1:4160","127.0.0.1:4162"]'],
  // not above info: startServe waits for the "listening" lines
  ['-log-level=DEBUG', 'log_level', '1'],
  ['-mem-queue-size=77', 'mem_queue_size', '77'],
  ['-max-bytes-per-file=4096', 'max_bytes_per_file', '4096'],
  ['-sync-every=7', 'sync_every', '7'],
  ['-sync-timeout=7s', 'sync_timeout', '7000000000'],
  ['-msg-timeout=1m30s', 'msg_timeout', '90000000000'],
  ['-max-msg-timeout=20m', 'max_msg_timeout', '1200000000000'],
  ['-max-msg-size=2048', 'max_msg_size', '2048'],
  ['-max-body-size=8192', 'max_body_size', '8192'],
  ['-max-req-timeout=2h', 'max_req_timeout', '7200000000000'],
  ['-max-rdy-count=77', 'max_rdy_count', '77'],
  ['-max-heartbeat-interval=70s', 'max_heartbeat_interval', '70000000000'],
  ['-max-output-buffer-size=1024', 'max_output_buffer_size', '1024'],
  ['-max-output-buffer-timeout=7s', 'max_output_buffer_timeout', '7000000000'],
  ['-min-output-buffer-timeout=7ms', 'min_output_buffer_timeout', '7000000'],
  ['-output-buffer-timeout=77ms', 'output_buffer_timeout', '77000000'],
  ['-max-channel-consumers=7', 'max_channel_consumers', '7'],
  ['-deflate=false', 'deflate', 'false'],
  ['-max-deflate-level=7', 'max_deflate_level', '7'],
  ['-snappy=f', 'snappy', 'false'],
  ['-https-address=127.0.0.1:0', 'https_address', '127.0.0.1:0'],
  [`-tls-cert=${certs.serverCert}`, 'tls_cert', certs.serverCert],
  [`-tls-key=${certs.serverKey}`, 'tls_key', certs.serverKey],
  ['-tls-client-auth-policy=require', 'tls_client_auth_policy', 'require'],
  [`-tls-root-ca-file=${certs.caCert}`, 'tls_root_ca_file', certs.caCert],
  // a client auth policy makes TLS required unless it is tcp-https, which keeps plain HTTP (/config)
  ['-tls-required=tcp-https', 'tls_required', '1'],
  ['-auth-http-address=127.0.0.1:4181', 'auth_http_addresses', '["127.0.0.1:4181","http://auth.example/a"]'],
  ['-auth-http-address=http://auth.example/a', 'auth_http_addresses', '["127.0.0.1:4181","http://auth.example/a"]'],
  ['-http-client-connect-timeout=3s', 'http_client_connect_timeout', '3000000000'],
  ['-http-client-request-timeout=7s', 'http_client_request_timeout', '7000000000'],
  ['-tls-min-version=tls1.2', 'tls_min_version', '771'],
]

describe('every table flag reaches the broker', () => {
  test('given in Go syntax to bin/nsqd, each is read back from /config', async () => {
    const set = new Set(GIVEN.map(([a]) => a.replace(/^-+([^=]+)=.*$/, '$1')))
    for (const f of ['tcp-address', 'http-address', 'data-path']) set.add(f)
    const tableFlags = BROKER_OPTIONS.keys.map((k) => BROKER_OPTIONS.specs[k].flag).filter((f): f is string => f !== undefined)
    assert.deepEqual([...set].sort(), [...tableFlags].sort(), 'the test gives every flag of the table')

    const s = await startServe(GIVEN.map(([a]) => a), {shim: NSQD})
    serves.push(s)
    for (const [arg, cfg, want] of GIVEN) {
      const res = await fetch(`http://127.0.0.1:${s.httpPort}/config/${cfg}`)
      assert.equal(await res.text(), want, `${arg} → /config/${cfg}`)
    }
    const path = await (await fetch(`http://127.0.0.1:${s.httpPort}/config/data_path`)).text()
    assert.equal(path, s.dataPath)
    assert.equal(await s.stop(), 0)
  })

  test('a flag accepted for compatibility warns once; the bools among them take --no-', async () => {
    const s = await startServe(['-statsd-address=127.0.0.1:8125', '-statsd-prefix=x.%s', '--no-statsd-mem-stats', '-e2e-processing-latency-percentile=0.99', '-e2e-processing-latency-percentile=0.5'], {shim: NSQD})
    serves.push(s)
    for (const f of ['statsd-address', 'statsd-prefix', 'statsd-mem-stats', 'e2e-processing-latency-percentile']) {
      const n = s.stderr().split('\n').filter((l) => l.includes(`WARNING: --${f} is not supported by nsqkit serve yet; ignored`)).length
      assert.equal(n, 1, `${f}:\n${s.stderr()}`)
    }
    // /config still answers nsqd's defaults for them
    assert.equal(await (await fetch(`http://127.0.0.1:${s.httpPort}/config/statsd_address`)).text(), '')
    assert.equal(await (await fetch(`http://127.0.0.1:${s.httpPort}/config/statsd_mem_stats`)).text(), 'true')
    assert.equal(await s.stop(), 0)
  })
})

describe('the help lists the table', () => {
  test('serve --help shows every table flag and its description', async () => {
    const r = await run([RUN_JS, 'serve', '--help'])
    assert.equal(r.code, 0, r.stderr)
    const text = r.stdout.replace(/\s+/g, ' ')
    for (const key of BROKER_OPTIONS.keys) {
      const spec = BROKER_OPTIONS.specs[key]
      if (spec.flag === undefined) continue
      assert.ok(text.includes(`--${spec.flag}`) || text.includes(`--[no-]${spec.flag}`), spec.flag)
      assert.ok(text.includes(spec.description.replace(/\s+/g, ' ')), `${spec.flag}: ${spec.description}`)
    }
    assert.match(text, /default time a message may stay in flight \(default 1m0s\)/, 'a duration\'s default as Go prints it')
  })
})

describe('a value the table refuses: exit 2, one line naming the flag', () => {
  const cases: [string, string][] = [
    ['-max-msg-size=0', 'nsqd: -max-msg-size: invalid value 0 (must be >= 1)'],
    ['-sync-every=0', 'nsqd: -sync-every: invalid value 0 (must be >= 1)'],
    ['-max-deflate-level=10', 'nsqd: -max-deflate-level: invalid value 10 (must be between 1 and 9)'],
    ['-msg-timeout=60', 'nsqd: -msg-timeout: invalid duration "60" (use a Go duration such as 60s, 250ms, 1m30s)'],
    ['-broadcast-tcp-port=x', 'nsqd: -broadcast-tcp-port: invalid value "x" (not an integer; must be between 0 and 65535)'],
    ['-max-body-size=100', 'nsqd: invalid value for -max-body-size: 100 (must be >= --max-msg-size 1048576)'],
    ['-msg-timeout=16m', 'nsqd: invalid value for -msg-timeout: 16m0s (must be <= --max-msg-timeout 15m0s)'],
  ]
  for (const [arg, says] of cases) {
    test(arg, async () => {
      const r = await run([NSQD, '-tcp-address=127.0.0.1:0', '-http-address=127.0.0.1:0', arg])
      assert.equal(r.code, 2, r.stderr)
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('[nsqd]'))
      assert.equal(lines.length, 1, r.stderr)
      assert.ok((lines[0] as string).includes(says), `${lines[0]} should say: ${says}`)
      assert.doesNotMatch(r.stderr, /listening on/)
    })
  }
})
