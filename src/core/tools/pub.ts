/**
 * The engine of `nsqkit pub` (to_nsq, NSQ-SPEC §1.5). Records are bytes end to end: a stream
 * is split on a one-byte delimiter (empty records skipped, a last record without delimiter
 * kept), or the records are given (the command line's arguments), and each is published as
 * the exact bytes read. Every record goes to every nsqd (multicast, not load balancing).
 *
 *   input ─▶ split on the byte ─▶ pacer (rate) ─▶ batch ─▶ one Lane per nsqd ─▶ Producer (MPUB)
 *
 * Beyond to_nsq:
 *  - MPUB batches: a batch closes at `batchSize` records, 4 MiB, or `batchIdleMs` after its
 *    first record; a lane keeps up to MAX_OUTSTANDING batches unanswered, and reading waits
 *    while a lane has that many not yet acknowledged.
 *  - The result tells the truth: a record counts as published once every nsqd acknowledged it.
 *  - A record over a broker's max-msg-size is reported by its record number and not sent. The
 *    limit comes from IDENTIFY's `max_msg_size` when the broker sends one (nsqd 1.3.0 does not),
 *    else from the broker's own "message too big N > M" answer; "body too big" teaches the
 *    max-body-size the same way (a batch over it is split).
 *  - nsqd closes the connection after every such error, and when unread bytes are pending it
 *    resets it, so the error frame may be lost. A lost connection is reconnected and every
 *    batch it left unanswered is sent again, in order; a loss the broker did not explain makes
 *    those batches suspects, sent alone (window 1) until they are answered: a suspect lost again
 *    while alone is split in two, and a single record lost alone is reported as refused. Every
 *    record is counted once; the broker may get a batch twice when its OK was lost with the
 *    connection (NSQ is at-least-once). nsqd 1.3.0 reads a command as a stream and judges each
 *    size prefix as it comes: a PUB's, and an MPUB's record by record (readMPUB), so an MPUB is
 *    refused at its first record over max-msg-size, the rest of it unread, and nothing of it
 *    published, and its answer may be lost as a PUB's. Batches are always MPUB, except a lone
 *    record over the max-body-size, sent as PUB.
 *  - A broker that cannot be reached again, or an answer retrying cannot fix (E_BAD_TOPIC,
 *    E_PUB_FAILED, ...), stops the run: reading stops, and what was not acknowledged is counted
 *    as not published. The signal, or an input that fails, stops reading too, but what was
 *    read is still published; after the signal the brokers' answers are awaited for
 *    STOP_GRACE_MS at most (a broker may have stopped answering), and what they did not
 *    acknowledge by then is counted as not published (`abandoned`).
 *  - `rate` (records/s) is to_nsq's token bucket paced by elapsed time: the balance starts at
 *    1 with the first record (the wait for the first input is not a credit), grows by `rate`
 *    per second, is capped at `rate`; each wake-up releases every record the balance allows,
 *    so 1/s and 1,000,000/s are both kept.
 */
import type {Readable} from 'node:stream'
import {Producer} from '../client/producer.js'
import {NotConnectedError, ProtocolResponseError} from '../client/errors.js'
import type {ClientConfig} from '../client/options.js'
import {Accumulator} from '../protocol/index.js'
import type {Logger} from '../util/logger.js'
import {IoError} from './io-error.js'

export interface PubOptions {
  topic: string
  nsqdTcpAddresses: string[]
  /** the byte that ends a record (0-255) */
  delimiter: number
  /** records per second, 0 = no limit */
  rate: number
  batchSize: number
  batchIdleMs: number
  /** records given instead of a stream (the command line's arguments), as bytes */
  messages?: Buffer[]
  config: ClientConfig
}

export interface PubContext {
  signal: AbortSignal
  input: Readable
  /** what `input` is, for the error when it cannot be read ("stdin") */
  inputName?: string
  log: Logger
}

export interface PubStats {
  /** records read (non-empty) */
  records: number
  /** records acknowledged by every nsqd */
  published: number
  /** records that will not be published */
  failed: number
}

