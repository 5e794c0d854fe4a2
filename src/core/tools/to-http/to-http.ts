/**
 * The engine of `nsqkit to-http` (nsq_to_http, NSQ-SPEC §1.3): one topic on one channel, each
 * message sent over HTTP (http-sender.ts) and FINed only once it was delivered.
 *
 *   Consumer (-n handlers at once) ─▶ sample ─▶ mode ─▶ HttpSender ─▶ FIN | REQ | give up
 *
 * Modes: `round-robin`, `hostpool` (the default), `epsilon-greedy` pick one endpoint per message
 * (host-pool/, go-hostpool's rules, told of every answer); `multicast` sends to every endpoint
 * at once and FINs when all of them took it — beyond Go, which sends in turn, stops at the first
 * failure and on redelivery sends again to those that had it: the endpoints that took it are
 * remembered (multicast-ledger.ts), so a redelivery goes only to the ones still owed.
 *
 * A failed delivery is REQueued as go-nsq does for a handler error: delay default_requeue_delay
 * × attempts (capped at max_requeue_delay) and backoff. After max_attempts deliveries the
 * message is given up on: at the failure of its last attempt (Go waits for one more delivery,
 * after the longest delay, only to FIN it unseen), or at once when it arrives with more
 * attempts than that. Given up means FINed and logged — or, with --dead-letter-topic, first
 * published there (dead-letter.ts); if that publish fails the message is requeued instead.
 *
 * Status (timer-metrics.ts, Go's lines): every --status-every deliveries, `[aggregate]:` and,
 * with more than one endpoint, one line per endpoint, of the request times (p99, p95, avg).
 *
 * The end (the signal): no more deliveries (RDY 0); a message not yet started is requeued at
 * once (REQ 0, no backoff); the requests under way finish (each is bounded by the request
 * timeout) and are answered by their outcome; then CLS and close.
 */
import {Consumer, type ConsumerMessage} from '../../client/consumer.js'
import type {ClientConfig} from '../../client/options.js'
import {createHostPool, type HostPool, type PoolMode} from '../host-pool/index.js'
import {connectConsumer, runUntilAborted, type FanOutContext} from '../consumer-run.js'
import {TimerMetrics} from '../timer-metrics.js'
import {DeadLetters, type DeadLetterFailure} from './dead-letter.js'
import {HttpSender, HttpSendError} from './http-sender.js'
import {MulticastLedger} from './multicast-ledger.js'
import type {SuccessStatus} from './success-status.js'

export type ToHttpMode = PoolMode | 'multicast'

export const TO_HTTP_MODES: readonly ToHttpMode[] = ['hostpool', 'round-robin', 'epsilon-greedy', 'multicast']

export interface ToHttpOptions {
  topic: string
  channel: string
  nsqdTcpAddresses: string[]
  lookupdHttpAddresses: string[]
  method: 'POST' | 'GET'
  /** POST URLs or GET templates (one `%s` each) */
  endpoints: string[]
  contentType: string
  headers: (readonly [string, string])[]
  mode: ToHttpMode
  /** -n: messages being sent at once */
  concurrency: number
  /** the fraction of messages sent (0-1); the others are FINed unsent */
  sample: number
  /** status lines every N deliveries; 0 = none */
  statusEvery: number
  success: SuccessStatus
  /** the consumer config (max_in_flight, max_attempts, user_agent, --consumer-opt applied) */
  config: ClientConfig
  connectTimeoutMs: number
  requestTimeoutMs: number
  /** '' = none */
  deadLetterTopic: string
  /** the HTTP User-Agent */
  userAgent: string
}

export type ToHttpContext = FanOutContext

export interface ToHttpStats {
  /** messages delivered (every endpoint, in multicast) and FINed */
  delivered: number
  /** FINed unsent by --sample */
  skipped: number
  /** requests that failed */
  failedRequests: number
  /** deliveries that failed and were requeued */
  requeued: number
  /** given up on after max_attempts (FINed; dead-lettered first when asked) */
  givenUp: number
  deadLettered: number
}

export interface ToHttpRun {
  /** resolves at the end with the counts; rejects if the consumer cannot start */
  readonly done: Promise<ToHttpStats>
  stats(): ToHttpStats
  /** the aggregate request times of the current status window */
  timings(): {count: number; p95: number; p99: number; avg: number}
}

