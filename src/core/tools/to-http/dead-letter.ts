/**
 * `--dead-letter-topic` (beyond nsq_to_http, which FINs a message it gave up on and so loses
 * it): the message is published to the dead-letter topic on the nsqd it came from, before it
 * is FINed, as one JSON object — the envelope of `nsqkit tail --format json` (topic, id,
 * attempts, timestamp, body; base64 with "encoding" when the body is not UTF-8) plus the last
 * error and the endpoint it came from ("" / null when this process never saw it fail).
 *
 * One Producer per nsqd, made at the first dead letter for it. A publish that fails rejects:
 * the caller requeues the message instead of FINing it, so it is never lost.
 */
import {Producer} from '../../client/producer.js'
import type {ConsumerMessage} from '../../client/consumer.js'
import type {ClientConfig} from '../../client/options.js'
import type {Logger} from '../../util/logger.js'
import {formatRecord} from '../record-format.js'

export interface DeadLetterFailure {
  error: string
  /** the endpoint of the last failure, null when not known */
  endpoint: string | null
}

export class DeadLetters {
  private readonly producers = new Map<string, Producer>()

  constructor(
    private readonly topic: string,
    private readonly sourceTopic: string,
    private readonly config: ClientConfig,
    private readonly log: Logger,
  ) {}

  /** The envelope's bytes (one JSON object, no newline). */
  envelope(msg: ConsumerMessage, failure: DeadLetterFailure | null): Buffer {
    const line = formatRecord(this.sourceTopic, msg, 'json')[0] as string
    const tail = `,"error":${JSON.stringify(failure?.error ?? '')},"endpoint":${JSON.stringify(failure?.endpoint ?? null)}}`
    return Buffer.from(line.slice(0, line.lastIndexOf('}')) + tail)
  }

  async publish(msg: ConsumerMessage, failure: DeadLetterFailure | null): Promise<void> {
    let p = this.producers.get(msg.nsqdAddress)
    if (p === undefined) {
      p = new Producer(msg.nsqdAddress, this.config, {logger: this.log})
      this.producers.set(msg.nsqdAddress, p)
    }
    await p.publish(this.topic, this.envelope(msg, failure))
  }

  async close(): Promise<void> {
    await Promise.all([...this.producers.values()].map((p) => p.stop().catch(() => undefined)))
    this.producers.clear()
  }
}
