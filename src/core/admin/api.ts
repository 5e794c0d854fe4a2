/**
 * The admin server's read API: nsqadmin 1.3.0's routes under `/api`, their shapes and status
 * codes (NSQADMIN-SPEC §2), so scripts written against nsqadmin keep working. Every answer is a
 * fresh fan-out over the cluster (cluster.ts) merged as clusterinfo does (stats.ts), and carries
 * `message`: '' or `WARNING: <errors>` when part of the cluster did not answer (one stage's
 * errors joined by a newline, stages by `; `); when nothing answered, 502
 * `UPSTREAM_ERROR: failed to query any nsqlookupd|nsqd: <errors>`.
 *
 *   GET /ping                   OK
 *   GET /api/topics             {topics: [names]}; ?inactive=true {topics: {topic: [channels]}}
 *   GET /api/topics/:t          the topic summed over its nodes, per node, its channels summed
 *   GET /api/topics/:t/:c       the channel summed, per node, and its clients
 *   GET /api/nodes              every nsqd, with its topics and out_of_date
 *   GET /api/nodes/:node        one nsqd (`broadcast_address:http_port`): topics, channels, clients, totals
 *   GET /api/counter            every channel's message_count per node
 *   POST, DELETE                the actions (actions.ts); the route table is routes.ts
 *
 * One difference: an unknown channel is 404 CHANNEL_NOT_FOUND, where nsqadmin answers 200 with
 * nothing but `message` (NSQADMIN-SPEC §6).
 */
import {HttpError} from '../http-api/index.js'
import type {LookupdProducer} from '../protocol/lookupd-json.js'
import {formatHostPort} from '../util/hostport.js'
import type {ActionContext} from './actions.js'
import type {Partial, Producer} from './cluster.js'
import type {History} from './sampler.js'
import {aggregateChannel, aggregateTopic, nodeChannel, nodeTopic, sortByHostname, type AdminChannel, type AdminTopic} from './stats.js'

/** What the handlers read: the cluster, the actions' options, the log, the clock, the samples kept. */
export interface AdminContext extends ActionContext {
  history: History
}

/** 502 when nothing answered; else the stage's errors for the WARNING. */
export function stage<T>(p: Partial<T>): T {
  if (p.none !== null) throw new HttpError(502, `UPSTREAM_ERROR: failed to query any ${p.none}: ${p.errors.join('\n')}`)
  return p.value
}

/** `message`: '' or the WARNING of every stage that had errors. */
export function message(...stages: Partial<unknown>[]): string {
  const parts = stages.filter((s) => s.errors.length > 0).map((s) => s.errors.join('\n'))
  return parts.length === 0 ? '' : `WARNING: ${parts.join('; ')}`
}

/** Every answer's `message`: '' or a WARNING. */
export interface Message {
  message: string
}

/** One nsqd in /api/nodes: lookupd's fields (key order: remote_addresses first, as nsqadmin) and more. */
export interface NodeRow extends LookupdProducer {
  remote_addresses: string[] | null
  topics: {topic: string; tombstoned: boolean}[]
  out_of_date: boolean
}

export interface NodeAnswer extends Message {
  node: string
  topics: AdminTopic[]
  total_messages: number
  total_clients: number
}

export interface CounterRow {
  node: string
  topic_name: string
  channel_name: string
  message_count: number
}

export async function topics(ctx: AdminContext, inactive: true): Promise<{topics: Record<string, string[]>} & Message>
export async function topics(ctx: AdminContext, inactive: false): Promise<{topics: string[]} & Message>
export async function topics(ctx: AdminContext, inactive: boolean): Promise<{topics: string[] | Record<string, string[]>} & Message>
export async function topics(ctx: AdminContext, inactive: boolean): Promise<{topics: string[] | Record<string, string[]>} & Message> {
  if (inactive) {
    const r = await ctx.cluster.inactiveTopics()
    return {topics: stage(r), message: message(r)}
  }
  const r = await ctx.cluster.topics()
  return {topics: stage(r), message: message(r)}
}

export async function topic(ctx: AdminContext, name: string): Promise<AdminTopic & Message> {
  const producers = await ctx.cluster.producers(name)
  const stats = await ctx.cluster.statsOf(stage(producers), {topic: name, includeClients: false})
  const now = ctx.now()
  const nodes: AdminTopic[] = []
  for (const {producer, doc} of stage(stats)) {
    const t = doc.topics?.find((x) => x.topic_name === name)
    if (t !== undefined) nodes.push(nodeTopic(producer, t, now))
  }
  return {...aggregateTopic(name, nodes), message: message(producers, stats)}
}

