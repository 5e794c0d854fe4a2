/**
 * What the admin server knows of the cluster, asked afresh for every answer (nsqadmin's
 * internal/clusterinfo, NSQADMIN-SPEC §3): lookupd mode when lookupd addresses are given, nsqd
 * mode otherwise.
 *
 *   need          lookupd mode                               nsqd mode
 *   topics        /topics of every lookupd, the sorted union  /stats of every nsqd, the union
 *   producers(t)  /lookup?topic=t of every lookupd, one per   each nsqd's /stats?topic=t, those
 *                 broadcast_address:http_port                having t (+ /info)
 *   nodes         /nodes of every lookupd, one per           /info + /stats of each
 *                 broadcast_address:tcp_port
 *   stats         /stats?format=json[&topic][&channel] at each producer's broadcast_address:http_port
 *
 * Every fan-out runs in parallel and collects its errors: an answer is a `Partial` — the value
 * from what answered, and the errors of what did not. `none` is set when nothing answered (zero
 * producers counts as that): the API answers 502 `UPSTREAM_ERROR: failed to query any …`; some
 * errors and some answers give 200 with `WARNING: …` (api.ts).
 */
import {JsonGetter, type HttpTimeouts} from '../transport/http-json.js'
import {decodeLookup, decodeNodes, decodeTopics, decodeChannels} from '../protocol/lookupd-json.js'
import {decodeStats, type StatsDoc} from '../protocol/stats-json.js'
import {isObject} from '../protocol/json-shape.js'
import {formatHostPort} from '../util/hostport.js'

/** An upstream that failed: `message` names it and says why. */
export class UpstreamError extends Error {
  constructor(
    readonly host: string,
    why: string,
    readonly status = 0,
  ) {
    super(`${host}: ${why}`)
    this.name = 'UpstreamError'
  }
}

/** A fan-out's result: what answered, the errors of what did not, and whether nothing did. */
export interface Partial<T> {
  value: T
  errors: string[]
  /** nothing answered: the kind that was asked ('nsqlookupd' or 'nsqd') */
  none: 'nsqlookupd' | 'nsqd' | null
}

/** An nsqd as the admin server addresses it. */
export interface Producer {
  /** `broadcast_address:http_port`: its name in the API, and where its HTTP API is */
  node: string
  hostname: string
  broadcast_address: string
  tcp_port: number
  http_port: number
  version: string
  /** lookupd mode: `<lookupd>/<the nsqd's address as that lookupd sees it>`, one per lookupd */
  remote_addresses: string[] | null
  remote_address: string
  /** lookupd mode: the topics it registered, and whether each is tombstoned there */
  topics: {topic: string; tombstoned: boolean}[]
}

export interface ClusterOptions {
  lookupdHttpAddresses: string[]
  nsqdHttpAddresses: string[]
  timeouts: HttpTimeouts
}

export class Cluster {
  private readonly http: JsonGetter

  constructor(private readonly o: ClusterOptions) {
    this.http = new JsonGetter(o.timeouts, (host, why, status) => new UpstreamError(host, why, status))
  }

  get lookupdMode(): boolean {
    return this.o.lookupdHttpAddresses.length > 0
  }

  get lookupds(): readonly string[] {
    return this.o.lookupdHttpAddresses
  }

  /** Every topic, sorted. */
  async topics(): Promise<Partial<string[]>> {
    if (this.lookupdMode) {
      const r = await this.fanOut(this.o.lookupdHttpAddresses, 'nsqlookupd', async (a) => decodeTopics(await this.get(a, '/topics')).topics)
      return {...r, value: [...new Set(r.value.flat())].sort()}
    }
    const r = await this.fanOut(this.o.nsqdHttpAddresses, 'nsqd', async (a) => (await this.stats(a, {})).topics?.map((t) => t.topic_name) ?? [])
    return {...r, value: [...new Set(r.value.flat())].sort()}
  }

