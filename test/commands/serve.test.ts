/**
 * `nsqkit serve` and the Go-named shims as the user runs them: the built CLI in a child
 * process. Startup logs, clean exit on SIGTERM/SIGINT, Go flag syntax through bin/nsqd,
 * one-line errors with exit 2 for bad flags, help and version output.
 */
import {after, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {rdy, sub as subCmd} from '../../src/core/protocol/index.js'
import {RawClient} from '../helpers/raw-client.js'
import {REPO_ROOT, RUN_JS, startServe, type ServeChild} from '../helpers/serve.js'

const BIN = join(REPO_ROOT, 'bin')
const children: ChildProcess[] = []
const serves: ServeChild[] = []

after(async () => {
  for (const s of serves) await s.stop('SIGKILL').catch(() => undefined)
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
})

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** Run a node script to completion (killed after `timeoutMs`). */
function run(args: string[], timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, args, {cwd: REPO_ROOT, timeout: timeoutMs, killSignal: 'SIGKILL', env: {...process.env, NO_COLOR: '1'}}, (err, stdout, stderr) => {
      const e = err as (Error & {code?: number | string; signal?: NodeJS.Signals}) | null
      resolve({
        code: child.exitCode ?? (typeof e?.code === 'number' ? e.code : null),
        signal: child.signalCode ?? e?.signal ?? null,
        stdout: String(stdout),
        stderr: String(stderr),
      })
    })
    children.push(child)
  })
}

const tmpData = (): string => mkdtempSync(join(tmpdir(), 'nsqkit-serve-test-'))

/** Resolves with the exit code, or rejects if the process is still running after `ms`. */
function exitWithin(s: ServeChild, signal: NodeJS.Signals, ms: number): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`still running ${ms} ms after ${signal}:\n${s.stderr()}`)), ms)
    s.stop(signal).then(
      (code) => {
        clearTimeout(t)
        resolve(code)
      },
      (e: unknown) => {
        clearTimeout(t)
        reject(e as Error)
      },
    )
  })
}

/** The stderr of a failed run: exactly one non-empty line, no stack trace. */
function assertOneLine(r: Run, mentions: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '')
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`)
  assert.match(lines[0] as string, mentions)
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace')
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
    const proc = spawn(
      process.execPath,
      [join(BIN, 'nsqd'), '-tcp-address=127.0.0.1:0', '-http-address=127.0.0.1:0', '-msg-timeout=30s', `-data-path=${tmpData()}`],
      {cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe']},
    )
    children.push(proc)
    let err = ''
    proc.stderr.setEncoding('utf8')
    proc.stderr.on('data', (d: string) => {
      err += d
    })
    proc.stdout.resume()
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
    const httpPort = await new Promise<number>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`bin/nsqd did not start in time:\n${err}`)), 15_000)
      const check = (): void => {
        const m = /HTTP: listening on [^\s]+:(\d+)/.exec(err)
        if (m && /TCP: listening on/.test(err)) {
          clearTimeout(t)
          resolve(Number(m[1]))
        }
      }
      proc.stderr.on('data', check)
      void exited.then((code) => {
        clearTimeout(t)
        reject(new Error(`bin/nsqd exited with ${code}:\n${err}`))
      })
    })
    const r = await fetch(`http://127.0.0.1:${httpPort}/config/msg_timeout`)
    assert.equal(r.status, 200)
    assert.equal(await r.text(), '30000000000')
    proc.kill('SIGTERM')
    const code = await Promise.race([exited, new Promise<string>((resolve) => setTimeout(() => resolve('timeout'), 5000))])
    assert.equal(code, 0, `bin/nsqd after SIGTERM:\n${err}`)
  })
})

describe('nsqkit serve: bad flags exit 2 with one stderr line', () => {
  const cases: [string, RegExp][] = [
    ['--msg-timeout=abc', /msg-timeout/],
    ['--mem-queue-size=-5', /mem-queue-size/],
    ['--node-id=5000', /node-id/],
    ['--bogus', /bogus/],
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
    assertOneLine(r, new RegExp(`${port}|EADDRINUSE|in use`))
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

describe('help and version', () => {
  test('nsqkit --help lists serve', async () => {
    const r = await run([RUN_JS, '--help'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^\s+serve\s+\S/m)
  })

  test('nsqkit serve --help shows the flags and examples', async () => {
    const r = await run([RUN_JS, 'serve', '--help'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /EXAMPLES/)
    assert.match(r.stdout, /\$ nsqkit serve/)
    assert.match(r.stdout, /--tcp-address/)
    assert.match(r.stdout, /--msg-timeout/)
  })

  test('nsqkit serve --version prints "nsqd v1.3.0" and exits 0', async () => {
    const r = await run([RUN_JS, 'serve', '--version'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^.*nsqd v1\.3\.0.*$/m)
    assert.doesNotMatch(r.stderr, /listening on/)
  })

  test('bin/nsqd -version (Go syntax) prints "nsqd v1.3.0"', async () => {
    const r = await run([join(BIN, 'nsqd'), '-version'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /nsqd v1\.3\.0/)
  })
})

describe('the shims of the tools not built yet', () => {
  for (const shim of ['nsqlookupd', 'nsq_to_file', 'nsq_to_http', 'nsq_to_nsq', 'nsq_stat']) {
    test(`bin/${shim} prints "not built yet" and exits 2`, async () => {
      const r = await run([join(BIN, shim), '--help'])
      assert.equal(r.code, 2, `exit code; stderr:\n${r.stderr}`)
      assert.match(r.stderr, new RegExp(`^${shim}: .*not built yet`))
      assert.equal(r.stderr.trim().split('\n').length, 1)
    })
  }
})
