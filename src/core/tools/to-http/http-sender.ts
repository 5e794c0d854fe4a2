/**
 * The HTTP side of `nsqkit to-http` (nsq_to_http's PostPublisher / GetPublisher, NSQ-SPEC §1.3):
 * one message to one endpoint, through undici.
 *
 *  POST  the body as it is, `Content-Type: <--content-type>`
 *  GET   the template with its `%s` replaced by the body, query-escaped as Go does
 *
 * Both send `User-Agent: nsq_to_http v1.3.0` (Go's) and the --header pairs; the answer's body is
 * read to the end and dropped (so the connection is kept alive), and its status is judged by the
 * success rule. One undici Pool per origin, at most `connections` sockets each (the -n handlers
 * can all be in a request at once), keep-alive; the connect timeout is the dial's, the request
 * timeout bounds the wait for the answer's headers and for each read of its body (Go's
 * http.Client Timeout bounds the whole exchange; here a body that keeps trickling could take
 * longer).
 */
import {Pool} from 'undici'
import type {SuccessStatus} from './success-status.js'
import {fillTemplate} from './query-escape.js'

type DispatchOptions = Parameters<Pool['dispatch']>[0]
type DispatchHandler = Parameters<Pool['dispatch']>[1]

export interface HttpSenderOptions {
  method: 'POST' | 'GET'
  contentType: string
  /** --header pairs, in order */
  headers: readonly (readonly [string, string])[]
  userAgent: string
  success: SuccessStatus
  connectTimeoutMs: number
  requestTimeoutMs: number
  /** sockets per origin */
  connections: number
}

/** A request that did not succeed: the status it got (0: none, the request itself failed). */
export class HttpSendError extends Error {
  constructor(
    message: string,
    readonly url: string,
    readonly status: number,
  ) {
    super(message)
    this.name = 'HttpSendError'
  }
}

export class HttpSender {
  private readonly pools = new Map<string, Pool>()
  /** POST endpoints, parsed once */
  private readonly targets = new Map<string, Target>()
  private readonly headers: Record<string, string>

  constructor(private readonly opts: HttpSenderOptions) {
    const h: Record<string, string> = {'user-agent': opts.userAgent}
    if (opts.method === 'POST') h['content-type'] = opts.contentType
    for (const [k, v] of opts.headers) h[k.toLowerCase()] = v
    this.headers = h
  }

  /** Send `body` to `endpoint` (a POST URL or a GET template); rejects with HttpSendError. */
  send(endpoint: string, body: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.dispatch(endpoint, body, (err) => (err === null ? resolve() : reject(err))))
  }

  /**
   * send() with a callback: `done` gets null once the answer succeeded, or the HttpSendError.
   * The engine's path: the answer reaches the FIN in one call chain, without the four promise
   * layers it had (a change within the noise of to-http's figures, simpler to follow).
   */
  dispatch(endpoint: string, body: Buffer, done: (err: HttpSendError | null) => void): void {
    const {method} = this.opts
    let target: string
    let url: Target
    try {
      target = method === 'GET' ? fillTemplate(endpoint, body) : endpoint
      url = method === 'GET' ? parseTarget(target) : this.postTarget(target)
    } catch (err) {
      done(err instanceof HttpSendError ? err : new HttpSendError(describe(err), endpoint, 0))
      return
    }
    // the request timeout bounds the wait for the headers and for each body read (undici's
    // headersTimeout, bodyTimeout): no timer of our own per request (measured: an
    // AbortSignal.timeout per request cost ~8% of to-http's CPU)
    const opts: DispatchOptions = {path: url.path, method, headers: this.headers, body: method === 'POST' ? body : null}
    this.pool(url.origin).dispatch(opts, new Exchange(this, target, done))
  }

  /** The answer's status judged, or the request's failure described. */
  settle(target: string, status: number, err: Error | null, done: (err: HttpSendError | null) => void): void {
    const {method, requestTimeoutMs} = this.opts
    if (err !== null) {
      const code = (err as {code?: string}).code
      const why = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' ? `timed out after ${requestTimeoutMs} ms` : describe(err)
      done(new HttpSendError(`${method} ${target}: ${why}`, target, 0))
    } else if (!this.opts.success(status)) done(new HttpSendError(`${method} ${target}: got status code ${status}`, target, status))
    else done(null)
  }

  async close(): Promise<void> {
    const pools = [...this.pools.values()]
    this.pools.clear()
    await Promise.all(pools.map((p) => p.close().catch(() => undefined)))
  }

  private postTarget(endpoint: string): Target {
    let t = this.targets.get(endpoint)
    if (t === undefined) {
      t = parseTarget(endpoint)
      this.targets.set(endpoint, t)
    }
    return t
  }

  private pool(origin: string): Pool {
    let p = this.pools.get(origin)
    if (p === undefined) {
      p = new Pool(origin, {
        connections: this.opts.connections,
        connect: {timeout: this.opts.connectTimeoutMs},
        headersTimeout: this.opts.requestTimeoutMs,
        bodyTimeout: this.opts.requestTimeoutMs,
      })
      this.pools.set(origin, p)
    }
    return p
  }
}

interface Target {
  origin: string
  /** path and query */
  path: string
}

function parseTarget(target: string): Target {
  let url: URL
  try {
    url = new URL(target)
  } catch {
    throw new HttpSendError(`${target}: not a valid URL`, target, 0)
  }
  return {origin: url.origin, path: url.pathname + url.search}
}

/**
 * One exchange, as undici's raw dispatch handler: the status when the headers come, the body's
 * chunks dropped (read to the end, so the connection stays alive), settled at the end or on error.
 */
class Exchange implements DispatchHandler {
  private status = 0
  private settled = false

  constructor(
    private readonly sender: HttpSender,
    private readonly target: string,
    private readonly done: (err: HttpSendError | null) => void,
  ) {}

  onConnect(): void {}

  onHeaders(statusCode: number): boolean {
    this.status = statusCode
    return true
  }

  onData(): boolean {
    return true
  }

  onComplete(): void {
    this.settle(null)
  }

  onError(err: Error): void {
    this.settle(err)
  }

  private settle(err: Error | null): void {
    // undici calls one of onComplete / onError, once; the guard keeps a callback single
    if (this.settled) return
    this.settled = true
    this.sender.settle(this.target, this.status, err, this.done)
  }
}

/** undici's error in one line: its code and message, and the cause's when it wraps one. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const e = err as Error & {code?: string; cause?: unknown}
  const cause = e.cause instanceof Error ? ` (${e.cause.message})` : ''
  const code = e.code && !e.message.includes(e.code) ? `${e.code}: ` : ''
  return `${code}${e.message}${cause}`
}
