/**
 * The admin UI's pages, rendered on the server from the same fan-outs as the API (api.ts): plain
 * HTML and one small script (ui-assets.ts) for the actions, the filter and the counter — no
 * framework, no bundler, nothing fetched from elsewhere.
 *
 *   /                      Streams: every topic with its depth, its channels' depth, messages,
 *                          msgs/s, channels, paused and a depth sparkline of the last hour, from
 *                          one /stats of each node and the samples kept (sampler.ts); a filter box
 *   /topics/:t             the topic per node and in total; its channels; Empty / Delete / (Un)Pause
 *   /topics/:t/:c          the channel per node and in total; its clients with their labels; actions
 *   /nodes                 every nsqd: hostname, address, ports, version, lookupd connections, topics
 *   /nodes/:node           one nsqd's topics, channels and clients; a tombstone button per topic
 *   /counter               the messages processed, summed over the cluster, counting up live
 *   /lookup                the lookupds; topics they know that no nsqd has; the create form
 *
 * Rates and sparklines come from the admin server's own samples (sampler.ts), no Graphite; the
 * pages refresh their tables every few seconds (ui-assets.ts).
 *
 * As nsqadmin's UI: a non-admin (--admin-user set, the ACL header not naming one) sees no action
 * buttons; a node that was in the last hour's samples and is gone gets a banner of its own
 * ("node left": nsqadmin shows nothing when lookupd forgets a node); every destructive action asks first — and a delete asks for the name to be typed
 * (nsqadmin: OK/Cancel; #401). Part of the cluster not answering shows a yellow banner naming it
 * above what did answer; nothing answering, a red one with nsqadmin's message.
 */
import {HttpError} from '../http-api/index.js'
import type {IncomingMessage} from 'node:http'
import {NSQ_VERSION, NSQKIT_VERSION} from '../version.js'
import {formatHostPort} from '../util/hostport.js'
import {isAdmin} from './actions.js'
import {channel, counter, nodes as nodesOf, node as nodeOf, topic, topics, type AdminContext} from './api.js'
import {sparkline, type Rates} from './sampler.js'
import type {AdminChannel, AdminClient, AdminTopic} from './stats.js'

