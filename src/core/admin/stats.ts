/**
 * The admin API's topic, channel and client objects, in nsqadmin 1.3.0's shapes and key order
 * (internal/clusterinfo types.go; NSQADMIN-SPEC §2, §3), made from each nsqd's typed /stats
 * (protocol/stats-json.ts) and merged over the nodes. Pure: no I/O, the clock passed in.
 *
 *   per node:  {node: "<broadcast>:<http_port>", hostname, …nsqd's counters, memory_depth}
 *   aggregate: {node: "*", sums of the counters, paused if paused on any node,
 *               nodes: the per-node objects, channels (a topic's) or clients (a channel's)}
 *
 * memory_depth is depth − backend_depth, as nsqadmin computes it; nodes and clients are sorted
 * by hostname (stable, so equal hostnames keep the nodes' order). Two of nsqadmin's quirks are
 * not copied (NSQADMIN-SPEC §6): its first node's channels are the aggregate objects (Go
 * pointer aliasing) — here each node's channels are that node's; and its merged e2e percentiles
 * read fields nsqd never sends (so every merged figure is 0, `min` taken from `max`) — here a
 * quantile's merged value is the count-weighted mean of the nodes' values.
 */
import type {ChannelStats, ClientStats, E2eLatency, TopicStats} from '../protocol/stats-json.js'

export interface AdminE2e {
  count: number
  percentiles: {quantile: number; value: number}[] | null
  topic: string
  channel: string
  host: string
}

export interface AdminClient {
  node: string
  remote_address: string
  version: string
  client_id: string
  hostname: string
  user_agent: string
  connect_ts: number
  /** ns since connect_ts (now truncated to the second), as nsqadmin computes it */
  connected: number
  in_flight_count: number
  ready_count: number
  finish_count: number
  requeue_count: number
  message_count: number
  sample_rate: number
  deflate: boolean
  snappy: boolean
  authed: boolean
  auth_identity: string
  auth_identity_url: string
  tls: boolean
  tls_cipher_suite: string
  tls_version: string
  tls_negotiated_protocol: string
  tls_negotiated_protocol_is_mutual: boolean
}

export interface AdminChannel {
  node: string
  hostname: string
  topic_name: string
  channel_name: string
  depth: number
  memory_depth: number
  backend_depth: number
  in_flight_count: number
  deferred_count: number
  requeue_count: number
  timeout_count: number
  message_count: number
  client_count: number
  nodes: AdminChannel[] | null
  clients: AdminClient[] | null
  paused: boolean
  e2e_processing_latency: AdminE2e
}

export interface AdminTopic {
  node: string
  hostname: string
  topic_name: string
  depth: number
  memory_depth: number
  backend_depth: number
  message_count: number
  nodes: AdminTopic[] | null
  channels: AdminChannel[] | null
  paused: boolean
  e2e_processing_latency: AdminE2e
}

/** Where a /stats document came from: its node name (`broadcast:http_port`) and hostname. */
export interface NodeRef {
  node: string
  hostname: string
}

const e2eOf = (e: E2eLatency, topic = '', channel = '', host = ''): AdminE2e => ({count: e.count, percentiles: e.percentiles, topic, channel, host})

export function adminClient(node: string, c: ClientStats, nowMs: number): AdminClient {
  return {
    node,
    remote_address: c.remote_address,
    version: c.version,
    client_id: c.client_id,
    hostname: c.hostname,
    user_agent: c.user_agent,
    connect_ts: c.connect_ts,
    connected: (Math.floor(nowMs / 1000) - c.connect_ts) * 1e9,
    in_flight_count: c.in_flight_count,
    ready_count: c.ready_count,
    finish_count: c.finish_count,
    requeue_count: c.requeue_count,
    message_count: c.message_count,
    sample_rate: c.sample_rate,
    deflate: c.deflate,
    snappy: c.snappy,
    authed: c.authed ?? false,
    auth_identity: c.auth_identity ?? '',
    auth_identity_url: c.auth_identity_url ?? '',
    tls: c.tls,
    tls_cipher_suite: c.tls_cipher_suite,
    tls_version: c.tls_version,
    tls_negotiated_protocol: c.tls_negotiated_protocol,
    tls_negotiated_protocol_is_mutual: c.tls_negotiated_protocol_is_mutual,
  }
}

/** One node's channel of `topic`. */
export function nodeChannel(ref: NodeRef, topic: string, c: ChannelStats, nowMs: number): AdminChannel {
  return {
    node: ref.node,
    hostname: ref.hostname,
    topic_name: topic,
    channel_name: c.channel_name,
    depth: c.depth,
    memory_depth: c.depth - c.backend_depth,
    backend_depth: c.backend_depth,
    in_flight_count: c.in_flight_count,
    deferred_count: c.deferred_count,
    requeue_count: c.requeue_count,
    timeout_count: c.timeout_count,
    message_count: c.message_count,
    client_count: c.client_count,
    nodes: null,
    clients: c.clients === null ? null : sortByHostname(c.clients.map((x) => adminClient(ref.node, x, nowMs))),
    paused: c.paused,
    e2e_processing_latency: e2eOf(c.e2e_processing_latency),
  }
}

