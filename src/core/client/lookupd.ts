/**
 * nsqlookupd HTTP queries (NSQ-SPEC §3.3, §4.3 "Discovery", §1.2 "Topic selection"), through
 * one undici Agent with keep-alive. Its timeouts are one number (go-nsq's lookupd_poll_timeout,
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
import type {Agent} from 'undici'
import {formatHostPort} from '../util/hostport.js'
import {LookupdError} from './errors.js'
import {JsonShapeError} from '../protocol/json-shape.js'
import {decodeLookup, decodeTopics, type LookupdProducer, type LookupResult} from '../protocol/lookupd-json.js'

export type {LookupdProducer, LookupResult}

const baseUrl = (addr: string): URL => new URL(addr.includes('://') ? addr : `http://${addr}`)

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
export interface LookupdTimeouts {
  /** TCP connect */
  connectTimeoutMs: number
  /** the response headers, then the body */
  requestTimeoutMs: number
}

/** The nsqd TCP address of a lookupd producer entry. */
export function producerAddress(p: LookupdProducer): string {
  return formatHostPort({host: p.broadcast_address, port: p.tcp_port})
}

/** undici, loaded at the first query: a tool given only nsqd addresses starts without it (~50 ms). */
let undici: Promise<typeof import('undici')> | undefined
const loadUndici = (): Promise<typeof import('undici')> => (undici ??= import('undici'))

export class LookupdClient {
  private agent: Agent | null = null
  private closed = false
  private readonly timeouts: LookupdTimeouts

  /** `timeout`: one number for connect, headers and body (go-nsq's lookupd_poll_timeout), or each apart. */
  constructor(
    timeout: number | LookupdTimeouts,
    private readonly authSecret = '',
  ) {
    this.timeouts = typeof timeout === 'number' ? {connectTimeoutMs: timeout, requestTimeoutMs: timeout} : {...timeout}
  }

  /** GET /lookup?topic=…: the producers of `topic`. A 404 (TOPIC_NOT_FOUND) is an error, as in go-nsq. */
  async lookup(addr: string, topic: string): Promise<LookupResult> {
    const url = lookupUrl(addr, topic)
    return parseLookup(await this.get(url), url.host)
  }

  /** GET /topics: every topic the lookupd at `addr` knows (in its order, unsorted). */
  async topics(addr: string): Promise<string[]> {
    const url = topicsUrl(addr)
    return parseTopics(await this.get(url), url.host)
  }

  /** GET `url` and its JSON answer; anything but a 200 with a JSON body is a LookupdError. */
  private async get(url: URL): Promise<unknown> {
    const headers: Record<string, string> = {accept: 'application/vnd.nsq; version=1.0'}
    if (this.authSecret) headers.authorization = `Bearer ${this.authSecret}`
    const {Agent, request} = await loadUndici()
    if (this.closed) throw new LookupdError(url.host, 'request failed: the client is closed')
    if (this.agent === null) {
      const positive = (ms: number): number | undefined => (ms > 0 ? ms : undefined)
      const connect = positive(this.timeouts.connectTimeoutMs)
      const t = positive(this.timeouts.requestTimeoutMs)
      this.agent = new Agent({keepAliveTimeout: 30_000, connect: connect ? {timeout: connect} : {}, headersTimeout: t, bodyTimeout: t})
    }
    let res
    try {
      res = await request(url, {method: 'GET', headers, dispatcher: this.agent})
    } catch (err) {
      throw new LookupdError(url.host, `request failed: ${(err as Error).message}`)
    }
    let text: string
    try {
      text = await res.body.text()
    } catch (err) {
      throw new LookupdError(url.host, `reading the answer failed: ${(err as Error).message}`)
    }
    if (res.statusCode !== 200) throw new LookupdError(url.host, `HTTP ${res.statusCode}: ${text.trim().slice(0, 200)}`, res.statusCode)
    let doc: unknown
    try {
      doc = JSON.parse(text)
    } catch {
      throw new LookupdError(url.host, 'answer is not JSON')
    }
    return doc
  }

  async close(): Promise<void> {
    this.closed = true
    await this.agent?.close()
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
