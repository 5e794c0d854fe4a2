/**
 * A channel's in-flight messages, found by id and ordered by deadline, with no heap, no timer
 * and no string per message.
 *
 *   by id:        an open-addressing hash table (linear probing, at most half full, deletion by
 *                 backward shift so no tombstones pile up) over the id's four words
 *                 (protocol/message.ts MessageIdWords): FIN's id, read from the command's bytes,
 *                 is found with a few integer compares. Each slot's hash sits beside it in an
 *                 Int32Array, so a probe and a backward shift read that compact array, not the
 *                 message (a cache miss each). A JS Map keyed by id strings cost a string and
 *                 its hash per FIN and rehashed as the window turned over: 19% of the broker
 *                 under nsq's bench_reader.
 *   by deadline:  every consumer has one msg_timeout, so the messages it was sent enter its
 *                 timeout's *lane* (a doubly linked list through the messages) in deadline
 *                 order: the scan loop only looks at the head of each lane. A TOUCH moves the
 *                 message to the tail (still in order, being now + timeout); a TOUCH that hit
 *                 the max-msg-timeout cap gets a shorter deadline and goes to the `irregular`
 *                 lane, which the scan reads in full.
 *
 * An id is in flight once at most (the channel drops a second record of one, channel.ts).
 */
import type {MessageIdWords} from '../../protocol/index.js'
import type {BrokerMessage, InFlightLane} from './message.js'

/** take(): the message is in flight to another client */
export const NOT_OWNER = 0

interface Lane extends InFlightLane {
  readonly timeout: number
}

const MIN_CAPACITY = 64

/** an id's hash (its slot is hash & mask, the capacity a power of two) */
function hashOf(id0: number, id1: number, id2: number, id3: number): number {
  let h = Math.imul(id3, 0x9e3779b1) ^ Math.imul(id2, 0x85ebca77) ^ Math.imul(id1 ^ id0, 0xc2b2ae3d)
  h ^= h >>> 15
  h = Math.imul(h, 0x2c1b3c6d)
  return h ^ (h >>> 13)
}

const same = (m: BrokerMessage, id0: number, id1: number, id2: number, id3: number): boolean =>
  m.id3 === id3 && m.id2 === id2 && m.id1 === id1 && m.id0 === id0

export class InFlightTable {
  private slots: (BrokerMessage | null)[] = new Array<BrokerMessage | null>(MIN_CAPACITY).fill(null)
  /** each occupied slot's hash */
  private hashes = new Int32Array(MIN_CAPACITY)
  private mask = MIN_CAPACITY - 1
  private count = 0
  private readonly lanes: Lane[] = []
  /** the lane last asked for: nearly every call names the same one */
  private lastLane: Lane | null = null
  private readonly irregular: Lane = {timeout: -1, head: null, tail: null}

  get size(): number {
    return this.count
  }

  /** Put a message in flight until `now + timeout`. It must not be in flight already (has()). */
  add(msg: BrokerMessage, timeout: number, now: number): void {
    if ((this.count + 1) * 2 > this.slots.length) this.resize(this.slots.length * 2)
    const mask = this.mask
    const h = hashOf(msg.id0, msg.id1, msg.id2, msg.id3)
    let i = h & mask
    while (this.slots[i] !== null) i = (i + 1) & mask
    this.slots[i] = msg
    this.hashes[i] = h
    this.count++
    msg.deadline = now + timeout
    append(this.lane(timeout), msg)
  }

  private lane(timeout: number): Lane {
    const last = this.lastLane
    if (last !== null && last.timeout === timeout) return last
    let lane = this.lanes.find((l) => l.timeout === timeout)
    if (lane === undefined) {
      lane = {timeout, head: null, tail: null}
      this.lanes.push(lane)
    }
    this.lastLane = lane
    return lane
  }

