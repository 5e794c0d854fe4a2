/**
 * The wall clock finer than Date.now()'s milliseconds, for nsqd's nanosecond message
 * timestamps and microsecond log stamps.
 *
 * The time is the monotonic high-resolution clock (process.hrtime) plus an offset to the wall
 * clock taken once, at first use, from performance.timeOrigin (the wall clock at process start,
 * to the microsecond) + performance.now(). A monotonic clock drifts from a wall clock that NTP
 * steers, so once a second (an unref'd timer) the offset is checked against Date.now() and
 * taken again if they are more than 2 ms apart: the clock then follows a stepped wall clock as
 * Go's time.Now() does, and is otherwise strictly increasing.
 *
 * Also the `Clock` the daemons take by injection (docs/ARCHITECTURE.md, "Seams"): the millisecond time and the
 * timers behind timeouts, heartbeats and scan loops, so that tests drive them in milliseconds
 * with a manual clock instead of sleeping. `systemClock` is the real one.
 */

const NS_PER_MS = 1_000_000n
/** wall-clock ns minus hrtime ns; null until first use */
let offset: bigint | null = null

function anchor(): bigint {
  const hr = process.hrtime.bigint()
  const wallMs = performance.timeOrigin + performance.now()
  const off = BigInt(Math.round(wallMs * 1000)) * 1000n - hr
  if (offset === null) {
    const t = setInterval(resync, 1000)
    t.unref()
  }
  offset = off
  // performance.timeOrigin can itself be some ms off the wall clock (seen on a loaded VM): the
  // first reading is held to the same 2 ms as every later one
  resync()
  return offset
}

/** Take the offset again from Date.now() if the two clocks are more than 2 ms apart. */
function resync(): void {
  if (offset === null) return
  const hr = process.hrtime.bigint()
  const wall = Date.now()
  const ours = Number((offset + hr) / NS_PER_MS)
  // Date.now() is truncated to the ms: the middle of its millisecond is the best estimate
  if (Math.abs(ours - wall) > 2) offset = BigInt(wall) * NS_PER_MS + NS_PER_MS / 2n - hr
}

/** Nanoseconds since the Unix epoch. */
export function nowNs(): bigint {
  return (offset ?? anchor()) + process.hrtime.bigint()
}

/** Microseconds since the Unix epoch (a whole number; exact in a double until the year 2255). */
export function nowMicros(): number {
  return Number(nowNs() / 1000n)
}

const scratch = new DataView(new ArrayBuffer(8))

/** The two uint32 halves of a non-negative int64 (the message frame's timestamp). */
export function uint64Halves(n: bigint): [number, number] {
  scratch.setBigUint64(0, n)
  return [scratch.getUint32(0), scratch.getUint32(4)]
}

/** A timer made by a Clock. */
export interface Timer {
  /** start the countdown again from now (a read deadline pushed out by new bytes) */
  refresh(): void
  /** stop it; it never fires after this */
  cancel(): void
}

/** Milliseconds and timers, injectable. Timers never keep the process alive. */
export interface Clock {
  /** ms since the Unix epoch */
  now(): number
  /** run `fn` once, `ms` from now */
  setTimeout(fn: () => void, ms: number): Timer
  /** run `fn` every `ms` */
  setInterval(fn: () => void, ms: number): Timer
}

const wrap = (t: NodeJS.Timeout): Timer => {
  t.unref()
  return {
    refresh: () => void t.refresh(),
    cancel: () => clearTimeout(t),
  }
}

/** Date.now() and Node's timers, unref'd. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => wrap(setTimeout(fn, ms)),
  setInterval: (fn, ms) => wrap(setInterval(fn, ms)),
}
