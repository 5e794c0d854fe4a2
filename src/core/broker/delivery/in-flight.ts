/**
 * A channel's in-flight messages, keyed by id and ordered by deadline without a heap or a
 * timer per message.
 *
 * Every consumer has one msg_timeout, so the messages it was sent enter its timeout's *lane*
 * (an insertion-ordered Map) in deadline order: the scan loop only looks at the head of each
 * lane. A TOUCH re-inserts at the tail (still in order, being now + timeout); a TOUCH that hit
 * the max-msg-timeout cap gets a shorter deadline and goes to a small `irregular` map that the
 * scan reads in full. FIN looks up the lane of the finishing client's timeout first.
 */
import type {BrokerMessage} from './message.js'

/** take(): the message is in flight to another client */
export const NOT_OWNER = 0

export class InFlightTable {
  private readonly lanes = new Map<number, Map<string, BrokerMessage>>()
  /** the lanes again, as an array: looked through without an iterator object per call */
  private readonly laneList: Map<string, BrokerMessage>[] = []
  /** the lane last asked for, and its timeout: nearly every call names the same one */
  private lastTimeout = Number.NaN
  private lastLane: Map<string, BrokerMessage> | undefined = undefined
  private readonly irregular = new Map<string, BrokerMessage>()
  private count = 0

  get size(): number {
    return this.count
  }

  private lane(timeout: number): Map<string, BrokerMessage> | undefined {
    if (timeout !== this.lastTimeout) {
      this.lastTimeout = timeout
      this.lastLane = this.lanes.get(timeout)
    }
    return this.lastLane
  }

  add(msg: BrokerMessage, timeout: number, now: number): void {
    let lane = this.lane(timeout)
    if (lane === undefined) {
      lane = new Map()
      this.lanes.set(timeout, lane)
      this.laneList.push(lane)
      this.lastLane = lane
    }
    msg.deadline = now + timeout
    lane.set(msg.id, msg)
    this.count++
  }

  /** Find a message, looking in `timeout`'s lane first. */
  get(id: string, timeout: number): BrokerMessage | undefined {
    const m = this.lane(timeout)?.get(id) ?? (this.irregular.size > 0 ? this.irregular.get(id) : undefined)
    if (m !== undefined || this.laneList.length === 1) return m
    for (const lane of this.laneList) {
      const x = lane.get(id)
      if (x !== undefined) return x
    }
    return undefined
  }

  /**
   * FIN's and REQ's lookup: the message `id` removed and returned when client `owner` has it;
   * NOT_OWNER (and left in flight) when another client has it; undefined when none has it.
   */
  take(id: string, timeout: number, owner: number): BrokerMessage | typeof NOT_OWNER | undefined {
    const lane = this.lane(timeout)
    const m = lane?.get(id)
    if (m === undefined) {
      const other = this.get(id, timeout)
      if (other === undefined) return undefined
      if (other.clientId !== owner) return NOT_OWNER
      this.delete(other, timeout)
      return other
    }
    if (m.clientId !== owner) return NOT_OWNER
    ;(lane as Map<string, BrokerMessage>).delete(id)
    this.count--
    return m
  }

  /** Is a message with this id in flight (in any lane)? */
  has(id: string): boolean {
    if (this.irregular.size > 0 && this.irregular.has(id)) return true
    for (const lane of this.laneList) if (lane.has(id)) return true
    return false
  }

  /** Remove a message found by get(). */
  delete(msg: BrokerMessage, timeout: number): void {
    if (this.lane(timeout)?.delete(msg.id) || this.irregular.delete(msg.id)) {
      this.count--
      return
    }
    for (const lane of this.laneList) {
      if (lane.delete(msg.id)) {
        this.count--
        return
      }
    }
  }

  /** TOUCH: a new deadline, `now + timeout` unless capped. */
  touch(msg: BrokerMessage, timeout: number, deadline: number, now: number): void {
    this.delete(msg, timeout)
    if (deadline === now + timeout) this.add(msg, timeout, now)
    else {
      msg.deadline = deadline
      this.irregular.set(msg.id, msg)
      this.count++
    }
  }

  /** Remove and pass on every message whose deadline has passed. */
  expire(now: number, fn: (msg: BrokerMessage) => void): void {
    if (this.count === 0) return
    for (const lane of this.lanes.values()) {
      for (const [id, m] of lane) {
        if (m.deadline > now) break
        lane.delete(id)
        this.count--
        fn(m)
      }
    }
    for (const [id, m] of this.irregular) {
      if (m.deadline > now) continue
      this.irregular.delete(id)
      this.count--
      fn(m)
    }
  }

  /** Remove and return everything. */
  drain(): BrokerMessage[] {
    const out: BrokerMessage[] = []
    for (const lane of this.lanes.values()) out.push(...lane.values())
    out.push(...this.irregular.values())
    this.lanes.clear()
    this.laneList.length = 0
    this.lastTimeout = Number.NaN
    this.lastLane = undefined
    this.irregular.clear()
    this.count = 0
    return out
  }
}
