/**
 * The admin server's route table (http-api/router.ts) under --base-path: the read API (api.ts),
 * the actions (actions.ts), the pages (pages.ts) and their two static files (ui-assets.ts).
 *
 *   <base>/ping, <base>/api/...     nsqadmin's API, JSON (V1 answers)
 *   <base>/api/tail/:t, /api/publish/:t   beyond nsqadmin: the live tail (server-sent events), publish
 *   <base>/metrics                   Prometheus' text format: depths, counts and rates per topic and channel
 *   <base>/static/admin.{js,css}    the pages' script and stylesheet
 *   any other path under <base>     a page, or 404
 */
import {HttpError, type HttpApi, type HttpRoute} from '../http-api/index.js'
import {create, queueAction, remove, tombstone} from './actions.js'
import {channel, counter, node, nodes, topic, topics, type AdminContext} from './api.js'
import {publish, tailStream} from './live.js'
import {page} from './pages.js'
import {prometheus} from './sampler.js'
import {ADMIN_CSS, ADMIN_JS} from './ui-assets.js'

type Route = HttpRoute<AdminContext>

/** nsqadmin's read API under `basePath` ('' or `/prefix`). */
export function adminApi(basePath: string): HttpApi<AdminContext> {
  const get = (h: Route['methods']['GET']): Route => ({methods: {GET: h as NonNullable<typeof h>}, v1: true})
  const routes: Record<string, Route> = {
    [`${basePath}/ping`]: {methods: {GET: () => 'OK'}, v1: false},
    [`${basePath}/api/topics`]: {methods: {GET: (ctx, r) => topics(ctx, r.query.get('inactive') === 'true'), POST: (ctx, r) => create(ctx, r)}, v1: true},
    [`${basePath}/api/nodes`]: get((ctx) => nodes(ctx)),
    [`${basePath}/api/counter`]: get((ctx) => counter(ctx)),
    [`${basePath}/metrics`]: {methods: {GET: (ctx) => prometheus(ctx.history)}, v1: false, type: 'text/plain; version=0.0.4; charset=utf-8'},
    [`${basePath}/static/admin.js`]: {methods: {GET: () => ADMIN_JS}, v1: false, type: 'text/javascript; charset=utf-8'},
    [`${basePath}/static/admin.css`]: {methods: {GET: () => ADMIN_CSS}, v1: false, type: 'text/css; charset=utf-8'},
  }
  const p = (r: {params: Record<string, string>}, k: string): string => r.params[k] ?? ''
  const topicRoute: Route = {
    methods: {GET: (ctx, r) => topic(ctx, p(r, 'topic')), POST: (ctx, r) => queueAction(ctx, r, p(r, 'topic'), ''), DELETE: (ctx, r) => remove(ctx, r, p(r, 'topic'), '')},
    v1: true,
  }
  const channelRoute: Route = {
    methods: {
      GET: (ctx, r) => channel(ctx, p(r, 'topic'), p(r, 'channel')),
      POST: (ctx, r) => queueAction(ctx, r, p(r, 'topic'), p(r, 'channel')),
      DELETE: (ctx, r) => remove(ctx, r, p(r, 'topic'), p(r, 'channel')),
    },
    v1: true,
  }
  // beyond nsqadmin (live.ts), under paths of their own: no topic or channel name can shadow them
  const tailRoute: Route = {methods: {GET: (ctx, r) => tailStream(ctx, r, p(r, 'topic'))}, v1: true}
  const publishRoute: Route = {methods: {POST: (ctx, r) => publish(ctx, r, p(r, 'topic'))}, v1: true}
  const nodeRoute: Route = {methods: {GET: (ctx, r) => node(ctx, p(r, 'node')), DELETE: (ctx, r) => tombstone(ctx, r, p(r, 'node'))}, v1: true}
  const prefix = `${basePath}/api/`
  // every other path under the base is a page (pages.ts), or a 404
  const pageRoute: Route = {
    methods: {
      GET: async (ctx, r) => {
        const html = await page(ctx, basePath, r.req, r.params.rest ?? '')
        if (html === null) throw new HttpError(404, 'NOT_FOUND')
        return html
      },
    },
    v1: false,
    type: 'text/html; charset=utf-8',
  }
  // a static file that is not there: text/plain NOT_FOUND, as nsqadmin answers it
  const noStatic: Route = {
    methods: {
      GET: () => {
        throw new HttpError(404, 'NOT_FOUND')
      },
    },
    v1: false,
  }
  return {
    routes,
    match: (path): {route: Route; params: Record<string, string>} | null => {
      if (!path.startsWith(prefix)) {
        if (path.startsWith(`${basePath}/static/`)) return {route: noStatic, params: {}}
        const under = basePath === '' || path === basePath || path.startsWith(`${basePath}/`)
        return under ? {route: pageRoute, params: {rest: path.slice(basePath.length)}} : null
      }
      let parts: string[]
      try {
        parts = path.slice(prefix.length).split('/').map(decodeURIComponent)
      } catch {
        return null // a malformed escape: no such path
      }
      if (parts[0] === 'topics' && parts.length === 2 && parts[1] !== '') return {route: topicRoute, params: {topic: parts[1] as string}}
      if (parts[0] === 'tail' && parts.length === 2 && parts[1] !== '') return {route: tailRoute, params: {topic: parts[1] as string}}
      if (parts[0] === 'publish' && parts.length === 2 && parts[1] !== '') return {route: publishRoute, params: {topic: parts[1] as string}}
      if (parts[0] === 'topics' && parts.length === 3 && parts[1] !== '' && parts[2] !== '') return {route: channelRoute, params: {topic: parts[1] as string, channel: parts[2] as string}}
      if (parts[0] === 'nodes' && parts.length === 2 && parts[1] !== '') return {route: nodeRoute, params: {node: parts[1] as string}}
      return null
    },
  }
}

