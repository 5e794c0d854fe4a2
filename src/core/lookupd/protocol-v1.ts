/**
 * nsqlookupd's TCP protocol V1 (NSQ-SPEC §3.2, nsqlookupd tcp.go + lookup_protocol_v1.go): one
 * nsqd's connection, over any Duplex.
 *
 *   "  V1" (any other magic: E_BAD_PROTOCOL, closed)
 *   IDENTIFY\n [size int32 BE][JSON]   → JSON {broadcast_address, hostname, http_port, tcp_port, version}
 *   REGISTER <topic> [<channel>]\n     → OK
 *   UNREGISTER <topic> [<channel>]\n   → OK
 *   PING\n                             → OK
 *
 * Every reply is `[size int32 BE][data]`, with no frame type; an error is sent the same way as
 * `E_CODE description` and is fatal: the connection is closed after it (nsqlookupd makes every
 * error a FatalClientErr). A line is trimmed of surrounding white space and split on single
 * spaces, as Go's strings.TrimSpace + strings.Split. When the connection ends, every
 * registration of the peer is dropped (lookupd.ts).
 *
 * Bounds nsqlookupd does not have: a line of more than 64 KiB and an IDENTIFY body over 1 MiB
 * (or a negative size, which makes nsqlookupd's make([]byte) panic) are refused with the error
 * nsqlookupd would give for an unreadable one.
 */
import type {Duplex} from 'node:stream'
import {Accumulator, isValidChannelName, isValidTopicName} from '../protocol/index.js'
import {formatDuration} from '../util/duration.js'
import type {Logger} from '../util/logger.js'
import {decodeIdentify} from './identify.js'
import {Producer, type PeerInfo, type RegistrationDB} from './registration-db.js'

const MAGIC_V1 = '  V1'
const MAX_LINE = 64 * 1024
const MAX_IDENTIFY_BODY = 1024 * 1024
const LINGER_MS = 2000

/** What a session needs of its lookupd. */
export interface LookupdContext {
  readonly db: RegistrationDB
  readonly log: Logger
  readonly version: string
  readonly broadcastAddress: string
  readonly hostname: string
  /** the TCP and HTTP ports lookupd listens on (its IDENTIFY answer) */
  ports(): {tcp: number; http: number}
  nowNs(): bigint
}

class FatalError extends Error {
  constructor(
    readonly code: string,
    readonly desc: string,
  ) {
    super(`${code} ${desc}`)
  }
}

/** The `[size][data]` reply. */
export function v1Response(data: string | Buffer): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const out = Buffer.allocUnsafe(4 + body.length)
  out.writeInt32BE(body.length, 0)
  body.copy(out, 4)
  return out
}

/** Go's strings.TrimSpace, ASCII white space only (Go also trims Unicode spaces such as U+00A0 in UTF-8; only a hand-made client sends those). */
const trimSpace = (s: string): string => s.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, '')

export class LookupSession {
  private readonly acc = new Accumulator()
  private magicDone = false
  /** waiting for IDENTIFY's size and body */
  private identifying = false
  private closed = false
  peer: PeerInfo | null = null

