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

export class InFlightTable {
  private readonly lanes = new Map<number, Map<string, BrokerMessage>>()
  private readonly irregular = new Map<string, BrokerMessage>()
  private count = 0

  get size(): number {
    return this.count
  }

  add(msg: BrokerMessage, timeout: number, now: number): void {
    let lane = this.lanes.get(timeout)
    if (lane === undefined) {
      lane = new Map()
      this.lanes.set(timeout, lane)
    }
    msg.deadline = now + timeout
    lane.set(msg.id, msg)
    this.count++
  }

  /** Find a message, looking in `timeout`'s lane first. */
  get(id: string, timeout: number): BrokerMessage | undefined {
    const m = this.lanes.get(timeout)?.get(id) ?? this.irregular.get(id)
    if (m !== undefined) return m
    for (const lane of this.lanes.values()) {
      const x = lane.get(id)
      if (x !== undefined) return x
    }
    return undefined
  }

  /** Is a message with this id in flight (in any lane)? */
  has(id: string): boolean {
    if (this.irregular.has(id)) return true
    for (const lane of this.lanes.values()) if (lane.has(id)) return true
    return false
  }

  /** Remove a message found by get(). */
  delete(msg: BrokerMessage, timeout: number): void {
    if (this.lanes.get(timeout)?.delete(msg.id) || this.irregular.delete(msg.id)) {
      this.count--
      return
    }
    for (const lane of this.lanes.values()) {
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
    this.irregular.clear()
    this.count = 0
    return out
  }
}
