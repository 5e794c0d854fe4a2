/**
 * nsqd's HTTP API (NSQ-SPEC §2.3): its routes over the HTTP conventions nsq's daemons share
 * (core/http-api: V1 answers, `{"message":"CODE"}` errors, 405 + Allow, the request log).
 * Mutating routes are POST-only. Parameters come from the query string only. A POST to /pub
 * or /mpub is not logged (nsqd leaves its publish routes out of the log).
 */
import type {IncomingMessage, ServerResponse} from 'node:http'
import {HTTP_BOOL, HttpError, createHttpHandler as createApiHandler, declaredLength, readBody, requireParam, type HttpApi, type HttpHandler, type HttpRequest, type HttpRoute} from '../http-api/index.js'
import {decodeMpubBody, isValidChannelName, isValidTopicName, ProtocolError} from '../protocol/index.js'
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
  /** `OK`, or `NOK - <error>` while the disk cannot write (GET /ping) */
  health(): string
  /** null while the backends can write */
  readonly storageError: Error | null
  /** write the disk queues' pending records now (before an answer that acknowledges them) */
  commit(): void
}

/**
 * Publish over HTTP: refused with nsqd's 503 EXITING while the disk cannot write (nsqd's answer
 * to a failed put), and answered only once the records are written.
 */
function httpPublish(b: HttpBroker, topic: Topic, bodies: readonly Buffer[], deferMs: number): void {
  if (b.storageError !== null) throw new HttpError(503, 'EXITING')
  publishMessages(b, topic, bodies, deferMs)
  b.commit()
}

type Req = HttpRequest
type Handler = HttpHandler<HttpBroker>
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
  httpPublish(b, topic, [body], deferMs)
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
  if (bodies.length > 0) httpPublish(b, topic, bodies, 0)
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

/** nsqd's /ping: `OK`, or 500 with its health text while the disk cannot write. */
const ping: Handler = (b) => {
  const h = b.health()
  if (h !== 'OK') throw new HttpError(500, h)
  return 'OK'
}

type Route = HttpRoute<HttpBroker>

const ROUTES: Record<string, Route> = {
  '/ping': {methods: {GET: ping}, v1: false},
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
  const m = /^\/config\/([^/]+)$/.exec(path)
  if (m) return {route: CONFIG_ROUTE, params: {opt: decodeURIComponent(m[1] as string)}}
  return null
}

/** nsqd does not log its publish routes (the hot path); every other answer is logged. */
const NSQD_API: HttpApi<HttpBroker> = {routes: ROUTES, match, unlogged: new Set(['/pub', '/mpub'])}

/** The request listener for node:http. */
export function createHttpHandler(b: HttpBroker): (req: IncomingMessage, res: ServerResponse) => void {
  return createApiHandler(NSQD_API, b, () => b.log)
}
