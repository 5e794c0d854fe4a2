/**
 * The broker as a child process: the built CLI's `nsqkit serve` (or bin/nsqd) on ports chosen at
 * run time and its own data directory, with typed reads of its /stats. `startServe()` for one a
 * test starts itself, `useServe()` for one the tests of a file (or describe block) share, started
 * in a before hook and stopped in an after hook. Also used by the bench.
 */
import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {after, before} from 'node:test'
import {fileURLToPath} from 'node:url'
import type {ChannelJson, ClientJson, TopicJson} from './client-harness.js'
import {HOST} from './net.js'
import {sleep, waitFor, withTimeout} from './wait.js'

export const REPO_ROOT = (() => {
  // compiled to dist/test/helpers/serve.js: the repo root is the parent of dist/
  let d = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (d.endsWith('/dist')) return dirname(d)
    d = dirname(d)
  }
  throw new Error('cannot find the repository root')
})()

export const RUN_JS = join(REPO_ROOT, 'bin', 'run.js')

export interface StartServeOptions {
  /**
   * run bin/nsqd with Go single-dash flags (`-tcp-address=…`) instead of `nsqkit serve
   * --tcp-address=…`; a path runs that nsqd shim instead (an installed package's)
   */
  shim?: boolean | string
  /** how long it may take to log both listening lines (15 s by default) */
  timeoutMs?: number
  /** listen for TCP on this port of 127.0.0.1 (to restart a broker where it was); 0 by default */
  tcpPort?: number
  /** run `nsqkit lookupd` (or, with `shim`, bin/nsqlookupd) instead: no data path */
  lookupd?: boolean
  /**
   * use this --data-path (to restart a broker on what an earlier one left) instead of a fresh
   * directory; the caller owns it: `stop()` leaves it in place
   */
  dataPath?: string
}

interface Running {
  proc: ChildProcess
  tcpPort: number
  httpPort: number
  httpsPort: number
  dataPath: string
  ownData: boolean
  exited: Promise<number | null>
}

/** The parts of /stats?format=json a serve child's tests read (nsqd's field names). */
export interface ServeStats {
  topics: TopicJson[] | null
  producers: ClientJson[] | null
}

/** A `nsqkit serve` child: created by `startServe()` or `useServe()`, usable once started. */
export class ServeChild {
  private running: Running | null = null
  private starting: Promise<this> | null = null
  private err = ''

  constructor(
    private readonly args: string[] = [],
    private readonly opts: StartServeOptions = {},
  ) {}

  /**
   * Spawn, and resolve once both listening lines are logged (with the ports they name). Called
   * again, the same start: a hook that needs the ports can await it whatever order hooks run in.
   */
  start(): Promise<this> {
    this.starting ??= this.spawn()
    return this.starting
  }

  private async spawn(): Promise<this> {
    const lookupd = this.opts.lookupd === true
    const ownData = this.opts.dataPath === undefined
    const dataPath = this.opts.dataPath ?? mkdtempSync(join(tmpdir(), lookupd ? 'nsqkit-lookupd-' : 'nsqkit-serve-'))
    const shim = typeof this.opts.shim === 'string' ? this.opts.shim : join(REPO_ROOT, 'bin', lookupd ? 'nsqlookupd' : 'nsqd')
    const [argv, dash] = this.opts.shim ? [[shim], '-'] : [[RUN_JS, lookupd ? 'lookupd' : 'serve'], '--']
    const flags = [`${dash}tcp-address=${HOST}:${this.opts.tcpPort ?? 0}`, `${dash}http-address=${HOST}:0`, ...(lookupd ? [] : [`${dash}data-path=${dataPath}`])]
    const proc = spawn(process.execPath, [...argv, ...flags, ...this.args], {stdio: ['ignore', 'pipe', 'pipe']})
    proc.stderr?.setEncoding('utf8')
    proc.stderr?.on('data', (d: string) => {
      this.err += d
    })
    proc.stdout?.resume()
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
    const ports = await new Promise<{tcp: number; http: number; https: number}>((resolve, reject) => {
      const t = setTimeout(() => {
        proc.kill('SIGKILL')
        reject(new Error(`serve did not start in time:\n${this.err}`))
      }, this.opts.timeoutMs ?? 15_000)
      const check = (): void => {
        // the daemon's own lines (serve --lookupd logs its lookupd's too, with their prefix)
        const prefix = lookupd ? '\\[nsqlookupd\\] ' : '\\[nsqd\\] '
        const tcp = new RegExp(`^${prefix}.*TCP: listening on [^\\s]+:(\\d+)`, 'm').exec(this.err)
        const http = new RegExp(`^${prefix}.*HTTP: listening on [^\\s]+:(\\d+)`, 'm').exec(this.err)
        if (tcp && http) {
          clearTimeout(t)
          proc.stderr?.off('data', check)
          // logged before the HTTP line when TLS is configured
          const https = new RegExp(`^${prefix}.*HTTPS: listening on [^\\s]+:(\\d+)`, 'm').exec(this.err)
          resolve({tcp: Number(tcp[1]), http: Number(http[1]), https: https ? Number(https[1]) : 0})
        }
      }
      proc.stderr?.on('data', check)
      proc.once('exit', (code) => {
        clearTimeout(t)
        reject(new Error(`serve exited with ${code}:\n${this.err}`))
      })
    }).catch((err: unknown) => {
      if (ownData) rmSync(dataPath, {recursive: true, force: true})
      throw err
    })
    this.running = {proc, tcpPort: ports.tcp, httpPort: ports.http, httpsPort: ports.https, dataPath, ownData, exited}
    return this
  }

