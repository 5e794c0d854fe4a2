/**
 * What the consumer keeps per nsqd connection (go-nsq keeps it on Conn): the RDY it sent, the
 * messages in flight, the CLS handshake, and how that connection's messages answer.
 */
import type {Connection} from '../connection.js'
import type {ConsumerMessage} from './message.js'

/** How a ConsumerMessage answers: through the consumer that received it. */
export interface MessageResponder {
  respond(cs: ConnState, msg: ConsumerMessage, kind: 'fin' | 'req', delayMs: number, backoff: boolean): void
  touch(cs: ConnState, msg: ConsumerMessage): void
}

export class ConnState {
  /** the RDY count last sent */
  rdy = 0
  inFlight = 0
  lastMsgAt = 0
  lastRdyAt = 0
  /** CLS sent */
  closing = false
  /** the broker answered CLS with CLOSE_WAIT: nothing more will be sent */
  closeWait = false
  /** a pending retry of a RDY that could not be raised from 0 */
  rdyRetry: NodeJS.Timeout | null = null
  constructor(
    readonly conn: Connection,
    readonly responder: MessageResponder,
  ) {}
  get addr(): string {
    return this.conn.addr
  }
}
