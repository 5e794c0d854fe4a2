/**
 * The engine of `nsqkit pub` (to_nsq, NSQ-SPEC §1.5): records from a stream (split on a
 * one-byte delimiter with split2; empty records skipped, a last record without delimiter
 * kept) or from arguments, published to every nsqd given (multicast, not load balancing).
 *
 * Beyond to_nsq:
 *  - MPUB batches: a batch closes at `batchSize` records or after `batchIdleMs` without a new
 *    record; a few batches are pipelined per producer, and reading pauses while they are out.
 *  - The result tells the truth: a record counts as published only once every nsqd
 *    acknowledged it. A record over the broker's max-msg-size (learnt from its E_BAD_MESSAGE
 *    answer) is reported by its record number and the rest of its batch republished; a batch
 *    over max-body-size is split; a batch cut off by such a reconnect is sent once more. (Those
 *    retries are the only case where records can arrive out of order.) A broker that cannot
 *    be reached ends the run: what was not acknowledged is counted as not published. In a
 *    multicast, a batch is retried only on the brokers that did not take it.
 *  - `rate` (records/s) is to_nsq's token bucket: a balance starting at 1, refilled every
 *    1s/rate, capped at rate.
 */
import type {Readable} from 'node:stream'
import split2 from 'split2'
import {Producer} from '../client/producer.js'
import {NsqClientError, ProtocolResponseError} from '../client/errors.js'
import type {ClientConfig} from '../client/options.js'
import type {Logger} from '../util/logger.js'

export interface PubOptions {
  topic: string
  nsqdTcpAddresses: string[]
  /** one byte */
  delimiter: string
  /** records per second, 0 = no limit */
  rate: number
  batchSize: number
  batchIdleMs: number
  /** messages given on the command line instead of a stream */
  messages?: string[]
  config: ClientConfig
}

export interface PubContext {
  signal: AbortSignal
  input: Readable
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
  /** record numbers (1-based, counting empty records too) over the broker's max-msg-size */
  oversized: number[]
  /** why publishing stopped early, if it did */
  error: Error | null
}

interface Record_ {
  n: number
  body: Buffer
}

const MAX_OUTSTANDING = 4

/** A live view of the counts, for a progress line. */
export class PubRun {
  readonly stats: PubStats = {records: 0, published: 0, failed: 0}
  readonly oversized: number[] = []
  error: Error | null = null
  private maxMsgSize = Infinity
  private maxBatchBytes = 4 * 1024 * 1024
  private readonly producers: Producer[]
  private batch: Record_[] = []
  private batchBytes = 0
  private idle: NodeJS.Timeout | null = null
  private outstanding = 0
  private drained: (() => void)[] = []

  constructor(
    private readonly opts: PubOptions,
    private readonly ctx: PubContext,
  ) {
    this.producers = opts.nsqdTcpAddresses.map((a) => new Producer(a, opts.config, {logger: ctx.log}))
  }

  async run(): Promise<PubResult> {
    try {
      // connect first, so an unreachable broker is one clear error before anything is read
      await Promise.all(this.producers.map((p) => p.ping()))
      if (this.opts.messages && this.opts.messages.length > 0) await this.fromList(this.opts.messages)
      else await this.fromStream()
      this.closeBatch()
      await this.whenIdle()
    } catch (err) {
      this.error ??= err as Error
    } finally {
      await Promise.all(this.producers.map((p) => p.stop(5000)))
    }
    const s = this.stats
    s.failed = s.records - s.published
    return {...s, oversized: this.oversized, error: this.error}
  }

  private async fromList(messages: string[]): Promise<void> {
    const limiter = this.limiter()
    let n = 0
    for (const m of messages) {
      n++
      if (this.error || this.ctx.signal.aborted) return
      if (m.length === 0) continue
      await limiter?.()
      this.add({n, body: Buffer.from(m)})
      if (this.outstanding >= MAX_OUTSTANDING) await this.whenBelow()
    }
  }

  private fromStream(): Promise<void> {
    const limiter = this.limiter()
    return new Promise<void>((resolve, reject) => {
      const lines = this.ctx.input.pipe(split2(this.opts.delimiter))
      let n = 0
      let paused = false
      let finished = false
      // with a rate, the record waiting for its token ('end' may come while it waits)
      let waiting: Promise<void> = Promise.resolve()
      const finish = (): void => {
        if (finished) return
        finished = true
        this.ctx.signal.removeEventListener('abort', onAbort)
        resolve()
      }
      const stop = (): void => {
        this.ctx.input.unpipe(lines)
        lines.destroy()
        finish()
      }
      const onAbort = (): void => stop()
      this.ctx.signal.addEventListener('abort', onAbort, {once: true})
      const take = (line: string): void => {
        if (finished) return
        n++
        if (line.length === 0) return
        this.add({n, body: Buffer.from(line)})
      }
      const onLine = limiter
        ? (line: string): void => {
            // a rate: one record at a time, each waiting for its token
            lines.pause()
            waiting = limiter().then(() => {
              take(line)
              if (this.error) return stop()
              if (this.outstanding >= MAX_OUTSTANDING) void this.whenBelow().then(() => lines.resume())
              else lines.resume()
            })
          }
        : (line: string): void => {
            take(line)
            if (this.error) return stop()
            if (!paused && this.outstanding >= MAX_OUTSTANDING) {
              paused = true
              lines.pause()
              void this.whenBelow().then(() => {
                paused = false
                lines.resume()
              })
            }
          }
      lines.on('data', onLine)
      lines.on('end', () => {
        void waiting.then(finish)
      })
      lines.on('error', reject)
      this.ctx.input.on('error', reject)
    })
  }

