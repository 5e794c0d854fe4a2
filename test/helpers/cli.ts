/**
 * Running the built CLI's tools (`nsqkit tail`, `nsqkit pub` and their Go-named shims) as
 * child processes, as a user's shell does: stdin fed from the test, stdout and stderr
 * captured, every child bounded in time and killed by `killChildren()` in an after hook.
 * Plus the HTTP side of a `serve` child the tool tests need (publish, create a channel).
 */
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {join} from 'node:path'
import {HOST} from './net.js'
import {REPO_ROOT, RUN_JS} from './serve.js'
import {withTimeout} from './wait.js'

export const BIN = join(REPO_ROOT, 'bin')
/** argv prefix of `nsqkit <args>` */
export const NSQKIT = [RUN_JS]
/** argv prefix of a Go-named shim, e.g. shim('nsq_tail') */
export const shim = (name: string): string[] => [join(BIN, name)]

const children = new Set<ChildProcess>()

/** SIGKILL every child still running (for after hooks). */
export function killChildren(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
  children.clear()
}

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stdoutBytes: Buffer
  stderr: string
  /** wall time from spawn to exit */
  ms: number
}

export interface RunOptions {
  /** written to stdin, then stdin is closed; without it stdin is closed at once */
  input?: string | Buffer
  /** stdin is this file descriptor (or nothing: 'ignore') instead of a pipe */
  stdin?: number | 'ignore'
  /**
   * Run through `/bin/sh -c <sh> node <argv...>` ("$0" is node, "$@" the argv), for what only a
   * shell gives: argv bytes that are not UTF-8 (`"$(printf '\\377')"`), a closed fd (`<&-`).
   */
  sh?: string
  /** SIGKILL after this long (the result then has signal SIGKILL) */
  timeoutMs?: number
  /** added to the child's environment */
  env?: Record<string, string>
}

/** A running tool. */
export interface CliChild {
  proc: ChildProcess
  /** stdout so far */
  stdout(): string
  stderr(): string
  /** resolves at exit */
  done: Promise<CliResult>
}

/** Start `node <argv...>` with piped stdio; registered for killChildren(). */
export function spawnCli(argv: string[], opts: RunOptions & {keepStdin?: boolean} = {}): CliChild {
  const t0 = Date.now()
  const [cmd, args] = opts.sh === undefined ? [process.execPath, argv] : ['/bin/sh', ['-c', opts.sh, process.execPath, ...argv]]
  const proc = spawn(cmd, args, {cwd: REPO_ROOT, stdio: [opts.stdin ?? 'pipe', 'pipe', 'pipe'], env: {...process.env, NO_COLOR: '1', ...opts.env}})
  children.add(proc)
  const out: Buffer[] = []
  let err = ''
  proc.stdout?.on('data', (d: Buffer) => out.push(d))
  proc.stderr?.setEncoding('utf8')
  proc.stderr?.on('data', (d: string) => {
    err += d
  })
  // a child that exits before reading all its input must not fail the test with EPIPE
  proc.stdin?.on('error', () => undefined)
  if (opts.input !== undefined) proc.stdin?.end(opts.input)
  else if (!opts.keepStdin) proc.stdin?.end()
  const timer = opts.timeoutMs === undefined ? null : setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs)
  const done = new Promise<CliResult>((resolve) => {
    proc.once('close', (code, signal) => {
      if (timer) clearTimeout(timer)
      children.delete(proc)
      const bytes = Buffer.concat(out)
      resolve({code, signal, stdout: bytes.toString('utf8'), stdoutBytes: bytes, stderr: err, ms: Date.now() - t0})
    })
  })
  return {proc, stdout: () => Buffer.concat(out).toString('utf8'), stderr: () => err, done}
}

/** Run to completion (SIGKILLed after `timeoutMs`, 15 s by default). */
export function runCli(argv: string[], opts: RunOptions = {}): Promise<CliResult> {
  return spawnCli(argv, {timeoutMs: 15_000, ...opts}).done
}

/** Exited by itself (not killed) with `code`; the message shows stderr. */
export function assertExit(r: CliResult, code: number, what = ''): void {
  assert.equal(r.signal, null, `${what} did not exit by itself (killed by ${r.signal}); stderr:\n${r.stderr}`)
  assert.equal(r.code, code, `${what} exit code; stderr:\n${r.stderr}`)
}