  private get r(): Running {
    if (this.running === null) throw new Error('serve is not started (a test ran before its before hook?)')
    return this.running
  }

  get proc(): ChildProcess {
    return this.r.proc
  }

  get tcpPort(): number {
    return this.r.tcpPort
  }

  get httpPort(): number {
    return this.r.httpPort
  }

  /** the HTTPS API's port (only with --tls-cert and --tls-key; 0 otherwise) */
  get httpsPort(): number {
    return this.r.httpsPort
  }

  /** `127.0.0.1:<tcp port>`, as a --nsqd-tcp-address */
  get tcpAddress(): string {
    return `${HOST}:${this.r.tcpPort}`
  }

  get dataPath(): string {
    return this.r.dataPath
  }

  get alive(): boolean {
    return this.running !== null && this.running.proc.exitCode === null && this.running.proc.signalCode === null
  }

  /** everything written to stderr so far */
  stderr(): string {
    return this.err
  }

  // ---- /stats?format=json ---------------------------------------------------------------------

  async stats(): Promise<ServeStats> {
    const res = await fetch(`http://${HOST}:${this.httpPort}/stats?format=json`, {signal: AbortSignal.timeout(3000)})
    assert.equal(res.status, 200)
    return (await res.json()) as ServeStats
  }

  async topics(): Promise<TopicJson[]> {
    return (await this.stats()).topics ?? []
  }

  async topic(topic: string): Promise<TopicJson | undefined> {
    return (await this.topics()).find((t) => t.topic_name === topic)
  }

  async channel(topic: string, channel: string): Promise<ChannelJson | undefined> {
    return (await this.topic(topic))?.channels.find((c) => c.channel_name === channel)
  }

  /** topic/channel once `ok` holds (polled every 25 ms), else fails showing the last stats. */
  async channelWhen(topic: string, channel: string, ok: (c: ChannelJson) => boolean, what: string, timeoutMs = 5000): Promise<ChannelJson> {
    let last: ChannelJson | undefined
    return waitFor(
      () => `${topic}/${channel}: ${what} (last: ${JSON.stringify(last && {...last, clients: undefined, e2e_processing_latency: undefined})})`,
      async () => {
        last = await this.channel(topic, channel)
        return last && ok(last) ? last : undefined
      },
      {timeoutMs, everyMs: 25},
    )
  }

  /** topic/channel once `n` messages went through and every one was answered: nothing queued, in flight or deferred. */
  channelDrained(topic: string, channel: string, n: number, timeoutMs = 10_000): Promise<ChannelJson> {
    return this.channelWhen(topic, channel, (c) => c.message_count >= n && c.depth === 0 && c.in_flight_count === 0 && c.deferred_count === 0, `all ${n} answered`, timeoutMs)
  }

  /** The subscribed clients of topic/channel ([] when there is none). */
  async clients(topic: string, channel: string): Promise<ClientJson[]> {
    return (await this.channel(topic, channel))?.clients ?? []
  }