  constructor(
    private readonly stream: Duplex,
    /** the peer's TCP remote address, its id in the DB */
    readonly remote: string,
    private readonly ctx: LookupdContext,
    private readonly onEnd: (s: LookupSession) => void,
  ) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk))
    stream.on('end', () => this.close())
    stream.on('error', () => this.close())
    stream.on('close', () => this.close())
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return
    this.acc.push(chunk)
    try {
      if (!this.magicDone) {
        if (this.acc.available < 4) return
        const magic = this.acc.take(4).toString('latin1')
        this.ctx.log.info(`CLIENT(${this.remote}): desired protocol magic '${magic}'`)
        if (magic !== MAGIC_V1) {
          this.stream.write(v1Response('E_BAD_PROTOCOL'))
          this.ctx.log.error(`client(${this.remote}) bad protocol magic '${magic}'`)
          this.close()
          return
        }
        this.magicDone = true
      }
      while (!this.closed && this.step()) {
        /* one command per step */
      }
    } catch (err) {
      if (!(err instanceof FatalError)) throw err
      this.ctx.log.error(`[${this.remote}] - ${err.message}`)
      this.stream.write(v1Response(err.message))
      this.close()
    }
  }

  /** Run the next whole command; false when more bytes are needed. */
  private step(): boolean {
    if (this.identifying) return this.identifyBody()
    const nl = this.acc.indexOf(0x0a)
    if (nl < 0) {
      if (this.acc.available > MAX_LINE) throw new FatalError('E_INVALID', `invalid command (longer than ${MAX_LINE} bytes)`)
      return false
    }
    const line = trimSpace(this.acc.take(nl + 1).toString('latin1'))
    const params = line.split(' ')
    const reply = this.exec(params)
    if (reply !== null) this.stream.write(v1Response(reply))
    return true
  }

  private exec(params: string[]): string | null {
    const [verb, ...rest] = params
    switch (verb) {
      case 'PING':
        return this.ping()
      case 'IDENTIFY':
        if (this.peer !== null) throw new FatalError('E_INVALID', 'cannot IDENTIFY again')
        this.identifying = true
        return null
      case 'REGISTER':
        return this.register(rest)
      case 'UNREGISTER':
        return this.unregister(rest)
    }
    throw new FatalError('E_INVALID', `invalid command ${verb ?? ''}`)
  }

  private ping(): string {
    const p = this.peer
    if (p !== null) {
      const now = this.ctx.nowNs()
      this.ctx.log.info(`CLIENT(${p.id}): pinged (last ping ${formatDuration(Number(now - p.lastUpdate) / 1e6)})`)
      p.lastUpdate = now
    }
    return 'OK'
  }

  private identifyBody(): boolean {
    if (this.acc.available < 4) return false
    const size = this.acc.int32()
    if (size < 0 || size > MAX_IDENTIFY_BODY) throw new FatalError('E_BAD_BODY', 'IDENTIFY failed to read body size')
    if (this.acc.available < 4 + size) return false
    this.acc.skip(4)
    const body = this.acc.take(size)
    this.identifying = false
    const d = decodeIdentify(body)
    if (!d.ok) throw new FatalError('E_BAD_BODY', d.error === 'decode' ? 'IDENTIFY failed to decode JSON body' : 'IDENTIFY missing fields')
    const f = d.fields
    const ctx = this.ctx
    const peer: PeerInfo = {id: this.remote, remoteAddress: this.remote, hostname: f.hostname, broadcastAddress: f.broadcastAddress, tcpPort: f.tcpPort, httpPort: f.httpPort, version: f.version, lastUpdate: ctx.nowNs()}
    ctx.log.info(`CLIENT(${this.remote}): IDENTIFY Address:${f.broadcastAddress} TCP:${f.tcpPort} HTTP:${f.httpPort} Version:${f.version}`)
    this.peer = peer
    if (ctx.db.addProducer({category: 'client', key: '', subKey: ''}, new Producer(peer))) this.logDb('REGISTER', 'client', '', '')
    const ports = ctx.ports()
    // Go marshals a map: the keys in sorted order
    const answer = {broadcast_address: ctx.broadcastAddress, hostname: ctx.hostname, http_port: ports.http, tcp_port: ports.tcp, version: ctx.version}
    this.stream.write(v1Response(JSON.stringify(answer)))
    return true
  }

  /** REGISTER/UNREGISTER's topic and channel (Go's getTopicChan). */
  private topicChannel(verb: string, params: string[]): {topic: string; channel: string} {
    if (this.peer === null) throw new FatalError('E_INVALID', 'client must IDENTIFY')
    if (params.length === 0) throw new FatalError('E_INVALID', `${verb} insufficient number of params`)
    const topic = params[0] as string
    const channel = params[1] ?? ''
    if (!isValidTopicName(topic)) throw new FatalError('E_BAD_TOPIC', `${verb} topic name '${topic}' is not valid`)
    if (channel !== '' && !isValidChannelName(channel)) throw new FatalError('E_BAD_CHANNEL', `${verb} channel name '${channel}' is not valid`)
    return {topic, channel}
  }

  private register(params: string[]): string {
    const {topic, channel} = this.topicChannel('REGISTER', params)
    const peer = this.peer as PeerInfo
    const db = this.ctx.db
    if (channel !== '' && db.addProducer({category: 'channel', key: topic, subKey: channel}, new Producer(peer))) this.logDb('REGISTER', 'channel', topic, channel)
    if (db.addProducer({category: 'topic', key: topic, subKey: ''}, new Producer(peer))) this.logDb('REGISTER', 'topic', topic, '')
    return 'OK'
  }

  private unregister(params: string[]): string {
    const {topic, channel} = this.topicChannel('UNREGISTER', params)
    const id = (this.peer as PeerInfo).id
    const db = this.ctx.db
    if (channel !== '') {
      const reg = {category: 'channel', key: topic, subKey: channel} as const
      const {removed, left} = db.removeProducer(reg, id)
      if (removed) this.logDb('UNREGISTER', 'channel', topic, channel)
      // an ephemeral channel goes with its last producer
      if (left === 0 && channel.endsWith('#ephemeral')) db.removeRegistration(reg)
      return 'OK'
    }
    // a topic's unregistration: its channels first (normally already gone, hence the warning)
    for (const r of db.findRegistrations('channel', topic, '*')) {
      if (db.removeProducer(r, id).removed) this.ctx.log.warn(`client(${this.remote}) unexpected UNREGISTER category:channel key:${topic} subkey:${r.subKey}`)
    }
    const reg = {category: 'topic', key: topic, subKey: ''} as const
    const {removed, left} = db.removeProducer(reg, id)
    if (removed) this.logDb('UNREGISTER', 'topic', topic, '')
    if (left === 0 && topic.endsWith('#ephemeral')) db.removeRegistration(reg)
    return 'OK'
  }

  private logDb(verb: string, category: string, key: string, subKey: string): void {
    this.ctx.log.info(`DB: client(${this.remote}) ${verb} category:${category} key:${key} subkey:${subKey}`)
  }

  /** End the connection (once); lookupd then drops the peer's registrations. */
  close(): void {
    if (this.closed) return
    this.closed = true
    // what was written (an error's reply) goes out first; a peer that does not close its end is cut off
    this.stream.end()
    setTimeout(() => this.stream.destroy(), LINGER_MS).unref()
    this.onEnd(this)
  }
}
