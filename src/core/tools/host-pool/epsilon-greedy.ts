/**
 * `--mode=epsilon-greedy` (NSQ-SPEC §1.3 "Modes", §1.4): go-hostpool's
 * NewEpsilonGreedy(hosts, 0, &LinearEpsilonValueCalculator{}) — decay 0 means its default,
 * 5 minutes — on top of the standard pool's dead-host rules (standard.ts). As go-hostpool
 * v0.1.0 has it:
 *
 * Per pick:
 *   explore  a float32 draw below ε: ε = float32(ε · 0.9), floored at 0.01, and the pick is the
 *            standard pool's round-robin (dead hosts skipped or retried, all dead → hosts[0]).
 *            ε starts at float32(0.3) and decays per exploration only — not with time, and not
 *            on the greedy picks — so it reaches its 0.01 floor at the 33rd exploration
 *   exploit  every host that can be tried (alive, or dead with its retry due) and has a
 *            weighted average response time v > 0 gets the value 1/v (linear); one more draw
 *            r ∈ [0, 1) walks them in host order, summing value/Σvalues, and takes the first
 *            whose running sum reaches r (r ≤ sum). A dead host taken this way is a retry (its
 *            delay doubles, as in the standard pool). If no host qualifies — before any
 *            timings exist, when they have all aged out, or when rounding leaves r above the
 *            last sum — the pick is the round-robin, as in Go (which also logs "Dan loses" in
 *            that last case; there is no logger here)
 *
 * Timings: the time from pick() to a successful mark() (`now()`, ms), truncated to a whole ms
 * as Go's int64(duration.Seconds()*1000) does — a sub-millisecond answer counts as 0 — is added
 * to the host's current bucket. A failed mark records nothing (the host turns dead). There are
 * 120 buckets over the 5-minute decay window: every 2.5 s since the pool was made (Go's ticker;
 * here caught up at the next pick or mark), the current bucket moves on and the one it moves to
 * is emptied, so a timing counts for 5 minutes at most.
 *
 * The weighted average walks the buckets from the oldest (weight 1/120) to the current one
 * (120/120), adding each bucket's mean × its weight; an empty bucket adds the last mean seen
 * before it (0 until one is seen). It is a weighted sum, not a mean: only the ratios between
 * hosts matter, and a host whose last timings are older carries them forward through more
 * buckets, so its v is larger and its value smaller than a host with the same time measured
 * just now.
 *
 * Randomness is the injected `random()`: one draw per pick to decide exploration (as a
 * float32), a second only when some host qualifies for the weighted choice.
 */
import {StandardPool, type HostEntry} from './standard.js'
import type {HostPick, HostPoolDeps} from './types.js'

const BUCKETS = 120
const DECAY_MS = 5 * 60_000
const BUCKET_MS = DECAY_MS / BUCKETS
const INITIAL_EPSILON = Math.fround(0.3)
const EPSILON_DECAY = Math.fround(0.9)
const MIN_EPSILON = Math.fround(0.01)

export class EpsilonGreedyPool extends StandardPool {
  private epsilon = INITIAL_EPSILON
  private readonly random: () => number
  /** per host, per bucket: how many timings, and their sum in whole ms */
  private readonly counts: number[][]
  private readonly sums: number[][]
  /** the current bucket (Go keeps one per host; they always move together) */
  private bucket = 0
  private readonly start: number
  /** bucket moves made so far */
  private ticks = 0

  constructor(hosts: readonly string[], deps: HostPoolDeps = {}) {
    super(hosts, deps)
    this.random = deps.random ?? Math.random
    this.start = this.now()
    this.counts = this.entries.map(() => new Array<number>(BUCKETS).fill(0))
    this.sums = this.entries.map(() => new Array<number>(BUCKETS).fill(0))
  }

  override pick(): HostPick {
    const started = this.now()
    this.decay(started)
    const e = this.choose(started)
    return this.respond(e, (err) => {
      const ended = this.now()
      if (err === null || err === undefined) {
        const h = this.markSuccess(e.host)
        this.decay(ended)
        this.record(h, ended - started)
      } else {
        this.markFailed(e.host, ended)
      }
    })
  }

  private choose(now: number): HostEntry {
    if (Math.fround(this.random()) < this.epsilon) {
      this.epsilon = Math.fround(this.epsilon * EPSILON_DECAY)
      if (this.epsilon < MIN_EPSILON) this.epsilon = MIN_EPSILON
      return this.roundRobin(now)
    }
    const possible: HostEntry[] = []
    const values: number[] = []
    let sum = 0
    for (const h of this.entries) {
      if (!StandardPool.canTry(h, now)) continue
      const v = this.weightedAverage(h.index)
      if (v > 0) {
        const ev = 1 / v
        sum += ev
        possible.push(h)
        values.push(ev)
      }
    }
    let chosen: HostEntry | undefined
    if (possible.length > 0) {
      let ceiling = 0
      const r = this.random()
      for (let i = 0; i < possible.length; i++) {
        ceiling += (values[i] as number) / sum
        if (r <= ceiling) {
          chosen = possible[i]
          break
        }
      }
    }
    if (chosen === undefined) return this.roundRobin(now)
    if (chosen.dead) this.willRetry(chosen, now)
    return chosen
  }

  private weightedAverage(i: number): number {
    const counts = this.counts[i] as number[]
    const sums = this.sums[i] as number[]
    let value = 0
    let last = 0
    for (let k = 1; k <= BUCKETS; k++) {
      const pos = (this.bucket + k) % BUCKETS
      const count = counts[pos] as number
      const weight = k / BUCKETS
      if (count > 0) {
        const mean = (sums[pos] as number) / count
        value += mean * weight
        last = mean
      } else {
        value += last * weight
      }
    }
    return value
  }

  private record(h: HostEntry, ms: number): void {
    const counts = this.counts[h.index] as number[]
    const sums = this.sums[h.index] as number[]
    counts[this.bucket] = (counts[this.bucket] as number) + 1
    sums[this.bucket] = (sums[this.bucket] as number) + Math.max(0, Math.trunc(ms))
  }

  /** The bucket moves Go's ticker would have made by `now` (one per 2.5 s since the start). */
  private decay(now: number): void {
    const due = Math.floor((now - this.start) / BUCKET_MS)
    const moves = due - this.ticks
    if (moves <= 0) return
    this.ticks = due
    for (let m = 0; m < Math.min(moves, BUCKETS); m++) {
      this.bucket = (this.bucket + 1) % BUCKETS
      for (const counts of this.counts) counts[this.bucket] = 0
      for (const sums of this.sums) sums[this.bucket] = 0
    }
    if (moves > BUCKETS) this.bucket = (this.bucket + (moves - BUCKETS)) % BUCKETS
  }
}