export function startToHttp(opts: ToHttpOptions, ctx: ToHttpContext): ToHttpRun {
  return new ToHttpEngine(opts, ctx)
}

class ToHttpEngine implements ToHttpRun {
  readonly done: Promise<ToHttpStats>
  private readonly stats_: ToHttpStats = {delivered: 0, skipped: 0, failedRequests: 0, requeued: 0, givenUp: 0, deadLettered: 0}
  private readonly random: () => number
  private readonly now: () => number
  private readonly sender: HttpSender
  private readonly pool: HostPool | null
  private readonly ledger: MulticastLedger | null
  private readonly aggregate: TimerMetrics
  private readonly perEndpoint: TimerMetrics[]
  private readonly deadLetters: DeadLetters | null
  /** the last failure of a message still being retried (for its dead letter) */
  private readonly lastFailure = new Map<string, DeadLetterFailure>()
  private readonly maxAttempts: number
  private consumer: Consumer | null = null
  private stopping = false
  private active = 0
  private idle: (() => void) | null = null

  constructor(
    private readonly opts: ToHttpOptions,
    private readonly ctx: ToHttpContext,
  ) {
    this.random = ctx.random ?? Math.random
    this.now = ctx.now ?? (() => performance.now())
    this.maxAttempts = opts.config.max_attempts
    this.sender = new HttpSender({
      method: opts.method,
      contentType: opts.contentType,
      headers: opts.headers,
      userAgent: opts.userAgent,
      success: opts.success,
      connectTimeoutMs: opts.connectTimeoutMs,
      requestTimeoutMs: opts.requestTimeoutMs,
      connections: Math.max(1, opts.concurrency),
    })
    this.pool = opts.mode === 'multicast' ? null : createHostPool(opts.mode, opts.endpoints, {random: this.random, now: () => this.now()})
    this.ledger = opts.mode === 'multicast' ? new MulticastLedger(opts.endpoints.length) : null
    const info = (l: string): void => ctx.log.info(l)
    const warn = (l: string): void => ctx.log.warn(l)
    this.aggregate = new TimerMetrics(opts.statusEvery, '[aggregate]:', info, warn)
    this.perEndpoint = opts.endpoints.map((e) => new TimerMetrics(opts.endpoints.length > 1 ? opts.statusEvery : 0, `[${e}]:`, info))
    this.deadLetters = opts.deadLetterTopic === '' ? null : new DeadLetters(opts.deadLetterTopic, opts.topic, opts.config, ctx.log)
    this.done = this.run()
  }

  stats(): ToHttpStats {
    return {...this.stats_}
  }

  timings(): {count: number; p95: number; p99: number; avg: number} {
    return this.aggregate.snapshot()
  }

  private async run(): Promise<ToHttpStats> {
    const {opts, ctx} = this
    // the consumer gives up on nothing itself: giving up (and the dead letter) is decided here
    const consumer = new Consumer(opts.topic, opts.channel, (msg) => this.handle(msg), {config: {...opts.config, max_attempts: 0}, concurrency: Math.max(1, opts.concurrency), disableAutoResponse: true}, {logger: ctx.log})
    this.consumer = consumer
    await runUntilAborted(ctx.signal, () => connectConsumer(consumer, opts.nsqdTcpAddresses, opts.lookupdHttpAddresses), () => this.shutdown())
    return this.stats()
  }

  private async shutdown(): Promise<void> {
    this.stopping = true
    const consumer = this.consumer
    consumer?.changeMaxInFlight(0)
    if (this.active > 0) await new Promise<void>((resolve) => (this.idle = resolve))
    await consumer?.stop()
    await this.deadLetters?.close()
    await this.sender.close()
  }

  // ---- one message ---------------------------------------------------------------------------

