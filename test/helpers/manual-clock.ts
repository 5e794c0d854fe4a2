/**
 * A Clock that moves only when a test says so (docs/ARCHITECTURE.md, "Seams"): `advance(ms)` runs every timer
 * that falls due on the way, in deadline order, each at its own time (`now()` inside a timer
 * callback is that timer's deadline), so a 60 s msg_timeout or a 2 x heartbeat read deadline
 * is tested in microseconds. Timers due at the same instant run in the order they were set.
 */
import type {Clock, Timer} from '../../src/core/util/clock.js'

interface Entry {
  due: number
  /** 0 for a one-shot timer */
  every: number
  ms: number
  seq: number
  fn: () => void
  live: boolean
  cancelled: boolean
}

export class ManualClock implements Clock {
  private t: number
  private seq = 0
  private readonly timers = new Set<Entry>()

  constructor(start = 1_700_000_000_000) {
    this.t = start
  }

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): Timer {
    return this.add(fn, ms, 0)
  }

  setInterval(fn: () => void, ms: number): Timer {
    return this.add(fn, ms, Math.max(1, ms))
  }

  /** How many timers are set (a closed session leaves none of its own behind). */
  get pending(): number {
    return this.timers.size
  }

  /** Move time forward by `ms`, running what falls due, in order. */
  advance(ms: number): void {
    const end = this.t + ms
    for (;;) {
      let next: Entry | null = null
      for (const e of this.timers) {
        if (e.due > end) continue
        if (next === null || e.due < next.due || (e.due === next.due && e.seq < next.seq)) next = e
      }
      if (next === null) break
      this.t = Math.max(this.t, next.due)
      if (next.every > 0) {
        next.due += next.every
        next.seq = this.seq++
      } else {
        next.live = false
        this.timers.delete(next)
      }
      next.fn()
    }
    this.t = end
  }

  private add(fn: () => void, ms: number, every: number): Timer {
    const e: Entry = {due: this.t + Math.max(0, ms), every, ms, seq: this.seq++, fn, live: true, cancelled: false}
    this.timers.add(e)
    return {
      refresh: () => {
        if (e.cancelled) return
        if (!e.live) {
          // Node's refresh() re-arms a timer that already fired
          e.live = true
          this.timers.add(e)
        }
        e.due = this.t + Math.max(0, e.ms)
        e.seq = this.seq++
      },
      cancel: () => {
        e.cancelled = true
        e.live = false
        this.timers.delete(e)
      },
    }
  }
}
