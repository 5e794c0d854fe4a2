/**
 * RDY and backoff, go-nsq v1.1.0's (consumer.go: maybeUpdateRDY, updateRDY, rdyLoop,
 * backoff, resume), over the consumer's connections:
 *
 * - max_in_flight is spread over the connections (per connection
 *   min(max(1, max_in_flight / conns), max_in_flight), capped by the broker's max_rdy_count),
 *   re-spread when a connection comes or goes, never more than max_in_flight in total, and RDY
 *   is written only when it changes. A RDY that cannot leave 0 now is retried after 5 s.
 * - When there are more connections than max_in_flight (or in backoff), every
 *   rdy_redistribute_interval idle connections give up their RDY and RDY 1 goes to randomly
 *   chosen ones.
 * - Backoff: a REQ with backoff raises a counter (while multiplier × 2^n fits under
 *   max_backoff_duration), a FIN lowers it. While it is above 0 every connection gets RDY 0 for
 *   the strategy's wait (exponential, or full_jitter), then one random connection gets RDY 1 as
 *   a probe. At 0 every connection is restored.
 * - setMaxInFlight(0) sends RDY 0 on every connection, even in backoff.
 */
import {rdy} from '../../protocol/index.js'
import type {Logger} from '../../util/logger.js'
import type {ClientConfig} from '../options.js'
import type {ConnState} from './conn-state.js'

export class Rdy {
  private readonly timer: NodeJS.Timeout
  /** the pending RDY retries (ConnState.rdyRetry) */
  private readonly retries = new Set<NodeJS.Timeout>()
  private needRedistribute = false
  private totalRdy = 0
  private maxInFlight_: number
  private backoffCounter = 0
  private backoffTimer: NodeJS.Timeout | null = null
  private stopped = false

  constructor(
    /** the consumer's live connections, by address */
    private readonly conns: ReadonlyMap<string, ConnState>,
    private readonly config: ClientConfig,
    private readonly log: Logger,
    private readonly random: () => number,
  ) {
    this.maxInFlight_ = config.max_in_flight
    this.timer = setInterval(() => this.redistribute(), config.rdy_redistribute_interval)
    this.timer.unref()
  }

  get maxInFlight(): number {
    return this.maxInFlight_
  }

  /** go-nsq ChangeMaxInFlight: re-spread at once; 0 sends RDY 0 everywhere. */
  setMaxInFlight(n: number): void {
    this.maxInFlight_ = n
    for (const cs of this.conns.values()) {
      if (n === 0) this.updateRdy(cs, 0)
      else this.maybeUpdateRdy(cs)
    }
    if (n > 0 && this.backoffCounter > 0 && this.backoffTimer === null) this.resume()
  }

  /** Re-spread max_in_flight over the connections (not in backoff): after one came or went. */
  spread(): void {
    for (const cs of this.conns.values()) this.maybeUpdateRdy(cs)
  }

  /** A connection closed (already out of the map): its RDY is free again. */
  removed(cs: ConnState): void {
    this.totalRdy -= cs.rdy
    if (cs.rdyRetry) {
      clearTimeout(cs.rdyRetry)
      this.retries.delete(cs.rdyRetry)
    }
    if (cs.rdy > 0 && (this.conns.size === this.maxInFlight_ || this.backoffCounter > 0)) this.needRedistribute = true
  }

  /** Stop every timer: nothing is sent any more. */
  stop(): void {
    this.stopped = true
    clearInterval(this.timer)
    if (this.backoffTimer) clearTimeout(this.backoffTimer)
    this.backoffTimer = null
    for (const t of this.retries) clearTimeout(t)
    this.retries.clear()
  }

  private perConnMaxInFlight(): number {
    const b = this.maxInFlight_
    const n = Math.max(1, this.conns.size)
    return Math.min(Math.max(1, Math.floor(b / n)), b)
  }

  private maybeUpdateRdy(cs: ConnState): void {
    if (this.backoffCounter > 0 || this.backoffTimer !== null) return
    this.updateRdy(cs, this.perConnMaxInFlight())
  }

