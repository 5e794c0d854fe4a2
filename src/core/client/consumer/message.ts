/**
 * A delivered message as the consumer hands it to the handler (go-nsq's Message): the decoded
 * frame plus the verbs that answer it on the connection it came from. Only the first answer
 * (finish or requeue) counts; touch works until then.
 */
import {MESSAGE_HEADER_SIZE, MSG_ID_OFFSET, type Message} from '../../protocol/index.js'
import type {ConnState} from './conn-state.js'

/**
 * A delivered message (go-nsq's Message), with the verbs to answer it. It keeps the frame's
 * payload (a view of what was read) and decodes on demand: the id string and the BigInt
 * timestamp are made only when asked for (FIN copies the id's bytes), so a consumer that reads
 * only the body allocates one object and one view per message.
 */
export class ConsumerMessage implements Message {
  /** the bytes as published */
  readonly body: Buffer
  private id_: string | null = null
  private responded = false

  /**
   * @param payload the message frame's data: [timestamp][attempts][id][body] (protocol/message.ts)
   */
  constructor(
    readonly payload: Buffer,
    private readonly cs: ConnState,
  ) {
    this.body = payload.subarray(MESSAGE_HEADER_SIZE)
  }

  /** publish time, nanoseconds since the epoch */
  get timestamp(): bigint {
    return this.payload.readBigInt64BE(0)
  }

  /** deliveries so far, the first being 1 */
  get attempts(): number {
    return this.payload.readUInt16BE(8)
  }

  /** 16 hex characters, nsqd's message id */
  get id(): string {
    return (this.id_ ??= this.payload.toString('latin1', MSG_ID_OFFSET, MESSAGE_HEADER_SIZE))
  }

  /** the nsqd it came from */
  get nsqdAddress(): string {
    return this.cs.addr
  }

  /** true once finish() or a requeue was called (by the handler or automatically) */
  get hasResponded(): boolean {
    return this.responded
  }

  /** FIN: the message is done. Only the first answer counts. */
  finish(): void {
    if (this.responded) return
    this.responded = true
    this.cs.responder.respond(this.cs, this, 'fin', 0, false)
  }

  /**
   * REQ: deliver it again after `delayMs` (-1: default_requeue_delay × attempts, capped by
   * max_requeue_delay). `backoff` tells the consumer this was a failure, so it slows down.
   */
  requeue(delayMs = -1, backoff = true): void {
    if (this.responded) return
    this.responded = true
    this.cs.responder.respond(this.cs, this, 'req', delayMs, backoff)
  }

  /** REQ without backoff (go-nsq RequeueWithoutBackoff). */
  requeueWithoutBackoff(delayMs = -1): void {
    this.requeue(delayMs, false)
  }

  /** TOUCH: reset the server-side timeout of this message. */
  touch(): void {
    if (this.responded) return
    this.cs.responder.touch(this.cs, this)
  }
}
