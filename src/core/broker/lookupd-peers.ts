/**
 * `serve` registering with nsqlookupd, as nsqd does (NSQ-SPEC §2.7; nsqd lookup.go and
 * lookup_peer.go): one peer per --lookupd-tcp-address, speaking lookupd's TCP protocol V1.
 *
 *   a peer's first command (or the next one after a failure) connects (1 s dial timeout):
 *     "  V1" → IDENTIFY {broadcast_address, hostname, http_port, tcp_port, version} (the
 *     broadcast ports) → REGISTER of every topic with no channel and every topic/channel
 *   topic or channel created/deleted (ephemeral too) → REGISTER / UNREGISTER to every peer
 *   every 15 s → PING (which is how a restarted lookupd is found again: the PING fails, the
 *   next command reconnects and registers everything again)
 *   PUT /config/nsqlookupd_tcp_addresses → peers added (connected at once) and removed
 *
 * Each peer runs its commands one at a time, each a round trip (write, then read the
 * `[size][data]` reply, 1 s deadlines), in the order they were asked, as nsqd's lookup loop
 * does. A failed command is logged and dropped (nsqd's behaviour: what it announced is
 * announced again by the re-registration of the next connect). Replies are not judged, but
 * IDENTIFY's: it gives the lookupd's HTTP address, which the broker asks for the channels to
 * pre-create for a new topic (lookupdHttpAddresses()).
 */
import {connect as netConnect, type Socket} from 'node:net'
import {hostname} from 'node:os'
import {Accumulator} from '../protocol/index.js'
import type {Clock, Timer} from '../util/clock.js'
import {formatHostPort, parseHostPort} from '../util/hostport.js'
import type {Logger} from '../util/logger.js'

const MAGIC_V1 = Buffer.from('  V1')
const DIAL_TIMEOUT_MS = 1000
const IO_TIMEOUT_MS = 1000
const PING_INTERVAL_MS = 15_000

/** What the peers need of the broker. */
export interface LookupdPeersContext {
  readonly log: Logger
  readonly clock: Clock
  readonly version: string
  broadcastAddress(): string
  /** the TCP and HTTP ports nsqd announces (broadcast, or listening) */
  broadcastPorts(): {tcp: number; http: number}
  /** what to REGISTER after a connect: [topic, channel or ''] */
  registrations(): [string, string][]
  /** bounds a reply (nsqd: --max-body-size) */
  readonly maxBodySize: number
}

/** The lookupd's IDENTIFY answer (nsqd's peerInfo). */
interface LookupdInfo {
  tcp_port: number
  http_port: number
  version: string
  broadcast_address: string
}

/** A command line (and body) as nsq.Command writes it, with its String() for the logs. */
interface Cmd {
  text: string
  bytes: Buffer
}

function command(name: string, params: string[], body?: Buffer): Cmd {
  const line = Buffer.from(params.length > 0 ? `${name} ${params.join(' ')}\n` : `${name}\n`, 'utf8')
  const text = params.length > 0 ? `${name} ${params.join(' ')}` : name
  if (body === undefined) return {text, bytes: line}
  const size = Buffer.allocUnsafe(4)
  size.writeInt32BE(body.length, 0)
  return {text, bytes: Buffer.concat([line, size, body])}
}

const register = (topic: string, channel: string): Cmd => command('REGISTER', channel === '' ? [topic] : [topic, channel])
const unregister = (topic: string, channel: string): Cmd => command('UNREGISTER', channel === '' ? [topic] : [topic, channel])

class LookupPeer {
  private sock: Socket | null = null
  private readonly acc = new Accumulator()
  /** the reply being waited for */
  private waiting: {resolve: (b: Buffer) => void; reject: (e: Error) => void; timer: Timer} | null = null
  private readonly queue: (Cmd | null)[] = []
  private running = false
  private closed = false
  info: LookupdInfo | null = null

  constructor(
    readonly addr: string,
    private readonly ctx: LookupdPeersContext,
  ) {}

  /** Queue `cmd` (null: only connect); commands run one at a time, in order. */
  send(cmd: Cmd | null): void {
    if (this.closed) return
    this.queue.push(cmd)
    if (!this.running) void this.run()
  }