  /**
   * One message. A promise per message (the consumer holds a -n slot until it settles) and
   * callbacks below it: the answer → the mode's bookkeeping → FIN in one call chain.
   */
  private handle(msg: ConsumerMessage): Promise<void> | undefined {
    if (this.stopping) {
      msg.requeue(0, false)
      return undefined
    }
    if (this.maxAttempts > 0 && msg.attempts > this.maxAttempts) return this.track(this.giveUp(msg, this.lastFailure.get(msg.id) ?? null))
    if (this.opts.sample < 1 && this.random() > this.opts.sample) {
      this.stats_.skipped++
      msg.finish()
      return undefined
    }
    return this.track(
      new Promise<void>((resolve, reject) => {
        const t0 = this.now()
        this.deliver(msg, (err) => {
          if (err === null) {
            this.aggregate.record(this.now() - t0)
            if (this.lastFailure.size > 0) this.lastFailure.delete(msg.id)
            this.ledger?.forget(msg.id)
            this.stats_.delivered++
            msg.finish()
            resolve()
            return
          }
          const failure: DeadLetterFailure = {error: err.message, endpoint: err instanceof HttpSendError ? err.url : null}
          this.ctx.log.error(`[${this.opts.topic}/${this.opts.channel}] msg ${msg.id} attempt ${msg.attempts}: ${failure.error}`)
          if (this.maxAttempts > 0 && msg.attempts >= this.maxAttempts) {
            // a failure to give up reaches the consumer as the handler's (logged there)
            this.giveUp(msg, failure).then(resolve, reject)
            return
          }
          this.remember(msg.id, failure)
          this.stats_.requeued++
          msg.requeue(-1, true)
          resolve()
        })
      }),
    )
  }

  /** Counted as under way until `p` settles (the shutdown waits for them). */
  private track(p: Promise<void>): Promise<void> {
    this.active++
    return p.finally(() => {
      if (--this.active === 0 && this.idle) {
        this.idle()
        this.idle = null
      }
    })
  }

  /** To the endpoint the mode picks, or (multicast) to every endpoint still owed; `done` once. */
  private deliver(msg: ConsumerMessage, done: (err: Error | null) => void): void {
    if (this.pool !== null) {
      const pick = this.pool.pick()
      this.sendTo(pick.index, msg.body, (err) => {
        pick.mark(err)
        done(err)
      })
      return
    }
    const ledger = this.ledger as MulticastLedger
    const owed = ledger.owed(msg.id)
    let left = owed.length
    let firstErr: Error | null = null
    if (left === 0) {
      done(null)
      return
    }
    for (const i of owed) {
      this.sendTo(i, msg.body, (err) => {
        if (err === null) ledger.delivered(msg.id, i)
        else firstErr ??= err
        if (--left === 0) done(firstErr)
      })
    }
  }

  private sendTo(index: number, body: Buffer, done: (err: Error | null) => void): void {
    const t0 = this.now()
    this.sender.dispatch(this.opts.endpoints[index] as string, body, (err) => {
      if (err !== null) this.stats_.failedRequests++
      else this.perEndpoint[index]?.record(this.now() - t0)
      done(err)
    })
  }

  /** the last failure of a message that is retried (bounded: the oldest forgotten first) */
  private remember(id: string, failure: DeadLetterFailure): void {
    this.lastFailure.delete(id)
    if (this.lastFailure.size >= 100_000) this.lastFailure.delete(this.lastFailure.keys().next().value as string)
    this.lastFailure.set(id, failure)
  }

  private async giveUp(msg: ConsumerMessage, failure: DeadLetterFailure | null): Promise<void> {
    const {topic, channel} = this.opts
    this.lastFailure.delete(msg.id)
    if (this.deadLetters !== null) {
      try {
        await this.deadLetters.publish(msg, failure)
      } catch (err) {
        // not FINed: it comes back, and is dead-lettered then
        this.ctx.log.error(`[${topic}/${channel}] msg ${msg.id}: cannot publish to the dead-letter topic ${this.opts.deadLetterTopic} - ${(err as Error).message}; requeued`)
        this.remember(msg.id, failure ?? {error: '', endpoint: null})
        msg.requeue(-1, true)
        return
      }
      this.stats_.deadLettered++
      this.ctx.log.warn(`[${topic}/${channel}] msg ${msg.id} attempted ${msg.attempts} times, giving up: published to ${this.opts.deadLetterTopic}`)
    } else {
      this.ctx.log.warn(`[${topic}/${channel}] msg ${msg.id} attempted ${msg.attempts} times, giving up`)
    }
    this.ledger?.forget(msg.id)
    this.stats_.givenUp++
    msg.finish()
  }
}