export interface PubResult extends PubStats {
  /** record numbers (1-based, counting empty records too) over a broker's max-msg-size */
  oversized: number[]
  /** record numbers on which a broker closed the connection, without an answer, each time */
  refused: number[]
  /** the whole input was read (false when the run stopped early) */
  complete: boolean
  /** records still unacknowledged when the run stopped waiting for answers, STOP_GRACE_MS after the signal */
  abandoned: number
  /** why publishing stopped early, if it did */
  error: Error | null
}

interface Record_ {
  /** 1-based position in the input, empty records counted */
  n: number
  body: Buffer
  /** brokers that acknowledged it */
  acks: number
  /** reported as not publishable (on some broker) */
  rejected: boolean
}

/** What a lane sends in one command. */
interface Chunk {
  recs: Record_[]
  /** lost with a connection that gave no reason: sent alone until answered */
  suspect: boolean
}

const MAX_OUTSTANDING = 4
/** a batch's bytes (nsqd's default max-body-size is 5 MiB) */
const MAX_BATCH_BYTES = 4 * 1024 * 1024
/**
 * unexplained connection losses in a row, with nothing acknowledged in between, before giving
 * up (halving a batch of 200 down to its one bad record takes 10)
 */
const MAX_LOSS_STREAK = 32
/** after the signal, how long the brokers' answers are still awaited (Producer.stop's budget) */
const STOP_GRACE_MS = 5000

/** MPUB body: [count] then [size][bytes] per record. */
const mpubSize = (recs: readonly Record_[]): number => recs.reduce((s, r) => s + 4 + r.body.length, 4)

/**
 * to_nsq's token bucket, paced by elapsed time (not one timer per record): the balance starts
 * at 1 with the first record, grows by `rate` per second, is capped at `rate`; a record takes 1.
 */
class Pacer {
  private tokens = 1
  /** when the balance was last brought up to date; null until the first record */
  private last: number | null = null

  constructor(private readonly rate: number) {}

  take(): boolean {
    const now = performance.now()
    if (this.last !== null) this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) * this.rate) / 1000)
    this.last = now
    if (this.tokens < 1) return false
    this.tokens -= 1
    return true
  }

  /** Sleep until the balance reaches 1 (a timer's 1 ms at least). */
  wait(): Promise<void> {
    const ms = Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.rate))
    return new Promise((resolve) => setTimeout(resolve, ms))
  }
}

/** One nsqd: its queue of chunks, what is in flight, and what it taught about its limits. */
class Lane {
  private maxMsgSize = Infinity
  private maxBodySize = Infinity
  private readonly queue: Chunk[] = []
  private readonly inflight = new Set<Chunk>()
  private reconnecting = false
  private lossStreak = 0
  /** the last unexplained loss (every call pending on that connection fails with the same error) */
  private lastLoss: Error | null = null

  constructor(
    readonly producer: Producer,
    private readonly run: PubRun,
  ) {}

  get addr(): string {
    return this.producer.addr
  }

  /** chunks not yet answered (queued or in flight) */
  get pending(): number {
    return this.queue.length + this.inflight.size
  }

  get inFlight(): number {
    return this.inflight.size
  }

  /** What IDENTIFY said, after each (re)connect. */
  learn(): void {
    const m = this.producer.identity?.max_msg_size
    if (typeof m === 'number' && m > 0) this.maxMsgSize = Math.min(this.maxMsgSize, m)
  }

  /** Queue a chunk, in record order (a chunk sent again goes back where it was). */
  enqueue(c: Chunk): void {
    const first = (c.recs[0] as Record_).n
    let i = this.queue.length
    while (i > 0 && (this.queue[i - 1]?.recs[0] as Record_).n > first) i--
    this.queue.splice(i, 0, c)
  }

  /** Drop what is queued (the run stopped). */
  drop(): void {
    this.queue.length = 0
  }

  private get window(): number {
    for (const c of this.inflight) if (c.suspect) return 1
    for (const c of this.queue) if (c.suspect) return 1
    return MAX_OUTSTANDING
  }