  /** to_nsq's token bucket, or null without a rate. */
  private limiter(): (() => Promise<void>) | null {
    const rate = this.opts.rate
    if (rate <= 0) return null
    const interval = 1000 / rate
    let balance = 1
    let last = Date.now()
    return async () => {
      const now = Date.now()
      balance = Math.min(rate, balance + (now - last) / interval)
      last = now
      if (balance < 1) {
        await new Promise((r) => setTimeout(r, (1 - balance) * interval))
        balance = 1
        last = Date.now()
      }
      balance -= 1
    }
  }

  private add(rec: Record_): void {
    this.stats.records++
    if (rec.body.length > this.maxMsgSize) {
      this.oversize(rec)
      return
    }
    if (this.batch.length > 0 && this.batchBytes + rec.body.length + 4 > this.maxBatchBytes) this.closeBatch()
    this.batch.push(rec)
    this.batchBytes += rec.body.length + 4
    if (this.batch.length >= this.opts.batchSize) this.closeBatch()
    else if (this.idle === null) {
      this.idle = setTimeout(() => this.closeBatch(), this.opts.batchIdleMs)
    }
  }

  private oversize(rec: Record_): void {
    this.oversized.push(rec.n)
    this.ctx.log.error(`record ${rec.n} is ${rec.body.length} bytes, over the broker's max-msg-size ${this.maxMsgSize}: not published`)
  }

  private closeBatch(): void {
    if (this.idle) clearTimeout(this.idle)
    this.idle = null
    if (this.batch.length === 0) return
    const batch = this.batch
    this.batch = []
    this.batchBytes = 0
    this.outstanding++
    // batches go out in order (pipelined); each waits for every producer's answer
    void this.send(batch).finally(() => {
      this.outstanding--
      this.wake()
    })
  }

  /** Publish a batch to `targets` (every producer by default); counts it once all acknowledged. */
  private async send(batch: Record_[], targets: Producer[] = this.producers, retried = false): Promise<void> {
    if (this.error) return
    const bodies = batch.map((r) => r.body)
    const results = await Promise.allSettled(
      targets.map((p) => (bodies.length === 1 ? p.publish(this.opts.topic, bodies[0] as Buffer) : p.multiPublish(this.opts.topic, bodies))),
    )
    const failed: {p: Producer; err: Error}[] = []
    results.forEach((r, i) => {
      if (r.status === 'rejected') failed.push({p: targets[i] as Producer, err: r.reason as Error})
    })
    if (failed.length === 0) {
      this.stats.published += batch.length
      return
    }
    await this.recover(
      batch,
      failed.map((f) => f.p),
      (failed[0] as {err: Error}).err,
      retried,
    )
  }

  /** A batch failed on some brokers: learn their limits and retry what can be, or give up. */
  private async recover(batch: Record_[], targets: Producer[], err: Error, retried: boolean): Promise<void> {
    if (err instanceof ProtocolResponseError) {
      const big = /message too big (\d+) > (\d+)/.exec(err.description)
      if (err.nsqCode === 'E_BAD_MESSAGE' && big) {
        this.maxMsgSize = Math.min(this.maxMsgSize, Number(big[2]))
        const ok: Record_[] = []
        for (const r of batch) {
          if (r.body.length > this.maxMsgSize) this.oversize(r)
          else ok.push(r)
        }
        if (ok.length > 0) await this.send(ok, targets)
        return
      }
      const body = /body too big (\d+) > (\d+)/.exec(err.description)
      if (err.nsqCode === 'E_BAD_BODY' && body && batch.length > 1) {
        this.maxBatchBytes = Math.max(1024, Math.floor(Number(body[2]) * 0.9))
        const half = Math.ceil(batch.length / 2)
        await this.send(batch.slice(0, half), targets)
        await this.send(batch.slice(half), targets)
        return
      }
    }
    // pipelined behind a batch that made the broker close the connection: once more, reconnected
    if (err instanceof NsqClientError && err.code === 'ERR_NOT_CONNECTED' && !retried) {
      await this.send(batch, targets, true)
      return
    }
    this.error ??= err instanceof NsqClientError ? err : new Error(`publish failed: ${err.message}`)
  }

  private wake(): void {
    const w = this.drained.splice(0)
    for (const f of w) f()
  }

  private whenBelow(): Promise<void> {
    if (this.outstanding < MAX_OUTSTANDING) return Promise.resolve()
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.outstanding < MAX_OUTSTANDING) resolve()
        else this.drained.push(check)
      }
      this.drained.push(check)
    })
  }

  private whenIdle(): Promise<void> {
    if (this.outstanding === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const check = (): void => {
        if (this.outstanding === 0) resolve()
        else this.drained.push(check)
      }
      this.drained.push(check)
    })
  }
}

export async function pub(opts: PubOptions, ctx: PubContext): Promise<PubResult> {
  return new PubRun(opts, ctx).run()
}
