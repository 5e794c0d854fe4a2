/**
 * Publishing, once for both transports: TCP's PUB, MPUB and DPUB (protocol-v2.ts) and HTTP's
 * /pub and /mpub (http.ts) check the same rules and put messages on a topic through the same
 * function (NSQ-SPEC §2.2 command table, §2.3 /pub and /mpub).
 *
 * A rule returns the PublishError that names its fault, or null when the publish passes (no
 * exception and no allocation on the hot path); each transport renders the fault in its own
 * form, and only there do they differ:
 *
 *   fault          TCP (fatal error frame)                          HTTP
 *   BAD_TOPIC      E_BAD_TOPIC `PUB topic name "x" is not valid`    400 INVALID_TOPIC
 *   EMPTY_MESSAGE  E_BAD_MESSAGE `PUB invalid message body size 0`  400 MSG_EMPTY
 *   MESSAGE_SIZE   E_BAD_MESSAGE `PUB message too big 5 > 4`        413 MSG_TOO_BIG
 *   EMPTY_BODY     E_BAD_BODY `MPUB invalid body size 0`            (an empty /mpub is OK)
 *   BODY_SIZE      E_BAD_BODY `MPUB body too big 9 > 8`             413 BODY_TOO_BIG
 *   DEFER_RANGE    E_INVALID `DPUB timeout 5 out of range 0-4`      400 INVALID_DEFER
 *
 * When each rule runs is the transport's (TCP checks the command line before the body is read,
 * HTTP reads the body first), as in nsqd; what a rule accepts is decided here.
 */
import {isValidTopicName} from '../../protocol/index.js'
import {uint64Halves} from '../../util/clock.js'
import type {GuidFactory} from './guid.js'
import {BrokerMessage} from './message.js'
import type {BrokerOptions} from '../options.js'
import type {Topic} from './topic.js'

export type PublishFault = 'BAD_TOPIC' | 'EMPTY_MESSAGE' | 'MESSAGE_SIZE' | 'EMPTY_BODY' | 'BODY_SIZE' | 'DEFER_RANGE'

export class PublishError extends Error {
  constructor(
    readonly fault: PublishFault,
    /** the topic name, the size or the defer (ms) refused */
    readonly value: string | number,
    /** the bound it broke (0 for the name and the empty checks) */
    readonly max = 0,
  ) {
    super(`${fault} ${value}`)
    this.name = 'PublishError'
  }
}

type Limits = Pick<BrokerOptions, 'maxMsgSize' | 'maxBodySize' | 'maxReqTimeout'>

/** A topic name nsqd accepts (1-64 of `[.a-zA-Z0-9_-]`, optionally `#ephemeral`). */
export function topicNameFault(name: string): PublishError | null {
  return isValidTopicName(name) ? null : new PublishError('BAD_TOPIC', name)
}

/** One message body: 1 to --max-msg-size bytes. */
export function messageSizeFault(size: number, o: Limits): PublishError | null {
  if (size <= 0) return new PublishError('EMPTY_MESSAGE', size)
  if (size > o.maxMsgSize) return new PublishError('MESSAGE_SIZE', size, o.maxMsgSize)
  return null
}

/** An MPUB body: 1 to --max-body-size bytes. */
export function bodySizeFault(size: number, o: Limits): PublishError | null {
  if (size <= 0) return new PublishError('EMPTY_BODY', size)
  if (size > o.maxBodySize) return new PublishError('BODY_SIZE', size, o.maxBodySize)
  return null
}

/** A publish delay: 0 to --max-req-timeout ms (0 is not deferred). */
export function deferFault(ms: number, o: Limits): PublishError | null {
  return ms < 0 || ms > o.maxReqTimeout ? new PublishError('DEFER_RANGE', ms, o.maxReqTimeout) : null
}

export interface PublishContext {
  readonly guid: GuidFactory
  /** the wall clock in ns (the messages' timestamp) */
  nowNs(): bigint
}

/**
 * Make one message per body, all with the same timestamp and delay, and put them on the topic
 * in order. The bodies have passed the rules above: nothing is checked again on this hot path.
 */
export function publishMessages(ctx: PublishContext, topic: Topic, bodies: readonly Buffer[], deferMs: number): void {
  const [hi, lo] = uint64Halves(ctx.nowNs())
  const msgs = new Array<BrokerMessage>(bodies.length)
  const g = ctx.guid
  const ms = g.now()
  for (let i = 0; i < bodies.length; i++) {
    g.advance(ms)
    const m = new BrokerMessage(g.id0, g.id1, g.id2, g.id3, bodies[i] as Buffer, hi, lo)
    if (deferMs > 0) m.deferMs = deferMs
    msgs[i] = m
  }
  topic.put(msgs)
}
