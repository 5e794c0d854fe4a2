/**
 * The engine of `nsqkit relay` (nsq_to_nsq, NSQ-SPEC §1.4): every --topic consumed on one
 * channel and published to destination nsqds, each message FINed only once a destination
 * answered OK.
 *
 *   Consumer per topic ─▶ JSON filter ─▶ host pool picks a destination ─▶ Destination (MPUB
 *   batches, pipelined) ─▶ OK: FIN · failure: the pool is told, REQ with backoff
 *
 * As nsq_to_nsq: one consumer per source topic, the destination topic --destination-topic or
 * the source's name, the modes of go-hostpool (host-pool/), the JSON filter (json-filter.ts:
 * invalid JSON dropped, a missing required field requeued when a value is required, the
 * whitelist re-serialised as Go does), a failed publish requeued with go-nsq's delay and
 * backoff (Requeue(-1)), a status line per destination every --status-every messages.
 *
 * Beyond: MPUB batches per destination (destination.ts, --batch-size; 1 = Go's one PUB per
 * message); the consumer gives up on nothing by default (max_attempts 0 unless --consumer-opt
 * sets it): a destination outage only requeues, and everything comes back once it is up.
 *
 * The end (the signal): RDY 0; a message not yet sent is requeued at once (REQ 0); the batches
 * under way get their answers and are FINed or requeued; CLS; the producers stop.
 */
import {Consumer, type ConsumerMessage} from '../../client/consumer.js'
import type {ClientConfig} from '../../client/options.js'
import {createHostPool, type HostPool, type PoolMode} from '../host-pool/index.js'
import {connectConsumer, runUntilAborted, type FanOutContext} from '../consumer-run.js'
import {TimerMetrics} from '../timer-metrics.js'
import {Destination} from './destination.js'
import {UNABLE_TO_DECODE, filterMessage, jsonFilterActive, type JsonFilterOptions} from './json-filter.js'

export interface RelayOptions {
  topics: string[]
  channel: string
  nsqdTcpAddresses: string[]
  lookupdHttpAddresses: string[]
  destinations: string[]
  /** '' = the source topic's name */
  destinationTopic: string
  mode: PoolMode
  filter: JsonFilterOptions
  /** a status line per destination every N messages; 0 = none */
  statusEvery: number
  /** messages per MPUB (1 = PUB each) */
  batchSize: number
  /** the consumers' config (max_in_flight, user_agent, --consumer-opt applied) */
  config: ClientConfig
  /** the producers' config (--producer-opt applied) */
  producerConfig: ClientConfig
}

export type RelayContext = FanOutContext

export interface RelayStats {
  /** published, acknowledged and FINed */
  relayed: number
  /** FINed unsent by the JSON filter */
  filtered: number
  /** requeued: a failed publish, or the filter's missing required field */
  requeued: number
}

export interface RelayRun {
  readonly done: Promise<RelayStats>
  stats(): RelayStats
}

export function startRelay(opts: RelayOptions, ctx: RelayContext): RelayRun {
  return new RelayEngine(opts, ctx)
}

class RelayEngine implements RelayRun {
  readonly done: Promise<RelayStats>
  private readonly stats_: RelayStats = {relayed: 0, filtered: 0, requeued: 0}
  private readonly now: () => number
  private readonly pool: HostPool
  private readonly destinations: Destination[]
  private readonly metrics: TimerMetrics[]
  private readonly filtering: boolean
  private readonly consumers: Consumer[] = []
  private stopping = false
  /** request times are needed: status lines, or epsilon-greedy's weights */
  private readonly timed: boolean

  constructor(
    private readonly opts: RelayOptions,
    private readonly ctx: RelayContext,
  ) {
    this.now = ctx.now ?? (() => performance.now())
    this.pool = createHostPool(opts.mode, opts.destinations, {random: ctx.random, now: () => this.now()})
    this.destinations = opts.destinations.map((a) => new Destination(a, opts.producerConfig, Math.max(1, opts.batchSize), ctx.log))
    const info = (l: string): void => ctx.log.info(l)
    const warn = (l: string): void => ctx.log.warn(l)
    this.metrics = opts.destinations.map((a, i) => new TimerMetrics(opts.statusEvery, `[${a}]:`, info, i === 0 ? warn : undefined))
    this.filtering = jsonFilterActive(opts.filter)
    this.timed = opts.statusEvery !== 0 || opts.mode === 'epsilon-greedy'
    this.done = this.run()
  }

  stats(): RelayStats {
    return {...this.stats_}
  }

  private async run(): Promise<RelayStats> {
    const {opts, ctx} = this
    await runUntilAborted(
      ctx.signal,
      async () => {
        // the destinations connect while the consumers do (go-nsq's producer waits for the first
        // publish: one more round trip before the first batch); one that is down is only logged,
        // the first batch tries again
        for (const d of this.destinations) d.connect()
        for (const topic of opts.topics) {
          const target = opts.destinationTopic || topic
          const c = new Consumer(topic, opts.channel, (msg) => this.handle(msg, target), {config: opts.config, concurrency: Math.max(1, opts.config.max_in_flight), disableAutoResponse: true}, {logger: ctx.log})
          this.consumers.push(c)
          await connectConsumer(c, opts.nsqdTcpAddresses, opts.lookupdHttpAddresses)
        }
      },
      () => this.shutdown(),
    )
    return this.stats()
  }

  private async shutdown(): Promise<void> {
    this.stopping = true
    for (const c of this.consumers) c.changeMaxInFlight(0)
    await Promise.all(this.destinations.map((d) => d.drained()))
    await Promise.all(this.consumers.map((c) => c.stop()))
    await Promise.all(this.destinations.map((d) => d.stop().catch(() => undefined)))
  }

  private handle(msg: ConsumerMessage, topic: string): void {
    if (this.stopping) {
      msg.requeue(0, false)
      return
    }
    let body = msg.body
    if (this.filtering) {
      const r = filterMessage(body, this.opts.filter)
      if (r.action === 'drop') {
        // Go logs only the body it cannot decode (at ERROR); the other drops silently
        if (r.reason.startsWith(UNABLE_TO_DECODE)) this.ctx.log.error(`msg ${msg.id}: ${r.reason}`)
        else this.ctx.log.debug(`msg ${msg.id} dropped: ${r.reason}`)
        this.stats_.filtered++
        msg.finish()
        return
      }
      if (r.action === 'requeue') {
        this.ctx.log.error(`msg ${msg.id}: ${r.reason}`)
        this.stats_.requeued++
        msg.requeue(-1, true)
        return
      }
      body = r.body
    }
    const pick = this.pool.pick()
    const t0 = this.timed ? this.now() : 0
    ;(this.destinations[pick.index] as Destination).publish(topic, body, (err) => {
      if (err !== null) {
        pick.mark(err)
        this.ctx.log.error(`msg ${msg.id}: publish to ${pick.host} failed - ${err.message}`)
        this.stats_.requeued++
        msg.requeue(-1, true)
        return
      }
      pick.mark(null)
      if (this.timed) this.metrics[pick.index]?.record(this.now() - t0)
      this.stats_.relayed++
      msg.finish()
    })
  }
}
