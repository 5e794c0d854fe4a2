/**
 * nsqd's HTTP API (NSQ-SPEC §2.3) as a route table over node:http.
 *
 * Responses follow nsqd's http_api.RespondV1: `X-NSQ-Content-Type: nsq; version=1.0` on
 * every V1 route; a string result is sent as text/plain, an object as JSON, null as an
 * empty 200; an error is `{"message":"CODE"}` with its status. /ping is plain text without
 * the V1 header. Mutating routes are POST-only (405 with an Allow header otherwise).
 * Parameters come from the query string only. Each request is logged at info as nsqd's
 * http_api.Log does (`200 GET /stats (127.0.0.1:5555) 1.2ms`), except a POST to /pub or /mpub
 * (nsqd leaves its publish routes out of the log).
 */
import type {IncomingMessage, ServerResponse} from 'node:http'
import {decodeMpubBody, isValidChannelName, isValidTopicName, ProtocolError} from '../protocol/index.js'
import {formatDuration} from '../util/duration.js'
import {formatHostPort} from '../util/hostport.js'
import type {Logger} from '../util/logger.js'
import {BROKER_OPTIONS, NSQD_COMPAT_OPTIONS, OptionError, type BrokerOptions} from './options.js'
import {bodySizeFault, deferFault, messageSizeFault, publishMessages, topicNameFault, type PublishContext, type PublishError} from './delivery/publish.js'
import {collectStats, renderStatsText, type StatsSource} from './stats.js'
import type {Topic} from './delivery/topic.js'

export interface HttpBroker extends StatsSource, PublishContext {
  readonly opts: BrokerOptions
  readonly log: Logger
  getTopic(name: string): Topic
  getExistingTopic(name: string): Topic | undefined
  deleteTopic(name: string): boolean
  info(): object
  now(): number
  /** `PUT /config/:opt`: change an option marked settable in options.ts while running (the value is checked) */
  setOption<K extends keyof BrokerOptions>(key: K, value: BrokerOptions[K]): void
  /** the TCP and HTTP ports in effect (broadcast, or listening) */
  broadcastPorts(): {tcp: number; http: number}
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code)
  }
}

type Result = string | Buffer | object | null
interface Req {
  method: string
  query: URLSearchParams
  params: Record<string, string>
  req: IncomingMessage
  res: ServerResponse
}
type Handler = (b: HttpBroker, r: Req) => Result | Promise<Result>

const V1_HEADER = 'nsq; version=1.0'
/** nsqd's boolParams for query flags (include_clients, include_mem, binary): not strconv.ParseBool */
const HTTP_BOOL: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
])

function send(res: ServerResponse, status: number, body: Buffer | string, contentType: string | null, v1: boolean): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body
  if (contentType !== null) res.setHeader('Content-Type', contentType)
  if (v1) res.setHeader('X-NSQ-Content-Type', V1_HEADER)
  res.setHeader('Content-Length', buf.length)
  res.writeHead(status)
  res.end(buf)
}

function respondV1(res: ServerResponse, result: Result): void {
  if (result === null) send(res, 200, Buffer.alloc(0), null, true)
  else if (typeof result === 'string' || Buffer.isBuffer(result)) send(res, 200, result, 'text/plain; charset=utf-8', true)
  else send(res, 200, JSON.stringify(result), 'application/json; charset=utf-8', true)
}

function respondError(res: ServerResponse, status: number, code: string): void {
  send(res, status, `{"message":"${code}"}`, 'application/json; charset=utf-8', true)
}

/** Read the body, at most `limit` bytes; `over` when there was more. */
function readBody(req: IncomingMessage, limit: number): Promise<{body: Buffer; over: boolean}> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let n = 0
    let done = false
    const finish = (over: boolean): void => {
      if (done) return
      done = true
      req.off('data', onData)
      resolve({body: Buffer.concat(chunks, Math.min(n, limit)), over})
    }
    const onData = (c: Buffer): void => {
      n += c.length
      if (n > limit) {
        const keep = c.length - (n - limit)
        if (keep > 0) chunks.push(c.subarray(0, keep))
        finish(true)
        return
      }
      chunks.push(c)
    }
    req.on('data', onData)
    req.on('end', () => finish(false))
    req.on('error', (e) => {
      if (!done) reject(e)
    })
  })
}

function declaredLength(req: IncomingMessage): number {
  const v = req.headers['content-length']
  return v === undefined ? -1 : Number(v)
}

/**
 * An over-size upload: answer at once. Up to 64 MiB the rest of the body is drained (Node does
 * that after the response), so the client reads the 413 instead of a connection reset; a
 * larger declared body gets `Connection: close` rather than be read.
 */
