/**
 * `nsqkit serve` and the Go-named shims as the user runs them: the built CLI in a child
 * process. Startup logs, clean exit on SIGTERM/SIGINT, Go flag syntax through bin/nsqd,
 * one-line errors with exit 2 for bad flags, help and version output, the log lines nsqd
 * writes (start-up, IDENTIFY, exiting ioloop, HTTP requests) and nanosecond message timestamps.
 */
import {after, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {mkdtempSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {cls, identify, pub, rdy, req, sub as subCmd} from '../../src/core/protocol/index.js'
import {assertOneLine as assertOneStderrLine, killChildren, runCli as run, type CliResult} from '../helpers/cli.js'
import {RawClient} from '../helpers/raw-client.js'
import {REPO_ROOT, RUN_JS, startServe, type ServeChild} from '../helpers/serve.js'
import {sleep, waitFor, withTimeout} from '../helpers/wait.js'

const BIN = join(REPO_ROOT, 'bin')
const serves: ServeChild[] = []

after(async () => {
  for (const s of serves) await s.stop('SIGKILL').catch(() => undefined)
  killChildren()
})

const tmpData = (): string => mkdtempSync(join(tmpdir(), 'nsqkit-serve-test-'))

/** Resolves with the exit code, or rejects if the process is still running after `ms`. */
const exitWithin = (s: ServeChild, signal: NodeJS.Signals, ms: number): Promise<number | null> =>
  withTimeout(s.stop(signal), ms, () => `serve after ${signal} (still running; stderr:\n${s.stderr()})`)

/** The stderr of a failed run: exactly one non-empty line, no stack trace, no "error:" in any case. */
function assertOneLine(r: CliResult, mentions: RegExp): void {
  assertOneStderrLine(r, mentions)
  assert.doesNotMatch(r.stderr, /Error:|\bstack\b/i, `no error dump:\n${r.stderr}`)
}

describe('nsqkit serve: startup and shutdown', () => {
  test('on port 0 it logs both listening lines and answers /ping', async () => {
    const s = await startServe()
    serves.push(s)
    assert.match(s.stderr(), /TCP: listening on 127\.0\.0\.1:\d+/)
    assert.match(s.stderr(), /HTTP: listening on 127\.0\.0\.1:\d+/)
    assert.ok(s.tcpPort > 0 && s.httpPort > 0 && s.tcpPort !== s.httpPort)
    const r = await fetch(`http://127.0.0.1:${s.httpPort}/ping`)
    assert.equal(await r.text(), 'OK')
    // /info reports the chosen ports, not 0
    const info = (await (await fetch(`http://127.0.0.1:${s.httpPort}/info`)).json()) as {tcp_port: number; http_port: number}
    assert.equal(info.tcp_port, s.tcpPort)
    assert.equal(info.http_port, s.httpPort)
    assert.equal(await exitWithin(s, 'SIGTERM', 5000), 0)
  })

  for (const sig of ['SIGTERM', 'SIGINT'] as const) {
    test(`${sig} → exit code 0 within 5 s, with a connected client and a topic`, async () => {
      const s = await startServe()
      serves.push(s)
      const r = await fetch(`http://127.0.0.1:${s.httpPort}/pub?topic=shutdown_test`, {method: 'POST', body: 'x'})
      assert.equal(await r.text(), 'OK')
      // a subscriber holding the message in flight stays connected across the signal
      const c = await RawClient.connect(s.tcpPort)
      try {
        c.send(subCmd('shutdown_test', 'ch'), rdy(1))
        assert.equal(await c.response(), 'OK')
        await c.message()
        const t0 = Date.now()
        const code = await exitWithin(s, sig, 5000)
        assert.equal(code, 0, `exit code after ${sig}:\n${s.stderr()}`)
        assert.ok(Date.now() - t0 < 5000)
        await c.waitClosed(2000)
      } finally {
        c.close()
      }
    })
  }
})

describe('bin/nsqd: the Go-named shim', () => {
  test('Go single-dash flags: -tcp-address=… -http-address=… -msg-timeout=30s', async () => {
    const s = await startServe(['-msg-timeout=30s'], {shim: true})
    serves.push(s)
    const r = await fetch(`http://127.0.0.1:${s.httpPort}/config/msg_timeout`)
    assert.equal(r.status, 200)
    assert.equal(await r.text(), '30000000000')
    assert.equal(await exitWithin(s, 'SIGTERM', 5000), 0, `bin/nsqd after SIGTERM:\n${s.stderr()}`)
  })
})

describe('nsqkit serve: bad flags exit 2 with one stderr line', () => {
  const cases: [string, RegExp][] = [
    ['--msg-timeout=abc', /msg-timeout/],
    ['--mem-queue-size=-5', /mem-queue-size/],
    ['--node-id=5000', /node-id/],
    ['--log-level=loud', /log-level.*loud/],
    ['-log-level=warning', /log-level.*warning/],
  ]
  for (const [arg, mentions] of cases) {
    test(arg, async () => {
      const r = await run([RUN_JS, 'serve', '--tcp-address=127.0.0.1:0', '--http-address=127.0.0.1:0', `--data-path=${tmpData()}`, arg])
      assert.equal(r.signal, null, `serve did not exit by itself (it was killed):\n${r.stderr}`)
      assert.equal(r.code, 2, `exit code for ${arg}; stderr:\n${r.stderr}`)
      assertOneLine(r, mentions)
      assert.doesNotMatch(r.stderr, /listening on/, 'it must not start')
    })
  }
})

describe('nsqkit serve: an address already in use', () => {
  let blocker: Server | undefined
  after(() => {
    blocker?.close()
  })

  const listen = async (): Promise<number> => {
    blocker = createServer()
    await new Promise<void>((resolve, reject) => {
      blocker?.once('error', reject)
      blocker?.listen(0, '127.0.0.1', () => resolve())
    })
    const a = blocker.address()
    assert.ok(a && typeof a === 'object')
    return a.port
  }

  test('--tcp-address on a busy port: non-zero exit, one line', async () => {
    const port = await listen()
    const r = await run([RUN_JS, 'serve', `--tcp-address=127.0.0.1:${port}`, '--http-address=127.0.0.1:0', `--data-path=${tmpData()}`])
    assert.equal(r.signal, null, `serve did not exit by itself:\n${r.stderr}`)
    assert.notEqual(r.code, 0)
    assert.notEqual(r.code, null)
    // as nsqd, the version and ID lines come first: one error line besides the logs
    assertOneLine({...r, stderr: r.stderr.replace(/^\[nsqd\] .*\n/gm, '')}, new RegExp(`${port}|EADDRINUSE|in use`))
    assert.doesNotMatch(r.stderr, /listening on/)
    blocker?.close()
    blocker = undefined
  })

  test('--http-address on a busy port: non-zero exit, one line', async () => {
    const port = await listen()
    const r = await run([RUN_JS, 'serve', '--tcp-address=127.0.0.1:0', `--http-address=127.0.0.1:${port}`, `--data-path=${tmpData()}`])
    assert.equal(r.signal, null, `serve did not exit by itself:\n${r.stderr}`)
    assert.notEqual(r.code, 0)
    assert.notEqual(r.code, null)
    // the TCP listener may already have logged its "listening" line: one error line besides the logs
    assertOneLine({...r, stderr: r.stderr.replace(/^\[nsqd\] .*\n/gm, '')}, new RegExp(`${port}|EADDRINUSE|in use`))
  })
})

/** Resolves once `re` matches the serve child's stderr; rejects after `ms`. */
const waitLog = (s: ServeChild, re: RegExp, ms = 5000): Promise<RegExpExecArray> =>
  waitFor(() => `${re} in serve's stderr:\n${s.stderr()}\n`, () => re.exec(s.stderr()), {timeoutMs: ms})

const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** `[nsqd] 2026/11/21 03:10:49.123456 LEVEL: ` */
const LOG = (level: string): string => `^\\[nsqd\\] \\d{4}/\\d{2}/\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{6} ${level}: `

describe('nsqkit serve: --log-level takes any case, as nsqd', () => {
  test('-log-level=WARN is accepted (it used to be refused)', async () => {
    const r = await run([join(BIN, 'nsqd'), '-log-level=WARN', '-version'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /nsqd v1\.3\.0/)
  })

  test('--log-level=Debug runs at debug, and /config/log_level answers nsqd\'s number', async () => {
    const s = await startServe(['--log-level=Debug'])
    serves.push(s)
    const r = await fetch(`http://127.0.0.1:${s.httpPort}/config/log_level`)
    assert.equal(r.headers.get('content-type'), 'application/json; charset=utf-8')
    assert.equal(await r.text(), '1')
    const p = await fetch(`http://127.0.0.1:${s.httpPort}/config/log_level`, {method: 'PUT', body: 'WARN'})
    assert.equal(await p.text(), '3')
    // at warn, an HTTP request (logged at info) leaves no line
    const before = s.stderr()
    await (await fetch(`http://127.0.0.1:${s.httpPort}/stats`)).arrayBuffer()
    await sleep(200)
    assert.equal(s.stderr().slice(before.length), '', 'nothing logged below warn')
    assert.equal(await exitWithin(s, 'SIGTERM', 5000), 0)
  })
})

describe('nsqkit serve: accepted but ignored flags say so, once each; lookupd addresses are used', () => {
  test('-verbose, -worker-id: one warning line each at start; --lookupd-tcp-address is acted on (a peer each, no warning), PUT nsqlookupd_tcp_addresses changes the set', async () => {
    // nothing listens on ports 1-3: each peer logs its failed dial, and serve keeps serving
    const s = await startServe(['--lookupd-tcp-address=127.0.0.1:1', '--lookupd-tcp-address=127.0.0.1:2', '-verbose', '-worker-id'])
    serves.push(s)
    const count = (re: RegExp): number => s.stderr().split('\n').filter((l) => re.test(l)).length
    assert.equal(count(new RegExp(`${LOG('WARNING')}--verbose is deprecated`)), 1, s.stderr())
    assert.equal(count(new RegExp(`${LOG('WARNING')}--worker-id is deprecated`)), 1, s.stderr())
    assert.equal(count(new RegExp(`${LOG('WARNING')}.*lookupd`)), 0, s.stderr())
    // the warnings come before the listeners are announced
    assert.ok(s.stderr().indexOf('--worker-id') < s.stderr().indexOf('TCP: listening'))
    await waitLog(s, new RegExp(`${LOG('INFO')}LOOKUP\\(127\\.0\\.0\\.1:2\\): adding peer`, 'm'))
    await waitLog(s, new RegExp(`${LOG('ERROR')}LOOKUPD\\(127\\.0\\.0\\.1:1\\): dial tcp 127\\.0\\.0\\.1:1: `, 'm'))

    const r = await fetch(`http://127.0.0.1:${s.httpPort}/config/nsqlookupd_tcp_addresses`, {method: 'PUT', body: '["127.0.0.1:2","127.0.0.1:3"]'})
    assert.equal(await r.text(), '["127.0.0.1:2","127.0.0.1:3"]')
    await waitLog(s, new RegExp(`${LOG('INFO')}LOOKUP\\(127\\.0\\.0\\.1:1\\): removing peer`, 'm'))
    await waitLog(s, new RegExp(`${LOG('INFO')}LOOKUP\\(127\\.0\\.0\\.1:3\\): adding peer`, 'm'))
    assert.equal(count(/LOOKUP\(127\.0\.0\.1:2\): adding peer/), 1, 'a kept peer is not added again')
    assert.equal(await exitWithin(s, 'SIGTERM', 5000), 0)
  })

  test('without those flags there is no warning at all', async () => {
    const s = await startServe()
    serves.push(s)
    assert.doesNotMatch(s.stderr(), /WARNING/)
    assert.equal(await exitWithin(s, 'SIGTERM', 5000), 0)
  })
})

describe('nsqkit serve: the log lines an operator reads (nsqd 1.3.0\'s)', () => {
  test('start-up, IDENTIFY, exiting ioloop with the reason, HTTP request lines; real µs; Go durations', async () => {
    const s = await startServe(['--log-level=debug'])
    serves.push(s)
    const err = (): string => s.stderr()
    // start-up: nsqd's `nsqd v1.3.0 (built w/go…)` naming nsqkit, then `ID: <node id>`
    assert.match(err(), new RegExp(`${LOG('INFO')}nsqd v1\\.3\\.0 \\(nsqkit v\\d+\\.\\d+\\.\\d+, built w/node v[\\d.]+\\)$`, 'm'))
    const id = await (await fetch(`http://127.0.0.1:${s.httpPort}/config/id`)).text()
    assert.match(err(), new RegExp(`${LOG('INFO')}ID: ${id}$`, 'm'))

    // a client that IDENTIFYs, subscribes and closes its end (EOF): no error, as nsqd
    const a = await RawClient.connect(s.tcpPort)
    const aAddr = `127.0.0.1:${a.socket.localPort}`
    a.send(identify({client_id: 'log-test', hostname: 'log-host', user_agent: 'raw/1.0', heartbeat_interval: 5000, feature_negotiation: true}))
    await a.response()
    a.send(subCmd('log_topic', 'ch'))
    assert.equal(await a.response(), 'OK')
    const idText = '{ClientID:log-test Hostname:log-host HeartbeatInterval:5000 OutputBufferSize:0 OutputBufferTimeout:0 FeatureNegotiation:true TLSv1:false Deflate:false DeflateLevel:0 Snappy:false SampleRate:0 UserAgent:raw/1.0 MsgTimeout:0}'
    await waitLog(s, new RegExp(`${LOG('INFO')}CLIENT\\(${esc(aAddr)}\\): desired protocol magic '  V2'$`, 'm'))
    await waitLog(s, new RegExp(`${LOG('INFO')}${esc(`[${aAddr}] IDENTIFY: ${idText}`)}$`, 'm'))
    await waitLog(s, new RegExp(`${LOG('DEBUG')}${esc(`PROTOCOL(V2): [${aAddr}] ${idText}`)}$`, 'm'))
    await waitLog(s, new RegExp(`${LOG('DEBUG')}${esc(`PROTOCOL(V2): [${aAddr}] [SUB log_topic ch]`)}$`, 'm'))
    a.socket.end()
    await waitLog(s, new RegExp(`${LOG('INFO')}${esc(`PROTOCOL(V2): [${aAddr}] exiting ioloop`)}$`, 'm'))

    // a client whose connection is reset: exiting ioloop, then the error
    const b = await RawClient.connect(s.tcpPort)
    const bAddr = `127.0.0.1:${b.socket.localPort}`
    b.send(subCmd('log_topic', 'ch'))
    assert.equal(await b.response(), 'OK')
    b.socket.resetAndDestroy()
    await waitLog(s, new RegExp(`${LOG('INFO')}${esc(`PROTOCOL(V2): [${bAddr}] exiting ioloop`)}\\n.*${LOG('ERROR').slice(1)}${esc(`client(${bAddr}) - failed to read command - read ECONNRESET`)}$`, 'm'))

    // a fatal protocol error: nsqd's `[addr] - E_…`, exiting ioloop, `client(addr) - E_…`
    const c = await RawClient.connect(s.tcpPort)
    const cAddr = `127.0.0.1:${c.socket.localPort}`
    c.send('PUB bad!topic\n')
    await c.error_()
    await waitLog(s, new RegExp(`${LOG('ERROR')}${esc(`client(${cAddr}) - E_BAD_TOPIC PUB topic name "bad!topic" is not valid`)}$`, 'm'))
    await waitLog(s, new RegExp(`${LOG('ERROR')}${esc(`[${cAddr}] - E_BAD_TOPIC`)}`, 'm'))
    await waitLog(s, new RegExp(`${LOG('INFO')}${esc(`PROTOCOL(V2): [${cAddr}] exiting ioloop`)}$`, 'm'))
    c.close()

    // HTTP: `STATUS METHOD URI (REMOTE) ELAPSED` at info, elapsed as Go prints a Duration; /pub is not logged
    await (await fetch(`http://127.0.0.1:${s.httpPort}/stats?format=json`)).arrayBuffer()
    await (await fetch(`http://127.0.0.1:${s.httpPort}/no/such/route`)).arrayBuffer()
    await (await fetch(`http://127.0.0.1:${s.httpPort}/pub?topic=log_topic`, {method: 'POST', body: 'x'})).arrayBuffer()
    await (await fetch(`http://127.0.0.1:${s.httpPort}/ping`)).arrayBuffer()
    const goDur = '\\d+(\\.\\d+)?(ns|µs|ms|s)'
    await waitLog(s, new RegExp(`${LOG('INFO')}200 GET /stats\\?format=json \\(127\\.0\\.0\\.1:\\d+\\) ${goDur}$`, 'm'))
    await waitLog(s, new RegExp(`${LOG('INFO')}404 GET /no/such/route \\(127\\.0\\.0\\.1:\\d+\\) ${goDur}$`, 'm'))
    await waitLog(s, new RegExp(`${LOG('INFO')}200 GET /ping \\(127\\.0\\.0\\.1:\\d+\\) ${goDur}$`, 'm'))
    assert.doesNotMatch(err(), /POST \/pub/, 'nsqd does not log its publish routes')
    assert.doesNotMatch(err(), new RegExp(`client\\(${esc(aAddr)}\\) - `), 'a clean close is not an error')

    // timestamps carry real microseconds: over many lines they do not all end in 000
    const micros = [...err().matchAll(/^\[nsqd\] \S+ \d{2}:\d{2}:\d{2}\.(\d{6}) /gm)].map((m) => Number(m[1]))
    assert.ok(micros.length >= 20, `${micros.length} log lines`)
    const real = micros.filter((u) => u % 1000 !== 0).length
    assert.ok(real >= micros.length * 0.75, `${real} of ${micros.length} stamps have sub-millisecond digits:\n${err()}`)
    assert.equal(await exitWithin(s, 'SIGTERM', 5000), 0)
    // and as nsqd, each listener says when it stops
    await waitLog(s, new RegExp(`${LOG('INFO')}TCP: closing 127\\.0\\.0\\.1:${s.tcpPort}$`, 'm'))
    await waitLog(s, new RegExp(`${LOG('INFO')}HTTP: closing 127\\.0\\.0\\.1:${s.httpPort}$`, 'm'))
  })

  test('durations in log lines are Go durations (a read timeout says 2s, not 2000ms)', async () => {
    const s = await startServe()
    serves.push(s)
    const c = await RawClient.connect(s.tcpPort)
    const addr = `127.0.0.1:${c.socket.localPort}`
    // heartbeats every 1 s: a client silent for 2 x heartbeat is dropped
    c.send(identify({heartbeat_interval: 1000}))
    assert.equal(await c.response(), 'OK')
    await c.waitClosed(6000)
    const m = await waitLog(s, new RegExp(`${LOG('ERROR')}client\\(${esc(addr)}\\) - failed to read command - .*i/o timeout.*$`, 'm'))
    assert.match(m[0], /\(no data for 2s\)$/)
    assert.doesNotMatch(s.stderr(), /\b\d+ms\b/, `no millisecond counts in the log:\n${s.stderr()}`)
    assert.equal(await exitWithin(s, 'SIGTERM', 5000), 0)
  })

  test('REQ clamping and RDY after CLS log nsqd\'s lines', async () => {
    const s = await startServe(['--max-req-timeout=1s'])
    serves.push(s)
    const c = await RawClient.connect(s.tcpPort)
    try {
      const addr = `127.0.0.1:${c.socket.localPort}`
      c.send(subCmd('log_req', 'ch'), rdy(1))
      assert.equal(await c.response(), 'OK')
      const p = await RawClient.connect(s.tcpPort)
      p.send(pub('log_req', 'x'))
      assert.equal(await p.response(), 'OK')
      p.close()
      const msg = await c.message()
      c.send(req(msg.id, 5000))
      // nsqd prints these time.Durations with %d: nanoseconds
      await waitLog(s, new RegExp(`${LOG('INFO')}${esc(`PROTOCOL(V2): [${addr}] REQ timeout 5000000000 out of range 0-1000000000. Setting to 1000000000`)}$`, 'm'))
      c.send(cls())
      assert.equal(await c.response(), 'CLOSE_WAIT')
      c.send(rdy(1))
      await waitLog(s, new RegExp(`${LOG('INFO')}${esc(`PROTOCOL(V2): [${addr}] ignoring RDY after CLS in state ClientStateV2Closing`)}$`, 'm'))
    } finally {
      c.close()
    }
    assert.equal(await exitWithin(s, 'SIGTERM', 5000), 0)
  })
})

describe('nsqkit serve: message timestamps are nanoseconds', () => {
  test('each PUB\'s timestamp is the wall clock within a few ms, with sub-millisecond digits, increasing', async () => {
    const s = await startServe()
    serves.push(s)
    const producer = await RawClient.connect(s.tcpPort)
    const consumer = await RawClient.connect(s.tcpPort)
    try {
      const N = 40
      consumer.send(subCmd('ts_topic', 'ch'), rdy(N))
      assert.equal(await consumer.response(), 'OK')
      const windows: [bigint, bigint][] = []
      for (let i = 0; i < N; i++) {
        const before = BigInt(Date.now()) * 1_000_000n
        producer.send(pub('ts_topic', `m${i}`))
        assert.equal(await producer.response(), 'OK')
        windows.push([before, BigInt(Date.now() + 1) * 1_000_000n])
        await sleep(2)
      }
      const stamps: bigint[] = []
      for (let i = 0; i < N; i++) {
        const m = await consumer.message()
        assert.equal(m.body.toString(), `m${i}`)
        stamps.push(m.timestamp)
      }
      const slack = 5_000_000n // 5 ms: the child's clock anchor against ours, on a loaded machine
      stamps.forEach((ts, i) => {
        const [lo, hi] = windows[i] as [bigint, bigint]
        assert.ok(ts >= lo - slack && ts <= hi + slack, `message ${i}: timestamp ${ts} outside its publish window [${lo}, ${hi}] ± 5 ms`)
        if (i > 0) assert.ok(ts > (stamps[i - 1] as bigint), `message ${i}: timestamps must increase`)
      })
      const fine = stamps.filter((ts) => ts % 1_000_000n !== 0n).length
      assert.ok(fine >= N * 0.9, `only ${fine} of ${N} timestamps have sub-millisecond digits: ${stamps.slice(0, 3).join(', ')}`)
    } finally {
      producer.close()
      consumer.close()
    }
    assert.equal(await exitWithin(s, 'SIGTERM', 5000), 0)
  })
})
