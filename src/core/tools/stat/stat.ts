/**
 * The engine of nsq_stat (NSQ-SPEC §1.6): every interval, find the nsqd nodes, read each one's
 * /stats for the topic and channel, and report the channel's counters summed over the nodes
 * (with the line of the interval from rows.ts once there is a previous sample).
 *
 *   producers  lookupd mode: GET /lookup?topic=T on each lookupd, de-duplicated by
 *              broadcast_address:http_port (without a topic: GET /topics, then /lookup of each);
 *              nsqd mode: GET /stats?format=json&topic=T&include_clients=false on each nsqd,
 *              those that have the topic
 *   stats      GET /stats?format=json&topic=T&channel=C&include_clients=false on each producer
 *
 * Beyond nsq_stat, which dies on any failed query: a lookupd or nsqd that does not answer is
 * reported (`failed`, one line) and left out of that interval; the run fails (StatFatal, exit 1)
 * only when the first poll has nothing to show: no node answered, or none has the channel.
 * Without a channel (or a topic) every channel (of every topic) found is its own block.
 *
 * Iteration 0 records the baseline; the report of iteration i has a row for each block seen at
 * i−1 too. The polls are `intervalMs` apart from the start (not the end) of the previous one;
 * with `count` N, N rows (iterations 1..N), then done. The signal stops the wait at once.
 */
import {LookupdClient} from '../../client/lookupd.js'
import {NsqdHttpClient, type StatsDoc} from '../../client/nsqd-http.js'
import {formatHostPort} from '../../util/hostport.js'
import type {StatRow} from './format.js'
import {statRow, sumCounters, type ChannelCounters, type ChannelTotals} from './rows.js'

export interface StatOptions {
  /** '' = every topic */
  topic: string
  /** '' = every channel of the topic (of every topic) */
  channel: string
  nsqdHttpAddresses: readonly string[]
  lookupdHttpAddresses: readonly string[]
  intervalMs: number
  /** the number of rows; 0 = until stopped */
  count: number
  connectTimeoutMs: number
  requestTimeoutMs: number
}

/** One topic/channel in an interval's report. */
export interface StatBlock {
  topic: string
  channel: string
  totals: ChannelTotals
  /** null at the baseline (its first sample) */
  row: StatRow | null
}

export interface StatReport {
  /** the iteration: 0 is the baseline */
  i: number
  time: Date
  /** sorted by topic, then channel */
  blocks: StatBlock[]
}

export interface StatHooks {
  signal?: AbortSignal
  report(r: StatReport): void
  /** a lookupd or nsqd that did not answer (skipped this interval), or a channel not found */
  failed(line: string): void
}

/** Nothing to show at the first poll: exit 1. */
export class StatFatal extends Error {}

/** node → block key (`topic\0channel`) → counters */
type Sample = Map<string, Map<string, ChannelCounters>>

const keyOf = (topic: string, channel: string): string => `${topic}\0${channel}`

export async function runStat(o: StatOptions, hooks: StatHooks): Promise<void> {
  const timeouts = {connectTimeoutMs: o.connectTimeoutMs, requestTimeoutMs: o.requestTimeoutMs}
  const nsqd = new NsqdHttpClient(timeouts)
  const lookupd = o.lookupdHttpAddresses.length > 0 ? new LookupdClient(timeouts) : null
  const t0 = Date.now()
  let prev: Sample | null = null
  try {
    for (let i = 0; o.count === 0 || i <= o.count; i++) {
      if (hooks.signal?.aborted) return
      const {sample, answered, lastFailure} = await poll(o, nsqd, lookupd, hooks)
      if (hooks.signal?.aborted) return
      const blocks = makeBlocks(sample, prev, o.intervalMs)
      if (i === 0 && answered === 0) throw new StatFatal(lastFailure)
      if (blocks.length === 0) {
        const why = o.channel !== '' ? `failed to find channel(${o.channel}) in stats metadata for topic(${o.topic})` : o.topic !== '' ? `no channel found for topic(${o.topic})` : 'no topic/channel found'
        if (i === 0) throw new StatFatal(why)
        if (answered > 0) hooks.failed(why)
      }
      hooks.report({i, time: new Date(), blocks})
      prev = sample
      if (o.count !== 0 && i === o.count) return
      await sleepUntil(t0 + (i + 1) * o.intervalMs, hooks.signal)
    }
  } finally {
    await Promise.all([nsqd.close(), lookupd?.close()])
  }
}