function tooBig(r: Req, code: string): never {
  if (declaredLength(r.req) > 64 * 1024 * 1024) r.res.setHeader('Connection', 'close')
  throw new HttpError(413, code)
}

/** nsqd's getTopicFromQuery (/pub, /mpub, /topic/create): the topic named by `?topic=`, created if need be. */
function topicFromQuery(b: HttpBroker, r: Req): Topic {
  if (!r.query.has('topic')) throw new HttpError(400, 'MISSING_ARG_TOPIC')
  const name = r.query.get('topic') as string
  refuse(r, topicNameFault(name))
  return b.getTopic(name)
}

function existingTopicAndChannel(b: HttpBroker, q: URLSearchParams): {topic: Topic; channel: string} {
  if (!q.has('topic')) throw new HttpError(400, 'MISSING_ARG_TOPIC')
  const t = q.get('topic') as string
  if (!isValidTopicName(t)) throw new HttpError(400, 'INVALID_ARG_TOPIC')
  if (!q.has('channel')) throw new HttpError(400, 'MISSING_ARG_CHANNEL')
  const c = q.get('channel') as string
  if (!isValidChannelName(c)) throw new HttpError(400, 'INVALID_ARG_CHANNEL')
  const topic = b.getExistingTopic(t)
  if (topic === undefined) throw new HttpError(404, 'TOPIC_NOT_FOUND')
  return {topic, channel: c}
}

function requireParam(q: URLSearchParams, name: string, code: string): string {
  if (!q.has(name)) throw new HttpError(400, code)
  return q.get(name) as string
}

/**
 * A publish rule's fault (publish.ts) over HTTP, as nsqd's `{"message":"CODE"}`: throws, except
 * for an empty /mpub body, which is no fault over HTTP. The size faults answer at once (tooBig).
 */
function refuse(r: Req, fault: PublishError | null): void {
  if (fault === null) return
  switch (fault.fault) {
    case 'BAD_TOPIC':
      throw new HttpError(400, 'INVALID_TOPIC')
    case 'EMPTY_MESSAGE':
      throw new HttpError(400, 'MSG_EMPTY')
    case 'MESSAGE_SIZE':
      return tooBig(r, 'MSG_TOO_BIG')
    case 'BODY_SIZE':
      return tooBig(r, 'BODY_TOO_BIG')
    case 'EMPTY_BODY':
      return
    case 'DEFER_RANGE':
      throw new HttpError(400, 'INVALID_DEFER')
  }
}

const pub: Handler = async (b, r) => {
  const o = b.opts
  // a Content-Length over the limit is refused before the body is read
  const declared = declaredLength(r.req)
  if (declared > 0) refuse(r, messageSizeFault(declared, o))
  const {body, over} = await readBody(r.req, o.maxMsgSize)
  // `over`: more than the limit was sent (only the limit was kept)
  refuse(r, messageSizeFault(over ? o.maxMsgSize + 1 : body.length, o))
  const topic = topicFromQuery(b, r)
  let deferMs = 0
  if (r.query.has('defer')) {
    // Go's strconv.ParseInt (a sign is allowed), unlike DPUB's digits-only timeout
    const ds = r.query.get('defer') as string
    if (!/^[+-]?\d+$/.test(ds)) throw new HttpError(400, 'INVALID_DEFER')
    deferMs = Number(ds)
    refuse(r, deferFault(deferMs, o))
  }
  publishMessages(b, topic, [body], deferMs)
  return 'OK'
}

const mpub: Handler = async (b, r) => {
  const o = b.opts
  // a Content-Length over the limit is refused before the body is read (none, or 0, is fine)
  refuse(r, bodySizeFault(declaredLength(r.req), o))
  const topic = topicFromQuery(b, r)
  const binaryParam = r.query.get('binary')
  let binary = false
  if (binaryParam !== null) {
    // nsqd's boolParams; any other value means binary, with a deprecation warning
    binary = HTTP_BOOL.get(binaryParam) ?? true
    if (!HTTP_BOOL.has(binaryParam)) b.log.warn(`deprecated value '${binaryParam}' used for /mpub binary param`)
  }
  const {body, over} = await readBody(r.req, o.maxBodySize)
  if (over) refuse(r, bodySizeFault(o.maxBodySize + 1, o))
  let bodies: Buffer[]
  if (binary) {
    try {
      // HTTP's binary mpub has no leading size: the body is [count][len][msg]...
      bodies = decodeMpubBody(body, {maxMsgSize: o.maxMsgSize, maxBodySize: o.maxBodySize})
    } catch (e) {
      if (e instanceof ProtocolError) throw new HttpError(413, e.code.slice(2))
      throw e
    }
  } else {
    bodies = []
    let start = 0
    while (start <= body.length) {
      let nl = body.indexOf(0x0a, start)
      if (nl < 0) nl = body.length
      const line = body.subarray(start, nl)
      start = nl + 1
      // empty lines are skipped, as nsqd does since 0.2.22
      if (line.length === 0) continue
      refuse(r, messageSizeFault(line.length, o))
      bodies.push(line)
    }
  }
  if (bodies.length > 0) publishMessages(b, topic, bodies, 0)
  return 'OK'
}

