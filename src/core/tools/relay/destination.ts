/**
 * One destination nsqd of `nsqkit relay`: a Producer and the batches being filled for it.
 *
 * Beyond nsq_to_nsq (one PUB per message, NSQ-SPEC §1.4): messages bound for the same topic are
 * gathered into one MPUB, closed at `batchSize` messages or at the end of the I/O turn in which
 * the first of them came (so a trickle is not held back), and the batches are pipelined on the
 * one connection. Each message's callback gets its batch's answer: the caller FINs on
 * OK, requeues on failure. A batch the broker refused with an error frame (one oversized
 * message makes nsqd refuse the whole MPUB) is sent again message by message, so one bad
 * message does not keep the others from going through; a lost connection fails the batch as
 * it is (the caller requeues, nothing is lost).
 */
import {ProtocolResponseError} from '../../client/errors.js'
import {Producer} from '../../client/producer.js'
import type {ClientConfig} from '../../client/options.js'
import type {Logger} from '../../util/logger.js'

/** Called once with the batch's answer: null for OK. */
export type Answered = (err: Error | null) => void

/** A batch being filled or sent: the bodies (MPUB's list as it is) and their callbacks, by position. */
interface Batch {
  bodies: Buffer[]
  dones: Answered[]
}

export class Destination {
  readonly producer: Producer
  private readonly open = new Map<string, Batch>()
  private scheduled = false
  private readonly outstanding = new Set<Promise<void>>()

  constructor(
    readonly addr: string,
    config: ClientConfig,
    private readonly batchSize: number,
    private readonly log: Logger,
  ) {
    this.producer = new Producer(addr, config, {logger: log})
  }

  /** Connect now, in the background; a failure is a warning (the next publish connects again). */
  connect(): void {
    this.producer.ping().catch((err: unknown) => this.log.warn(`(${this.addr}) destination not connected yet: ${(err as Error).message}`))
  }

  /**
   * Publish `body` to `topic` (in a batch); `done` is called with the destination's answer.
   * A callback, not a promise per message: at 100,000s of messages a second the promises were
   * a good part of the garbage.
   */
  publish(topic: string, body: Buffer, done: Answered): void {
    let batch = this.open.get(topic)
    if (batch === undefined) {
      batch = {bodies: [], dones: []}
      this.open.set(topic, batch)
    }
    batch.bodies.push(body)
    batch.dones.push(done)
    if (batch.bodies.length >= this.batchSize) {
      this.open.delete(topic)
      this.send(topic, batch)
    } else if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.flush())
    }
  }

  /** Send every batch being filled now. */
  flush(): void {
    this.scheduled = false
    for (const [topic, batch] of this.open) this.send(topic, batch)
    this.open.clear()
  }

  /** Resolves when every batch sent so far has its answer. */
  async drained(): Promise<void> {
    this.flush()
    while (this.outstanding.size > 0) await Promise.allSettled([...this.outstanding])
  }

  async stop(): Promise<void> {
    await this.drained()
    await this.producer.stop()
  }

  private send(topic: string, batch: Batch): void {
    const p = this.sendBatch(topic, batch)
    this.outstanding.add(p)
    void p.finally(() => this.outstanding.delete(p))
  }

  private async sendBatch(topic: string, batch: Batch): Promise<void> {
    const {bodies, dones} = batch
    try {
      if (bodies.length === 1) await this.producer.publish(topic, bodies[0] as Buffer)
      else await this.producer.multiPublish(topic, bodies)
    } catch (err) {
      if (bodies.length > 1 && err instanceof ProtocolResponseError) {
        // refused as a whole: each on its own, so only the bad one fails
        await Promise.all(bodies.map((body, i) => this.sendBatch(topic, {bodies: [body], dones: [dones[i] as Answered]})))
        return
      }
      for (const done of dones) done(err as Error)
      return
    }
    for (const done of dones) done(null)
  }
}
