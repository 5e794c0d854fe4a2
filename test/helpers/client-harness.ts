/**
 * Shared pieces of the client integration tests (test/integration/client-*.test.ts): bounded
 * waits, a `nsqkit serve` child with typed /stats reads, a cleanup list for finally blocks,
 * and a port nothing listens on.
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync, rmSync} from 'node:fs'
import {createServer} from 'node:net'
import {Consumer, type ConsumerMessage, type ConsumerOptions} from '../../src/core/client/consumer.js'
import type {ChannelStats, ClientStats, TopicStats} from '../../src/core/protocol/stats-json.js'
import {startServe, type ServeChild, type StartServeOptions} from './serve.js'

export const HOST = '127.0.0.1'

// ---- time -------------------------------------------------------------------------------------

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        t = setTimeout(() => reject(new Error(`${what}: no result within ${ms}ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(t)
  }
}

/** Poll `fn` every `everyMs` until it returns something truthy; throws after `timeoutMs`. */
export async function waitFor<T>(what: string, timeoutMs: number, fn: () => T | Promise<T>, everyMs = 20): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  let last: T | undefined
  for (;;) {
    last = await fn()
    if (last) return last as NonNullable<T>
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what} (last: ${JSON.stringify(last)})`)
    await sleep(everyMs)
  }
}

/** A promise with its resolve function, for handlers that wait on the test. */
export function deferred<T = void>(): {promise: Promise<T>; resolve: (v: T) => void} {
  let resolve!: (v: T) => void
  const promise = new Promise<T>((r) => {
    resolve = r
  })
  return {promise, resolve}
}

// ---- cleanup ----------------------------------------------------------------------------------

/** Closers run in reverse order, each bounded, errors collected but not thrown over a test failure. */
export class Cleanup {
  private readonly fns: {what: string; fn: () => unknown}[] = []

  add(what: string, fn: () => unknown): void {
    this.fns.push({what, fn})
  }

  async run(): Promise<void> {
    const fns = this.fns.splice(0).reverse()
    for (const {what, fn} of fns) {
      try {
        await withTimeout(Promise.resolve().then(fn), 10_000, `cleanup: ${what}`)
      } catch (err) {
        console.error(`cleanup of ${what} failed: ${(err as Error).message}`)
      }
    }
  }
}

// ---- /stats?format=json: the shapes of protocol/stats-json.ts --------------------------------

export type ClientJson = ClientStats
export type ChannelJson = ChannelStats
export type TopicJson = TopicStats

/** A `nsqkit serve` child with its /stats. */
export class Broker {
  private constructor(readonly child: ServeChild) {}

  static async start(extraArgs: string[] = [], opts: StartServeOptions = {}): Promise<Broker> {
    return new Broker(await startServe(extraArgs, opts))
  }

  get tcpPort(): number {
    return this.child.tcpPort
  }

  get httpPort(): number {
    return this.child.httpPort
  }

  get tcpAddress(): string {
    return `${HOST}:${this.child.tcpPort}`
  }

  get alive(): boolean {
    return this.child.proc.exitCode === null && this.child.proc.signalCode === null
  }

  async topics(): Promise<TopicJson[]> {
    const res = await fetch(`http://${HOST}:${this.child.httpPort}/stats?format=json`, {signal: AbortSignal.timeout(3000)})
    assert.equal(res.status, 200)
    const doc = (await res.json()) as {topics: TopicJson[] | null}
    return doc.topics ?? []
  }

  async topic(topic: string): Promise<TopicJson | undefined> {
    return (await this.topics()).find((t) => t.topic_name === topic)
  }

  async channel(topic: string, channel: string): Promise<ChannelJson | undefined> {
    return (await this.topic(topic))?.channels.find((c) => c.channel_name === channel)
  }

  /** The subscribed clients of topic/channel ([] when there is none). */
  async clients(topic: string, channel: string): Promise<ClientJson[]> {
    return (await this.channel(topic, channel))?.clients ?? []
  }

  /** Wait until `n` clients are subscribed to topic/channel, each with RDY > 0 (or exactly `rdy`). */
  async waitSubscribed(topic: string, channel: string, n = 1, rdy?: number): Promise<ClientJson[]> {
    return waitFor(`${n} subscribed client(s) with RDY ${rdy ?? '> 0'} on ${topic}/${channel} at ${this.tcpAddress}`, 5000, async () => {
      const cs = await this.clients(topic, channel)
      const ok = cs.length === n && cs.every((c) => (rdy === undefined ? c.ready_count > 0 : c.ready_count === rdy))
      return ok ? cs : undefined
    })
  }

  /** SIGSTOP, and wait until the process is really stopped (state T in /proc on Linux). */
  async freeze(): Promise<void> {
    const pid = this.child.proc.pid
    this.child.proc.kill('SIGSTOP')
    if (pid === undefined || !existsSync(`/proc/${pid}/stat`)) {
      await sleep(200)
      return
    }
    await waitFor(`serve ${this.tcpAddress} stopped`, 3000, () => {
      const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
      return /^\d+ \(.*\) T /.test(stat)
    }, 5)
  }

  /** SIGTERM (or `signal`), wait for the exit, remove the data directory. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.alive) this.child.proc.kill('SIGCONT') // in case a test froze it with SIGSTOP
    await withTimeout(this.child.stop(signal), 10_000, `serve ${this.tcpAddress} exit`).catch(async () => {
      await this.child.stop('SIGKILL')
    })
    rmSync(this.child.dataPath, {recursive: true, force: true})
  }
}

// ---- ports ------------------------------------------------------------------------------------

/** A TCP port of 127.0.0.1 that nothing listens on (bound once, then released). */
export async function unusedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject)
    srv.listen(0, HOST, () => resolve())
  })
  const addr = srv.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}

