/**
 * Shared pieces of the client tests (test/integration/client-*.test.ts and the tools' tests):
 * a cleanup list for finally blocks, the /stats?format=json types, the rejection of a promise,
 * and a Consumer that records what it gets.
 */
import assert from 'node:assert/strict'
import {Consumer, type ConsumerMessage, type ConsumerOptions} from '../../src/core/client/consumer.js'
import type {ClientConfig} from '../../src/core/client/options.js'
import type {ChannelStats, ClientStats, TopicStats} from '../../src/core/protocol/stats-json.js'
import type {ServeChild} from './serve.js'
import {waitFor, withTimeout} from './wait.js'

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
  brokers: ServeChild[],
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
    waitCount: (n, timeoutMs = 5000) =>
      waitFor(() => `${n} message(s) on ${topic}/${channel} (have ${received.length})`, () => (received.length >= n ? received : undefined), {timeoutMs}),
  }
}

/**
 * Consume `n` messages of `topic` (channel `c`) from the nsqd at `addr` with nsqkit's Consumer
 * and `config`; resolves with the bodies (copied) in order of arrival. The consumer is stopped
 * by `cleanup`.
 */
export async function consumeBodies(cleanup: Cleanup, addr: string, topic: string, n: number, config: ClientConfig, what: string, timeoutMs = 15_000): Promise<Buffer[]> {
  const got: Buffer[] = []
  let done!: () => void
  const all = new Promise<void>((r) => (done = r))
  const c = new Consumer(topic, 'c', (m: ConsumerMessage) => {
    got.push(Buffer.from(m.body))
    if (got.length === n) done()
  }, {config})
  cleanup.add('consumer', () => c.stop(3000))
  await withTimeout(c.connectToNsqd(addr), 5000, `${what}: consumer connect`)
  await withTimeout(all, timeoutMs, () => `${got.length} of ${n} messages (${what})`)
  return got
}