/** stderr is exactly one non-empty line matching `mentions`, with no stack trace. */
export function assertOneLine(r: CliResult, mentions: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '')
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`)
  assert.match(lines[0] as string, mentions)
  assertNoStack(r.stderr)
}

export function assertNoStack(stderr: string): void {
  assert.doesNotMatch(stderr, /^\s+at /m, `no stack trace:\n${stderr}`)
  // an exception's "TypeError: ..." or Node's dump (the logger's "ERROR:" level is fine)
  assert.doesNotMatch(stderr, /\b[A-Z]\w*Error:|Unhandled|uncaught|node:internal/, `no error dump:\n${stderr}`)
}

/** Resolves when `child`'s stdout has at least `n` complete lines; rejects after `ms` or at exit. */
export function waitLines(child: CliChild, n: number, ms: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const lines = (): string[] => {
      const s = child.stdout()
      return s.slice(0, s.lastIndexOf('\n') + 1).split('\n').slice(0, -1)
    }
    const check = (): void => {
      const l = lines()
      if (l.length >= n) {
        finish()
        resolve(l)
      }
    }
    const onExit = (): void => {
      finish()
      reject(new Error(`exited (${String(child.proc.exitCode ?? child.proc.signalCode)}) with ${lines().length} of ${n} lines; stderr:\n${child.stderr()}`))
    }
    const t = setTimeout(() => {
      finish()
      reject(new Error(`${lines().length} of ${n} lines within ${ms}ms; stderr:\n${child.stderr()}`))
    }, ms)
    const finish = (): void => {
      clearTimeout(t)
      child.proc.stdout?.off('data', check)
      child.proc.off('close', onExit)
    }
    child.proc.stdout?.on('data', check)
    child.proc.once('close', onExit)
    check()
  })
}

/** Resolves with the result if the child exits within `ms`, else rejects (the child keeps running). */
export function exitWithin(child: CliChild, ms: number, what: string): Promise<CliResult> {
  return withTimeout(child.done, ms, () => `${what} (still running; stderr:\n${child.stderr()})`)
}

/** Signal a running tool and expect exit 0 within `ms`, with no stack trace on stderr. */
export async function stopTool(child: CliChild, what: string, signal: NodeJS.Signals = 'SIGTERM', ms = 15_000): Promise<CliResult> {
  child.proc.kill(signal)
  const r = await exitWithin(child, ms, `${what} after ${signal}`)
  assertExit(r, 0, `${what} after ${signal}`)
  assertNoStack(r.stderr)
  return r
}

// ---- the broker's HTTP API -------------------------------------------------------------------------

async function post(httpPort: number, path: string, body?: string | Buffer): Promise<string> {
  const res = await fetch(`http://${HOST}:${httpPort}${path}`, {method: 'POST', body, signal: AbortSignal.timeout(5000)})
  const text = await res.text()
  assert.equal(res.status, 200, `POST ${path}: ${res.status} ${text}`)
  return text
}

/** POST /topic/create then /channel/create, so what is published next reaches that channel. */
export async function createChannel(httpPort: number, topic: string, channel: string): Promise<void> {
  await post(httpPort, `/topic/create?topic=${encodeURIComponent(topic)}`)
  await post(httpPort, `/channel/create?topic=${encodeURIComponent(topic)}&channel=${encodeURIComponent(channel)}`)
}

/** POST /mpub with newline-separated bodies. */
export async function mpub(httpPort: number, topic: string, bodies: string[]): Promise<void> {
  assert.equal(await post(httpPort, `/mpub?topic=${encodeURIComponent(topic)}`, bodies.join('\n')), 'OK')
}

/** POST /mpub?binary=true: [count][size][body]... so bodies may hold any bytes. */
export async function mpubBinary(httpPort: number, topic: string, bodies: Buffer[]): Promise<void> {
  const parts: Buffer[] = [Buffer.alloc(4)]
  ;(parts[0] as Buffer).writeUInt32BE(bodies.length)
  for (const b of bodies) {
    const size = Buffer.alloc(4)
    size.writeUInt32BE(b.length)
    parts.push(size, b)
  }
  assert.equal(await post(httpPort, `/mpub?topic=${encodeURIComponent(topic)}&binary=true`, Buffer.concat(parts)), 'OK')
}
