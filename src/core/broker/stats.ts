/**
 * /stats: nsqd's field names, order, null-vs-[] rules and sorting (NSQ-SPEC §2.4), which
 * nsq_stat and nsqadmin read, plus the text rendering of nsqd's printStats. The JSON shape is
 * protocol/stats-json.ts's (the tools decode it there).
 *
 *  - topics: [] when there are none, null when the `topic` filter names a missing topic;
 *    a `channel` filter that matches nothing drops that topic.
 *  - clients: [] or the list; null with include_clients=false (client_count still set).
 *  - producers: null unless include_clients and some TCP client has published.
 *  - pub_counts: at most one entry (nsqd's `break`), omitted when empty.
 */
import {getHeapStatistics} from 'node:v8'
import type {ChannelStats, ClientStats, E2eLatency, MemStats, StatsDoc, TopicStats} from '../protocol/index.js'
import {formatDuration} from '../util/duration.js'
import type {Channel} from './delivery/channel.js'
import {portOf, type SessionState} from './session/state.js'
import type {Topic} from './delivery/topic.js'

export interface StatsQuery {
  topic?: string
  channel?: string
  includeClients: boolean
  includeMem: boolean
}

export interface StatsSource {
  version: string
  health(): string
  startTime: number
  topics(): Iterable<Topic>
  clients(): Iterable<SessionState>
}

const noLatency = (): E2eLatency => ({count: 0, percentiles: null})

export function clientStats(c: SessionState, topicFilter = ''): ClientStats {
  // nsqd's ClientStats field order; authed, auth_identity(_url) and pub_counts are omitempty
  const s: ClientStats = {
    client_id: c.clientId,
    hostname: c.hostname,
    version: 'V2',
    remote_address: c.info.remoteAddress,
    state: c.state,
    ready_count: c.readyCount,
    in_flight_count: c.inFlightCount,
    message_count: c.messageCount,
    finish_count: c.finishCount,
    requeue_count: c.requeueCount,
    connect_ts: c.connectTs,
    sample_rate: c.sampleRate,
    deflate: c.deflate,
    snappy: c.snappy,
    user_agent: c.userAgent,
  } as ClientStats
  const grant = c.auth
  if (grant !== null) {
    if (grant.hasAuthorizations) s.authed = true
    if (grant.identity !== '') s.auth_identity = grant.identity
    if (grant.identityUrl !== '') s.auth_identity_url = grant.identityUrl
  }
  for (const [topic, count] of c.pubCounts) {
    if (topicFilter !== '' && topic !== topicFilter) continue
    // nsqd's loop breaks after the first entry
    s.pub_counts = [{topic, count}]
    break
  }
  s.tls = c.tls
  s.tls_cipher_suite = c.tlsInfo?.cipherSuite ?? ''
  s.tls_version = c.tlsInfo?.version ?? ''
  s.tls_negotiated_protocol = c.tlsInfo?.negotiatedProtocol ?? ''
  s.tls_negotiated_protocol_is_mutual = c.tlsInfo?.negotiatedProtocolIsMutual ?? false
  return s
}

/** `sessions`: every session by id, to report a channel's subscribers; null = no clients asked for */
function channelStats(ch: Channel, sessions: ReadonlyMap<number, SessionState> | null, topicFilter: string): ChannelStats {
  return {
    channel_name: ch.name,
    depth: ch.depth,
    backend_depth: ch.queue.backendDepth(),
    in_flight_count: ch.inFlight.size,
    deferred_count: ch.deferredCount,
    message_count: ch.messageCount,
    requeue_count: ch.requeueCount,
    timeout_count: ch.timeoutCount,
    client_count: ch.clientCount,
    clients: sessions === null ? null : subscriberStats(ch, sessions, topicFilter),
    paused: ch.paused,
    e2e_processing_latency: noLatency(),
  }
}

function subscriberStats(ch: Channel, sessions: ReadonlyMap<number, SessionState>, topicFilter: string): ClientStats[] {
  const out: ClientStats[] = []
  for (const sub of ch.subscribers) {
    const s = sessions.get(sub.id)
    if (s !== undefined) out.push(clientStats(s, topicFilter))
  }
  return out
}

const byName = <T extends {name: string}>(a: T, b: T): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)

export function memStats(): MemStats {
  const h = getHeapStatistics()
  return {
    heap_objects: 0,
    heap_idle_bytes: Math.max(0, h.total_heap_size - h.used_heap_size),
    heap_in_use_bytes: h.used_heap_size,
    heap_released_bytes: 0,
    gc_pause_usec_100: 0,
    gc_pause_usec_99: 0,
    gc_pause_usec_95: 0,
    next_gc_bytes: h.total_heap_size,
    gc_total_runs: 0,
  }
}