  /** Lookupd mode: the topics a lookupd knows that no nsqd produces, with their channels. */
  async inactiveTopics(): Promise<Partial<Record<string, string[]>>> {
    if (!this.lookupdMode) return {value: {}, errors: [], none: null}
    const topics = await this.topics()
    const out: Record<string, string[]> = {}
    const errors = new Set(topics.errors)
    // the topics in parallel, 8 at a time (a hung lookupd costs one timeout per batch, not per topic)
    const one = async (t: string): Promise<void> => {
      const p = await this.fanOut(this.o.lookupdHttpAddresses, 'nsqlookupd', async (a) => decodeLookup(await this.get(a, '/lookup', {topic: t})))
      for (const e of p.errors) errors.add(e)
      if (p.value.length === 0 || p.value.some((r) => r.producers.length > 0)) return
      const ch = await this.fanOut(this.o.lookupdHttpAddresses, 'nsqlookupd', async (a) => decodeChannels(await this.get(a, '/channels', {topic: t})).channels)
      for (const e of ch.errors) errors.add(e)
      out[t] = [...new Set(ch.value.flat())].sort()
    }
    for (let i = 0; i < topics.value.length; i += 8) await Promise.all(topics.value.slice(i, i + 8).map(one))
    const sorted = Object.fromEntries(Object.keys(out).sort().map((k) => [k, out[k] as string[]]))
    return {value: sorted, errors: [...errors], none: topics.none}
  }

  /** The nsqds that have `topic`. */
  async producers(topic: string): Promise<Partial<Producer[]>> {
    if (this.lookupdMode) {
      const r = await this.fanOut(this.o.lookupdHttpAddresses, 'nsqlookupd', async (a) => ({lookupd: a, result: decodeLookup(await this.get(a, '/lookup', {topic}))}))
      const seen = new Map<string, Producer>()
      for (const {lookupd, result} of r.value) {
        for (const p of result.producers) merge(seen, producerOf(p, lookupd, []), lookupd, p.remote_address)
      }
      return {...r, value: [...seen.values()]}
    }
    const r = await this.fanOut(this.o.nsqdHttpAddresses, 'nsqd', async (a) => {
      const doc = await this.stats(a, {topic})
      return (doc.topics ?? []).some((t) => t.topic_name === topic) ? await this.info(a, doc) : null
    })
    const value = r.value.filter((p): p is Producer => p !== null)
    return {...r, value, none: r.none ?? (value.length === 0 ? 'nsqd' : null)}
  }

  /** Every nsqd of the cluster. */
  async nodes(): Promise<Partial<Producer[]>> {
    if (this.lookupdMode) {
      const r = await this.fanOut(this.o.lookupdHttpAddresses, 'nsqlookupd', async (a) => ({lookupd: a, nodes: decodeNodes(await this.get(a, '/nodes')).producers}))
      const seen = new Map<string, Producer>()
      for (const {lookupd, nodes} of r.value) {
        for (const n of nodes) {
          const topics = n.topics.map((topic, i) => ({topic, tombstoned: n.tombstones[i] ?? false}))
          merge(seen, producerOf(n, lookupd, topics), lookupd, n.remote_address, formatHostPort({host: n.broadcast_address, port: n.tcp_port}))
        }
      }
      return {...r, value: [...seen.values()]}
    }
    const r = await this.fanOut(this.o.nsqdHttpAddresses, 'nsqd', async (a) => this.info(a, await this.stats(a, {})))
    return r
  }

  /** `/stats` of each producer, in parallel (`what`: a topic and channel to narrow it to). */
  async statsOf(producers: Producer[], what: {topic?: string; channel?: string; includeClients?: boolean}): Promise<Partial<{producer: Producer; doc: StatsDoc}[]>> {
    return this.fanOut(producers, 'nsqd', async (p) => ({producer: p, doc: await this.stats(p.node, what)}))
  }

  /**
   * POST `path?query` to each of `addrs` (nsqd or lookupd HTTP addresses), in parallel — an
   * action's upstream calls (nsqadmin makes them one after another).
   */
  async post(addrs: readonly string[], kind: 'nsqlookupd' | 'nsqd', path: string, query: Record<string, string>): Promise<Partial<string[]>> {
    return this.fanOut(addrs, kind, (a) => this.http.post(this.url(a, path, query)))
  }