  pump(): void {
    while (this.run.error === null && this.queue.length > 0 && this.inflight.size < this.window) {
      if (!this.producer.isConnected) {
        this.reconnect()
        break
      }
      const c = this.fit(this.queue.shift() as Chunk)
      if (c !== null) this.transmit(c)
    }
    this.run.wake()
  }

  /** The part of `c` this broker can take in one command (the rest is queued again), or null. */
  private fit(c: Chunk): Chunk | null {
    const ok = c.recs.filter((r) => {
      if (r.body.length <= this.maxMsgSize) return true
      this.run.oversize(r, this.addr, this.maxMsgSize)
      return false
    })
    if (ok.length === 0) return null
    let take = ok.length
    while (take > 1 && mpubSize(ok.slice(0, take)) > this.maxBodySize) take = Math.ceil(take / 2)
    if (take < ok.length) this.enqueue({recs: ok.slice(take), suspect: c.suspect})
    return {recs: take === ok.length ? ok : ok.slice(0, take), suspect: c.suspect}
  }

  private reconnect(): void {
    if (this.reconnecting) return
    this.reconnecting = true
    this.producer.ping().then(
      () => {
        this.reconnecting = false
        this.learn()
        this.pump()
      },
      (err: unknown) => {
        this.reconnecting = false
        this.run.fail(err as Error)
      },
    )
  }

  private transmit(c: Chunk): void {
    this.inflight.add(c)
    const topic = this.run.topic
    const lone = c.recs.length === 1 ? (c.recs[0] as Record_) : null
    const sent =
      lone !== null && mpubSize(c.recs) > this.maxBodySize
        ? this.producer.publish(topic, lone.body)
        : this.producer.multiPublish(
            topic,
            c.recs.map((r) => r.body),
          )
    sent.then(
      () => this.acked(c),
      (err: unknown) => this.failed(c, err as Error),
    )
  }

  private acked(c: Chunk): void {
    this.inflight.delete(c)
    this.lossStreak = 0
    for (const r of c.recs) {
      r.acks++
      if (r.acks === this.run.laneCount) this.run.stats.published++
    }
    this.pump()
  }

  private failed(c: Chunk, err: Error): void {
    this.inflight.delete(c)
    // a failure after the run stopped (or once it is over: stop()'s StoppedError) changes nothing
    if (this.run.error !== null || this.run.over) return this.run.wake()
    if (err instanceof ProtocolResponseError) {
      const big = err.nsqCode === 'E_BAD_MESSAGE' ? /message too big (\d+) > (\d+)/.exec(err.description) : null
      const body = err.nsqCode === 'E_BAD_BODY' ? /body too big (\d+) > (\d+)/.exec(err.description) : null
      const limit = Number((big ?? body)?.[2])
      // explained, and fixable: the next send leaves out (or splits, or PUBs) what was too big
      if (big && c.recs.some((r) => r.body.length > limit)) this.maxMsgSize = Math.min(this.maxMsgSize, limit)
      else if (body && mpubSize(c.recs) > limit) this.maxBodySize = Math.min(this.maxBodySize, limit)
      else return this.run.fail(err)
      this.enqueue({recs: c.recs, suspect: false})
    } else if (err instanceof NotConnectedError && err.afterCode !== undefined) {
      // the broker closed the connection because of an earlier command: this one is innocent
      this.enqueue(c)
    } else if (err instanceof NotConnectedError) {
      // lost without a reason: every call pending on that connection fails with this one error
      const first = err !== this.lastLoss
      this.lastLoss = err
      if (first && ++this.lossStreak > MAX_LOSS_STREAK) {
        return this.run.fail(new NotConnectedError(this.addr, `connection lost ${MAX_LOSS_STREAK} times in a row, nothing acknowledged; last: ${err.message}`))
      }
      if (!c.suspect) {
        if (first) this.run.log.warn(`${err.message}: reconnecting, to send again what was not acknowledged`)
        this.enqueue({recs: c.recs, suspect: true})
      } else if (c.recs.length > 1) {
        // a suspect sent alone and lost again: one of its records is the cause
        const half = Math.ceil(c.recs.length / 2)
        this.enqueue({recs: c.recs.slice(0, half), suspect: true})
        this.enqueue({recs: c.recs.slice(half), suspect: true})
      } else {
        this.run.refuse(c.recs[0] as Record_, this.addr)
      }
    } else {
      return this.run.fail(err)
    }
    this.pump()
  }
}

