/**
 * nsqlookupd HTTP queries (NSQ-SPEC §3.3, §4.3 "Discovery", §1.2 "Topic selection"), through
 * one undici Agent with keep-alive (the JSON GET of transport/http-json.ts, shared with nsqd-http.ts). Its timeouts are one number (go-nsq's lookupd_poll_timeout,
 * for connect, headers and body alike) or nsq_to_file's pair: a connect timeout and a request
 * timeout for the headers and the body (undici's headersTimeout and bodyTimeout: the body's is
 * the longest wait between two chunks, not a deadline for the whole body as Go's
 * http.Client.Timeout is; a lookupd answer is one small chunk, so the two agree in practice).
 *
 *   GET /lookup?topic=t   the producers of a topic (the consumer's discovery)
 *   GET /topics           every topic lookupd knows (nsq_to_file's discovery mode)
 *
 * Addresses are `host:port` or URLs. For /lookup, a bare address or a URL without a path gets
 * `/lookup` and a URL's own path is kept; for /topics the path is always `/topics`. Scheme and
 * other query parameters are kept. The request sends `Accept: application/vnd.nsq;
 * version=1.0`; the answer is read both in the 1.x shape (`{"channels":[...],"producers":[...]}`,
 * `{"topics":[...]}`) and in the pre-1.0 wrapped shape (`{"status_code":200,"status_txt":"OK",
 * "data":{...}}`). Any failure (connect, timeout, a status other than 200, not JSON, a wrong
 * shape) is a LookupdError naming the lookupd. undici is loaded at the first query, never at
 * module load.
 */
import {formatHostPort} from '../util/hostport.js'
import {LookupdError} from './errors.js'
import {JsonGetter, baseUrl, type HttpTimeouts} from '../transport/http-json.js'
import {JsonShapeError} from '../protocol/json-shape.js'
import {decodeLookup, decodeTopics, type LookupdProducer, type LookupResult} from '../protocol/lookupd-json.js'

export type {LookupdProducer, LookupResult}

/** `host:port` or URL → the lookup URL for `topic`. */
export function lookupUrl(addr: string, topic: string): URL {
  const url = baseUrl(addr)
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/lookup'
  url.searchParams.set('topic', topic)
  return url
}

/** `host:port` or URL → its /topics URL (the path replaced, the query kept). */
export function topicsUrl(addr: string): URL {
  const url = baseUrl(addr)
  url.pathname = '/topics'
  return url
}

/** The timeouts of a LookupdClient in milliseconds; 0 = none. */
export type LookupdTimeouts = HttpTimeouts

/** The nsqd TCP address of a lookupd producer entry. */
export function producerAddress(p: LookupdProducer): string {
  return formatHostPort({host: p.broadcast_address, port: p.tcp_port})
}

export class LookupdClient {
  private readonly http: JsonGetter

  /** `timeout`: one number for connect, headers and body (go-nsq's lookupd_poll_timeout), or each apart. */
  constructor(timeout: number | LookupdTimeouts, authSecret = '') {
    const timeouts = typeof timeout === 'number' ? {connectTimeoutMs: timeout, requestTimeoutMs: timeout} : {...timeout}
    this.http = new JsonGetter(timeouts, (host, why, status) => new LookupdError(host, why, status), authSecret)
  }

  /** GET /lookup?topic=…: the producers of `topic`. A 404 (TOPIC_NOT_FOUND) is an error, as in go-nsq. */
  async lookup(addr: string, topic: string): Promise<LookupResult> {
    const url = lookupUrl(addr, topic)
    return parseLookup(await this.http.get(url), url.host)
  }

  /** GET /topics: every topic the lookupd at `addr` knows (in its order, unsorted). */
  async topics(addr: string): Promise<string[]> {
    const url = topicsUrl(addr)
    return parseTopics(await this.http.get(url), url.host)
  }

  async close(): Promise<void> {
    await this.http.close()
  }
}

/**
 * Read a /lookup answer in the 1.x or the pre-1.0 wrapped shape (protocol/lookupd-json.ts).
 * A producer without an address or a TCP port cannot be connected to: it is left out.
 */
export function parseLookup(doc: unknown, from = 'lookupd'): LookupResult {
  let r: LookupResult
  try {
    r = decodeLookup(doc)
  } catch (err) {
    if (err instanceof JsonShapeError) throw new LookupdError(from, `unexpected /lookup answer: ${err.message}`)
    throw err
  }
  return {channels: r.channels, producers: r.producers.filter((p) => p.broadcast_address !== '' && p.tcp_port > 0)}
}

/** Read a /topics answer in the 1.x or the pre-1.0 wrapped shape (protocol/lookupd-json.ts). */
export function parseTopics(doc: unknown, from = 'lookupd'): string[] {
  try {
    return decodeTopics(doc).topics
  } catch (err) {
    if (err instanceof JsonShapeError) throw new LookupdError(from, `unexpected /topics answer: ${err.message}`)
    throw err
  }
}
