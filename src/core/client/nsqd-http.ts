/**
 * nsqd HTTP queries (NSQ-SPEC §2.4), for the tools that read a cluster (nsq_stat), through the
 * JSON GET of transport/http-json.ts (one undici Agent, loaded at the first query):
 *
 *   GET /stats?format=json&topic=T&channel=C&include_clients=false
 *
 * `topic` and `channel` are left out when '' (every topic, every channel). Addresses are
 * `host:port` or URLs (the path is replaced). The answer is read by protocol/stats-json.ts
 * (bare or in the pre-1.0 envelope); any failure, a wrong shape too, is an NsqdHttpError naming
 * the nsqd.
 */
import {NsqdHttpError} from './errors.js'
import {JsonGetter, baseUrl, type HttpTimeouts} from '../transport/http-json.js'
import {JsonShapeError} from '../protocol/json-shape.js'
import {decodeStats, type StatsDoc} from '../protocol/stats-json.js'

export type {StatsDoc}

/** What a /stats query asks for: '' is every topic (channel). */
export interface StatsQuery {
  topic?: string
  channel?: string
  /** false by default: client_count is filled either way */
  includeClients?: boolean
}

/** `host:port` or URL → its /stats?format=json URL for `q`. */
export function statsUrl(addr: string, q: StatsQuery = {}): URL {
  const url = baseUrl(addr)
  url.pathname = '/stats'
  url.searchParams.set('format', 'json')
  if (q.topic) url.searchParams.set('topic', q.topic)
  if (q.channel) url.searchParams.set('channel', q.channel)
  url.searchParams.set('include_clients', String(q.includeClients ?? false))
  return url
}

export class NsqdHttpClient {
  private readonly http: JsonGetter

  constructor(timeouts: HttpTimeouts) {
    this.http = new JsonGetter(timeouts, (host, why, status) => new NsqdHttpError(host, why, status))
  }

  /** GET /stats?format=json…: the typed document (topics null when the topic filter names none). */
  async stats(addr: string, q: StatsQuery = {}): Promise<StatsDoc> {
    const url = statsUrl(addr, q)
    const doc = await this.http.get(url)
    try {
      return decodeStats(doc)
    } catch (err) {
      if (err instanceof JsonShapeError) throw new NsqdHttpError(url.host, `unexpected /stats answer: ${err.message}`)
      throw err
    }
  }

  async close(): Promise<void> {
    await this.http.close()
  }
}
