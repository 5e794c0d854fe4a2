/**
 * `--mode=hostpool`, the default (NSQ-SPEC §1.3 "Modes", §1.4): go-hostpool's standard pool
 * (hostpool.New), round-robin over the hosts that are alive, a failing host set aside and
 * retried later. Its rules, as go-hostpool v0.1.0 has them:
 *
 *   pick     from the index after the last pick, the first host that is alive, or dead with its
 *            retry time passed (strictly: nextRetry < now). A dead host picked this way is a
 *            retry: it stays dead, its delay doubles (capped at 900 s: min(2·delay, 900 s)) and
 *            its next retry is that far from now, so it is not picked again until then — the
 *            delay grows when the retry is picked, not when it fails
 *   all dead with none due: every host is alive again, hosts[0] is picked, and the search
 *            restarts at index 0 (so the pick after that is hosts[0] again)
 *   mark(ok) the host is alive (its delay is reset by the next failure, below)
 *   mark(err) a host that was alive turns dead: delay 30 s, next retry now + 30 s. A failure
 *            of a host already dead (a failed retry) changes nothing
 *
 * So a host that keeps failing is tried again 30 s after the failure, then 60, 120, 240, 480
 * and 900 s after each retry, 900 s from then on; one success puts it back in the rotation.
 *
 * go-hostpool finds the host a mark is about by its name, so with the same host given twice
 * every mark lands on the last of them (the earlier one is never set aside); that is kept.
 * Time is the injected `now()` in ms; one pick or mark runs to completion, so Go's mutex has
 * no counterpart. epsilon-greedy.ts builds on this class, as Go's epsilon pool embeds this one.
 */
import type {HostPick, HostPool, HostPoolDeps} from './types.js'

export const INITIAL_RETRY_DELAY_MS = 30_000
export const MAX_RETRY_INTERVAL_MS = 900_000

/** One host's failure state (go-hostpool's hostEntry). */
export interface HostEntry {
  readonly host: string
  readonly index: number
  dead: boolean
  /** ms on the pool's clock; a dead host may be retried once now is past it */
  nextRetry: number
  retryDelay: number
}

export class StandardPool implements HostPool {
  readonly hosts: readonly string[]
  protected readonly entries: readonly HostEntry[]
  protected readonly now: () => number
  /** what a mark is about, by name: the last entry of each name */
  private readonly byName = new Map<string, HostEntry>()
  private nextHostIndex = 0

  constructor(hosts: readonly string[], deps: HostPoolDeps = {}) {
    this.hosts = Object.freeze([...hosts])
    this.now = deps.now ?? (() => performance.now())
    this.entries = this.hosts.map((host, index) => ({host, index, dead: false, nextRetry: 0, retryDelay: INITIAL_RETRY_DELAY_MS}))
    for (const e of this.entries) this.byName.set(e.host, e)
  }

  pick(): HostPick {
    const e = this.roundRobin(this.now())
    return this.respond(e, (err) => {
      if (err === null || err === undefined) this.markSuccess(e.host)
      else this.markFailed(e.host, this.now())
    })
  }

  /** go-hostpool's getRoundRobin (see the header). */
  protected roundRobin(now: number): HostEntry {
    const n = this.entries.length
    for (let i = 0; i < n; i++) {
      const idx = (i + this.nextHostIndex) % n
      const h = this.entries[idx] as HostEntry
      if (!h.dead) {
        this.nextHostIndex = idx + 1
        return h
      }
      if (h.nextRetry < now) {
        this.willRetry(h, now)
        this.nextHostIndex = idx + 1
        return h
      }
    }
    for (const h of this.entries) h.dead = false
    this.nextHostIndex = 0
    return this.entries[0] as HostEntry
  }

  /** alive, or dead with its retry time passed */
  protected static canTry(h: HostEntry, now: number): boolean {
    return !h.dead || h.nextRetry < now
  }

  /** A dead host is picked for a retry: double its delay (up to the cap) from now. */
  protected willRetry(h: HostEntry, now: number): void {
    const doubled = h.retryDelay * 2
    h.retryDelay = doubled < MAX_RETRY_INTERVAL_MS ? doubled : MAX_RETRY_INTERVAL_MS
    h.nextRetry = now + h.retryDelay
  }

  /** The entry a mark about `host` lands on (the one marked alive). */
  protected markSuccess(host: string): HostEntry {
    const h = this.byName.get(host) as HostEntry
    h.dead = false
    return h
  }

  protected markFailed(host: string, now: number): void {
    const h = this.byName.get(host) as HostEntry
    if (h.dead) return
    h.dead = true
    h.retryDelay = INITIAL_RETRY_DELAY_MS
    h.nextRetry = now + INITIAL_RETRY_DELAY_MS
  }

  /** The pick of `e`; `onMark` runs at the first mark only (Go's sync.Once). */
  protected respond(e: HostEntry, onMark: (err: unknown) => void): HostPick {
    let marked = false
    return {
      host: e.host,
      index: e.index,
      mark: (err: unknown): void => {
        if (marked) return
        marked = true
        onMark(err)
      },
    }
  }
}
