/**
 * Rates and history without Graphite (nsqadmin's users asked for this: #322, #768, #732): the
 * admin server reads every node's /stats every `intervalMs` and keeps the last hour of each
 * topic's and channel's counters, summed over the nodes, in memory.
 *
 *   sample:  {at, topics: {t: {depth, messages}}, channels: {"t/c": {depth, messages, inFlight, deferred, clients}}}
 *   rates:   Δ messages / Δ seconds between the last two samples, node by node over the nodes
 *            that answered both rounds (a node missing a round neither dips nor spikes the rate;
 *            a node whose counters went down — restarted — counts 0) — a topic's and a channel's
 *            messages in; a channel's messages out = Δ(messages − depth − in flight − deferred),
 *            what left the channel: finished, or emptied
 *   history: a key's depth over the samples kept (the pages' sparklines)
 *
 * Nothing here talks to a node: the server reads them and hands the documents over (server.ts).
 */
import type {StatsDoc} from '../protocol/stats-json.js'

export interface Counters {
  depth: number
  messages: number
}

export interface ChannelCounters extends Counters {
  inFlight: number
  deferred: number
  clients: number
}

/** One node's counters in a sample (or all nodes' summed). */
export interface Counts {
  topics: Map<string, Counters>
  /** by `topic/channel` */
  channels: Map<string, ChannelCounters>
}

export interface Sample extends Counts {
  /** ms */
  at: number
  /** each node's own, by node name (the rates are taken node by node) */
  nodes?: Map<string, Counts>
}

/** The nodes' /stats, each by its node name, into one sample: summed, and each node's own. */
export function sampleOf(at: number, docs: {node: string; doc: StatsDoc}[]): Sample {
  const nodes = new Map<string, Counts>()
  for (const {node, doc} of docs) nodes.set(node, countsOf([doc]))
  return {at, ...countsOf(docs.map((d) => d.doc)), nodes}
}

function countsOf(docs: StatsDoc[]): Counts {
  const topics = new Map<string, Counters>()
  const channels = new Map<string, ChannelCounters>()
  for (const doc of docs) {
    for (const t of doc.topics ?? []) {
      const s = topics.get(t.topic_name) ?? {depth: 0, messages: 0}
      s.depth += t.depth
      s.messages += t.message_count
      topics.set(t.topic_name, s)
      for (const c of t.channels) {
        const key = `${t.topic_name}/${c.channel_name}`
        const x = channels.get(key) ?? {depth: 0, messages: 0, inFlight: 0, deferred: 0, clients: 0}
        x.depth += c.depth
        x.messages += c.message_count
        x.inFlight += c.in_flight_count
        x.deferred += c.deferred_count
        x.clients += c.client_count
        channels.set(key, x)
      }
    }
  }
  return {topics, channels}
}

export interface Rates {
  /** msgs/s in */
  in: number
  /** msgs/s done (channels only) */
  out?: number
}

const EMPTY: Counts = {topics: new Map(), channels: new Map()}

export class History {
  private readonly samples: Sample[] = []

  constructor(
    /** how long to keep, ms */
    private readonly keepMs = 3_600_000,
  ) {}

  add(s: Sample): void {
    // only the last two samples' per-node counters are read (the rates): an older one keeps its
    // node names alone (missing()), so an hour of a big cluster stays small
    const old = this.samples.at(-2)
    if (old?.nodes !== undefined) old.nodes = new Map([...old.nodes.keys()].map((k) => [k, EMPTY]))
    this.samples.push(s)
    while (this.samples.length > 2 && (this.samples[0] as Sample).at < s.at - this.keepMs) this.samples.shift()
  }

  get latest(): Sample | undefined {
    return this.samples.at(-1)
  }

  get size(): number {
    return this.samples.length
  }

  /** A topic's rate between the last two samples (null until there are two, or when it is new). */
  topicRate(topic: string): Rates | null {
    const d = this.deltas((c) => c.topics.get(topic), (x, y) => [y.messages - x.messages, 0])
    return d === null ? null : {in: d[0]}
  }

  /** A channel's rates in and out between the last two samples. */
  channelRate(topic: string, channel: string): Rates | null {
    const key = `${topic}/${channel}`
    const done = (c: ChannelCounters): number => c.messages - c.depth - c.inFlight - c.deferred
    const d = this.deltas((c) => c.channels.get(key), (x, y) => [y.messages - x.messages, done(y) - done(x)])
    return d === null ? null : {in: d[0], out: d[1]}
  }

  /**
   * Two per-second deltas of the key `get` picks between the last two samples: node by node over
   * the nodes in both (each node's delta never below 0), or over the sums when the samples do not
   * say; null when the key is in neither pair.
   */
  private deltas<C>(get: (c: Counts) => C | undefined, delta: (x: C, y: C) => [number, number]): [number, number] | null {
    const [a, b] = this.lastTwo()
    if (a === undefined || b === undefined) return null
    const ms = b.at - a.at
    const pairs: [C, C][] = []
    if (a.nodes !== undefined && b.nodes !== undefined) {
      for (const [node, y] of b.nodes) {
        const x = a.nodes.get(node)
        const cx = x === undefined ? undefined : get(x)
        const cy = get(y)
        if (cx !== undefined && cy !== undefined) pairs.push([cx, cy])
      }
    } else {
      const x = get(a)
      const y = get(b)
      if (x !== undefined && y !== undefined) pairs.push([x, y])
    }
    if (pairs.length === 0) return null
    let first = 0
    let second = 0
    for (const [x, y] of pairs) {
      const [d1, d2] = delta(x, y)
      first += perSecond(d1, ms)
      second += perSecond(d2, ms)
    }
    return [first, second]
  }

