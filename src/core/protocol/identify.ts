/**
 * IDENTIFY (NSQ-SPEC §2.2 "IDENTIFY JSON fields", nsqd identifyDataV2, go-nsq conn.go).
 *
 * The request is a JSON object; unknown fields (go-nsq's short_id/long_id) are ignored, a
 * field of the wrong type fails the whole body as Go's encoding/json would. With
 * feature_negotiation the server answers with IdentifyResponse as JSON, else with "OK".
 * Range checks against the server's limits are the broker's business, not the codec's.
 */
import {ProtocolError} from './errors.js'

/** The IDENTIFY body a client sends. */
export interface IdentifyRequest {
  client_id?: string
  hostname?: string
  user_agent?: string
  feature_negotiation?: boolean
  heartbeat_interval?: number
  output_buffer_size?: number
  output_buffer_timeout?: number
  tls_v1?: boolean
  snappy?: boolean
  deflate?: boolean
  deflate_level?: number
  sample_rate?: number
  msg_timeout?: number
  /** deprecated go-nsq fields, accepted and ignored */
  short_id?: string
  long_id?: string
}

/** What nsqd answers to IDENTIFY with feature_negotiation (durations in ms). */
export interface IdentifyResponse {
  max_rdy_count: number
  version: string
  max_msg_timeout: number
  msg_timeout: number
  tls_v1: boolean
  deflate: boolean
  deflate_level: number
  max_deflate_level: number
  snappy: boolean
  sample_rate: number
  auth_required: boolean
  output_buffer_size: number
  output_buffer_timeout: number
  /** not sent by nsqd 1.3.0 (nor by serve, which answers as it does); read when a broker sends it */
  max_msg_size?: number
}

const STRING_FIELDS = ['client_id', 'hostname', 'user_agent', 'short_id', 'long_id'] as const
const BOOL_FIELDS = ['feature_negotiation', 'tls_v1', 'snappy', 'deflate'] as const
const INT_FIELDS = [
  'heartbeat_interval',
  'output_buffer_size',
  'output_buffer_timeout',
  'deflate_level',
  'sample_rate',
  'msg_timeout',
] as const

const decodeError = (): ProtocolError => new ProtocolError('E_BAD_BODY', 'IDENTIFY failed to decode JSON body')

/** Decode an IDENTIFY body; throws E_BAD_BODY "IDENTIFY failed to decode JSON body" as nsqd does. */
export function decodeIdentify(body: Buffer): IdentifyRequest {
  let raw: unknown
  try {
    raw = JSON.parse(body.toString('utf8'))
  } catch {
    throw decodeError()
  }
  if (raw === null) return {}
  if (typeof raw !== 'object' || Array.isArray(raw)) throw decodeError()
  // Go's encoding/json matches keys case-insensitively
  const src: Record<string, unknown> = Object.create(null) as Record<string, unknown>
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) src[k.toLowerCase()] = v
  const out: Record<string, unknown> = {}
  for (const k of STRING_FIELDS) {
    const v = src[k]
    if (v === undefined || v === null) continue
    if (typeof v !== 'string') throw decodeError()
    out[k] = v
  }
  for (const k of BOOL_FIELDS) {
    const v = src[k]
    if (v === undefined || v === null) continue
    if (typeof v !== 'boolean') throw decodeError()
    out[k] = v
  }
  for (const k of INT_FIELDS) {
    const v = src[k]
    if (v === undefined || v === null) continue
    if (typeof v !== 'number' || !Number.isInteger(v)) throw decodeError()
    out[k] = v
  }
  return out as IdentifyRequest
}

/** The JSON answer to IDENTIFY with feature_negotiation (not checked beyond JSON.parse). */
export function decodeIdentifyResponse(data: Buffer): IdentifyResponse {
  return JSON.parse(data.toString('utf8')) as IdentifyResponse
}