export async function channel(ctx: AdminContext, topicName: string, name: string): Promise<AdminChannel & Message> {
  const producers = await ctx.cluster.producers(topicName)
  const stats = await ctx.cluster.statsOf(stage(producers), {topic: topicName, channel: name, includeClients: true})
  const now = ctx.now()
  const nodes: AdminChannel[] = []
  for (const {producer, doc} of stage(stats)) {
    const c = doc.topics?.find((x) => x.topic_name === topicName)?.channels.find((x) => x.channel_name === name)
    if (c !== undefined) nodes.push(nodeChannel(producer, topicName, c, now))
  }
  if (nodes.length === 0) throw new HttpError(404, 'CHANNEL_NOT_FOUND')
  return {...aggregateChannel(topicName, name, nodes, '', {topic: topicName, channel: name}), message: message(producers, stats)}
}

export async function nodes(ctx: AdminContext): Promise<{nodes: NodeRow[] | null} & Message> {
  const r = await ctx.cluster.nodes()
  const all = stage(r)
  const newest = all.reduce((v, n) => (compareVersions(n.version, v) > 0 ? n.version : v), '')
  const out = sortByHostname(all).map((n): NodeRow => ({
    remote_addresses: n.remote_addresses,
    remote_address: n.remote_address,
    hostname: n.hostname,
    broadcast_address: n.broadcast_address,
    tcp_port: n.tcp_port,
    http_port: n.http_port,
    version: n.version,
    topics: n.topics,
    out_of_date: compareVersions(n.version, newest) < 0,
  }))
  return {nodes: out.length === 0 ? null : out, message: message(r)}
}

export async function node(ctx: AdminContext, name: string): Promise<NodeAnswer> {
  const r = await ctx.cluster.nodes()
  // its name (`broadcast_address:http_port`; in nsqd mode the address given) — the Nodes page
  // links by broadcast address and port in both modes
  const p = stage(r).find((n) => n.node === name) ?? stage(r).find((n) => formatHostPort({host: n.broadcast_address, port: n.http_port}) === name)
  if (p === undefined) throw new HttpError(404, 'NODE_NOT_FOUND')
  const stats = await ctx.cluster.statsOf([p], {includeClients: true})
  const [one] = stage(stats)
  const now = ctx.now()
  const ts = (one?.doc.topics ?? []).map((t) => nodeTopic(p, t, now))
  return {
    node: name,
    topics: ts,
    total_messages: ts.reduce((s, t) => s + t.message_count, 0),
    total_clients: ts.reduce((s, t) => s + (t.channels ?? []).reduce((c, ch) => c + ch.client_count, 0), 0),
    message: message(r, stats),
  }
}

export async function counter(ctx: AdminContext): Promise<{stats: Record<string, CounterRow>} & Message> {
  const r = await ctx.cluster.nodes()
  const stats = await ctx.cluster.statsOf(stage(r), {includeClients: false})
  const out: Record<string, CounterRow> = {}
  for (const {producer, doc} of stage(stats)) {
    for (const t of doc.topics ?? []) {
      for (const c of t.channels) out[`${t.topic_name}:${c.channel_name}:${producer.node}`] = {node: producer.node, topic_name: t.topic_name, channel_name: c.channel_name, message_count: c.message_count}
    }
  }
  return {stats: out, message: message(r, stats)}
}

/**
 * `a` vs `b` as versions (`1.3.0`, `1.3.0-rc.1`): -1, 0 or 1. The dotted numbers part by part (a
 * missing part is 0); then a pre-release (after `-`) ranks below the release itself, and two
 * pre-releases compare part by part, numbers as numbers, text as text (semver's order).
 */
export function compareVersions(a: string, b: string): number {
  const [coreA = '', preA] = splitPre(a)
  const [coreB = '', preB] = splitPre(b)
  const d = compareParts(coreA.split('.'), coreB.split('.'), '0')
  if (d !== 0) return d
  if (preA === undefined || preB === undefined) return preA === preB ? 0 : preA === undefined ? 1 : -1
  return compareParts(preA.split(/[.-]/), preB.split(/[.-]/), '')
}

function splitPre(v: string): [string, string | undefined] {
  const i = v.indexOf('-')
  return i < 0 ? [v, undefined] : [v.slice(0, i), v.slice(i + 1)]
}

function compareParts(pa: string[], pb: string[], missing: string): number {
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? missing
    const y = pb[i] ?? missing
    // a pre-release with fewer parts ranks lower (semver: rc < rc.1)
    if (x === '' || y === '') {
      if (x !== y) return x === '' ? -1 : 1
      continue
    }
    const nx = /^\d+$/.test(x) ? Number(x) : Number.NaN
    const ny = /^\d+$/.test(y) ? Number(y) : Number.NaN
    // numbers before text, as semver orders identifiers
    const d = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : !Number.isNaN(nx) ? -1 : !Number.isNaN(ny) ? 1 : x < y ? -1 : x > y ? 1 : 0
    if (d !== 0) return d < 0 ? -1 : 1
  }
  return 0
}

export type {Producer}