  private find(id0: number, id1: number, id2: number, id3: number): number {
    const mask = this.mask
    const h = hashOf(id0, id1, id2, id3)
    const hashes = this.hashes
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const m = this.slots[i] as BrokerMessage | null
      if (m === null) return -1
      if (hashes[i] === h && same(m, id0, id1, id2, id3)) return i
    }
  }

  /** The message with this id, or undefined. */
  get(id: MessageIdWords): BrokerMessage | undefined {
    const i = this.find(id.id0, id.id1, id.id2, id.id3)
    return i < 0 ? undefined : (this.slots[i] as BrokerMessage)
  }

  /** Is a message with this id in flight? */
  has(id: MessageIdWords): boolean {
    return this.find(id.id0, id.id1, id.id2, id.id3) >= 0
  }

  /**
   * FIN's and REQ's lookup, by the id's words: the message removed and returned when client
   * `owner` has it; NOT_OWNER (and left in flight) when another client has it; undefined when
   * none has it.
   */
  take(id0: number, id1: number, id2: number, id3: number, owner: number): BrokerMessage | typeof NOT_OWNER | undefined {
    const i = this.find(id0, id1, id2, id3)
    if (i < 0) return undefined
    const m = this.slots[i] as BrokerMessage
    if (m.clientId !== owner) return NOT_OWNER
    this.removeAt(i)
    return m
  }

  /** Remove a message found by get(); false when it is not in flight. */
  delete(msg: BrokerMessage): boolean {
    const i = this.find(msg.id0, msg.id1, msg.id2, msg.id3)
    if (i < 0 || this.slots[i] !== msg) return false
    this.removeAt(i)
    return true
  }

  private removeAt(i: number): void {
    const slots = this.slots
    const hashes = this.hashes
    const m = slots[i] as BrokerMessage
    unlink(m)
    this.count--
    // backward shift: pull later entries of the run into the hole when their home allows it
    const mask = this.mask
    let hole = i
    for (let j = (i + 1) & mask; slots[j] !== null; j = (j + 1) & mask) {
      const home = (hashes[j] as number) & mask
      // the entry at j may move to the hole unless its home lies cyclically in (hole, j]
      if (hole <= j ? home <= hole || home > j : home <= hole && home > j) {
        slots[hole] = slots[j] as BrokerMessage
        hashes[hole] = hashes[j] as number
        hole = j
      }
    }
    slots[hole] = null
  }

  private resize(capacity: number): void {
    const old = this.slots
    const oldHashes = this.hashes
    const slots = new Array<BrokerMessage | null>(capacity).fill(null)
    const hashes = new Int32Array(capacity)
    const mask = capacity - 1
    for (let k = 0; k < old.length; k++) {
      const m = old[k] as BrokerMessage | null
      if (m === null) continue
      const h = oldHashes[k] as number
      let i = h & mask
      while (slots[i] !== null) i = (i + 1) & mask
      slots[i] = m
      hashes[i] = h
    }
    this.slots = slots
    this.hashes = hashes
    this.mask = mask
  }

  /** TOUCH: a new deadline, `now + timeout` unless capped (then to the irregular lane). */
  touch(msg: BrokerMessage, timeout: number, deadline: number, now: number): void {
    unlink(msg)
    if (deadline === now + timeout) {
      msg.deadline = deadline
      append(this.lane(timeout), msg)
    } else {
      msg.deadline = deadline
      append(this.irregular, msg)
    }
  }

  /** Remove and pass on every message whose deadline has passed. */
  expire(now: number, fn: (msg: BrokerMessage) => void): void {
    // a table emptied after a burst gives its room back
    if (this.slots.length > MIN_CAPACITY && this.count * 8 < this.slots.length) this.resize(Math.max(MIN_CAPACITY, this.slots.length / 4))
    if (this.count === 0) return
    const due: BrokerMessage[] = []
    for (const lane of this.lanes) {
      for (let m = lane.head; m !== null && m.deadline <= now; m = m.next) due.push(m)
    }
    for (let m = this.irregular.head; m !== null; m = m.next) if (m.deadline <= now) due.push(m)
    // one a callback took out meanwhile (a drain) is not passed on
    for (const m of due) if (this.delete(m)) fn(m)
  }

  /** Remove and return everything. */
  drain(): BrokerMessage[] {
    const out: BrokerMessage[] = []
    for (const lane of [...this.lanes, this.irregular]) {
      for (let m = lane.head; m !== null; ) {
        const next = m.next
        m.lane = m.prev = m.next = null
        out.push(m)
        m = next
      }
      lane.head = lane.tail = null
    }
    this.slots = new Array<BrokerMessage | null>(MIN_CAPACITY).fill(null)
    this.hashes = new Int32Array(MIN_CAPACITY)
    this.mask = MIN_CAPACITY - 1
    this.count = 0
    return out
  }
}

function append(lane: Lane, m: BrokerMessage): void {
  m.lane = lane
  m.next = null
  m.prev = lane.tail
  if (lane.tail === null) lane.head = m
  else lane.tail.next = m
  lane.tail = m
}

function unlink(m: BrokerMessage): void {
  const lane = m.lane
  if (lane === null) return
  if (m.prev === null) lane.head = m.next
  else m.prev.next = m.next
  if (m.next === null) lane.tail = m.prev
  else m.next.prev = m.prev
  m.lane = m.prev = m.next = null
}
