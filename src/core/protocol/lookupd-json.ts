/**
 * nsqlookupd's HTTP answers (NSQ-SPEC §3.3) as typed values, for the client's discovery and
 * the tools that read a cluster (nsq_stat, the admin UI):
 *
 *   GET /lookup?topic=t   {"channels":[...],"producers":[producer]}
 *   GET /topics           {"topics":[...]}
 *   GET /channels?topic=t {"channels":[...]}
 *   GET /nodes            {"producers":[producer + "tombstones":[bool...],"topics":[...]]}
 *   GET /info             {"version":"1.3.0"}
 *
 *   producer = {"remote_address","hostname","broadcast_address","tcp_port","http_port","version"}
 *
 * Read as go-nsq and nsqadmin read them (encoding/json into their structs): the bare 1.x body
 * or the pre-1.0 envelope `{"status_code":200,"status_txt":"OK","data":{...}}`; a missing field
 * is its zero value ('' or 0, a missing list []); a field of the wrong type is an error naming
 * its path (JsonShapeError); unknown fields are left out.
 */
import {booleanItem, items, num, object, str, stringItem, unwrapEnvelope, type JsonObject} from './json-shape.js'

/** An nsqd as lookupd lists it. */
export interface LookupdProducer {
  remote_address: string
  hostname: string
  broadcast_address: string
  tcp_port: number
  http_port: number
  version: string
}

/** GET /lookup?topic=t */
export interface LookupResult {
  channels: string[]
  producers: LookupdProducer[]
}

/** An nsqd in GET /nodes: `tombstones[i]` says whether `topics[i]` is tombstoned on it. */
export interface LookupdNode extends LookupdProducer {
  tombstones: boolean[]
  topics: string[]
}

/** GET /nodes */
export interface NodesResult {
  producers: LookupdNode[]
}

/** GET /topics */
export interface TopicsResult {
  topics: string[]
}

/** GET /channels?topic=t */
export interface ChannelsResult {
  channels: string[]
}

/** GET /info */
export interface LookupdInfo {
  version: string
}

const root = (doc: unknown): JsonObject => object(unwrapEnvelope(doc), '$')

function producer(o: JsonObject, path: string): LookupdProducer {
  return {
    remote_address: str(o, 'remote_address', path, ''),
    hostname: str(o, 'hostname', path, ''),
    broadcast_address: str(o, 'broadcast_address', path, ''),
    tcp_port: num(o, 'tcp_port', path, 0),
    http_port: num(o, 'http_port', path, 0),
    version: str(o, 'version', path, ''),
  }
}

const producerItem = (v: unknown, path: string): LookupdProducer => producer(object(v, path), path)

function nodeItem(v: unknown, path: string): LookupdNode {
  const o = object(v, path)
  return {...producer(o, path), tombstones: items(o, 'tombstones', path, booleanItem, []), topics: items(o, 'topics', path, stringItem, [])}
}

/** A parsed GET /lookup answer. Throws JsonShapeError. */
export function decodeLookup(doc: unknown): LookupResult {
  const o = root(doc)
  return {channels: items(o, 'channels', '$', stringItem, []), producers: items(o, 'producers', '$', producerItem, [])}
}

/** A parsed GET /nodes answer. Throws JsonShapeError. */
export function decodeNodes(doc: unknown): NodesResult {
  return {producers: items(root(doc), 'producers', '$', nodeItem, [])}
}

/** A parsed GET /topics answer. Throws JsonShapeError. */
export function decodeTopics(doc: unknown): TopicsResult {
  return {topics: items(root(doc), 'topics', '$', stringItem, [])}
}

/** A parsed GET /channels answer. Throws JsonShapeError. */
export function decodeChannels(doc: unknown): ChannelsResult {
  return {channels: items(root(doc), 'channels', '$', stringItem, [])}
}

/** A parsed GET /info answer. Throws JsonShapeError. */
export function decodeLookupdInfo(doc: unknown): LookupdInfo {
  return {version: str(root(doc), 'version', '$', '')}
}