export function collectStats(src: StatsSource, q: StatsQuery): StatsDoc {
  const topicFilter = q.topic ?? ''
  const channelFilter = q.channel ?? ''
  let topics: TopicStats[] | null = []
  const all = [...src.topics()]
  const sessions = q.includeClients ? new Map([...src.clients()].map((c) => [c.id, c] as const)) : null
  const real = topicFilter === '' ? all.sort(byName) : all.filter((t) => t.name === topicFilter)
  if (topicFilter !== '' && real.length === 0) topics = null
  else {
    for (const t of real) {
      const chans = channelFilter === '' ? [...t.channels.values()].sort(byName) : [...t.channels.values()].filter((c) => c.name === channelFilter)
      if (channelFilter !== '' && chans.length === 0) continue
      topics.push({
        topic_name: t.name,
        channels: chans.map((c) => channelStats(c, sessions, topicFilter)),
        depth: t.depth,
        backend_depth: t.queue.backendDepth(),
        message_count: t.messageCount,
        message_bytes: t.messageBytes,
        paused: t.paused,
        e2e_processing_latency: noLatency(),
      })
    }
  }
  let producers: ClientStats[] | null = null
  // nsqd returns before collecting producers when the topic filter names no topic
  if (q.includeClients && topics !== null) {
    for (const c of src.clients()) {
      if (!c.isProducer) continue
      ;(producers ??= []).push(clientStats(c, topicFilter))
    }
  }
  const head = {version: src.version, health: src.health(), start_time: Math.floor(src.startTime / 1000), topics}
  // key order as nsqd's: ..., topics, memory (omitted when not asked for), producers
  return q.includeMem ? {...head, memory: memStats(), producers} : {...head, producers}
}

const pad = (v: string | number, w: number): string => String(v).padEnd(w)

/** nsqd's ClientV2Stats.String(): the producer form when it has pub_counts, else the consumer form. */
function clientLine(c: ClientStats, now: number): string {
  const connected = formatDuration(Math.max(0, Math.floor(now / 1000) - c.connect_ts) * 1000)
  const id = `${c.hostname}:${portOf(c.remote_address)} ${c.user_agent}`
  const pubs = c.pub_counts ?? []
  if (pubs.length > 0) {
    const total = pubs.reduce((n, x) => n + x.count, 0)
    const topics = pubs.map((x) => `${x.topic}=${x.count}`).join(',')
    return `[${c.version} ${pad(id, 21)}] msgs: ${pad(total, 8)} topics: ${topics} connected: ${connected}`
  }
  return `[${c.version} ${pad(id, 21)}] state: ${c.state} inflt: ${pad(c.in_flight_count, 4)} rdy: ${pad(c.ready_count, 4)} fin: ${pad(c.finish_count, 8)} re-q: ${pad(c.requeue_count, 8)} msgs: ${pad(c.message_count, 8)} connected: ${connected}`
}

/** nsqd's text /stats (printStats). */
export function renderStatsText(doc: StatsDoc, startTime: number, now: number): string {
  const w: string[] = []
  w.push(`nsqd v${doc.version} (built w/nsqkit)\n`)
  w.push(`start_time ${new Date(startTime).toISOString().replace(/\.\d{3}Z$/, 'Z')}\n`)
  w.push(`uptime ${formatDuration(now - startTime)}\n`)
  w.push(`\nHealth: ${doc.health}\n`)
  if (doc.memory) {
    w.push('\nMemory:\n')
    for (const [k, v] of Object.entries(doc.memory)) w.push(`   ${pad(k, 25)}\t${v}\n`)
  }
  const topics = doc.topics ?? []
  w.push(topics.length === 0 ? '\nTopics: None\n' : '\nTopics:')
  for (const t of topics) {
    w.push(`\n${t.paused ? '*P ' : '   '}[${pad(t.topic_name, 15)}] depth: ${pad(t.depth, 5)} be-depth: ${pad(t.backend_depth, 5)} msgs: ${pad(t.message_count, 8)} e2e%: \n`)
    for (const c of t.channels) {
      w.push(
        `${c.paused ? '   *P ' : '      '}[${pad(c.channel_name, 25)}] depth: ${pad(c.depth, 5)} be-depth: ${pad(c.backend_depth, 5)} inflt: ${pad(c.in_flight_count, 4)} def: ${pad(c.deferred_count, 4)} re-q: ${pad(c.requeue_count, 5)} timeout: ${pad(c.timeout_count, 5)} msgs: ${pad(c.message_count, 8)} e2e%: \n`,
      )
      for (const cl of c.clients ?? []) w.push(`        ${clientLine(cl, now)}\n`)
    }
  }
  const producers = doc.producers ?? []
  if (producers.length === 0) w.push('\nProducers: None\n')
  else {
    w.push('\nProducers:\n')
    for (const p of producers) w.push(`   ${clientLine(p, now)}\n`)
  }
  return w.join('')
}
