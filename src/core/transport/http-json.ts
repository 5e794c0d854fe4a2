/**
 * One JSON GET (and an action's POST) over one undici Agent with keep-alive: what the client's lookupd and nsqd /stats
 * queries (client/lookupd.ts, client/nsqd-http.ts) and the broker's auth queries share. Its timeouts are a connect timeout and a
 * request timeout for the headers and the body (undici's headersTimeout and bodyTimeout); 0 is
 * none. The request sends `Accept: application/vnd.nsq; version=1.0` (NSQ-SPEC §3.3). Any
 * failure (connect, timeout, a status other than 200, not JSON) is the error `fail` makes,
 * naming the host; a 403 naming an `https_port` (nsqd's TLS_REQUIRED) is asked again over
 * HTTPS, as nsq's own HTTP client does. undici is loaded at the first request, never at module
 * load: a tool that never asks starts without it (~50 ms).
 */
import type {Agent} from 'undici'

/** The timeouts of an HTTP JSON client in milliseconds; 0 = none. */
export interface HttpTimeouts {
  /** TCP connect */
  connectTimeoutMs: number
  /** the response headers, then the body */
  requestTimeoutMs: number
}

/** Makes the error for a failed request to `host`; `status` is the HTTP status when there was one. */
export type HttpFailure = (host: string, why: string, status?: number) => Error

let undici: Promise<typeof import('undici')> | undefined
const loadUndici = (): Promise<typeof import('undici')> => (undici ??= import('undici'))

/** `host:port` or a URL → a URL (http:// when no scheme is given). */
export const baseUrl = (addr: string): URL => new URL(addr.includes('://') ? addr : `http://${addr}`)

/** What an https:// request trusts: a CA in PEM (default: the system's roots). */
export interface HttpTls {
  ca?: Buffer
}

/** The `https_port` of a TLS_REQUIRED answer, or null. */
function httpsPortOf(text: string): number | null {
  try {
    const v = (JSON.parse(text) as {https_port?: unknown}).https_port
    return typeof v === 'number' && Number.isInteger(v) && v > 0 && v < 65536 ? v : null
  } catch {
    return null
  }
}

export class JsonGetter {
  private agent: Agent | null = null
  private closed = false

  constructor(
    private readonly timeouts: HttpTimeouts,
    private readonly fail: HttpFailure,
    private readonly authSecret = '',
    private readonly tls: HttpTls = {},
  ) {}

  /** GET `url` and its JSON answer; anything but a 200 with a JSON body is a `fail` error. */
  async get(url: URL): Promise<unknown> {
    const {status, text} = await this.exchange(url, 'GET')
    if (status !== 200) {
      // nsq's http_api client: a 403 from a plain-HTTP endpoint that names its https_port (nsqd's
      // TLS_REQUIRED answer) is asked again over HTTPS, once
      const https = url.protocol === 'http:' && status === 403 ? httpsPortOf(text) : null
      if (https !== null) {
        const again = new URL(url)
        again.protocol = 'https:'
        again.port = String(https)
        return this.get(again)
      }
      throw this.fail(url.host, `HTTP ${status}: ${text.trim().slice(0, 200)}`, status)
    }
    try {
      return JSON.parse(text) as unknown
    } catch {
      throw this.fail(url.host, 'answer is not JSON')
    }
  }

  /**
   * POST `body` (empty by default: an nsqd's or lookupd's action, /topic/pause, /channel/create,
   * …) to `url`; resolves with the answer's text on a 200, anything else is a `fail` error.
   */
  async post(url: URL, body: string | Buffer = '', contentType?: string): Promise<string> {
    const {status, text} = await this.exchange(url, 'POST', body, contentType)
    if (status !== 200) throw this.fail(url.host, `HTTP ${status}: ${text.trim().slice(0, 200)}`, status)
    return text
  }

  /** One request and its whole answer as text; a failed request or read is a `fail` error. */
  private async exchange(url: URL, method: 'GET' | 'POST', body?: string | Buffer, contentType?: string): Promise<{status: number; text: string}> {
    const headers: Record<string, string> = {accept: 'application/vnd.nsq; version=1.0'}
    if (contentType !== undefined) headers['content-type'] = contentType
    if (this.authSecret) headers.authorization = `Bearer ${this.authSecret}`
    const {request} = await loadUndici()
    if (this.closed) throw this.fail(url.host, 'request failed: the client is closed')
    const agent = await this.dispatcher()
    let res
    try {
      res = await request(url, {method, headers, dispatcher: agent, ...(body === undefined ? {} : {body})})
    } catch (err) {
      throw this.fail(url.host, `request failed: ${(err as Error).message}`)
    }
    try {
      return {status: res.statusCode, text: await res.body.text()}
    } catch (err) {
      throw this.fail(url.host, `reading the answer failed: ${(err as Error).message}`)
    }
  }

  /** The one Agent, made at the first request. */
  private async dispatcher(): Promise<Agent> {
    if (this.closed) throw this.fail('-', 'request failed: the client is closed')
    if (this.agent === null) {
      const {Agent} = await loadUndici()
      const positive = (ms: number): number | undefined => (ms > 0 ? ms : undefined)
      const connect = positive(this.timeouts.connectTimeoutMs)
      const t = positive(this.timeouts.requestTimeoutMs)
      const tls = this.tls.ca ? {ca: this.tls.ca} : {}
      this.agent ??= new Agent({keepAliveTimeout: 30_000, connect: {...tls, ...(connect ? {timeout: connect} : {})}, headersTimeout: t, bodyTimeout: t})
    }
    return this.agent
  }

  /** Stop, after the requests under way have their answers. */
  async close(): Promise<void> {
    this.closed = true
    await this.agent?.close()
  }

  /** Stop now: the requests under way fail (a shutdown does not wait for a slow server). */
  async destroy(): Promise<void> {
    this.closed = true
    await this.agent?.destroy()
  }
}
