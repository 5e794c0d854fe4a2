/**
 * nsqd's `/stats?format=json` (NSQ-SPEC §2.4): the typed shape the broker writes and a decoder
 * for the tools that read one (nsq_stat, the admin UI), with nsqd 1.3.0's field names and key
 * order.
 *
 *   { version, health, start_time,
 *     topics: [ { topic_name, channels: [ { channel_name, depth, backend_depth, in_flight_count,
 *                 deferred_count, message_count, requeue_count, timeout_count, client_count,
 *                 clients: [client] | null, paused, e2e_processing_latency } ],
 *               depth, backend_depth, message_count, message_bytes, paused,
 *               e2e_processing_latency } ] | null,
 *     memory?: { heap_objects, ... gc_total_runs },
 *     producers: [client] | null }
 *
 * Nulls are Go's nil slices: `topics` is null when the `topic` filter names no topic, `clients`
 * and `producers` with include_clients=false. The decoder keeps those nulls, reads a missing
 * field that older nsqd versions did not send (message_bytes, client_count, memory, producers,
 * pub_counts, the tls_* fields) as its zero value, refuses a field of the wrong type naming its
 * path, and leaves out fields it does not know.
 */
import {bool, items, list, num, object, parseJsonBody, str, unwrapEnvelope, type JsonObject} from './json-shape.js'

/** A topic's or channel's end-to-end processing latency (`e2e_processing_latency`). */
export interface E2eLatency {
  count: number
  /** null until percentiles are configured (`--e2e-processing-latency-percentile`) */
  percentiles: {quantile: number; value: number}[] | null
}

/** One connection in `clients` (a channel's subscribers) or `producers` (those that published). */
export interface ClientStats {
  client_id: string
  hostname: string
  /** the protocol: `V2` */
  version: string
  remote_address: string
  /** nsqd's client state number: 1 init, 2 disconnected, 3 connected, 4 subscribed, 5 closing */
  state: number
  ready_count: number
  in_flight_count: number
  message_count: number
  finish_count: number
  requeue_count: number
  /** unix seconds */
  connect_ts: number
  sample_rate: number
  deflate: boolean
  snappy: boolean
  user_agent: string
  /** with auth only (omitempty) */
  authed?: boolean
  auth_identity?: string
  auth_identity_url?: string
  /** producers only (omitempty); at most one entry in nsqd 1.3.0 */
  pub_counts?: {topic: string; count: number}[]
  tls: boolean
  tls_cipher_suite: string
  tls_version: string
  tls_negotiated_protocol: string
  tls_negotiated_protocol_is_mutual: boolean
}

/** One channel of a topic: its queue depths and counters. */
export interface ChannelStats {
  channel_name: string
  depth: number
  backend_depth: number
  in_flight_count: number
  deferred_count: number
  message_count: number
  requeue_count: number
  timeout_count: number
  client_count: number
  clients: ClientStats[] | null
  paused: boolean
  e2e_processing_latency: E2eLatency
}

/** One topic: its channels, depths and counters. */
export interface TopicStats {
  topic_name: string
  channels: ChannelStats[]
  depth: number
  backend_depth: number
  message_count: number
  message_bytes: number
  paused: boolean
  e2e_processing_latency: E2eLatency
}

/** Go runtime memory figures (`memory`); nsqkit answers Node's heap figures under these names. */
export interface MemStats {
  heap_objects: number
  heap_idle_bytes: number
  heap_in_use_bytes: number
  heap_released_bytes: number
  gc_pause_usec_100: number
  gc_pause_usec_99: number
  gc_pause_usec_95: number
  next_gc_bytes: number
  gc_total_runs: number
}

/** A whole `/stats?format=json` document, fields in nsqd 1.3.0's order. */
export interface StatsDoc {
  version: string
  health: string
  /** unix seconds */
  start_time: number
  topics: TopicStats[] | null
  /** omitted with include_mem=false */
  memory?: MemStats
  producers: ClientStats[] | null
}

const MEM_KEYS: readonly (keyof MemStats)[] = [
  'heap_objects',
  'heap_idle_bytes',
  'heap_in_use_bytes',
  'heap_released_bytes',
  'gc_pause_usec_100',
  'gc_pause_usec_99',
  'gc_pause_usec_95',
  'next_gc_bytes',
  'gc_total_runs',
]

/** A `/stats?format=json` body (bare, or in the pre-1.0 envelope) as typed values. Throws JsonShapeError. */
export function decodeStatsBody(body: string | Buffer): StatsDoc {
  return decodeStats(parseJsonBody(body))
}