/** A live view of the counts, for a progress line. */
export class PubRun {
  readonly stats: PubStats = {records: 0, published: 0, failed: 0}
  readonly oversized: number[] = []
  readonly refused: number[] = []
  error: Error | null = null
  /** the run stopped waiting for answers: what fails now is already counted */
  over = false
  readonly log: Logger
  private readonly lanes: Lane[]
  private batch: Record_[] = []
  private batchBytes = 0
  private idle: NodeJS.Timeout | null = null
  private waiters: (() => void)[] = []
  /** the input failed: what was read is still published, then this is the run's error */
  private inputError: IoError | null = null
  /** STOP_GRACE_MS after the signal: the answers are no longer awaited */
  private graceOver = false
  /** ends a read that waits for input (set while the stream is read) */
  private stopReading: (() => void) | null = null

  constructor(
    private readonly opts: PubOptions,
    private readonly ctx: PubContext,
  ) {
    this.log = ctx.log
    this.lanes = opts.nsqdTcpAddresses.map((a) => new Lane(new Producer(a, opts.config, {logger: ctx.log}), this))
  }

  get topic(): string {
    return this.opts.topic
  }

  get laneCount(): number {
    return this.lanes.length
  }

  async run(): Promise<PubResult> {
    let complete = false
    let abandoned = 0
    const signal = this.ctx.signal
    let grace: NodeJS.Timeout | null = null
    // the signal ends what waits (reading waiting for a lane, the wait for the last answers),
    // and bounds how long the answers are still awaited
    const onAbort = (): void => {
      grace = setTimeout(() => {
        this.graceOver = true
        this.wake()
      }, STOP_GRACE_MS)
      this.wake()
    }
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, {once: true})
    const settled = (): boolean => this.lanes.every((l) => (this.error === null ? l.pending === 0 : l.inFlight === 0))
    try {
      // connect first, so an unreachable broker is one clear error before anything is read
      await Promise.all(this.lanes.map((l) => l.producer.ping()))
      for (const l of this.lanes) l.learn()
      complete = this.opts.messages && this.opts.messages.length > 0 ? await this.fromList(this.opts.messages) : await this.fromStream()
      this.closeBatch()
      await this.until(() => settled() || this.graceOver)
      if (!settled()) {
        // the signal's grace is over: what is not acknowledged now will not be
        for (const l of this.lanes) l.drop()
        abandoned = this.stats.records - this.stats.published - this.oversized.length - this.refused.length
      }
    } catch (err) {
      this.error ??= err as Error
    } finally {
      if (grace) clearTimeout(grace)
      signal.removeEventListener('abort', onAbort)
      this.error ??= this.inputError
      if (this.idle) clearTimeout(this.idle)
      this.over = true
      // nothing is left to wait for once the grace is over
      await Promise.all(this.lanes.map((l) => l.producer.stop(this.graceOver ? 0 : 5000)))
    }
    const s = this.stats
    s.failed = s.records - s.published
    return {...s, oversized: this.oversized, refused: this.refused, complete, abandoned, error: this.error}
  }

  /** Stop early: what is queued is dropped, reading stops. */
  fail(err: Error): void {
    if (this.over) return
    this.error ??= err
    for (const l of this.lanes) l.drop()
    this.stopReading?.()
    this.wake()
  }

  oversize(r: Record_, addr: string, max: number): void {
    if (r.rejected) return
    r.rejected = true
    this.oversized.push(r.n)
    this.log.error(`record ${r.n} is ${r.body.length} bytes, over the max-msg-size of ${addr} (${max}): not published`)
  }

  refuse(r: Record_, addr: string): void {
    if (r.rejected) return
    r.rejected = true
    this.refused.push(r.n)
    this.log.error(`record ${r.n} (${r.body.length} bytes): ${addr} closed the connection each time it was sent, without an answer: not published`)
  }

  private get stopped(): boolean {
    return this.error !== null || this.ctx.signal.aborted
  }

  /** One record in: paced, batched, and reading waits while a lane is backed up. */
  private async take(n: number, body: Buffer, pacer: Pacer | null): Promise<void> {
    if (pacer) {
      while (!pacer.take()) {
        if (this.stopped) return
        await pacer.wait()
      }
    }
    if (this.stopped) return
    this.add({n, body, acks: 0, rejected: false})
    if (this.lanes.some((l) => l.pending >= MAX_OUTSTANDING)) {
      await this.until(() => this.stopped || this.lanes.every((l) => l.pending < MAX_OUTSTANDING))
    }
  }

  /** true when every message was taken */
  private async fromList(messages: Buffer[]): Promise<boolean> {
    const pacer = this.opts.rate > 0 ? new Pacer(this.opts.rate) : null
    let n = 0
    for (const m of messages) {
      if (this.stopped) return false
      n++
      if (m.length > 0) await this.take(n, m, pacer)
    }
    return !this.stopped
  }

  /** true when the stream was read to its end */
  private async fromStream(): Promise<boolean> {
    const input = this.ctx.input
    const pacer = this.opts.rate > 0 ? new Pacer(this.opts.rate) : null
    const delim = this.opts.delimiter
    const acc = new Accumulator()
    let scanned = 0
    let n = 0
    // a signal or a failure while waiting for input ends the iteration (its error is not an
    // input error): the rest of the input is not read
    const onAbort = (): void => {
      input.destroy()
    }
    this.stopReading = onAbort
    this.ctx.signal.addEventListener('abort', onAbort, {once: true})
    try {
      for await (const chunk of input as AsyncIterable<Buffer>) {
        acc.push(chunk)
        for (;;) {
          const i = acc.indexOf(delim, scanned)
          if (i < 0) {
            scanned = acc.available
            break
          }
          scanned = 0
          const body = acc.take(i)
          acc.skip(1)
          n++
          if (body.length > 0) await this.take(n, body, pacer)
          // leaving the loop destroys the input: the rest is not read
          if (this.stopped) return false
        }
      }
      if (acc.available > 0) await this.take(n + 1, acc.take(acc.available), pacer)
      return !this.stopped
    } catch (err) {
      if (!this.stopped) this.inputError = new IoError('read', this.ctx.inputName ?? 'the input', err as Error)
      return false
    } finally {
      this.stopReading = null
      this.ctx.signal.removeEventListener('abort', onAbort)
    }
  }

  private add(rec: Record_): void {
    this.stats.records++
    if (this.batch.length > 0 && this.batchBytes + rec.body.length + 4 > MAX_BATCH_BYTES) this.closeBatch()
    this.batch.push(rec)
    this.batchBytes += rec.body.length + 4
    if (this.batch.length >= this.opts.batchSize) this.closeBatch()
    else if (this.idle === null) this.idle = setTimeout(() => this.closeBatch(), this.opts.batchIdleMs)
  }

  private closeBatch(): void {
    if (this.idle) clearTimeout(this.idle)
    this.idle = null
    if (this.batch.length === 0) return
    const recs = this.batch
    this.batch = []
    this.batchBytes = 0
    if (this.error !== null) return
    for (const l of this.lanes) {
      l.enqueue({recs, suspect: false})
      l.pump()
    }
  }

  /** Something changed (an answer, a failure): re-check what waits. */
  wake(): void {
    const w = this.waiters.splice(0)
    for (const f of w) f()
  }

  private until(cond: () => boolean): Promise<void> {
    if (cond()) return Promise.resolve()
    return new Promise((resolve) => {
      const check = (): void => {
        if (cond()) resolve()
        else this.waiters.push(check)
      }
      this.waiters.push(check)
    })
  }
}

export async function pub(opts: PubOptions, ctx: PubContext): Promise<PubResult> {
  return new PubRun(opts, ctx).run()
}