function makeBlocks(sample: Sample, prev: Sample | null, intervalMs: number): StatBlock[] {
  const byKey = new Map<string, Map<string, ChannelCounters>>()
  for (const [node, channels] of sample) {
    for (const [key, c] of channels) {
      let m = byKey.get(key)
      if (m === undefined) byKey.set(key, (m = new Map()))
      m.set(node, c)
    }
  }
  const blocks: StatBlock[] = []
  for (const [key, cur] of byKey) {
    const [topic = '', channel = ''] = key.split('\0')
    let row: StatRow | null = null
    if (prev !== null && [...prev.values()].some((m) => m.has(key))) {
      const before = new Map<string, ChannelCounters>()
      for (const [node, m] of prev) {
        const c = m.get(key)
        if (c) before.set(node, c)
      }
      row = statRow(before, cur, intervalMs)
    }
    blocks.push({topic, channel, totals: sumCounters(cur.values()), row})
  }
  return blocks.sort((a, b) => (a.topic === b.topic ? cmp(a.channel, b.channel) : cmp(a.topic, b.topic)))
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

interface Poll {
  sample: Sample
  /** the nsqd nodes whose stats answered */
  answered: number
  lastFailure: string
}

async function poll(o: StatOptions, nsqd: NsqdHttpClient, lookupd: LookupdClient | null, hooks: StatHooks): Promise<Poll> {
  let lastFailure = ''
  const fail = (err: unknown): void => {
    lastFailure = (err as Error).message
    hooks.failed(`${lastFailure} (skipped this interval)`)
  }
  // the producers and, in nsqd mode without a channel, their stats already
  const docs = new Map<string, StatsDoc | null>()
  /** the nodes that answered a /stats query (in nsqd mode, one without the topic too) */
  const answered = new Set<string>()
  if (lookupd !== null) {
    for (const addr of await lookupNodes(o, lookupd, fail)) docs.set(addr, null)
  } else {
    const answers = await Promise.allSettled(o.nsqdHttpAddresses.map((a) => nsqd.stats(a, {topic: o.topic})))
    answers.forEach((a, n) => {
      const addr = o.nsqdHttpAddresses[n] as string
      if (a.status === 'rejected') return fail(a.reason)
      answered.add(addr)
      if (o.topic !== '' && !(a.value.topics ?? []).some((t) => t.topic_name === o.topic)) return
      docs.set(addr, o.channel === '' ? a.value : null)
    })
  }
  const sample: Sample = new Map()
  await Promise.all(
    [...docs].map(async ([addr, known]) => {
      let doc = known
      try {
        doc ??= await nsqd.stats(addr, {topic: o.topic, channel: o.channel})
      } catch (err) {
        return fail(err)
      }
      answered.add(addr)
      sample.set(addr, channelsOf(doc, o))
    }),
  )
  if (answered.size === 0 && lastFailure === '') lastFailure = o.topic === '' ? 'no nsqd found' : `no nsqd has topic(${o.topic})`
  return {sample, answered: answered.size, lastFailure}
}

/** lookupd mode: the producers of the topic (of every topic), by broadcast_address:http_port. */
async function lookupNodes(o: StatOptions, lookupd: LookupdClient, fail: (err: unknown) => void): Promise<string[]> {
  const nodes = new Set<string>()
  await Promise.all(
    o.lookupdHttpAddresses.map(async (addr) => {
      try {
        const topics = o.topic !== '' ? [o.topic] : await lookupd.topics(addr)
        for (const r of await Promise.all(topics.map((t) => lookupd.lookup(addr, t)))) {
          for (const p of r.producers) nodes.add(formatHostPort({host: p.broadcast_address, port: p.http_port}))
        }
      } catch (err) {
        fail(err)
      }
    }),
  )
  return [...nodes].sort()
}

/** The channels of a /stats document that the options ask for. */
function channelsOf(doc: StatsDoc, o: StatOptions): Map<string, ChannelCounters> {
  const out = new Map<string, ChannelCounters>()
  for (const t of doc.topics ?? []) {
    if (o.topic !== '' && t.topic_name !== o.topic) continue
    for (const c of t.channels) {
      if (o.channel !== '' && c.channel_name !== o.channel) continue
      out.set(keyOf(t.topic_name, c.channel_name), c)
    }
  }
  return out
}

/** Resolves at `deadline` (epoch ms), or at once when the signal aborts. */
function sleepUntil(deadline: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve()
    const t = setTimeout(done, Math.max(0, deadline - Date.now()))
    function done(): void {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
    signal?.addEventListener('abort', done, {once: true})
  })
}