  /**
   * The nodes in an earlier sample kept but not in the latest one, with when they were last in
   * one: a node that left the cluster (lookupd forgets a node that stops cleanly, and nsqadmin
   * then shows nothing) or that stopped answering.
   */
  missing(): {node: string; lastSeen: number}[] {
    const latest = this.latest?.nodes
    if (latest === undefined) return []
    const last = new Map<string, number>()
    for (const s of this.samples) for (const node of s.nodes?.keys() ?? []) if (!latest.has(node)) last.set(node, s.at)
    return [...last].map(([node, lastSeen]) => ({node, lastSeen})).sort((a, b) => (a.node < b.node ? -1 : 1))
  }

  /** The depth of a topic (`channel` '') or channel over the samples kept, oldest first. */
  depths(topic: string, channel = ''): number[] {
    return this.samples.map((s) => (channel === '' ? s.topics.get(topic)?.depth : s.channels.get(`${topic}/${channel}`)?.depth) ?? 0)
  }

  private lastTwo(): [Sample | undefined, Sample | undefined] {
    return [this.samples.at(-2), this.samples.at(-1)]
  }
}

/** Never negative: a counter that went down (its node restarted) is 0, not a rate. */
const perSecond = (delta: number, ms: number): number => (ms <= 0 || delta <= 0 ? 0 : (delta * 1000) / ms)

/** A sparkline of `values` as inline SVG (`w` × `h` px), or '' when there is nothing to draw. */
export function sparkline(values: number[], w = 120, h = 24, span = 'the samples kept'): string {
  if (values.length < 2) return ''
  const max = Math.max(1, ...values)
  const step = w / (values.length - 1)
  const pts = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 1 - (v / max) * (h - 2)).toFixed(1)}`).join(' ')
  return `<svg class="spark" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" role="img" aria-label="depth over ${span}, max ${max}"><polyline fill="none" stroke="currentColor" stroke-width="1.5" points="${pts}"/></svg>`
}

/** Prometheus text exposition of a sample and the rates (`nsq_*` gauges and counters). */
export function prometheus(h: History): string {
  const s = h.latest
  if (s === undefined) return ''
  const label = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
  const out: string[] = []
  const metric = (name: string, type: string, help: string, rows: [string, number][]): void => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`)
    for (const [labels, v] of rows) out.push(`${name}{${labels}} ${v}`)
  }
  const topics = [...s.topics.entries()]
  const channels = [...s.channels.entries()].map(([k, v]) => {
    const i = k.indexOf('/')
    return [k.slice(0, i), k.slice(i + 1), v] as const
  })
  const tl = (t: string): string => `topic="${label(t)}"`
  const cl = (t: string, c: string): string => `topic="${label(t)}",channel="${label(c)}"`
  // the counters node by node (`node` label): a sum over the nodes that answered is no counter
  const perNode = [...(s.nodes ?? new Map<string, Counts>())]
  const rated = (rows: [string, number | undefined][]): [string, number][] => rows.filter((r): r is [string, number] => r[1] !== undefined)
  metric('nsq_topic_depth', 'gauge', 'messages queued at the topic, summed over the nodes', topics.map(([t, v]) => [tl(t), v.depth]))
  metric('nsq_topic_messages_total', 'counter', 'messages published to the topic on the node', perNode.flatMap(([node, c]) => [...c.topics].map(([t, v]): [string, number] => [`${tl(t)},node="${label(node)}"`, v.messages])))
  metric('nsq_topic_messages_per_second', 'gauge', 'messages published per second over the last sample interval', rated(topics.map(([t]) => [tl(t), h.topicRate(t)?.in])))
  metric('nsq_channel_depth', 'gauge', 'messages queued at the channel, summed over the nodes', channels.map(([t, c, v]) => [cl(t, c), v.depth]))
  metric('nsq_channel_in_flight', 'gauge', 'messages in flight to the channel\'s clients', channels.map(([t, c, v]) => [cl(t, c), v.inFlight]))
  metric('nsq_channel_deferred', 'gauge', 'messages deferred on the channel', channels.map(([t, c, v]) => [cl(t, c), v.deferred]))
  metric(
    'nsq_channel_messages_total',
    'counter',
    'messages that entered the channel on the node',
    perNode.flatMap(([node, n]) =>
      [...n.channels].map(([k, v]): [string, number] => {
        const i = k.indexOf('/')
        return [`${cl(k.slice(0, i), k.slice(i + 1))},node="${label(node)}"`, v.messages]
      }),
    ),
  )
  metric('nsq_channel_clients', 'gauge', 'clients subscribed to the channel', channels.map(([t, c, v]) => [cl(t, c), v.clients]))
  metric('nsq_channel_messages_out_per_second', 'gauge', 'messages that left the channel (finished, or emptied) per second over the last sample interval', rated(channels.map(([t, c]) => [cl(t, c), h.channelRate(t, c)?.out])))
  return `${out.join('\n')}\n`
}