/** The rejection of `p` (fails if it resolves), bounded. */
export async function rejectionOf(p: Promise<unknown>, ms: number, what: string): Promise<Error & {code?: string; nsqCode?: string}> {
  const outcome = await withTimeout(
    p.then(
      () => ({ok: true as const}),
      (err: unknown) => ({ok: false as const, err}),
    ),
    ms,
    what,
  )
  if (outcome.ok) assert.fail(`${what}: resolved, expected a rejection`)
  assert.ok(outcome.err instanceof Error, `${what}: rejected with a non-Error ${String(outcome.err)}`)
  return outcome.err as Error & {code?: string; nsqCode?: string}
}

// ---- a Consumer that records what it gets --------------------------------------------------------

export interface Received {
  id: string
  body: Buffer
  attempts: number
  /** Date.now() when the handler got it */
  at: number
  nsqd: string
}

export interface Recording {
  consumer: Consumer
  received: Received[]
  /** wait until at least `n` messages arrived */
  waitCount(n: number, timeoutMs?: number): Promise<Received[]>
}

/**
 * A Consumer on topic/channel that records every message and answers as `handler` does
 * (FIN when it returns); connected to `brokers` and waited for until each shows it subscribed.
 * Registered in `cleanup` (stop with a 3 s bound).
 */
export async function recordingConsumer(
  cleanup: Cleanup,
  brokers: Broker[],
  topic: string,
  channel: string,
  options: ConsumerOptions = {},
  handler: (m: ConsumerMessage, r: Received) => unknown = () => undefined,
): Promise<Recording> {
  const received: Received[] = []
  const consumer = new Consumer(
    topic,
    channel,
    (m) => {
      const r: Received = {id: m.id, body: Buffer.from(m.body), attempts: m.attempts, at: Date.now(), nsqd: m.nsqdAddress}
      received.push(r)
      return handler(m, r)
    },
    options,
  )
  cleanup.add(`consumer ${topic}/${channel}`, () => consumer.stop(3000))
  await withTimeout(
    consumer.connectToNsqd(...brokers.map((b) => b.tcpAddress)),
    5000,
    `consumer ${topic}/${channel} connect`,
  )
  for (const b of brokers) await b.waitSubscribed(topic, channel)
  return {
    consumer,
    received,
    waitCount: (n, timeoutMs = 5000) => waitFor(`${n} message(s) on ${topic}/${channel} (have ${received.length})`, timeoutMs, () => (received.length >= n ? received : undefined)),
  }
}
