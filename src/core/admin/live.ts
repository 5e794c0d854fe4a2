/**
 * Beyond nsqadmin, what its users asked for and never got (#956, #1342, #1412): a topic's new
 * messages in the browser, and publishing from it.
 *
 *   GET  /api/tail/:t             server-sent events: one `data:` line per new message, the JSON
 *                                 of `nsqkit tail --format json` ({"topic","id","attempts",
 *                                 "timestamp","body"}, a body that is not UTF-8 in base64) — the
 *                                 tail engine itself (core/tools/tail.ts) on a fresh
 *                                 `tail%06d#ephemeral` channel, found through the lookupds (or
 *                                 at the topic's nsqds), stopped when the page goes away
 *   POST /api/publish/:t          {"node", "body", "split_lines"?}: /pub on that nsqd, or /mpub
 *                                 (one message per line) — admins only
 *
 * With --admin-user set, both are for admins only (message bodies may be what the read-only
 * users must not see). The tail shows new messages only: peeking the backlog would take real messages from a real
 * channel and raise their attempts, so the channel is a new ephemeral one (the page says so).
 */
import {Writable} from 'node:stream'
import {HttpError, STREAMED, type HttpRequest} from '../http-api/index.js'
import {resolveClientConfig} from '../client/options.js'
import {tail} from '../tools/tail.js'
import {NSQ_VERSION} from '../version.js'
import {isValidTopicName} from '../protocol/names.js'
import {formatHostPort} from '../util/hostport.js'
import {isAdmin, jsonBody} from './actions.js'
import {stage, type AdminContext} from './api.js'
import {UpstreamError} from './cluster.js'

/** How often an idle stream gets a comment line (so proxies keep it open). */
const KEEPALIVE_MS = 15_000

export async function tailStream(ctx: AdminContext, r: HttpRequest, topic: string): Promise<typeof STREAMED> {
  // message bodies: when --admin-user names who may act, only they may read them too
  if (!isAdmin(ctx.actions, r.req)) throw new HttpError(403, 'FORBIDDEN')
  // a bad name is refused before the stream starts (an EventSource then gives up, not retries)
  if (!isValidTopicName(topic)) throw new HttpError(400, 'INVALID_TOPIC')
  const res = r.res
  const stop = new AbortController()
  // listening from the start: a page that goes while the producers are asked for ends it too
  r.req.on('close', () => stop.abort())
  res.on('close', () => stop.abort())
  const c = ctx.cluster
  let nsqd: string[] = []
  if (!c.lookupdMode) {
    // at the host it was given as, on its TCP port
    nsqd = stage(await c.producers(topic)).map((p) => formatHostPort({host: hostOf(p.node), port: p.tcp_port}))
  }
  if (stop.signal.aborted || res.destroyed) return STREAMED
  res.writeHead(200, {'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no'})
  res.write(`: new messages of ${topic} only\n\n`)
  const keepalive = setInterval(() => res.write(': keepalive\n\n'), KEEPALIVE_MS)
  keepalive.unref()
  // each JSON line of the tail engine as one event
  let partial = ''
  const out = new Writable({
    write(chunk: Buffer, _enc, done) {
      // the page went: fail the write, so the engine requeues what it holds and ends
      if (res.destroyed || stop.signal.aborted) {
        done(new Error('the page went away'))
        return
      }
      const text = partial + chunk.toString('utf8')
      const lines = text.split('\n')
      partial = lines.pop() ?? ''
      const events = lines.filter((l) => l !== '').map((l) => `data: ${l}\n\n`)
      if (events.length === 0 || res.write(events.join(''))) {
        done()
        return
      }
      const onDrain = (): void => {
        res.off('close', onClose)
        done()
      }
      const onClose = (): void => {
        res.off('drain', onDrain)
        done(new Error('the page went away'))
      }
      res.once('drain', onDrain)
      res.once('close', onClose)
    },
  })
  out.on('error', () => stop.abort())
  try {
    await tail(
      {
        topics: [topic],
        channel: '',
        nsqdTcpAddresses: nsqd,
        lookupdHttpAddresses: c.lookupdMode ? [...c.lookupds] : [],
        count: 0,
        printTopic: false,
        format: 'json',
        config: resolveClientConfig({max_in_flight: 20, user_agent: `nsqadmin/${NSQ_VERSION} (live tail)`}),
        outputMode: 'direct',
      },
      {signal: stop.signal, out, log: ctx.log},
    )
  } catch (err) {
    if (!stop.signal.aborted) {
      ctx.log.warn(`live tail of ${topic} ended - ${(err as Error).message}`)
      res.write(`event: failed\ndata: ${JSON.stringify({message: (err as Error).message})}\n\n`)
    }
  } finally {
    clearInterval(keepalive)
    res.end()
  }
  return STREAMED
}

/** The host of a `host:port` (brackets of an IPv6 host dropped). */
function hostOf(addr: string): string {
  return addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, '')
}

export async function publish(ctx: AdminContext, r: HttpRequest, topic: string): Promise<object> {
  if (!isAdmin(ctx.actions, r.req)) throw new HttpError(403, 'FORBIDDEN')
  if (!isValidTopicName(topic)) throw new HttpError(400, 'INVALID_TOPIC')
  const o = await jsonBody(r, 5 << 20)
  const node = typeof o.node === 'string' ? o.node : ''
  const body = typeof o.body === 'string' ? o.body : ''
  if (body === '') throw new HttpError(400, 'MSG_EMPTY')
  // only to an nsqd of the cluster: the admin server is no open relay
  const nodes = await ctx.cluster.nodes()
  if (!nodes.value.some((n) => n.node === node)) throw new HttpError(404, 'NODE_NOT_FOUND')
  const lines = o.split_lines === true
  try {
    await ctx.cluster.postBody(node, lines ? '/mpub' : '/pub', {topic}, body)
  } catch (err) {
    // the nsqd's own refusal (MSG_TOO_BIG, …) is the caller's: 400 with its text
    const status = err instanceof UpstreamError ? err.status : 0
    throw new HttpError(status >= 400 && status < 500 ? 400 : 502, `${status >= 400 && status < 500 ? '' : 'UPSTREAM_ERROR: '}${(err as Error).message}`)
  }
  return {message: '', published: lines ? body.split('\n').filter((l) => l !== '').length : 1}
}
