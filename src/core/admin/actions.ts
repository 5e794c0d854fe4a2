/**
 * The admin server's actions (NSQADMIN-SPEC §2 "Actions", §4, §5): nsqadmin 1.3.0's routes,
 * bodies, checks and answers, each turned into the nsqd and lookupd calls nsqadmin makes, then
 * its notification.
 *
 *   POST   /api/topics/:t      {"action": "pause"|"unpause"|"empty"}  /topic/<action> on every producer of t
 *   POST   /api/topics/:t/:c   the same                                /channel/<action> on every producer
 *   POST   /api/topics         {"topic", "channel"?}                   create on every lookupd (nsqd mode:
 *                                                                      every nsqd), the channel also on every producer
 *   DELETE /api/topics/:t[/:c]                                          delete on every lookupd and producer
 *   DELETE /api/nodes/:node    {"topic"}                                /topic/tombstone on every lookupd, then
 *                                                                      /topic/delete on that nsqd
 *
 * Who may act: everyone, unless --admin-user names users; then only a request whose
 * --acl-http-header names one of them — or, with --basic-auth-file, whose logged-in user is one
 * of them (login.ts) — 403 FORBIDDEN otherwise. Answers: 200 {"message": ""},
 * or with a WARNING when part of the cluster failed; 502 UPSTREAM_ERROR when all of it did;
 * 400 INVALID_ACTION / INVALID_TOPIC / INVALID_CHANNEL / INVALID_BODY, or the JSON parser's text
 * for a body that is not JSON.
 *
 * Beyond nsqadmin (§6): the upstream calls of one action go out in parallel (nsqadmin's one after
 * another); create in nsqd mode creates on every nsqd (nsqadmin does nothing and says OK); a
 * notification is sent only for an action that succeeded (nsqadmin also for a failed pause), and
 * an unreachable endpoint is a logged warning (nsqadmin 1.3.0 panics).
 */
import type {IncomingMessage} from 'node:http'
import {hostname} from 'node:os'
import {HttpError, readBody, type HttpRequest} from '../http-api/index.js'
import {isValidChannelName, isValidTopicName} from '../protocol/names.js'
import type {Logger} from '../util/logger.js'
import type {Cluster, Partial} from './cluster.js'
import {message, stage} from './api.js'
import {basicCredentials, type Logins} from './login.js'

export interface ActionOptions {
  /** --admin-user: who may act (none: everyone) */
  adminUsers: readonly string[]
  /** --acl-http-header: the request header that names the user */
  aclHttpHeader: string
  /** --notification-http-endpoint ('' = none) */
  notificationHttpEndpoint: string
  /** --basic-auth-file's users: the logged-in user is who acts (else the ACL header says) */
  logins?: Logins | null
}

export interface ActionContext {
  cluster: Cluster
  actions: ActionOptions
  log: Logger
  /** POSTs one notification (server.ts: through the cluster's HTTP client) */
  notify(endpoint: string, event: object): Promise<void>
  now(): number
}

/** nsqadmin's notification event, fields in its order; `channel`, `node`, `user` only when set. */
export interface AdminEvent {
  action: string
  topic: string
  channel?: string
  node?: string
  timestamp: number
  user?: string
  remote_ip: string
  user_agent: string
  url: string
  via: string
}

/** Does `req` come from an admin? (everyone when no --admin-user is set) */
export function isAdmin(o: ActionOptions, req: IncomingMessage): boolean {
  if (o.adminUsers.length === 0) return true
  let user: string | null | undefined
  if (o.logins) user = o.logins.user(req)
  else {
    const v = req.headers[o.aclHttpHeader.toLowerCase()]
    user = Array.isArray(v) ? v[0] : v
  }
  return user !== undefined && user !== null && o.adminUsers.includes(user)
}

function gate(ctx: ActionContext, r: HttpRequest): void {
  if (!isAdmin(ctx.actions, r.req)) throw new HttpError(403, 'FORBIDDEN')
}

