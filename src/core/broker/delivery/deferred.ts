/**
 * A channel's deferred messages (REQ with a delay, DPUB, /pub?defer): a hashed timing wheel,
 * one Set per tick of `tickMs`, no timer per message. Adding, removing and expiring are O(1)
 * per message; the broker's single scan loop calls `expire(now)` (nsqd scans every 100 ms too,
 * so release is as approximate as there: at most one tick late). In-flight deadlines are not
 * here: they sit in the per-timeout lanes of in-flight.ts.
 */
export type TimeoutSlot<T> = Set<T>

export interface WheelEntry<T> {
  deadline: number
  slot: TimeoutSlot<T> | null
}

export class TimeoutWheel<T extends WheelEntry<T>> {
  private readonly slots = new Map<number, TimeoutSlot<T>>()
  private cursor: number
  private count = 0

  constructor(
    private readonly tickMs: number,
    now: number,
  ) {
    this.cursor = Math.floor(now / tickMs)
  }

  get size(): number {
    return this.count
  }

  add(entry: T, deadline: number): void {
    if (entry.slot) this.remove(entry)
    entry.deadline = deadline
    // the first tick whose end is at or after the deadline, never one already scanned
    const key = Math.max(Math.ceil(deadline / this.tickMs), this.cursor + 1)
    let slot = this.slots.get(key)
    if (!slot) {
      slot = new Set()
      this.slots.set(key, slot)
    }
    slot.add(entry)
    entry.slot = slot
    this.count++
  }

  remove(entry: T): void {
    if (entry.slot && entry.slot.delete(entry)) this.count--
    entry.slot = null
  }

  /** Call `fn` for every entry whose tick has passed, removing it first. */
  expire(now: number, fn: (entry: T) => void): void {
    const last = Math.floor(now / this.tickMs)
    if (this.count === 0) {
      this.cursor = Math.max(this.cursor, last)
      return
    }
    while (this.cursor < last) {
      this.cursor++
      const slot = this.slots.get(this.cursor)
      if (!slot) continue
      this.slots.delete(this.cursor)
      for (const e of slot) {
        e.slot = null
        this.count--
        fn(e)
      }
    }
  }

  /** Remove and return every entry. */
  drain(): T[] {
    const out: T[] = []
    for (const slot of this.slots.values()) for (const e of slot) {
      e.slot = null
      out.push(e)
    }
    this.slots.clear()
    this.count = 0
    return out
  }
}