export const esc = (v: unknown): string =>
  String(v).replace(/[&<>"']/g, (c) => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'})[c] as string)

const n = (x: number): string => x.toLocaleString('en-US')

/** msgs/s as the pages show it ('–' until two samples are in). */
const rate = (r: Rates | null, which: 'in' | 'out' = 'in'): string => {
  const v = r?.[which]
  return v === undefined ? '–' : v >= 100 ? n(Math.round(v)) : v.toFixed(1)
}

export interface PageRequest {
  req: IncomingMessage
  /** '' or `/prefix` */
  base: string
}

/** A whole page: the header, the banners, the content. */
function layout(p: Req, title: string, body: string, warning = ''): string {
  const b = p.base
  const nav = [
    ['/', 'Streams'],
    ['/nodes', 'Nodes'],
    ['/counter', 'Counter'],
    ['/lookup', 'Lookup'],
  ]
    .map(([href, label]) => `<a href="${esc(b + href)}">${label}</a>`)
    .join(' ')
  const banner = warning === '' ? '' : `<div class="alert warning" role="alert">Part of the cluster did not answer; what follows is the rest. ${esc(warning)}</div>`
  const gone = p.missing
    .map((m) => `<div class="alert warning node-gone" role="alert">Node ${esc(m.node)} has not been seen since ${esc(new Date(m.lastSeen).toISOString().slice(11, 19))} UTC: it left the cluster, or cannot be reached.</div>`)
    .join('')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · nsqadmin</title><link rel="stylesheet" href="${esc(b)}/static/admin.css"></head>
<body data-base="${esc(b)}">
<header><a class="brand" href="${esc(b)}/">NSQ</a> <nav>${nav}</nav><span class="version">nsqadmin v${NSQ_VERSION} (nsqkit v${NSQKIT_VERSION})</span></header>
<main>${banner}${gone}<div class="alert error" id="action-error" role="alert" hidden></div>
${body}</main>
<dialog id="confirm"><form method="dialog"><p class="question"></p><p class="typed" hidden><label>Type <b class="name"></b> to confirm: <input name="typed" autocomplete="off"></label></p>
<menu><button value="cancel">Cancel</button> <button value="ok" class="danger">OK</button></menu></form></dialog>
<script type="module" src="${esc(b)}/static/admin.js"></script>
</body></html>
`
}

/** The page of an answer that failed (nsqadmin's red alert with the message). */
function failed(p: Req, title: string, err: unknown): string {
  const msg = err instanceof HttpError ? err.code : `INTERNAL_ERROR: ${(err as Error).message}`
  return layout(p, title, `<h1>${esc(title)}</h1><div class="alert error" role="alert">${esc(msg)}</div>`)
}

interface Req extends PageRequest {
  /** may act: the action buttons are shown */
  admin: boolean
  /** nodes seen in the last hour's samples that are gone now (the banner) */
  missing: {node: string; lastSeen: number}[]
}

/** An action button (admins only): what the script sends, and how it asks first. */
function button(p: Req, label: string, a: {method: string; url: string; body?: object; confirm: string; typeToConfirm?: string; then?: string; danger?: boolean}): string {
  if (!p.admin) return ''
  const attrs = [
    `data-method="${esc(a.method)}"`,
    `data-url="${esc(p.base + a.url)}"`,
    a.body === undefined ? '' : `data-body="${esc(JSON.stringify(a.body))}"`,
    `data-confirm="${esc(a.confirm)}"`,
    a.typeToConfirm === undefined ? '' : `data-type-to-confirm="${esc(a.typeToConfirm)}"`,
    a.then === undefined ? '' : `data-then="${esc(p.base + a.then)}"`,
  ]
    .filter((x) => x !== '')
    .join(' ')
  return `<button class="action${a.danger ? ' danger' : ''}" ${attrs}>${esc(label)}</button>`
}

const enc = encodeURIComponent

function queueActions(p: Req, what: 'topic' | 'channel', t: string, c: string, paused: boolean): string {
  const url = what === 'topic' ? `/api/topics/${enc(t)}` : `/api/topics/${enc(t)}/${enc(c)}`
  const name = what === 'topic' ? t : `${t}/${c}`
  const other = paused ? 'unpause' : 'pause'
  return `<div class="actions">${[
    button(p, 'Empty Queue', {method: 'POST', url, body: {action: 'empty'}, confirm: `Are you sure you want to empty ${name}?`, danger: true}),
    button(p, `Delete ${what === 'topic' ? 'Topic' : 'Channel'}`, {method: 'DELETE', url, confirm: `Are you sure you want to delete ${name}?`, typeToConfirm: what === 'topic' ? t : c, then: what === 'topic' ? '/' : `/topics/${enc(t)}`, danger: true}),
    button(p, paused ? `UnPause ${what === 'topic' ? 'Topic' : 'Channel'}` : `Pause ${what === 'topic' ? 'Topic' : 'Channel'}`, {method: 'POST', url, body: {action: other}, confirm: `Are you sure you want to ${other} ${name}?`}),
  ].join(' ')}</div>`
}

const pausedLabel = (paused: boolean): string => (paused ? ' <span class="label paused">paused</span>' : '')

async function streams(ctx: AdminContext, p: Req): Promise<string> {
  let names
  try {
    names = await topics(ctx, false)
  } catch (err) {
    return failed(p, 'Streams', err)
  }
  // one /stats of each node for every topic's figures (nsqadmin shows names only: #814)
  const all = await ctx.cluster.nodes()
  const stats = await ctx.cluster.statsOf(all.value, {includeClients: false})
  const sums = new Map<string, {depth: number; channelDepth: number; messages: number; channels: Set<string>; paused: boolean}>()
  for (const {doc} of stats.value) {
    for (const t of doc.topics ?? []) {
      const s = sums.get(t.topic_name) ?? {depth: 0, channelDepth: 0, messages: 0, channels: new Set<string>(), paused: false}
      s.depth += t.depth
      s.messages += t.message_count
      s.paused ||= t.paused
      for (const c of t.channels) {
        s.channelDepth += c.depth
        s.channels.add(c.channel_name)
      }
      sums.set(t.topic_name, s)
    }
  }
  const rows = names.topics
    .map((t) => {
      const s = sums.get(t)
      return `<tr data-topic="${esc(t)}"><td><a href="${esc(`${p.base}/topics/${enc(t)}`)}">${esc(t)}</a>${pausedLabel(s?.paused ?? false)}</td><td>${s ? n(s.depth) : '–'}</td><td>${s ? n(s.channelDepth) : '–'}</td><td>${s ? n(s.messages) : '–'}</td><td class="rate">${rate(ctx.history.topicRate(t))}</td><td>${s ? s.channels.size : '–'}</td><td>${sparkline(depthOfTopic(ctx, t, s?.channels ?? new Set()))}</td></tr>`
    })
    .join('\n')
  const warning = [names.message, all.errors.length + stats.errors.length > 0 ? `WARNING: ${[...all.errors, ...stats.errors].join('; ')}` : ''].filter((x) => x !== '').join(' ')
  const body =
    names.topics.length === 0
      ? '<h1>Topics</h1><p class="notice">No Topics Found</p>'
      : `<h1>Topics</h1><p><input id="filter" type="search" placeholder="filter topics" aria-label="filter topics"></p>
<table id="topics"><thead><tr><th>Topic</th><th>Depth</th><th>Channels' depth</th><th>Messages</th><th>Msgs/s in</th><th>Channels</th><th>Depth, last hour</th></tr></thead><tbody>
${rows}
</tbody></table>`
  return layout(p, 'Streams', body, warning)
}

/** A topic's depth and its channels' over the samples kept (what backs up, wherever it is). */
function depthOfTopic(ctx: AdminContext, topic: string, channels: Iterable<string>): number[] {
  const sum = ctx.history.depths(topic)
  for (const c of channels) ctx.history.depths(topic, c).forEach((v, i) => (sum[i] = (sum[i] ?? 0) + v))
  return sum
}

function topicRow(p: Req, t: AdminTopic, total: boolean): string {
  const where = total ? '<b>Total:</b>' : `${esc(t.hostname)} (<a href="${esc(`${p.base}/nodes/${enc(t.node)}`)}">${esc(t.node)}</a>)${pausedLabel(t.paused)}`
  return `<tr${total ? ' class="total"' : ''}><td>${where}</td><td>${n(t.depth)}</td><td>${n(t.memory_depth)} + ${n(t.backend_depth)}</td><td>${n(t.message_count)}</td><td>${(t.channels ?? []).length}</td></tr>`
}

function channelRows(ctx: AdminContext, p: Req, topicName: string, cs: AdminChannel[]): string {
  return cs
    .map((c) => {
      const r = ctx.history.channelRate(topicName, c.channel_name)
      return `<tr data-channel="${esc(c.channel_name)}"><td><a href="${esc(`${p.base}/topics/${enc(topicName)}/${enc(c.channel_name)}`)}">${esc(c.channel_name)}</a>${pausedLabel(c.paused)}</td><td>${n(c.depth)}</td><td>${n(c.memory_depth)} + ${n(c.backend_depth)}</td><td>${n(c.in_flight_count)}</td><td>${n(c.deferred_count)}</td><td>${n(c.requeue_count)}</td><td>${n(c.timeout_count)}</td><td>${n(c.message_count)}</td><td class="rate">${rate(r)}</td><td class="rate">${rate(r, 'out')}</td><td>${n(c.client_count)}</td><td>${sparkline(ctx.history.depths(topicName, c.channel_name))}</td></tr>`
    })
    .join('\n')
}

const CHANNEL_HEAD = '<tr><th>Channel</th><th>Depth</th><th>Memory + Disk</th><th>In-Flight</th><th>Deferred</th><th>Requeued</th><th>Timed Out</th><th>Messages</th><th>Msgs/s in</th><th>Msgs/s out</th><th>Connections</th><th>Depth, last hour</th></tr>'

async function topicPage(ctx: AdminContext, p: Req, name: string): Promise<string> {
  let t
  try {
    t = await topic(ctx, name)
  } catch (err) {
    return failed(p, `Topic: ${name}`, err)
  }
  const nodes = (t.nodes ?? []).map((x) => topicRow(p, x, false)).join('\n')
  const channels = t.channels === null ? '<p class="notice">No channels exist for this topic. Messages will queue at the topic until a channel is created.</p>' : `<table id="channels"><thead>${CHANNEL_HEAD}</thead><tbody>${channelRows(ctx, p, name, t.channels)}</tbody></table>`
  const body = `<h1>Topic: <b>${esc(name)}</b>${pausedLabel(t.paused)}</h1>
<p class="summary"><span id="topic-rate">${rate(ctx.history.topicRate(name))}</span> msgs/s in</p>
${queueActions(p, 'topic', name, '', t.paused)}
<h2>Topic Message Queue</h2>
<table id="topic-nodes"><thead><tr><th>NSQd Host</th><th>Depth</th><th>Memory + Disk</th><th>Messages</th><th>Channels</th></tr></thead><tbody>
${nodes}
${topicRow(p, t, true)}
</tbody></table>
<h2>Channel Message Queues</h2>
${channels}
${liveTail(p, name)}
${publishForm(p, name, (t.nodes ?? []).map((x) => x.node))}`
  return layout(p, `Topic: ${name}`, body, t.message)
}

/** The live tail's controls and table (the script streams /api/tail/<t> into it). */
function liveTail(p: Req, topic: string): string {
  return `<h2>Live tail</h2>
<p class="hint">New messages only: the tail reads through a new #ephemeral channel of its own. Peeking at the backlog would take real messages from a real channel and raise their attempts.</p>
<p><button id="tail-start" data-url="${esc(`${p.base}/api/tail/${enc(topic)}`)}">Start</button> <button id="tail-pause" disabled>Pause</button> <button id="tail-stop" disabled>Stop</button> <span id="tail-status" class="hint"></span></p>
<table id="tail"><thead><tr><th>Received</th><th>Id</th><th>Attempts</th><th>Body</th></tr></thead><tbody></tbody></table>`
}

/** Publish a body, or one message per line, to one of the topic's nodes (admins only). */
function publishForm(p: Req, topic: string, nodes: string[]): string {
  if (!p.admin || nodes.length === 0) return ''
  return `<h2>Publish</h2>
<form id="publish" data-url="${esc(`${p.base}/api/publish/${enc(topic)}`)}"><p><label>to <select name="node">${nodes.map((x) => `<option>${esc(x)}</option>`).join('')}</select></label>
<label><input type="checkbox" name="split_lines"> one message per line (MPUB)</label></p>
<p><textarea name="body" rows="4" cols="80" aria-label="message body" required></textarea></p>
<p><button type="submit">Publish</button> <span id="publish-status" class="hint"></span></p></form>`
}

function clientLabels(c: AdminClient): string {
  const labels = [c.sample_rate > 0 ? `Sampled ${c.sample_rate}%` : '', c.tls ? 'TLS' : '', c.deflate ? 'Deflate' : '', c.snappy ? 'Snappy' : '', c.authed ? 'authed' : ''].filter((x) => x !== '')
  return labels.map((l) => `<span class="label">${esc(l)}</span>`).join(' ')
}

function since(connectTs: number, nowMs: number): string {
  const s = Math.max(0, Math.floor(nowMs / 1000) - connectTs)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  return h > 0 ? `${h}h${m}m` : m > 0 ? `${m}m${s % 60}s` : `${s}s`
}

async function channelPage(ctx: AdminContext, p: Req, t: string, name: string): Promise<string> {
  let c
  try {
    c = await channel(ctx, t, name)
  } catch (err) {
    return failed(p, `Channel: ${t}/${name}`, err)
  }
  const row = (x: AdminChannel, total: boolean): string =>
    `<tr${total ? ' class="total"' : ''}><td>${total ? '<b>Total:</b>' : `${esc(x.hostname)} (<a href="${esc(`${p.base}/nodes/${enc(x.node)}`)}">${esc(x.node)}</a>)${pausedLabel(x.paused)}`}</td><td>${n(x.depth)}</td><td>${n(x.memory_depth)} + ${n(x.backend_depth)}</td><td>${n(x.in_flight_count)}</td><td>${n(x.deferred_count)}</td><td>${n(x.requeue_count)}</td><td>${n(x.timeout_count)}</td><td>${n(x.message_count)}</td><td>${n(x.client_count)}</td></tr>`
  const now = ctx.now()
  const clients =
    (c.clients ?? []).length === 0
      ? '<p class="notice">No clients connected to this channel</p>'
      : `<table id="clients"><thead><tr><th>Client Host</th><th>User-Agent</th><th>Attributes</th><th>NSQd Host</th><th>In-Flight</th><th>Ready Count</th><th>Finished</th><th>Requeued</th><th>Messages</th><th>Connected</th></tr></thead><tbody>
${(c.clients ?? [])
  .map(
    (k) =>
      `<tr><td>${esc(k.hostname)}${k.client_id !== k.hostname ? ` (${esc(k.client_id)})` : ''}</td><td>${esc(k.user_agent)}</td><td>${clientLabels(k)}</td><td><a href="${esc(`${p.base}/nodes/${enc(k.node)}`)}">${esc(k.node)}</a></td><td>${n(k.in_flight_count)}</td><td>${n(k.ready_count)}</td><td>${n(k.finish_count)}</td><td>${n(k.requeue_count)}</td><td>${n(k.message_count)}</td><td>${since(k.connect_ts, now)}</td></tr>`,
  )
  .join('\n')}
</tbody></table>`
  const body = `<h1>Topic: <a href="${esc(`${p.base}/topics/${enc(t)}`)}">${esc(t)}</a> Channel: <b>${esc(name)}</b>${pausedLabel(c.paused)}</h1>
${queueActions(p, 'channel', t, name, c.paused)}
<table id="channel-nodes"><thead><tr><th>NSQd Host</th><th>Depth</th><th>Memory + Disk</th><th>In-Flight</th><th>Deferred</th><th>Requeued</th><th>Timed Out</th><th>Messages</th><th>Connections</th></tr></thead><tbody>
${(c.nodes ?? []).map((x) => row(x, false)).join('\n')}
${row(c, true)}
</tbody></table>
<h2>Client Connections</h2>
${clients}`
  return layout(p, `Channel: ${t}/${name}`, body, c.message)
}

async function nodesPage(ctx: AdminContext, p: Req): Promise<string> {
  let r
  try {
    r = await nodesOf(ctx)
  } catch (err) {
    return failed(p, 'NSQd Nodes', err)
  }
  const lookupds = ctx.cluster.lookupds.length
  const rows = (r.nodes ?? [])
    .map((x) => {
      const conns = x.remote_addresses?.length ?? 0
      const topicLabels = x.topics.map((t) => `<span class="label${t.tombstoned ? ' tombstoned' : ''}">${esc(t.topic)}</span>`).join(' ')
      return `<tr${x.out_of_date ? ' class="out-of-date"' : ''}><td>${esc(x.hostname)}</td><td><a href="${esc(`${p.base}/nodes/${enc(formatHostPort({host: x.broadcast_address, port: x.http_port}))}`)}">${esc(x.broadcast_address)}</a></td><td>${x.tcp_port}</td><td>${x.http_port}</td><td>${esc(x.version)}</td><td${lookupds > 0 && conns !== lookupds ? ' class="amber"' : ''} title="${esc((x.remote_addresses ?? []).join('\n'))}">${lookupds > 0 ? conns : '–'}</td><td>${topicLabels}</td></tr>`
    })
    .join('\n')
  const body = `<h1>NSQd Nodes (${(r.nodes ?? []).length})</h1>
<table id="nodes"><thead><tr><th>Hostname</th><th>Broadcast Address</th><th>TCP Port</th><th>HTTP Port</th><th>Version</th><th>Lookupd Conns.</th><th>Topics</th></tr></thead><tbody>
${rows}
</tbody></table>`
  return layout(p, 'Nodes', body, r.message)
}

async function nodePage(ctx: AdminContext, p: Req, name: string): Promise<string> {
  let r
  try {
    r = await nodeOf(ctx, name)
  } catch (err) {
    return failed(p, `Node: ${name}`, err)
  }
  const clients = r.topics.reduce((s, t) => s + (t.channels ?? []).reduce((c, ch) => c + ch.client_count, 0), 0)
  const rows = r.topics
    .map((t) => {
      const tomb = button(p, '✘', {method: 'DELETE', url: `/api/nodes/${enc(name)}`, body: {topic: t.topic_name}, confirm: `Are you sure you want to tombstone ${t.topic_name} on ${name}?`, danger: true})
      const chans = (t.channels ?? []).map((c) => `<tr class="channel"><td></td><td><a href="${esc(`${p.base}/topics/${enc(t.topic_name)}/${enc(c.channel_name)}`)}">${esc(c.channel_name)}</a>${pausedLabel(c.paused)}</td><td>${n(c.depth)}</td><td>${n(c.in_flight_count)}</td><td>${n(c.message_count)}</td><td>${n(c.client_count)}</td></tr>`).join('\n')
      return `<tr class="topic"><td>${tomb} <a href="${esc(`${p.base}/topics/${enc(t.topic_name)}`)}">${esc(t.topic_name)}</a>${pausedLabel(t.paused)}</td><td></td><td>${n(t.depth)}</td><td></td><td>${n(t.message_count)}</td><td></td></tr>\n${chans}`
    })
    .join('\n')
  const body = `<h1>Node: <b>${esc(name)}</b></h1>
<p class="summary"><b>${r.topics.length}</b> Topics · <b>${n(r.total_messages)}</b> Messages · <b>${n(clients)}</b> Clients</p>
<table id="node-topics"><thead><tr><th>Topic</th><th>Channel</th><th>Depth</th><th>In-Flight</th><th>Messages</th><th>Connections</th></tr></thead><tbody>
${rows}
</tbody></table>`
  return layout(p, `Node: ${name}`, body, r.message)
}

async function counterPage(ctx: AdminContext, p: Req): Promise<string> {
  let total = 0
  let warning = ''
  try {
    const r = await counter(ctx)
    total = Object.values(r.stats).reduce((s, x) => s + x.message_count, 0)
    warning = r.message
  } catch (err) {
    return failed(p, 'Counter', err)
  }
  return layout(p, 'Counter', `<div class="counter"><div id="counter" data-total="${total}">${n(total)}</div><div class="caption">Messages Processed</div></div>`, warning)
}

async function lookupPage(ctx: AdminContext, p: Req): Promise<string> {
  const hosts = ctx.cluster.lookupds
  if (hosts.length === 0) return layout(p, 'Lookup', '<h1>Lookup</h1><p class="notice">nsqadmin is not configured with nsqlookupd hosts</p>')
  let r
  try {
    r = await topics(ctx, true)
  } catch (err) {
    return failed(p, 'Lookup', err)
  }
  const inactive = Object.entries(r.topics)
  const tree =
    inactive.length === 0
      ? '<p class="notice">No inactive Topics</p>'
      : `<ul id="inactive">${inactive
          .map(
            ([t, cs]) =>
              `<li>${button(p, '✘', {method: 'DELETE', url: `/api/topics/${enc(t)}`, confirm: `Are you sure you want to delete ${t}?`, typeToConfirm: t, danger: true})} ${esc(t)}<ul>${cs.map((c) => `<li>${button(p, '✘', {method: 'DELETE', url: `/api/topics/${enc(t)}/${enc(c)}`, confirm: `Are you sure you want to delete ${t}/${c}?`, typeToConfirm: c, danger: true})} ${esc(c)}</li>`).join('')}</ul></li>`,
          )
          .join('')}</ul>`
  const form = p.admin
    ? `<h2>Create Topic/Channel</h2><form id="create" data-url="${esc(p.base)}/api/topics"><input name="topic" placeholder="topic" required aria-label="topic"> <input name="channel" placeholder="channel (optional)" aria-label="channel"> <button type="submit">Create</button></form>`
    : ''
  const body = `<h1>Lookup</h1><h2>nsqlookupd hosts</h2><ul>${hosts.map((h) => `<li>${esc(h)}</li>`).join('')}</ul>
<h2>Inactive Topics</h2><p class="hint">Topics and channels a lookupd knows that no nsqd has.</p>${tree}${form}`
  return layout(p, 'Lookup', body, r.message)
}

/** The page at `rest` (the path after the base), or null when there is none. */
export async function page(ctx: AdminContext, base: string, req: IncomingMessage, rest: string): Promise<string | null> {
  const p: Req = {req, base, admin: isAdmin(ctx.actions, req), missing: ctx.history.missing()}
  let parts: string[]
  try {
    parts = rest.split('/').filter((x) => x !== '').map(decodeURIComponent)
  } catch {
    return null
  }
  const [a, b, c] = parts
  if (parts.length === 0) return streams(ctx, p)
  if (a === 'topics' && parts.length === 1) return streams(ctx, p)
  if (a === 'topics' && b !== undefined && parts.length === 2) return topicPage(ctx, p, b)
  if (a === 'topics' && b !== undefined && c !== undefined && parts.length === 3) return channelPage(ctx, p, b, c)
  if (a === 'nodes' && parts.length === 1) return nodesPage(ctx, p)
  if (a === 'nodes' && b !== undefined && parts.length === 2) return nodePage(ctx, p, b)
  if (a === 'counter' && parts.length === 1) return counterPage(ctx, p)
  if (a === 'lookup' && parts.length === 1) return lookupPage(ctx, p)
  return null
}
