/**
 * nsq's HTTP conventions as a route table over node:http (internal/http_api: Decorate, V1,
 * PlainText, Log), shared by nsqd, nsqlookupd and the admin UI; each daemon brings only its
 * routes and the context its handlers read.
 *
 *   path → Route: the handler per method, V1 or plain text
 *   unknown path                  → 404 {"message":"NOT_FOUND"}
 *   known path, method not routed → 405 {"message":"METHOD_NOT_ALLOWED"} + Allow (OPTIONS → 200 + Allow)
 *   handler throws HttpError      → its status and code (as text on a plain-text route)
 *   handler throws anything else  → logged, 500 {"message":"INTERNAL_ERROR"}
 *
 * Each answer is logged at info as http_api.Log does (`200 GET /stats (127.0.0.1:5555) 1.2ms`),
 * except the paths the daemon leaves out (nsqd: its publish routes).
 */
import type {IncomingMessage, ServerResponse} from 'node:http'
import {formatDuration} from '../util/duration.js'
import {formatHostPort} from '../util/hostport.js'
import type {Logger} from '../util/logger.js'
import {HttpError, STREAMED, respondError, respondV1, send, type HttpResult} from './respond.js'

export interface HttpRequest {
  method: string
  query: URLSearchParams
  /** what a pattern route captured (`/config/:opt` → {opt}) */
  params: Record<string, string>
  req: IncomingMessage
  res: ServerResponse
}

export type HttpHandler<C> = (ctx: C, r: HttpRequest) => HttpResult | Promise<HttpResult>

export interface HttpRoute<C> {
  methods: Record<string, HttpHandler<C>>
  /** V1 answers (X-NSQ-Content-Type, JSON/text/empty); false: plain text (/ping) */
  v1: boolean
  /** a non-V1 route's Content-Type (the admin's pages and scripts); text/plain by default */
  type?: string
}

export interface HttpApi<C> {
  /** the exact paths */
  routes: Record<string, HttpRoute<C>>
  /** the paths with a parameter (`/config/:opt`): a route and what it captured, or null */
  match?: (path: string) => {route: HttpRoute<C>; params: Record<string, string>} | null
  /** paths whose answers are not logged */
  unlogged?: ReadonlySet<string>
}

/** The request listener for node:http: `api`'s routes over `ctx`, logging to `log()`. */
export function createHttpHandler<C>(api: HttpApi<C>, ctx: C, log: () => Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    handle(api, ctx, log(), req, res).catch((err: unknown) => {
      log().error(`HTTP handler failed - ${(err as Error).message}`)
      if (!res.headersSent) respondError(res, 500, 'INTERNAL_ERROR')
      else res.destroy()
    })
  }
}

function find<C>(api: HttpApi<C>, path: string): {route: HttpRoute<C>; params: Record<string, string>} | null {
  const r = api.routes[path]
  if (r !== undefined && Object.hasOwn(api.routes, path)) return {route: r, params: {}}
  return api.match?.(path) ?? null
}

async function handle<C>(api: HttpApi<C>, ctx: C, log: Logger, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const t0 = process.hrtime.bigint()
  const method = req.method ?? 'GET'
  const logLine = (status: number): void => {
    const remote = formatHostPort({host: req.socket.remoteAddress ?? '?', port: req.socket.remotePort ?? 0})
    const elapsed = formatDuration(Number(process.hrtime.bigint() - t0) / 1e6)
    log.info(`${status} ${method} ${req.url ?? '/'} (${remote}) ${elapsed}`)
  }
  let url: URL
  try {
    url = new URL(req.url ?? '/', 'http://nsq')
  } catch {
    // a request line Node's parser takes and WHATWG's URL does not (`GET //[`)
    logLine(400)
    respondError(res, 400, 'INVALID_REQUEST')
    return
  }
  const m = find(api, url.pathname)
  if (m === null) {
    logLine(404)
    respondError(res, 404, 'NOT_FOUND')
    return
  }
  const handler = m.route.methods[method]
  if (handler === undefined) {
    const allow = [...Object.keys(m.route.methods), 'OPTIONS'].sort().join(', ')
    res.setHeader('Allow', allow)
    if (method === 'OPTIONS') {
      send(res, 200, Buffer.alloc(0), null, false)
      return
    }
    logLine(405)
    respondError(res, 405, 'METHOD_NOT_ALLOWED')
    return
  }
  const logged = api.unlogged?.has(url.pathname) !== true
  try {
    const result = await handler(ctx, {method, query: url.searchParams, params: m.params, req, res})
    if (logged) logLine(200)
    if (result === STREAMED) return
    if (!m.route.v1) send(res, 200, result as string, m.route.type ?? 'text/plain; charset=utf-8', false)
    else respondV1(res, result as Exclude<HttpResult, typeof STREAMED>)
  } catch (e) {
    if (e instanceof HttpError) {
      if (logged) logLine(e.status)
      // a plain-text route answers its error as text too (http_api.PlainText: nsqd's /ping NOK)
      if (!m.route.v1) send(res, e.status, e.code, 'text/plain; charset=utf-8', false)
      else respondError(res, e.status, e.code)
    } else {
      log.error(`panic in HTTP handler - ${(e as Error).message}`)
      logLine(500)
      if (!res.headersSent) respondError(res, 500, 'INTERNAL_ERROR')
    }
  }
}
