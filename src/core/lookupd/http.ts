/**
 * nsqlookupd's HTTP API (NSQ-SPEC §3.3, nsqlookupd http.go): its routes over the conventions
 * nsq's daemons share (core/http-api). JSON shapes and key order are Go's: a struct in its
 * field order, a map with its keys sorted; empty lists are `[]`.
 *
 *   GET  /ping /info /debug /lookup?topic /topics /channels?topic /nodes
 *   POST /topic/create?topic /topic/delete?topic /channel/create?topic&channel
 *        /channel/delete?topic&channel /topic/tombstone?topic&node
 *
 * /lookup leaves out producers not heard from within --inactive-producer-timeout and those
 * tombstoned within --tombstone-lifetime; /nodes leaves out only the inactive ones and shows
 * the tombstones. Every request is logged, as nsqlookupd does.
 */
import type {IncomingMessage, ServerResponse} from 'node:http'
import {HttpError, JsonText, createHttpHandler as createApiHandler, requireParam, type HttpApi, type HttpHandler} from '../http-api/index.js'
import {isValidChannelName, isValidTopicName, type LookupdNode, type LookupdProducer} from '../protocol/index.js'
import type {Logger} from '../util/logger.js'
import {filterByActive, keysOf, subKeysOf, type PeerInfo, type RegistrationDB} from './registration-db.js'

export interface HttpLookupd {
  readonly db: RegistrationDB
  readonly log: Logger
  readonly version: string
  readonly inactiveProducerTimeout: number
  readonly tombstoneLifetime: number
  nowNs(): bigint
}

type Handler = HttpHandler<HttpLookupd>

const producerJson = (p: PeerInfo): LookupdProducer => ({
  remote_address: p.remoteAddress,
  hostname: p.hostname,
  broadcast_address: p.broadcastAddress,
  tcp_port: p.tcpPort,
  http_port: p.httpPort,
  version: p.version,
})

/** Go's http_api.GetTopicChannelArgs. */
function topicChannelArgs(q: URLSearchParams): {topic: string; channel: string} {
  const topic = requireParam(q, 'topic', 'MISSING_ARG_TOPIC')
  if (!isValidTopicName(topic)) throw new HttpError(400, 'INVALID_ARG_TOPIC')
  const channel = requireParam(q, 'channel', 'MISSING_ARG_CHANNEL')
  if (!isValidChannelName(channel)) throw new HttpError(400, 'INVALID_ARG_CHANNEL')
  return {topic, channel}
}

const lookup: Handler = (l, r) => {
  const topic = requireParam(r.query, 'topic', 'MISSING_ARG_TOPIC')
  if (l.db.findRegistrations('topic', topic, '').length === 0) throw new HttpError(404, 'TOPIC_NOT_FOUND')
  const channels = subKeysOf(l.db.findRegistrations('channel', topic, '*'))
  const producers = filterByActive(l.db.findProducers('topic', topic, ''), l.inactiveProducerTimeout, l.tombstoneLifetime, l.nowNs())
  return {channels, producers: producers.map((p) => producerJson(p.peer))}
}

const topics: Handler = (l) => ({topics: keysOf(l.db.findRegistrations('topic', '*', ''))})

const channels: Handler = (l, r) => {
  const topic = requireParam(r.query, 'topic', 'MISSING_ARG_TOPIC')
  return {channels: subKeysOf(l.db.findRegistrations('channel', topic, '*'))}
}

const nodes: Handler = (l) => {
  const now = l.nowNs()
  // tombstoned nodes are not filtered out here: their tombstones are shown
  const producers = filterByActive(l.db.findProducers('client', '', ''), l.inactiveProducerTimeout, 0, now)
  const byTopic = new Map<string, ReturnType<RegistrationDB['findProducers']>>()
  const out: LookupdNode[] = producers.map((p) => {
    const regs = l.db.lookupRegistrations(p.peer.id).filter((r) => r.category === 'topic')
    const topicNames = keysOf(regs)
    const tombstones = topicNames.map((t) => {
      let tp = byTopic.get(t)
      if (tp === undefined) {
        tp = l.db.findProducers('topic', t, '')
        byTopic.set(t, tp)
      }
      let tombstoned = false
      for (const x of tp) if (x.peer === p.peer) tombstoned = x.isTombstoned(l.tombstoneLifetime, now)
      return tombstoned
    })
    return {...producerJson(p.peer), tombstones, topics: topicNames}
  })
  return {producers: out}
}

/**
 * GET /debug: every registration with producers, `category:key:subkey` → the producers, as Go
 * marshals its maps (keys sorted). Written by hand: last_update and tombstoned_at are int64 ns,
 * beyond a double's exact range, and an unset tombstoned_at is Go's zero time in ns.
 */