  /** POST `body` to one nsqd (a publish from the UI); its answer's text. */
  postBody(addr: string, path: string, query: Record<string, string>, body: string): Promise<string> {
    return this.http.post(this.url(addr, path, query), body, 'application/octet-stream')
  }

  /** POST `event` as JSON to `endpoint` (a notification; the answer's status is not read). */
  async notify(endpoint: string, event: object): Promise<void> {
    const url = new URL(endpoint)
    await this.http.post(url, JSON.stringify(event), 'application/json').catch((err: unknown) => {
      // any answer is fine (nsqadmin ignores the status); only a failed request is an error
      if (err instanceof UpstreamError && err.status > 0) return
      throw err
    })
  }

  /** The nsqd addresses given (nsqd mode). */
  get nsqds(): readonly string[] {
    return this.o.nsqdHttpAddresses
  }

  async close(): Promise<void> {
    await this.http.destroy()
  }

  private async stats(addr: string, what: {topic?: string; channel?: string; includeClients?: boolean}): Promise<StatsDoc> {
    const q: Record<string, string> = {format: 'json'}
    if (what.topic) q.topic = what.topic
    if (what.channel) q.channel = what.channel
    if (what.includeClients === false) q.include_clients = 'false'
    const doc = await this.get(addr, '/stats', q)
    try {
      return decodeStats(doc)
    } catch (err) {
      throw new UpstreamError(addr, `unexpected /stats answer: ${(err as Error).message}`)
    }
  }

  /** nsqd mode: an nsqd's own account of itself (/info), with its topics from `doc`. */
  private async info(addr: string, doc: StatsDoc): Promise<Producer> {
    const i = await this.get(addr, '/info')
    const o = isObject(i) ? i : {}
    const s = (k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '')
    const n = (k: string): number => (typeof o[k] === 'number' ? (o[k] as number) : 0)
    return {
      // nsqd mode addresses each nsqd as given
      node: addr,
      hostname: s('hostname'),
      broadcast_address: s('broadcast_address'),
      tcp_port: n('tcp_port'),
      http_port: n('http_port'),
      version: s('version'),
      remote_addresses: null,
      remote_address: '',
      topics: (doc.topics ?? []).map((t) => ({topic: t.topic_name, tombstoned: false})),
    }
  }

  private get(addr: string, path: string, query: Record<string, string> = {}): Promise<unknown> {
    return this.http.get(this.url(addr, path, query))
  }

  private url(addr: string, path: string, query: Record<string, string>): URL {
    const url = new URL(addr.includes('://') ? addr : `http://${addr}`)
    url.pathname = path
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v)
    return url
  }

  /** `fn` over every item in parallel: the answers, in order, and the errors of the rest. */
  private async fanOut<A, T>(items: readonly A[], kind: 'nsqlookupd' | 'nsqd', fn: (a: A) => Promise<T>): Promise<Partial<T[]>> {
    const settled = await Promise.allSettled(items.map(fn))
    const value: T[] = []
    const errors: string[] = []
    for (const s of settled) {
      if (s.status === 'fulfilled') value.push(s.value)
      else errors.push((s.reason as Error).message)
    }
    return {value, errors, none: value.length === 0 ? kind : null}
  }
}

function producerOf(p: {hostname: string; broadcast_address: string; tcp_port: number; http_port: number; version: string; remote_address: string}, lookupd: string, topics: Producer['topics']): Producer {
  return {
    node: formatHostPort({host: p.broadcast_address, port: p.http_port}),
    hostname: p.hostname,
    broadcast_address: p.broadcast_address,
    tcp_port: p.tcp_port,
    http_port: p.http_port,
    version: p.version,
    remote_addresses: [`${lookupd}/${p.remote_address}`],
    remote_address: p.remote_address,
    topics,
  }
}

/** One entry per `key` (by default its node name); a second lookupd's view adds its remote address. */
function merge(seen: Map<string, Producer>, p: Producer, lookupd: string, remote: string, key = p.node): void {
  const had = seen.get(key)
  if (had === undefined) seen.set(key, p)
  else if (had.remote_addresses !== null && !had.remote_addresses.includes(`${lookupd}/${remote}`)) had.remote_addresses.push(`${lookupd}/${remote}`)
}
