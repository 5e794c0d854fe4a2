/**
 * The body of an nsqd's IDENTIFY to nsqlookupd (NSQ-SPEC §3.2), read as Go's json.Unmarshal
 * fills lookup_protocol_v1.go's PeerInfo:
 *
 *   {"broadcast_address": "h", "tcp_port": 4150, "http_port": 4151, "version": "1.3.0", "hostname": "h"}
 *
 * Keys match case-insensitively (in the body's order, so the last matching key wins), unknown keys are ignored, `null`
 * (the whole body or a field) leaves the zero value, a field of the wrong type or a body that is
 * not JSON is an error (E_BAD_BODY "IDENTIFY failed to decode JSON body"). Then every one of
 * broadcast_address, tcp_port, http_port and version must be set ("IDENTIFY missing fields").
 * One difference: a port written as `4150.0` or `4.15e3` is taken (JSON.parse cannot tell it
 * from 4150), where Go refuses it.
 */

export interface IdentifyFields {
  hostname: string
  broadcastAddress: string
  tcpPort: number
  httpPort: number
  version: string
}

export type IdentifyDecoded = {ok: true; fields: IdentifyFields} | {ok: false; error: 'decode' | 'missing'}

const FIELDS: {json: string; key: keyof IdentifyFields; kind: 'string' | 'int'}[] = [
  {json: 'hostname', key: 'hostname', kind: 'string'},
  {json: 'broadcast_address', key: 'broadcastAddress', kind: 'string'},
  {json: 'tcp_port', key: 'tcpPort', kind: 'int'},
  {json: 'http_port', key: 'httpPort', kind: 'int'},
  {json: 'version', key: 'version', kind: 'string'},
]

/** Go's int on 64 bits holds any integer JSON.parse gives exactly. */
const isGoInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v)

export function decodeIdentify(body: Buffer): IdentifyDecoded {
  let doc: unknown
  try {
    doc = JSON.parse(body.toString('utf8'))
  } catch {
    return {ok: false, error: 'decode'}
  }
  const fields: IdentifyFields = {hostname: '', broadcastAddress: '', tcpPort: 0, httpPort: 0, version: ''}
  if (doc !== null) {
    if (typeof doc !== 'object' || Array.isArray(doc)) return {ok: false, error: 'decode'}
    const o = doc as Record<string, unknown>
    for (const k of Object.keys(o)) {
      const lower = k.toLowerCase()
      const f = FIELDS.find((x) => x.json === lower)
      if (f === undefined) continue
      const v = o[k]
      if (v === null) continue
      if (f.kind === 'string') {
        if (typeof v !== 'string') return {ok: false, error: 'decode'}
        ;(fields[f.key] as string) = v
      } else {
        if (!isGoInt(v)) return {ok: false, error: 'decode'}
        ;(fields[f.key] as number) = v
      }
    }
  }
  if (fields.broadcastAddress === '' || fields.tcpPort === 0 || fields.httpPort === 0 || fields.version === '') return {ok: false, error: 'missing'}
  return {ok: true, fields}
}