const GO_ZERO_TIME_NS = -6795364578871345152n
const debug: Handler = (l) => {
  const groups = new Map<string, string[]>()
  for (const {reg, producers} of l.db.entries()) {
    if (producers.size === 0) continue
    const key = `${reg.category}:${reg.key}:${reg.subKey}`
    const list = groups.get(key) ?? []
    for (const p of producers.values()) {
      const i = p.peer
      list.push(
        `{"broadcast_address":${JSON.stringify(i.broadcastAddress)},"hostname":${JSON.stringify(i.hostname)},"http_port":${i.httpPort},"id":${JSON.stringify(i.id)},` +
          `"last_update":${i.lastUpdate},"tcp_port":${i.tcpPort},"tombstoned":${p.tombstoned},"tombstoned_at":${p.tombstoned ? p.tombstonedAt : GO_ZERO_TIME_NS},"version":${JSON.stringify(i.version)}}`,
      )
    }
    groups.set(key, list)
  }
  const keys = [...groups.keys()].sort()
  return new JsonText(`{${keys.map((k) => `${JSON.stringify(k)}:[${(groups.get(k) as string[]).join(',')}]`).join(',')}}`)
}

const topicCreate: Handler = (l, r) => {
  const topic = requireParam(r.query, 'topic', 'MISSING_ARG_TOPIC')
  if (!isValidTopicName(topic)) throw new HttpError(400, 'INVALID_ARG_TOPIC')
  l.log.info(`DB: adding topic(${topic})`)
  l.db.addRegistration({category: 'topic', key: topic, subKey: ''})
  return null
}

const topicDelete: Handler = (l, r) => {
  const topic = requireParam(r.query, 'topic', 'MISSING_ARG_TOPIC')
  for (const reg of l.db.findRegistrations('channel', topic, '*')) {
    l.log.info(`DB: removing channel(${reg.subKey}) from topic(${topic})`)
    l.db.removeRegistration(reg)
  }
  for (const reg of l.db.findRegistrations('topic', topic, '')) {
    l.log.info(`DB: removing topic(${topic})`)
    l.db.removeRegistration(reg)
  }
  return null
}

const topicTombstone: Handler = (l, r) => {
  const topic = requireParam(r.query, 'topic', 'MISSING_ARG_TOPIC')
  const node = requireParam(r.query, 'node', 'MISSING_ARG_NODE')
  l.log.info(`DB: setting tombstone for producer@${node} of topic(${topic})`)
  const now = l.nowNs()
  // Go's fmt.Sprintf("%s:%d"): no brackets around an IPv6 address
  for (const p of l.db.findProducers('topic', topic, '')) if (`${p.peer.broadcastAddress}:${p.peer.httpPort}` === node) p.tombstone(now)
  return null
}

const channelCreate: Handler = (l, r) => {
  const {topic, channel} = topicChannelArgs(r.query)
  l.log.info(`DB: adding channel(${channel}) in topic(${topic})`)
  l.db.addRegistration({category: 'channel', key: topic, subKey: channel})
  l.log.info(`DB: adding topic(${topic})`)
  l.db.addRegistration({category: 'topic', key: topic, subKey: ''})
  return null
}

const channelDelete: Handler = (l, r) => {
  const {topic, channel} = topicChannelArgs(r.query)
  const regs = l.db.findRegistrations('channel', topic, channel)
  if (regs.length === 0) throw new HttpError(404, 'CHANNEL_NOT_FOUND')
  l.log.info(`DB: removing channel(${channel}) from topic(${topic})`)
  for (const reg of regs) l.db.removeRegistration(reg)
  return null
}

const LOOKUPD_API: HttpApi<HttpLookupd> = {
  routes: {
    '/ping': {methods: {GET: () => 'OK'}, v1: false},
    '/info': {methods: {GET: (l) => ({version: l.version})}, v1: true},
    '/debug': {methods: {GET: debug}, v1: true},
    '/lookup': {methods: {GET: lookup}, v1: true},
    '/topics': {methods: {GET: topics}, v1: true},
    '/channels': {methods: {GET: channels}, v1: true},
    '/nodes': {methods: {GET: nodes}, v1: true},
    '/topic/create': {methods: {POST: topicCreate}, v1: true},
    '/topic/delete': {methods: {POST: topicDelete}, v1: true},
    '/channel/create': {methods: {POST: channelCreate}, v1: true},
    '/channel/delete': {methods: {POST: channelDelete}, v1: true},
    '/topic/tombstone': {methods: {POST: topicTombstone}, v1: true},
  },
}

/** The request listener for node:http. */
export function createLookupdHttpHandler(l: HttpLookupd): (req: IncomingMessage, res: ServerResponse) => void {
  return createApiHandler(LOOKUPD_API, l, () => l.log)
}