  close(): void {
    this.closed = true
    this.queue.length = 0
    this.disconnect(new Error('closed'))
  }

  private async run(): Promise<void> {
    this.running = true
    try {
      for (let cmd = this.queue.shift(); cmd !== undefined; cmd = this.queue.shift()) {
        if (this.closed) return
        try {
          await this.command(cmd)
        } catch (err) {
          if (cmd !== null) this.ctx.log.error(`LOOKUPD(${this.addr}): ${cmd.text} - ${(err as Error).message}`)
          else this.ctx.log.error(`LOOKUPD(${this.addr}): ${(err as Error).message}`)
        }
      }
    } finally {
      this.running = false
    }
  }

  /** nsqd's lookupPeer.Command: connect (and register everything) if need be, then one round trip. */
  private async command(cmd: Cmd | null): Promise<Buffer | null> {
    if (this.sock === null) {
      const sock = await this.connect()
      sock.write(MAGIC_V1)
      await this.connected()
    }
    if (cmd === null) return null
    return this.roundTrip(cmd)
  }

  /** nsqd's connectCallback: IDENTIFY, then REGISTER what the broker has. */
  private async connected(): Promise<void> {
    const ports = this.ctx.broadcastPorts()
    // Go marshals a map: keys in sorted order
    const body = Buffer.from(JSON.stringify({broadcast_address: this.ctx.broadcastAddress(), hostname: hostname(), http_port: ports.http, tcp_port: ports.tcp, version: this.ctx.version}))
    const identify = command('IDENTIFY', [], body)
    let resp: Buffer
    try {
      resp = await this.roundTrip(identify)
    } catch (err) {
      this.ctx.log.error(`LOOKUPD(${this.addr}): ${identify.text} - ${(err as Error).message}`)
      throw err
    }
    const text = resp.toString('utf8')
    if (text.startsWith('E_')) {
      this.ctx.log.info(`LOOKUPD(${this.addr}): lookupd returned ${text}`)
      this.disconnect(new Error(text))
      throw new Error(`lookupd returned ${text}`)
    }
    let info: LookupdInfo
    try {
      const o = JSON.parse(text) as Partial<LookupdInfo>
      info = {tcp_port: Number(o.tcp_port ?? 0), http_port: Number(o.http_port ?? 0), version: String(o.version ?? ''), broadcast_address: String(o.broadcast_address ?? '')}
    } catch {
      this.ctx.log.error(`LOOKUPD(${this.addr}): parsing response - ${text}`)
      this.disconnect(new Error('bad IDENTIFY response'))
      throw new Error('parsing response')
    }
    this.info = info
    // Go's %+v of the peerInfo struct
    this.ctx.log.info(`LOOKUPD(${this.addr}): peer info {TCPPort:${info.tcp_port} HTTPPort:${info.http_port} Version:${info.version} BroadcastAddress:${info.broadcast_address}}`)
    if (info.broadcast_address === '') this.ctx.log.error(`LOOKUPD(${this.addr}): no broadcast address`)
    for (const [topic, channel] of this.ctx.registrations()) {
      const cmd = register(topic, channel)
      this.ctx.log.info(`LOOKUPD(${this.addr}): ${cmd.text}`)
      try {
        await this.roundTrip(cmd)
      } catch (err) {
        this.ctx.log.error(`LOOKUPD(${this.addr}): ${cmd.text} - ${(err as Error).message}`)
        throw err
      }
    }
  }

  private connect(): Promise<Socket> {
    const {host, port} = parseHostPort(this.addr)
    return new Promise((resolve, reject) => {
      const sock = netConnect({host, port, noDelay: true})
      const timer = this.ctx.clock.setTimeout(() => {
        sock.destroy()
        reject(new Error(`dial tcp ${this.addr}: i/o timeout`))
      }, DIAL_TIMEOUT_MS)
      sock.once('error', (err) => {
        timer.cancel()
        reject(new Error(`dial tcp ${this.addr}: ${err.message}`))
      })
      sock.once('connect', () => {
        timer.cancel()
        sock.removeAllListeners('error')
        this.sock = sock
        this.acc.clear()
        sock.on('data', (chunk: Buffer) => this.onData(chunk))
        sock.on('error', (err) => {
          if (this.sock === sock) this.disconnect(err)
        })
        sock.on('close', () => {
          if (this.sock === sock) this.disconnect(new Error('EOF'))
        })
        resolve(sock)
      })
    })
  }