  /**
   * Ask for RDY `wanted` on one connection (capped by its max_rdy_count, and when raising by
   * what max_in_flight leaves); false when it could not be raised now.
   */
  private updateRdy(cs: ConnState, wanted: number): boolean {
    if (cs.closing || !cs.conn.connected) return false
    let count = Math.min(wanted, cs.conn.maxRdyCount)
    if (cs.rdyRetry) {
      clearTimeout(cs.rdyRetry)
      this.retries.delete(cs.rdyRetry)
      cs.rdyRetry = null
    }
    // lowering RDY never takes more than max_in_flight
    if (count <= cs.rdy) {
      this.sendRdy(cs, count)
      return true
    }
    const maxPossible = this.maxInFlight_ - this.totalRdy + cs.rdy
    if (maxPossible > 0 && maxPossible < count) count = maxPossible
    if (maxPossible <= 0 && count > 0) {
      if (cs.rdy === 0) {
        // could not leave RDY 0 now: try again, so this connection does not starve for ever
        const t = setTimeout(() => {
          this.retries.delete(t)
          cs.rdyRetry = null
          this.updateRdy(cs, count)
        }, 5000)
        t.unref()
        this.retries.add(t)
        cs.rdyRetry = t
      }
      return false
    }
    this.sendRdy(cs, count)
    return true
  }

  private sendRdy(cs: ConnState, count: number): void {
    if (count === cs.rdy) return
    this.totalRdy += count - cs.rdy
    cs.rdy = count
    cs.lastRdyAt = Date.now()
    cs.conn.write(rdy(count))
  }

  private redistribute(): void {
    if (this.backoffTimer !== null || this.stopped) return
    const conns = [...this.conns.values()]
    if (conns.length === 0) return
    const maxInFlight = this.maxInFlight_
    if (conns.length > maxInFlight) this.needRedistribute = true
    if (this.backoffCounter > 0 && conns.length > 1) this.needRedistribute = true
    if (!this.needRedistribute) return
    this.needRedistribute = false
    const now = Date.now()
    const possible: ConnState[] = []
    for (const cs of conns) {
      if (cs.rdy > 0) {
        if (now - cs.lastMsgAt > this.config.low_rdy_idle_timeout) this.updateRdy(cs, 0)
        else if (now - cs.lastRdyAt > this.config.low_rdy_timeout) this.updateRdy(cs, 0)
      }
      possible.push(cs)
    }
    let available = Math.min(this.backoffCounter > 0 ? 1 : maxInFlight, maxInFlight) - this.totalRdy
    while (possible.length > 0 && available > 0) {
      available--
      const i = Math.floor(this.random() * possible.length) % possible.length
      const [cs] = possible.splice(i, 1)
      this.updateRdy(cs as ConnState, 1)
    }
  }

  /** The wait for backoff level `n`. */
  private backoffDuration(n: number): number {
    const d = this.config.backoff_multiplier * 2 ** n
    return this.config.backoff_strategy === 'full_jitter' ? Math.floor(this.random() * d) : d
  }

  /** A message was answered: FIN ('resume'), REQ with backoff ('backoff') or without ('continue'). */
  signal(kind: 'resume' | 'backoff' | 'continue'): void {
    if (this.backoffTimer !== null) return
    let updated = false
    if (kind === 'resume' && this.backoffCounter > 0) {
      this.backoffCounter--
      updated = true
    } else if (kind === 'backoff' && this.backoffDuration(this.backoffCounter + 1) <= this.config.max_backoff_duration) {
      this.backoffCounter++
      updated = true
    }
    if (this.backoffCounter === 0 && updated) {
      const count = this.perConnMaxInFlight()
      this.log.warn(`exiting backoff, returning all to RDY ${count}`)
      for (const cs of this.conns.values()) this.updateRdy(cs, count)
    } else if (this.backoffCounter > 0) {
      const d = Math.min(this.backoffDuration(this.backoffCounter), this.config.max_backoff_duration)
      this.log.warn(`backing off for ${d}ms (backoff level ${this.backoffCounter}), setting all to RDY 0`)
      for (const cs of this.conns.values()) this.updateRdy(cs, 0)
      this.startBackoff(d)
    }
  }

  private startBackoff(ms: number): void {
    this.backoffTimer = setTimeout(() => this.resume(), ms)
    this.backoffTimer.unref()
  }

  /** After a backoff wait: RDY 1 to one random connection, to test the waters. */
  private resume(): void {
    this.backoffTimer = null
    if (this.stopped || this.maxInFlight_ === 0) return
    const conns = [...this.conns.values()].filter((c) => !c.closing)
    if (conns.length === 0) {
      this.startBackoff(1000)
      return
    }
    const choice = conns[Math.floor(this.random() * conns.length) % conns.length] as ConnState
    if (!this.updateRdy(choice, 1)) this.startBackoff(1000)
  }
}