/** One node's topic, with that node's channels. */
export function nodeTopic(ref: NodeRef, t: TopicStats, nowMs: number): AdminTopic {
  return {
    node: ref.node,
    hostname: ref.hostname,
    topic_name: t.topic_name,
    depth: t.depth,
    memory_depth: t.depth - t.backend_depth,
    backend_depth: t.backend_depth,
    message_count: t.message_count,
    nodes: null,
    channels: t.channels.map((c) => nodeChannel(ref, t.topic_name, c, nowMs)),
    paused: t.paused,
    e2e_processing_latency: e2eOf(t.e2e_processing_latency),
  }
}

/**
 * A channel summed over its nodes: the nodes' clients concatenated and sorted by hostname. As
 * nsqadmin shows them: on the channel page `hostname` is '' and the e2e names the topic and
 * channel (`e2eNames`); in a topic page's channel list `hostname` is the first node's and the
 * e2e names neither.
 */
export function aggregateChannel(topic: string, channel: string, nodes: AdminChannel[], hostname = '', e2eNames = {topic: '', channel: ''}): AdminChannel {
  const sorted = sortByHostname(nodes)
  const clients = sorted.flatMap((n) => n.clients ?? [])
  return {
    node: '*',
    hostname,
    topic_name: topic,
    channel_name: channel,
    depth: sum(sorted, (n) => n.depth),
    memory_depth: sum(sorted, (n) => n.memory_depth),
    backend_depth: sum(sorted, (n) => n.backend_depth),
    in_flight_count: sum(sorted, (n) => n.in_flight_count),
    deferred_count: sum(sorted, (n) => n.deferred_count),
    requeue_count: sum(sorted, (n) => n.requeue_count),
    timeout_count: sum(sorted, (n) => n.timeout_count),
    message_count: sum(sorted, (n) => n.message_count),
    client_count: sum(sorted, (n) => n.client_count),
    nodes: sorted,
    clients: sorted.every((n) => n.clients === null) ? null : sortByHostname(clients),
    paused: sorted.some((n) => n.paused),
    e2e_processing_latency: mergeE2e(sorted.map((n) => n.e2e_processing_latency), e2eNames.topic, e2eNames.channel, '*'),
  }
}

/** A topic summed over its nodes, with its channels summed by name (null when it has none). */
export function aggregateTopic(topic: string, nodes: AdminTopic[]): AdminTopic {
  const sorted = sortByHostname(nodes)
  const byName = new Map<string, AdminChannel[]>()
  for (const n of sorted) {
    for (const c of n.channels ?? []) {
      const list = byName.get(c.channel_name)
      if (list === undefined) byName.set(c.channel_name, [c])
      else list.push(c)
    }
  }
  const channels = [...byName.entries()].map(([name, cs]) => aggregateChannel(topic, name, cs, cs[0]?.hostname ?? ''))
  return {
    node: '*',
    hostname: '',
    topic_name: topic,
    depth: sum(sorted, (n) => n.depth),
    memory_depth: sum(sorted, (n) => n.memory_depth),
    backend_depth: sum(sorted, (n) => n.backend_depth),
    message_count: sum(sorted, (n) => n.message_count),
    nodes: sorted,
    channels: channels.length === 0 ? null : channels.sort((a, b) => cmp(a.channel_name, b.channel_name)),
    paused: sorted.some((n) => n.paused),
    e2e_processing_latency: mergeE2e(
      sorted.map((n) => n.e2e_processing_latency),
      topic,
      '',
      '*',
    ),
  }
}

/** Counts added; each quantile's value the count-weighted mean of the nodes' (null when none has any). */
export function mergeE2e(all: AdminE2e[], topic: string, channel: string, host: string): AdminE2e {
  const count = all.reduce((s, e) => s + e.count, 0)
  const byQ = new Map<number, {weight: number; total: number; n: number; plain: number}>()
  for (const e of all) {
    for (const p of e.percentiles ?? []) {
      const q = byQ.get(p.quantile) ?? {weight: 0, total: 0, n: 0, plain: 0}
      q.weight += e.count
      q.total += p.value * e.count
      q.n++
      q.plain += p.value
      byQ.set(p.quantile, q)
    }
  }
  const percentiles =
    byQ.size === 0
      ? null
      : [...byQ.entries()].sort((a, b) => a[0] - b[0]).map(([quantile, q]) => ({quantile, value: q.weight > 0 ? q.total / q.weight : q.plain / q.n}))
  return {count, percentiles, topic, channel, host}
}

const sum = <T>(xs: T[], f: (x: T) => number): number => xs.reduce((s, x) => s + f(x), 0)

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0)

/** Sorted by hostname; equal hostnames keep their order. */
export function sortByHostname<T extends {hostname: string}>(xs: T[]): T[] {
  return [...xs].sort((a, b) => cmp(a.hostname, b.hostname))
}