/**
 * Is `req` a browser's request from another site? A cross-site form or `no-cors` fetch can POST
 * a body that parses as JSON (CSRF: a page the operator opens pausing their topics); browsers
 * say where such a request comes from (`Sec-Fetch-Site`, `Origin`), scripts (curl, nsqadmin's
 * API users) send neither and are not affected.
 */
export function crossSite(req: IncomingMessage): boolean {
  const site = req.headers['sec-fetch-site']
  if (site === 'cross-site' || site === 'same-site') return true
  const origin = req.headers.origin
  if (origin === undefined || origin === 'null') return origin === 'null'
  try {
    return new URL(origin).host !== req.headers.host
  } catch {
    return true
  }
}

/** The request's JSON body as an object (400 with the parser's text when it is not JSON); 403 from another site. */
export async function jsonBody(r: HttpRequest, limit = 1 << 20): Promise<Record<string, unknown>> {
  if (crossSite(r.req)) throw new HttpError(403, 'FORBIDDEN')
  const {body, over} = await readBody(r.req, limit)
  if (over) throw new HttpError(413, 'BODY_TOO_BIG')
  const text = body.toString('utf8')
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch (err) {
    throw new HttpError(400, (err as Error).message)
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
}

/** 200 {"message": ""} or a WARNING; 502 when nothing of some stage answered (api.ts's rule). */
function answer(...stages: Partial<unknown>[]): object {
  for (const s of stages) stage(s)
  return {message: message(...stages)}
}

const QUEUE_ACTIONS = new Set(['pause', 'unpause', 'empty'])

/** POST /api/topics/:t or /api/topics/:t/:c {"action"} */
export async function queueAction(ctx: ActionContext, r: HttpRequest, topic: string, channel: string): Promise<object> {
  gate(ctx, r)
  const body = await jsonBody(r)
  const action = typeof body.action === 'string' ? body.action : ''
  if (!QUEUE_ACTIONS.has(action)) throw new HttpError(400, 'INVALID_ACTION')
  const producers = await ctx.cluster.producers(topic)
  const nodes = stage(producers).map((p) => p.node)
  // a topic the lookupds know and no nsqd has: nothing to do, as nsqadmin
  const done = nodes.length === 0 ? [] : [await ctx.cluster.post(nodes, 'nsqd', channel === '' ? `/topic/${action}` : `/channel/${action}`, channel === '' ? {topic} : {topic, channel})]
  const out = answer(producers, ...done)
  notify(ctx, r, `${action}_${channel === '' ? 'topic' : 'channel'}`, {topic, channel})
  return out
}

/** POST /api/topics {"topic", "channel"?} */
export async function create(ctx: ActionContext, r: HttpRequest): Promise<object> {
  gate(ctx, r)
  const body = await jsonBody(r)
  const topic = typeof body.topic === 'string' ? body.topic : ''
  const channel = typeof body.channel === 'string' ? body.channel : ''
  if (!isValidTopicName(topic)) throw new HttpError(400, 'INVALID_TOPIC')
  if (channel !== '' && !isValidChannelName(channel)) throw new HttpError(400, 'INVALID_CHANNEL')
  const c = ctx.cluster
  const [targets, kind] = c.lookupdMode ? [c.lookupds, 'nsqlookupd' as const] : [c.nsqds, 'nsqd' as const]
  const stages: Partial<unknown>[] = [await c.post(targets, kind, '/topic/create', {topic})]
  if (channel !== '') {
    stages.push(await c.post(targets, kind, '/channel/create', {topic, channel}))
    if (c.lookupdMode) {
      // the channel also on every nsqd that already has the topic (none: nothing to do)
      const producers = await c.producers(topic)
      stages.push({...producers, none: null})
      if (producers.value.length > 0) stages.push(await c.post(producers.value.map((p) => p.node), 'nsqd', '/channel/create', {topic, channel}))
    }
  }
  const out = answer(...stages)
  notify(ctx, r, 'create_topic', {topic})
  if (channel !== '') notify(ctx, r, 'create_channel', {topic, channel})
  return out
}

/** DELETE /api/topics/:t or /api/topics/:t/:c */
export async function remove(ctx: ActionContext, r: HttpRequest, topic: string, channel: string): Promise<object> {
  gate(ctx, r)
  if (crossSite(r.req)) throw new HttpError(403, 'FORBIDDEN')
  const c = ctx.cluster
  // the producers first: once lookupd forgets the topic it cannot name them
  const producers = await c.producers(topic)
  const nodes = producers.value.map((p) => p.node)
  const [path, query] = channel === '' ? ['/topic/delete', {topic}] : ['/channel/delete', {topic, channel}]
  // none there is no failure: the lookupds (or nothing) still delete it
  const stages: Partial<unknown>[] = [{...producers, none: null}]
  if (c.lookupdMode) stages.push(await c.post(c.lookupds, 'nsqlookupd', path, query))
  if (nodes.length > 0) stages.push(await c.post(nodes, 'nsqd', path, query))
  const out = answer(...stages)
  notify(ctx, r, `delete_${channel === '' ? 'topic' : 'channel'}`, {topic, channel})
  return out
}

/** DELETE /api/nodes/:node {"topic"}: the node no longer serves the topic. */
export async function tombstone(ctx: ActionContext, r: HttpRequest, node: string): Promise<object> {
  gate(ctx, r)
  let body: Record<string, unknown>
  try {
    body = await jsonBody(r)
  } catch (err) {
    if (err instanceof HttpError && err.status !== 400) throw err
    throw new HttpError(400, 'INVALID_BODY')
  }
  const topic = typeof body.topic === 'string' ? body.topic : ''
  if (!isValidTopicName(topic)) throw new HttpError(400, 'INVALID_TOPIC')
  const c = ctx.cluster
  const stages: Partial<unknown>[] = []
  if (c.lookupdMode) stages.push(await c.post(c.lookupds, 'nsqlookupd', '/topic/tombstone', {topic, node}))
  const nodes = await c.nodes()
  const p = nodes.value.find((n) => n.node === node)
  if (p === undefined) throw new HttpError(404, 'NODE_NOT_FOUND')
  stages.push(await c.post([p.node], 'nsqd', '/topic/delete', {topic}))
  const out = answer(...stages)
  notify(ctx, r, 'tombstone_topic_producer', {topic, node})
  return out
}

/** Send the event for a done action (never awaited by the answer; a failure is logged). */
function notify(ctx: ActionContext, r: HttpRequest, action: string, what: {topic: string; channel?: string; node?: string}): void {
  const endpoint = ctx.actions.notificationHttpEndpoint
  if (endpoint === '') return
  const event = adminEvent(r.req, action, what, ctx.now())
  ctx.notify(endpoint, event).catch((err: unknown) => ctx.log.warn(`failed to send notification ${action} to ${endpoint} - ${(err as Error).message}`))
}

/** nsqadmin's event for `action` done by `req`. */
export function adminEvent(req: IncomingMessage, action: string, what: {topic: string; channel?: string; node?: string}, nowMs: number): AdminEvent {
  const user = basicCredentials(req.headers.authorization)?.user ?? ''
  const scheme = (req.socket as {encrypted?: boolean}).encrypted === true || req.headers['x-scheme'] === 'https' ? 'https' : 'http'
  const remote = req.socket.remoteAddress ?? ''
  return {
    action,
    topic: what.topic,
    ...(what.channel ? {channel: what.channel} : {}),
    ...(what.node ? {node: what.node} : {}),
    timestamp: Math.floor(nowMs / 1000),
    ...(user ? {user} : {}),
    remote_ip: `${remote.includes(':') ? `[${remote}]` : remote}:${req.socket.remotePort ?? 0}`,
    user_agent: typeof req.headers['user-agent'] === 'string' ? req.headers['user-agent'] : '',
    url: `${scheme}://${req.headers.host ?? ''}${req.url ?? ''}`,
    via: hostname(),
  }
}
