/**
 * A delivered message as the consumer hands it to the handler (go-nsq's Message): the decoded
 * frame plus the verbs that answer it on the connection it came from. Only the first answer
 * (finish or requeue) counts; touch works until then.
 */
import type {Message} from '../../protocol/index.js'
import type {ConnState} from './conn-state.js'

/** A delivered message (go-nsq's Message), with the verbs to answer it. */
export class ConsumerMessage implements Message {
  /** publish time, nanoseconds since the epoch */
  readonly timestamp: bigint
  /** deliveries so far, the first being 1 */
  readonly attempts: number
  /** 16 hex characters, nsqd's message id */
  readonly id: string
  /** the bytes as published */
  readonly body: Buffer
  private responded = false

  constructor(
    msg: Message,
    private readonly cs: ConnState,
  ) {
    this.timestamp = msg.timestamp
    this.attempts = msg.attempts
    this.id = msg.id
    this.body = msg.body
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