const stats: Handler = (b, r) => {
  const q = r.query
  const includeClients = HTTP_BOOL.get(q.get('include_clients') ?? '') ?? true
  const includeMem = HTTP_BOOL.get(q.get('include_mem') ?? '') ?? true
  const topic = q.get('topic') ?? ''
  const channel = q.get('channel') ?? ''
  const doc = collectStats(b, {topic, channel, includeClients, includeMem})
  if (q.get('format') === 'json') return doc
  return renderStatsText(doc, b.startTime, b.now())
}

const topicCreate: Handler = (b, r) => {
  topicFromQuery(b, r)
  return null
}

const topicDelete: Handler = (b, r) => {
  const name = requireParam(r.query, 'topic', 'MISSING_ARG_TOPIC')
  if (!b.deleteTopic(name)) throw new HttpError(404, 'TOPIC_NOT_FOUND')
  return null
}

const topicEmpty: Handler = (b, r) => {
  const name = requireParam(r.query, 'topic', 'MISSING_ARG_TOPIC')
  if (!isValidTopicName(name)) throw new HttpError(400, 'INVALID_TOPIC')
  const t = b.getExistingTopic(name)
  if (t === undefined) throw new HttpError(404, 'TOPIC_NOT_FOUND')
  t.empty()
  return null
}

const topicPause =
  (pause: boolean): Handler =>
  (b, r) => {
    const name = requireParam(r.query, 'topic', 'MISSING_ARG_TOPIC')
    const t = b.getExistingTopic(name)
    if (t === undefined) throw new HttpError(404, 'TOPIC_NOT_FOUND')
    if (pause) t.pause()
    else t.unpause()
    return null
  }

const channelCreate: Handler = (b, r) => {
  const {topic, channel} = existingTopicAndChannel(b, r.query)
  topic.getChannel(channel)
  return null
}

const channelDelete: Handler = (b, r) => {
  const {topic, channel} = existingTopicAndChannel(b, r.query)
  if (!topic.deleteChannel(channel)) throw new HttpError(404, 'CHANNEL_NOT_FOUND')
  return null
}

const channelOp =
  (op: 'empty' | 'pause' | 'unpause'): Handler =>
  (b, r) => {
    const {topic, channel} = existingTopicAndChannel(b, r.query)
    const ch = topic.channels.get(channel)
    if (ch === undefined) throw new HttpError(404, 'CHANNEL_NOT_FOUND')
    ch[op]()
    return null
  }

/**
 * `GET /config/:opt`: nsqd's getOptByCfgName over the option tables (options.ts), by cfg name:
 * the flag with `_` (the node id is `id`), in Go's JSON (durations in integer ns, the log level
 * as lg.LogLevel's number). The options serve accepts but does not act on yet answer nsqd's
 * defaults. Two values are filled in at start, as nsqd does: the broadcast ports (the listening
 * ones when not set) and statsd_prefix (`%s` = broadcast host:port with `.` and `:` as `_`).
 */
function configValue(b: HttpBroker, opt: string): unknown {
  const key = BROKER_OPTIONS.byCfg(opt)
  if (key !== undefined) {
    if (key === 'broadcastTcpPort') return b.broadcastPorts().tcp
    if (key === 'broadcastHttpPort') return b.broadcastPorts().http
    return BROKER_OPTIONS.json(key, b.opts[key])
  }
  const compat = NSQD_COMPAT_OPTIONS.byCfg(opt)
  if (compat === undefined) return undefined
  if (compat === 'statsdPrefix') {
    const host = formatHostPort({host: b.opts.broadcastAddress, port: b.broadcastPorts().http}).replace(/[.:]/g, '_')
    const prefix = NSQD_COMPAT_OPTIONS.defaults.statsdPrefix.replace(/%s/g, host)
    return prefix.endsWith('.') ? prefix : `${prefix}.`
  }
  return NSQD_COMPAT_OPTIONS.json(compat, NSQD_COMPAT_OPTIONS.defaults[compat])
}

const configGet: Handler = (b, r) => {
  const v = configValue(b, r.params.opt ?? '')
  if (v === undefined) throw new HttpError(400, 'INVALID_OPTION')
  return v as object
}

