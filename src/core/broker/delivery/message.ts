/**
 * A message as the broker holds it. Each channel gets its own record (attempts and the
 * in-flight bookkeeping are per channel, as in nsqd); records share the body bytes.
 */
import {idString, idWordOf, readRecord, recordSize, writeRecord, type MessageIdWords} from '../../protocol/index.js'
import type {Held, RecordHolder} from '../queue/backend.js'
import type {RecordCodec} from '../queue/disk-queue.js'
import type {TimeoutSlot} from './deferred.js'

export class BrokerMessage implements Held, MessageIdWords {
  // The times below are ms since the epoch, never small integers: they start as -0 (=== 0),
  // which V8 keeps as a double, so the field is a double from the first record on. Starting
  // at 0 made the first delivery change the field's representation, and then every message
  // queued before it (a backlog of millions) was migrated to the new shape on its first
  // touch: ~1.7 µs per message in a profile of a channel draining a 400,000-message backlog.
  attempts = 0
  /** delay requested at publish (DPUB, /pub?defer), ms */
  deferMs = 0
  /** in flight: the owning client's id; 0 when not in flight */
  clientId = 0
  /** in flight or deferred: when it expires (ms since epoch) */
  deadline = -0
  /** in flight: first delivery time, the base of the TOUCH cap */
  delivered = -0
  /** deferred: the timing-wheel slot holding it (deferred.ts), if any */
  slot: TimeoutSlot<BrokerMessage> | null = null
  /** read from a disk queue: the record it holds there until FIN or a re-queue (queue/backend.ts) */
  holder: RecordHolder | null = null
  holdSeq = 0
  /** in flight: its place in the in-flight table's lane (in-flight.ts), a doubly linked list */
  lane: InFlightLane | null = null
  prev: BrokerMessage | null = null
  next: BrokerMessage | null = null

  constructor(
    /** the id's 16 bytes as four big-endian words (protocol/message.ts MessageIdWords) */
    readonly id0: number,
    readonly id1: number,
    readonly id2: number,
    readonly id3: number,
    readonly body: Buffer,
    /** publish time in ns as two uint32 halves */
    readonly tsHigh: number,
    readonly tsLow: number,
  ) {}

  /** A message whose id is given as its 16 latin1 characters. */
  static withId(id: string, body: Buffer, tsHigh: number, tsLow: number): BrokerMessage {
    return new BrokerMessage(idWordOf(id, 0), idWordOf(id, 1), idWordOf(id, 2), idWordOf(id, 3), body, tsHigh, tsLow)
  }

  /** the id's 16 latin1 characters, made when asked (texts, the deferred messages kept at shutdown) */
  get id(): string {
    return idString(this)
  }

  /** A copy for another channel: same id, body, timestamp and deferral; attempts from 0. */
  copy(): BrokerMessage {
    const m = new BrokerMessage(this.id0, this.id1, this.id2, this.id3, this.body, this.tsHigh, this.tsLow)
    m.deferMs = this.deferMs
    return m
  }
}

/** One lane of the in-flight table: its messages from the earliest deadline (head) to the latest. */
export interface InFlightLane {
  head: BrokerMessage | null
  tail: BrokerMessage | null
}

function recordMessage(id0: number, id1: number, id2: number, id3: number, body: Buffer, tsHigh: number, tsLow: number, attempts: number): BrokerMessage {
  const m = new BrokerMessage(id0, id1, id2, id3, body, tsHigh, tsLow)
  m.attempts = attempts
  return m
}

/**
 * A message as a disk-queue record: nsqd's message bytes (timestamp, attempts, id, body), so
 * nsqd reads what serve writes. The delay of a deferred message is not in the format, as in
 * nsqd.
 */
export const MESSAGE_RECORDS: RecordCodec<BrokerMessage> = {
  size: (m) => recordSize(m.body.length),
  write: (m, target, offset) => writeRecord(target, offset, m.tsHigh, m.tsLow, m.attempts, m, m.body),
  read: (buf, start, end) => readRecord(buf, start, end, recordMessage),
}

/**
 * A deferred message as a record of its channel's deferred log (nsqkit's own file, with
 * --mem-queue-size 0): the message's record with its release time (ms since the epoch, a
 * float64) after it, so a restart after a crash defers it again for the time it had left.
 */
export const DEFERRED_RECORDS: RecordCodec<BrokerMessage> = {
  size: (m) => recordSize(m.body.length) + 8,
  write: (m, target, offset) => {
    const end = writeRecord(target, offset, m.tsHigh, m.tsLow, m.attempts, m, m.body)
    target.writeUInt32BE(target.readUInt32BE(offset) + 8, offset)
    target.writeDoubleBE(m.deadline, end)
    return end + 8
  },
  read: (buf, start, end) => {
    const m = MESSAGE_RECORDS.read(buf, start, end - 8)
    m.deadline = buf.readDoubleBE(end - 8)
    return m
  },
}
