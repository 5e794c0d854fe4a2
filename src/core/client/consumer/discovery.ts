/**
 * lookupd discovery for one topic (go-nsq consumer.go: ConnectToNSQLookupd, lookupdLoop,
 * queryLookupd): the first lookupd added is queried at once, then after a random jitter
 * (lookupd_poll_jitter × lookupd_poll_interval) every lookupd_poll_interval, one lookupd per
 * query round-robin with up to 3 tries. Every producer of each answer is reported to `found`
 * (the consumer connects to the ones it does not have). A query asked for while one runs is
 * run once more after it.
 */
import type {Logger} from '../../util/logger.js'
import {LookupdClient, producerAddress} from '../lookupd.js'
import type {ClientConfig} from '../options.js'

export class LookupdPoller {
  private readonly addrs: string[] = []
  private index = 0
  private client: LookupdClient | null = null
  private timer: NodeJS.Timeout | null = null
  private recheck = false
  private querying: Promise<void> | null = null
  private stopped = false

  constructor(
    private readonly topic: string,
    private readonly config: ClientConfig,
    private readonly log: Logger,
    private readonly random: () => number,
    /** an nsqd TCP address (`host:port`) a lookupd answered with */
    private readonly found: (nsqd: string) => void,
  ) {}

  /** true once a lookupd was added */
  get active(): boolean {
    return this.addrs.length > 0
  }

  /** Add lookupds (host:port or URL); the first one queries at once and starts the polling. */
  async add(addrs: readonly string[]): Promise<void> {
    for (const addr of addrs) {
      if (this.addrs.includes(addr)) continue
      this.addrs.push(addr)
      if (this.addrs.length === 1) {
        this.client = new LookupdClient(this.config.lookupd_poll_timeout, this.config.skip_lookupd_authorization ? this.config.auth_secret : '')
        await this.query()
        const jitter = this.random() * this.config.lookupd_poll_jitter * this.config.lookupd_poll_interval
        // as go-nsq: the jitter, then a ticker of lookupd_poll_interval
        this.timer = setTimeout(() => this.schedule(), jitter)
        this.timer.unref()
      }
    }
  }

  private schedule(): void {
    if (this.stopped) return
    this.timer = setTimeout(() => {
      if (this.stopped) return
      void this.query().finally(() => this.schedule())
    }, this.config.lookupd_poll_interval)
    this.timer.unref()
  }

  /** Query one lookupd (round-robin, up to 3 tries) and report its producers. */
  query(): Promise<void> {
    if (this.querying) {
      this.recheck = true
      return this.querying
    }
    const run = async (): Promise<void> => {
      const client = this.client
      if (!client) return
      for (let attempt = 0; attempt < 3 && !this.stopped; attempt++) {
        const addr = this.addrs[this.index % this.addrs.length] as string
        this.index = (this.index + 1) % this.addrs.length
        try {
          const res = await client.lookup(addr, this.topic)
          for (const p of res.producers) this.found(producerAddress(p))
          return
        } catch (err) {
          this.log.error(`error querying nsqlookupd (${addr}) - ${(err as Error).message}`)
        }
      }
    }
    this.querying = run().finally(() => {
      this.querying = null
      if (this.recheck && !this.stopped) {
        this.recheck = false
        void this.query()
      }
    })
    return this.querying
  }

  /** No more queries (one running finishes). */
  halt(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
  }

  /** Close the HTTP client (after halt, once the consumer has drained). */
  async close(): Promise<void> {
    await this.client?.close()
    this.client = null
  }
}