  private roundTrip(cmd: Cmd): Promise<Buffer> {
    const sock = this.sock
    if (sock === null) return Promise.reject(new Error('not connected'))
    return new Promise((resolve, reject) => {
      const timer = this.ctx.clock.setTimeout(() => this.disconnect(new Error('i/o timeout')), IO_TIMEOUT_MS)
      this.waiting = {resolve, reject, timer}
      sock.write(cmd.bytes)
      this.onData(null)
    })
  }

  private onData(chunk: Buffer | null): void {
    if (chunk !== null) this.acc.push(chunk)
    const w = this.waiting
    if (w === null || this.acc.available < 4) return
    const size = this.acc.int32()
    if (size < 0 || size > this.ctx.maxBodySize) {
      this.disconnect(new Error(`response body size (${size}) is greater than limit (${this.ctx.maxBodySize})`))
      return
    }
    if (this.acc.available < 4 + size) return
    this.acc.skip(4)
    const body = Buffer.from(this.acc.take(size))
    this.waiting = null
    w.timer.cancel()
    w.resolve(body)
  }

  /** Drop the connection (nsqd's lookupPeer.Close); the next command reconnects. */
  private disconnect(err: Error): void {
    const sock = this.sock
    this.sock = null
    sock?.destroy()
    const w = this.waiting
    this.waiting = null
    if (w !== null) {
      w.timer.cancel()
      w.reject(err)
    }
  }
}

export class LookupdPeers {
  private peers: LookupPeer[] = []
  /** the PING ticker, running while there are peers */
  private ticker: Timer | null = null

  constructor(
    private readonly ctx: LookupdPeersContext,
    private readonly pingMs = PING_INTERVAL_MS,
  ) {}

  get addresses(): string[] {
    return this.peers.map((p) => p.addr)
  }

  /** The set of lookupd TCP addresses: new ones are added and connected at once, dropped ones closed. */
  setAddresses(addrs: readonly string[]): void {
    const keep: LookupPeer[] = []
    for (const p of this.peers) {
      if (addrs.includes(p.addr)) keep.push(p)
      else {
        this.ctx.log.info(`LOOKUP(${p.addr}): removing peer`)
        p.close()
      }
    }
    for (const a of addrs) {
      if (keep.some((p) => p.addr === a)) continue
      this.ctx.log.info(`LOOKUP(${a}): adding peer`)
      const p = new LookupPeer(a, this.ctx)
      p.send(null) // start the connection
      keep.push(p)
    }
    this.peers = keep
    if (keep.length > 0) this.ticker ??= this.ctx.clock.setInterval(() => this.ping(), this.pingMs)
    else {
      this.ticker?.cancel()
      this.ticker = null
    }
  }

  /** A topic (channel '') or channel was created (REGISTER) or deleted (UNREGISTER). */
  notify(topic: string, channel: string, exiting: boolean): void {
    const cmd = exiting ? unregister(topic, channel) : register(topic, channel)
    const branch = channel === '' ? 'topic' : 'channel'
    for (const p of this.peers) {
      this.ctx.log.info(`LOOKUPD(${p.addr}): ${branch} ${cmd.text}`)
      p.send(cmd)
    }
  }

  /** `host:port` of each lookupd's HTTP API, from the IDENTIFY answers of the peers connected so far. */
  httpAddresses(): string[] {
    const out: string[] = []
    for (const p of this.peers) if (p.info !== null) out.push(formatHostPort({host: p.info.broadcast_address, port: p.info.http_port}))
    return out
  }

  private ping(): void {
    const cmd = command('PING', [])
    for (const p of this.peers) {
      this.ctx.log.debug(`LOOKUPD(${p.addr}): sending heartbeat`)
      p.send(cmd)
    }
  }

  close(): void {
    this.ticker?.cancel()
    this.ticker = null
    for (const p of this.peers) p.close()
    this.peers = []
    this.ctx.log.info('LOOKUP: closing')
  }
}