/** A parsed `/stats?format=json` document as typed values. Throws JsonShapeError. */
export function decodeStats(doc: unknown): StatsDoc {
  const o = object(unwrapEnvelope(doc), '$')
  const head = {
    version: str(o, 'version', '$'),
    health: str(o, 'health', '$', 'OK'),
    start_time: num(o, 'start_time', '$', 0),
    topics: list(o, 'topics', '$', topicStats, {nullable: true}),
  }
  const memory = o.memory === undefined ? {} : {memory: memStats(o.memory, 'memory')}
  // key order as nsqd's: ..., topics, memory, producers
  return {...head, ...memory, producers: list(o, 'producers', '$', clientStats, {nullable: true, missing: null})}
}

function topicStats(v: unknown, path: string): TopicStats {
  const o = object(v, path)
  return {
    topic_name: str(o, 'topic_name', path),
    channels: items(o, 'channels', path, channelStats),
    depth: num(o, 'depth', path),
    backend_depth: num(o, 'backend_depth', path, 0),
    message_count: num(o, 'message_count', path),
    message_bytes: num(o, 'message_bytes', path, 0),
    paused: bool(o, 'paused', path, false),
    e2e_processing_latency: e2e(o, path),
  }
}

function channelStats(v: unknown, path: string): ChannelStats {
  const o = object(v, path)
  const clients = list(o, 'clients', path, clientStats, {nullable: true, missing: null})
  return {
    channel_name: str(o, 'channel_name', path),
    depth: num(o, 'depth', path),
    backend_depth: num(o, 'backend_depth', path, 0),
    in_flight_count: num(o, 'in_flight_count', path),
    deferred_count: num(o, 'deferred_count', path),
    message_count: num(o, 'message_count', path),
    requeue_count: num(o, 'requeue_count', path),
    timeout_count: num(o, 'timeout_count', path),
    client_count: num(o, 'client_count', path, clients?.length ?? 0),
    clients,
    paused: bool(o, 'paused', path, false),
    e2e_processing_latency: e2e(o, path),
  }
}

function clientStats(v: unknown, path: string): ClientStats {
  const o = object(v, path)
  const base = {
    client_id: str(o, 'client_id', path),
    hostname: str(o, 'hostname', path),
    version: str(o, 'version', path, 'V2'),
    remote_address: str(o, 'remote_address', path),
    state: num(o, 'state', path),
    ready_count: num(o, 'ready_count', path),
    in_flight_count: num(o, 'in_flight_count', path),
    message_count: num(o, 'message_count', path),
    finish_count: num(o, 'finish_count', path),
    requeue_count: num(o, 'requeue_count', path),
    connect_ts: num(o, 'connect_ts', path),
    sample_rate: num(o, 'sample_rate', path, 0),
    deflate: bool(o, 'deflate', path, false),
    snappy: bool(o, 'snappy', path, false),
    user_agent: str(o, 'user_agent', path, ''),
  }
  // the omitempty fields, only when sent, in nsqd's order
  const optional: Pick<ClientStats, 'authed' | 'auth_identity' | 'auth_identity_url' | 'pub_counts'> = {}
  if (o.authed !== undefined) optional.authed = bool(o, 'authed', path)
  if (o.auth_identity !== undefined) optional.auth_identity = str(o, 'auth_identity', path)
  if (o.auth_identity_url !== undefined) optional.auth_identity_url = str(o, 'auth_identity_url', path)
  if (o.pub_counts !== undefined) optional.pub_counts = items(o, 'pub_counts', path, pubCount)
  return {
    ...base,
    ...optional,
    tls: bool(o, 'tls', path, false),
    tls_cipher_suite: str(o, 'tls_cipher_suite', path, ''),
    tls_version: str(o, 'tls_version', path, ''),
    tls_negotiated_protocol: str(o, 'tls_negotiated_protocol', path, ''),
    tls_negotiated_protocol_is_mutual: bool(o, 'tls_negotiated_protocol_is_mutual', path, false),
  }
}

function pubCount(v: unknown, path: string): {topic: string; count: number} {
  const o = object(v, path)
  return {topic: str(o, 'topic', path), count: num(o, 'count', path)}
}

function e2e(parent: JsonObject, path: string): E2eLatency {
  const v = parent.e2e_processing_latency
  if (v === undefined) return {count: 0, percentiles: null}
  const p = `${path}.e2e_processing_latency`
  const o = object(v, p)
  return {count: num(o, 'count', p, 0), percentiles: list(o, 'percentiles', p, percentile, {nullable: true, missing: null})}
}

function percentile(v: unknown, path: string): {quantile: number; value: number} {
  const o = object(v, path)
  return {quantile: num(o, 'quantile', path), value: num(o, 'value', path)}
}

function memStats(v: unknown, path: string): MemStats {
  const o = object(v, path)
  const m = {} as MemStats
  for (const k of MEM_KEYS) m[k] = num(o, k, path, 0)
  return m
}
