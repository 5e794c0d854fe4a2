/**
 * nsq_to_file's discovery mode (NSQ-SPEC §1.2 "Topic selection", §3.3 GET /topics;
 * apps/nsq_to_file/topic_discoverer.go): with no --topic, every lookupd's /topics is polled and
 * each new topic that matches --topic-pattern is handed to the engine, once.
 *
 *   start ─▶ refresh ─▶ wait refreshMs from the start of the last refresh ─▶ refresh ─▶ …
 *   refresh: GET /topics of every lookupd at once ─▶ union ─▶ sort ─▶ new and matching ─▶ onTopic
 *
 * Two departures from Go, both on purpose: the first refresh runs at once (Go's first comes only
 * after one --topic-refresh tick, so nothing is consumed for a minute), and a lookupd that
 * fails is logged while the others' topics still count (Go's GetLookupdTopics fails the whole
 * refresh on any one error and drops what the others answered).
 *
 * Refreshes never overlap: a tick (or a refresh() call) that comes while one runs waits for it,
 * and several such wait for the same one next refresh, so a slow lookupd delays polling instead
 * of stacking requests (each is bounded by the connect and request timeouts). Known topics stay
 * known when lookupd stops naming them, as in Go. A topic whose onTopic throws is logged and
 * left unknown, so the next refresh offers it again (Go retries a topic whose FileLogger could
 * not be made). The timer is unref'd: polling alone keeps no process alive.
 */
import {LookupdError} from '../../client/errors.js'
import {LookupdClient} from '../../client/lookupd.js'
import type {Logger} from '../../util/logger.js'

export interface TopicDiscoveryOptions {
  lookupdHttpAddresses: string[]
  /** Go regexp used unanchored (MatchString); null = every topic */
  pattern: RegExp | null
  refreshMs: number
  connectTimeoutMs: number
  requestTimeoutMs: number
  logger: Logger
  /** sent as `Authorization: Bearer …` to lookupd ('' = none), as the consumers' lookupd queries */
  authSecret?: string
}

/**
 * Polls every lookupd's /topics concurrently, now and then every refreshMs; calls onTopic once
 * per new topic that matches (sorted order within one refresh); topics that disappear are never
 * removed. A lookupd that fails is logged (error level, naming the address and why) and the
 * others' topics still count.
 */
export class TopicDiscoverer {
  private readonly client: LookupdClient
  private readonly known = new Set<string>()
  private timer: NodeJS.Timeout | null = null
  private running: Promise<void> | null = null
  private queued: Promise<void> | null = null
  private lastStart = 0
  private started = false
  private stopped = false

  constructor(
    private readonly opts: TopicDiscoveryOptions,
    private readonly onTopic: (topic: string) => void,
  ) {
    this.client = new LookupdClient({connectTimeoutMs: opts.connectTimeoutMs, requestTimeoutMs: opts.requestTimeoutMs}, opts.authSecret ?? '')
  }

  /** first refresh now; resolves after it (even if every lookupd failed: it logs and keeps polling) */
  async start(): Promise<void> {
    if (this.started || this.stopped) return
    this.started = true
    await this.refresh()
    this.schedule()
  }

  /** one refresh now (tests, and the engine may call it); one already running is waited for first */
  refresh(): Promise<void> {
    if (this.stopped) return Promise.resolve()
    if (this.running === null) {
      this.running = this.poll().finally(() => {
        this.running = null
      })
      return this.running
    }
    this.queued ??= this.running.then(() => {
      this.queued = null
      return this.refresh()
    })
    return this.queued
  }

  /** no more polls; closes the HTTP client (a refresh running finishes first, without reporting) */
  async stop(): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
    await this.running
    await this.client.close()
  }

  private schedule(): void {
    if (this.stopped) return
    const wait = Math.max(0, this.lastStart + this.opts.refreshMs - Date.now())
    this.timer = setTimeout(() => {
      this.timer = null
      void this.refresh()
        .catch((err: unknown) => this.opts.logger.error(`topic discovery failed: ${(err as Error).message}`))
        .then(() => this.schedule())
    }, wait)
    this.timer.unref()
  }

  /** One refresh: every lookupd at once, the union sorted, the new matching topics reported. */
  private async poll(): Promise<void> {
    this.lastStart = Date.now()
    const {lookupdHttpAddresses: addrs, pattern, logger} = this.opts
    const answers = await Promise.allSettled(addrs.map((addr) => this.client.topics(addr)))
    if (this.stopped) return
    const topics = new Set<string>()
    answers.forEach((a, i) => {
      if (a.status === 'fulfilled') for (const t of a.value) topics.add(t)
      else {
        const err = a.reason as Error
        logger.error(`could not retrieve topic list: ${err instanceof LookupdError ? err.message : `lookupd ${addrs[i]}: ${err.message}`}`)
      }
    })
    for (const topic of [...topics].sort()) {
      if (this.known.has(topic)) continue
      if (pattern !== null && !matches(pattern, topic)) {
        logger.debug(`skipping topic ${topic} (doesn't match pattern ${pattern.source})`)
        continue
      }
      try {
        this.onTopic(topic)
        this.known.add(topic)
      } catch (err) {
        logger.error(`couldn't start on new topic ${topic}: ${(err as Error).message}`)
      }
    }
  }
}

/** regexp.MatchString: unanchored; lastIndex reset so a g or y flag cannot make it stateful. */
function matches(pattern: RegExp, topic: string): boolean {
  pattern.lastIndex = 0
  return pattern.test(topic)
}