  /** Wait until `n` clients are subscribed to topic/channel, each with RDY > 0 (or exactly `rdy`). */
  async waitSubscribed(topic: string, channel: string, n = 1, rdy?: number): Promise<ClientJson[]> {
    return waitFor(
      `${n} subscribed client(s) with RDY ${rdy ?? '> 0'} on ${topic}/${channel} at ${this.tcpAddress}`,
      async () => {
        const cs = await this.clients(topic, channel)
        const ok = cs.length === n && cs.every((c) => (rdy === undefined ? c.ready_count > 0 : c.ready_count === rdy))
        return ok ? cs : undefined
      },
      {timeoutMs: 5000},
    )
  }

  // ---- the process ----------------------------------------------------------------------------

  /** SIGSTOP, and wait until the process is really stopped (state T in /proc on Linux). */
  async freeze(): Promise<void> {
    const pid = this.proc.pid
    this.proc.kill('SIGSTOP')
    if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) {
      await sleep(200)
      return
    }
    await waitFor(`serve ${this.tcpAddress} stopped`, () => /^\d+ \(.*\) T /.test(readFileSync(`/proc/${pid}/stat`, 'latin1')), {timeoutMs: 3000, everyMs: 5})
  }

  /**
   * Send `signal` (after a SIGCONT, unless SIGKILL, in case a test froze it), wait for the exit (SIGKILL after
   * 10 s), remove the data directory (unless the caller gave it); resolves with the exit code. A
   * no-op if it never started.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (this.running === null) return null
    const {proc, exited, dataPath, ownData} = this.running
    if (this.alive) {
      // SIGKILL ends a stopped process as it is; a SIGCONT first would let a frozen broker run
      // for a moment and answer what a test froze it to leave unanswered
      if (signal !== 'SIGKILL') proc.kill('SIGCONT')
      proc.kill(signal)
    }
    const code = await withTimeout(exited, 10_000, `serve ${this.tcpAddress} exit after ${signal}`).catch(() => {
      proc.kill('SIGKILL')
      return exited
    })
    if (ownData) rmSync(dataPath, {recursive: true, force: true})
    return code
  }
}

/** Start a `nsqkit lookupd` child on ports chosen at run time (the same helper: its lines are nsqd's). */
export function startLookupd(args: string[] = [], opts: StartServeOptions = {}): Promise<ServeChild> {
  return new ServeChild(args, {...opts, lookupd: true}).start()
}

/** Start a serve child with `args` after the port and data-path flags. */
export function startServe(args: string[] = [], opts: StartServeOptions = {}): Promise<ServeChild> {
  return new ServeChild(args, opts).start()
}

/** `n` serve children shared by the tests of this file (or describe block): started (at once) before them, stopped after. */
export function useServes(n: number, args: string[] = [], opts: StartServeOptions = {}): ServeChild[] {
  const serves = Array.from({length: n}, () => new ServeChild(args, opts))
  before(async () => {
    await Promise.all(serves.map((s) => s.start()))
  })
  after(async () => {
    await Promise.all(serves.map((s) => s.stop()))
  })
  return serves
}

/** A serve child shared by the tests of this file (or describe block): started before them, stopped after. */
export function useServe(args: string[] = [], opts: StartServeOptions = {}): ServeChild {
  return useServes(1, args, opts)[0]
}

/**
 * Wait until the tool `child` is subscribed to topic/channel at `broker` with RDY > 0 on every
 * connection; fails (and SIGKILLs the child) if it exits first or takes over 10 s.
 */
export async function waitToolSubscribed(broker: ServeChild, child: {proc: ChildProcess; stderr(): string}, what: string, topic: string, channel: string): Promise<void> {
  try {
    await waitFor(
      () => `${what} subscribed to ${topic}/${channel}; stderr:\n${child.stderr()}`,
      async () => {
        if (child.proc.exitCode !== null) assert.fail(`${what} exited with ${child.proc.exitCode}; stderr:\n${child.stderr()}`)
        const cs = await broker.clients(topic, channel)
        return cs.length > 0 && cs.every((c) => c.ready_count > 0)
      },
      {timeoutMs: 10_000},
    )
  } catch (err) {
    child.proc.kill('SIGKILL')
    throw err
  }
}