/**
 * `PUT /config/:opt` on a settable option (nsqd: nsqlookupd_tcp_addresses and log_level). The
 * body is read first, at most max-msg-size bytes (more, or nothing, is 413 INVALID_VALUE, for
 * any option); a list is a JSON array, anything else the option's text as sent (nothing trimmed:
 * nsqd's lg.ParseLogLevel on the body).
 */
const configPut: Handler = async (b, r) => {
  const opt = r.params.opt ?? ''
  const {body, over} = await readBody(r.req, b.opts.maxMsgSize)
  if (over || body.length === 0) throw new HttpError(413, 'INVALID_VALUE')
  const key = BROKER_OPTIONS.byCfg(opt)
  if (key === undefined || BROKER_OPTIONS.specs[key].settable !== true) throw new HttpError(400, 'INVALID_OPTION')
  const text = body.toString('utf8')
  let value: unknown
  try {
    if (BROKER_OPTIONS.specs[key].kind === 'strings') {
      value = JSON.parse(text)
      BROKER_OPTIONS.check(key, value)
    } else {
      value = BROKER_OPTIONS.parse(key, text)
    }
  } catch (err) {
    if (err instanceof SyntaxError || err instanceof OptionError) throw new HttpError(400, 'INVALID_VALUE')
    throw err
  }
  b.setOption(key, value as never)
  return configValue(b, opt) as object
}

interface Route {
  methods: Record<string, Handler>
  v1: boolean
}

const ROUTES: Record<string, Route> = {
  '/ping': {methods: {GET: () => 'OK'}, v1: false},
  '/info': {methods: {GET: (b) => b.info()}, v1: true},
  '/stats': {methods: {GET: stats}, v1: true},
  '/pub': {methods: {POST: pub}, v1: true},
  '/mpub': {methods: {POST: mpub}, v1: true},
  '/topic/create': {methods: {POST: topicCreate}, v1: true},
  '/topic/delete': {methods: {POST: topicDelete}, v1: true},
  '/topic/empty': {methods: {POST: topicEmpty}, v1: true},
  '/topic/pause': {methods: {POST: topicPause(true)}, v1: true},
  '/topic/unpause': {methods: {POST: topicPause(false)}, v1: true},
  '/channel/create': {methods: {POST: channelCreate}, v1: true},
  '/channel/delete': {methods: {POST: channelDelete}, v1: true},
  '/channel/empty': {methods: {POST: channelOp('empty')}, v1: true},
  '/channel/pause': {methods: {POST: channelOp('pause')}, v1: true},
  '/channel/unpause': {methods: {POST: channelOp('unpause')}, v1: true},
}
const CONFIG_ROUTE: Route = {methods: {GET: configGet, PUT: configPut}, v1: true}

function match(path: string): {route: Route; params: Record<string, string>} | null {
  const r = ROUTES[path]
  if (r !== undefined && Object.hasOwn(ROUTES, path)) return {route: r, params: {}}
  const m = /^\/config\/([^/]+)$/.exec(path)
  if (m) return {route: CONFIG_ROUTE, params: {opt: decodeURIComponent(m[1] as string)}}
  return null
}

/** The request listener for node:http. */
export function createHttpHandler(b: HttpBroker): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handle(b, req, res)
  }
}

/** nsqd does not log its publish routes (the hot path); every other answer is logged. */
const UNLOGGED = new Set(['/pub', '/mpub'])

async function handle(b: HttpBroker, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const t0 = process.hrtime.bigint()
  const url = new URL(req.url ?? '/', 'http://nsqd')
  const method = req.method ?? 'GET'
  const logLine = (status: number): void => {
    const remote = formatHostPort({host: req.socket.remoteAddress ?? '?', port: req.socket.remotePort ?? 0})
    const elapsed = formatDuration(Number(process.hrtime.bigint() - t0) / 1e6)
    b.log.info(`${status} ${method} ${req.url ?? '/'} (${remote}) ${elapsed}`)
  }
  const m = match(url.pathname)
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
  const logged = !UNLOGGED.has(url.pathname)
  try {
    const result = await handler(b, {method, query: url.searchParams, params: m.params, req, res})
    if (logged) logLine(200)
    if (!m.route.v1) send(res, 200, result as string, 'text/plain; charset=utf-8', false)
    else respondV1(res, result)
  } catch (e) {
    if (e instanceof HttpError) {
      if (logged) logLine(e.status)
      respondError(res, e.status, e.code)
    } else {
      b.log.error(`panic in HTTP handler - ${(e as Error).message}`)
      logLine(500)
      if (!res.headersSent) respondError(res, 500, 'INTERNAL_ERROR')
    }
  }
}
