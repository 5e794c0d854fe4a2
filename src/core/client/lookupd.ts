/**
 * nsqlookupd HTTP queries (NSQ-SPEC §3.3, §4.3 "Discovery"), through one undici Agent with
 * keep-alive and the lookupd_poll_timeout for connect, headers and body.
 *
 * Addresses are `host:port` or URLs; a bare address or a URL without a path gets `/lookup`.
 * The request sends `Accept: application/vnd.nsq; version=1.0`; the answer is read both in
 * the 1.x shape (`{"channels":[...],"producers":[...]}`) and in the pre-1.0 wrapped shape
 * (`{"status_code":200,"status_txt":"OK","data":{...}}`).
 */
import type {Agent} from 'undici'
import {formatHostPort} from '../util/hostport.js'
import {LookupdError} from './errors.js'
import {JsonShapeError} from '../protocol/json-shape.js'
import {decodeLookup, type LookupdProducer, type LookupResult} from '../protocol/lookupd-json.js'

export type {LookupdProducer, LookupResult}

/** `host:port` or URL → the lookup URL for `topic`. */
export function lookupUrl(addr: string, topic: string): URL {
  const url = new URL(addr.includes('://') ? addr : `http://${addr}`)
  if (url.pathname === '' || url.pathname === '/') url.pathname = '/lookup'
  url.searchParams.set('topic', topic)
  return url
}

/** The nsqd TCP address of a lookupd producer entry. */
export function producerAddress(p: LookupdProducer): string {
  return formatHostPort({host: p.broadcast_address, port: p.tcp_port})
}

/** undici, loaded at the first lookup: a tool given only nsqd addresses starts without it (~50 ms). */
let undici: Promise<typeof import('undici')> | undefined
const loadUndici = (): Promise<typeof import('undici')> => (undici ??= import('undici'))

export class LookupdClient {
  private agent: Agent | null = null
  private closed = false

  constructor(
    private readonly timeoutMs: number,
    private readonly authSecret = '',
  ) {}

  /** GET /lookup?topic=…: the producers of `topic`. A 404 (TOPIC_NOT_FOUND) is an error, as in go-nsq. */
  async lookup(addr: string, topic: string): Promise<LookupResult> {
    const url = lookupUrl(addr, topic)
    const headers: Record<string, string> = {accept: 'application/vnd.nsq; version=1.0'}
    if (this.authSecret) headers.authorization = `Bearer ${this.authSecret}`
    const {Agent, request} = await loadUndici()
    if (this.closed) throw new LookupdError(url.host, 'request failed: the client is closed')
    const t = this.timeoutMs > 0 ? this.timeoutMs : undefined
    this.agent ??= new Agent({keepAliveTimeout: 30_000, connect: t ? {timeout: t} : {}, headersTimeout: t, bodyTimeout: t})
    let res
    try {
      res = await request(url, {method: 'GET', headers, dispatcher: this.agent})
    } catch (err) {
      throw new LookupdError(url.host, `request failed: ${(err as Error).message}`)
    }
    const text = await res.body.text()
    if (res.statusCode !== 200) throw new LookupdError(url.host, `HTTP ${res.statusCode}: ${text.trim().slice(0, 200)}`, res.statusCode)
    let doc: unknown
    try {
      doc = JSON.parse(text)
    } catch {
      throw new LookupdError(url.host, 'answer is not JSON')
    }
    return parseLookup(doc, url.host)
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
