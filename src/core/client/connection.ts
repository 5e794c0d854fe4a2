/**
 * One client connection to an nsqd (NSQ-SPEC §4.2, go-nsq conn.go), shared by Producer and
 * Consumer. It owns the socket and the bytes; its owner hears about frames through a narrow
 * delegate (docs/ARCHITECTURE.md, "Seams"):
 *
 *   connect(): dial (dial_timeout) → "  V2" → IDENTIFY (feature_negotiation) → read the answer
 *              (JSON or OK, within read_timeout) → AUTH if the broker requires it
 *   then:      message frames → delegate.message, responses → delegate.response,
 *              error frames → delegate.error, `_heartbeat_` → NOP (and delegate.heartbeat),
 *              socket closed → delegate.close (once)
 *
 * Reads have a read_timeout deadline (2 heartbeats by default, so a dead broker is noticed);
 * a socket that backs up must drain within write_timeout.
 * Writes are encoded into one output slab and leave as one socket write once the event loop's
 * I/O callbacks of this turn have run (setImmediate; or when 64 KiB are pending): a burst of
 * FINs is one syscall and no Buffer or stream write per command — also when the FINs come from
 * many separate I/O events, as to-http's, where each HTTP answer finishes one message
 * (measured: flushing at the end of each tick instead wrote one FIN per syscall there, and
 * to-http spent ~15% more CPU per message).
 *
 * Transport seam: the socket is made by `dial` (plain TCP by default); asking for TLS, snappy
 * or deflate is refused before dialling. Writes go through `this.stream`, but the read, error
 * and close listeners are bound once, in connect(), to the stream `dial` returned: swapping
 * `this.stream` alone would not move them. The upgrade after IDENTIFY (issue 10) must rebind
 * them to the new layer and hand it the bytes the decoder already holds past the IDENTIFY
 * answer (docs/ARCHITECTURE.md, "Seams").
 */
import {Socket, connect as netConnect} from 'node:net'
import type {Duplex} from 'node:stream'
import {
  FrameDecoder,
  FrameError,
  FrameType,
  MAGIC_V2,
  FIN_SIZE,
  MESSAGE_HEADER_SIZE,
  OutputSlab,
  auth as authCmd,
  identify,
  nop,
  writeFin,
  type Command,
  type Frame,
  type IdentifyResponse,
} from '../protocol/index.js'
import {parseHostPort} from '../util/hostport.js'
import {silentLogger, type Logger} from '../util/logger.js'
import {BadResponseError, ConnectionRefusedError, NotConnectedError, ProtocolResponseError, TimeoutError} from './errors.js'
import {assertSupported, type ClientConfig} from './options.js'

export interface ConnectionDelegate {
  /** a message frame's payload (decodeMessage's input; a view the owner may keep) */
  message(conn: Connection, data: Buffer): void
  response(conn: Connection, data: Buffer): void
  error(conn: Connection, err: ProtocolResponseError): void
  heartbeat?(conn: Connection): void
  /** the socket closed; `err` says why when it was not asked for */
  close(conn: Connection, err: Error | null): void
}

export type Dialer = (host: string, port: number, config: ClientConfig) => Promise<Duplex>

export interface ConnectionDeps {
  logger?: Logger
  /** how the byte stream is made; plain TCP by default */
  dial?: Dialer
}

export type ConnectionState = 'init' | 'connecting' | 'connected' | 'closing' | 'closed'

const NOP = nop().encode()
const OUT_CHUNK = 64 * 1024

/** Plain TCP with dial_timeout, local_addr and TCP_NODELAY. */
export const dialTcp: Dialer = (host, port, config) =>
  new Promise((resolve, reject) => {
    const addr = `${host}:${port}`
    const local = config.local_addr ? parseHostPort(config.local_addr) : null
    const sock = netConnect({host, port, noDelay: true, ...(local ? {localAddress: local.host, localPort: local.port || undefined} : {})})
    const timer = config.dial_timeout > 0 ? setTimeout(() => fail(new TimeoutError('dial', addr)), config.dial_timeout) : null
    const fail = (err: Error): void => {
      if (timer) clearTimeout(timer)
      sock.destroy()
      reject(err)
    }
    sock.once('error', (err: NodeJS.ErrnoException) => {
      fail(err.code === 'ECONNREFUSED' || err.code === 'ECONNRESET' ? new ConnectionRefusedError(addr, err) : new NotConnectedError(addr, `cannot connect: ${err.message}`))
    })
    sock.once('connect', () => {
      if (timer) clearTimeout(timer)
      sock.removeAllListeners('error')
      resolve(sock)
    })
  })

export class Connection {
  state: ConnectionState = 'init'
  /** the broker's IDENTIFY answer (null when it answered a plain OK) */
  identity: IdentifyResponse | null = null
  /** the broker's max RDY (2500 unless IDENTIFY said otherwise) */
  maxRdyCount = 2500
  private stream: Duplex | null = null
  private readonly decoder = new FrameDecoder()
  /** what was written since the last flush (created at the handshake's end) */
  private out: OutputSlab | null = null
  private flushQueued = false
  private readonly flushNow = (): void => {
    this.flushQueued = false
    this.out?.flush()
  }
  private closeErr: Error | null = null
  private handshake: {resolve: (f: Frame) => void; reject: (e: Error) => void} | null = null
  private readTimer: NodeJS.Timeout | null = null
  private writeTimer: NodeJS.Timeout | null = null
  private readonly log: Logger
  private readonly dial: Dialer
  readonly host: string
  readonly port: number

  constructor(
    readonly addr: string,
    readonly config: ClientConfig,
    private readonly delegate: ConnectionDelegate,
    deps: ConnectionDeps = {},
  ) {
    const hp = parseHostPort(addr)
    this.host = hp.host
    this.port = hp.port
    this.log = deps.logger ?? silentLogger
    this.dial = deps.dial ?? dialTcp
  }

  get connected(): boolean {
    return this.state === 'connected'
  }

  /** Dial, handshake, IDENTIFY (and AUTH). Rejects with a NsqClientError; the socket is closed then. */
  async connect(): Promise<void> {
    if (this.state !== 'init') throw new NotConnectedError(this.addr, `connection is ${this.state}`)
    const c = this.config
    // TLS, snappy and deflate: refused before dialling (a ConfigError naming the option)
    assertSupported(c)
    this.state = 'connecting'
    let stream: Duplex
    try {
      stream = await this.dial(this.host, this.port, c)
    } catch (err) {
      this.state = 'closed'
      throw err
    }
    this.stream = stream
    // a read deadline, pushed back by what is read only (a socket's idle timeout would also be
    // pushed back by our own writes, so a producer publishing to a frozen broker never timed out)
    if (c.read_timeout > 0) {
      this.readTimer = setTimeout(() => {
        this.closeErr ??= new TimeoutError('read', this.addr)
        stream.destroy()
      }, c.read_timeout)
      this.readTimer.unref()
    }
    stream.on('data', (chunk: Buffer) => {
      this.readTimer?.refresh()
      this.onData(chunk)
    })
    stream.on('error', (err: Error) => {
      this.closeErr ??= err
    })
    stream.on('close', () => this.onClose())
    try {
      stream.write(MAGIC_V2)
      stream.write(
        identify({
          client_id: c.client_id,
          hostname: c.hostname,
          user_agent: c.user_agent,
          short_id: c.client_id,
          long_id: c.hostname,
          tls_v1: c.tls_v1,
          deflate: c.deflate,
          deflate_level: c.deflate_level,
          snappy: c.snappy,
          feature_negotiation: true,
          heartbeat_interval: c.heartbeat_interval,
          sample_rate: c.sample_rate,
          output_buffer_size: c.output_buffer_size,
          output_buffer_timeout: c.output_buffer_timeout,
          msg_timeout: c.msg_timeout,
        }).encode(),
      )
      const f = await this.nextHandshakeFrame()
      if (f.data[0] === 0x7b) {
        try {
          this.identity = JSON.parse(f.data.toString('utf8')) as IdentifyResponse
        } catch {
          throw new BadResponseError(this.addr, 'IDENTIFY answer is not JSON')
        }
        if (this.identity.max_rdy_count > 0) this.maxRdyCount = this.identity.max_rdy_count
        if (this.identity.auth_required) {
          if (!c.auth_secret) throw new ProtocolResponseError('E_AUTH_REQUIRED', 'Auth Required', this.addr)
          stream.write(authCmd(c.auth_secret).encode())
          await this.nextHandshakeFrame()
        }
      }
      this.state = 'connected'
      // frames that came in the same read as the IDENTIFY answer wait for the owner to be ready
      setImmediate(() => this.drain())
      this.log.debug(`(${this.addr}) connected: ${f.data.toString('utf8')}`)
    } catch (err) {
      this.closeErr ??= err as Error
      stream.destroy()
      this.state = 'closed'
      throw err
    }
  }

  /** The next non-heartbeat frame during the handshake; an error frame rejects. */
  private nextHandshakeFrame(): Promise<Frame> {
    return new Promise((resolve, reject) => {
      this.handshake = {resolve, reject}
      this.drain()
    })
  }

  private onData(chunk: Buffer): void {
    this.decoder.push(chunk)
    this.drain()
  }

  private drain(): void {
    let f: Frame | undefined
    try {
      while ((f = this.decoder.next()) !== undefined) {
        if (f.type === FrameType.Response && f.data.length === 11 && f.data.toString('latin1') === '_heartbeat_') {
          this.write(NOP)
          this.delegate.heartbeat?.(this)
          continue
        }
        const hs = this.handshake
        if (hs !== null) {
          this.handshake = null
          if (f.type === FrameType.Error) hs.reject(ProtocolResponseError.fromFrame(f.data, this.addr))
          else if (f.type === FrameType.Message) hs.reject(new BadResponseError(this.addr, 'message before IDENTIFY finished'))
          else hs.resolve(f)
          if (this.state !== 'connected') return // the handshake continues from connect()
          continue
        }
        if (this.state !== 'connected' && this.state !== 'closing') return
        if (f.type === FrameType.Message) {
          if (f.data.length < MESSAGE_HEADER_SIZE) throw new FrameError(`message frame too short (${f.data.length} bytes)`)
          this.delegate.message(this, f.data)
        } else if (f.type === FrameType.Response) this.delegate.response(this, f.data)
        else this.delegate.error(this, ProtocolResponseError.fromFrame(f.data, this.addr))
      }
    } catch (err) {
      // a framing error: this peer is not speaking NSQ
      this.closeErr ??= new BadResponseError(this.addr, (err as Error).message)
      this.stream?.destroy()
    }
  }

  private onClose(): void {
    if (this.state === 'closed' && this.stream === null) return
    const wasConnected = this.state === 'connected' || this.state === 'closing'
    if (this.readTimer) clearTimeout(this.readTimer)
    if (this.writeTimer) clearTimeout(this.writeTimer)
    this.readTimer = null
    this.writeTimer = null
    this.state = 'closed'
    this.stream = null
    const err = this.closeErr
    if (this.handshake) {
      const hs = this.handshake
      this.handshake = null
      hs.reject(err ?? new NotConnectedError(this.addr, 'connection closed during the handshake'))
    }
    if (wasConnected) this.delegate.close(this, err)
  }

  /** Queue a command (or raw bytes); writes of one event-loop turn go out together. */
  write(cmd: Command | Buffer): void {
    const out = this.slab()
    if (Buffer.isBuffer(cmd)) out.append(cmd)
    else {
      out.reserve(cmd.byteLength)
      out.end = cmd.encodeInto(out.buf, out.end)
    }
  }

  /** FIN the message whose frame payload is `data` (its id copied from the frame, no string made). */
  writeFin(data: Buffer): void {
    const out = this.slab()
    out.reserve(FIN_SIZE)
    out.end = writeFin(out.buf, out.end, data)
  }

  /** The output slab, its flush queued for after this turn's I/O callbacks. */
  private slab(): OutputSlab {
    const s = this.stream
    if (s === null || s.destroyed) throw new NotConnectedError(this.addr)
    const out = (this.out ??= new OutputSlab((chunk) => this.send(chunk), OUT_CHUNK))
    if (!this.flushQueued) {
      this.flushQueued = true
      setImmediate(this.flushNow)
    }
    return out
  }

  /** The slab's sink: one socket write (a socket copies the bytes out: the slab is reused). */
  private send(chunk: Buffer): void {
    const s = this.stream
    if (s === null || s.destroyed) return
    const out = this.out
    const ok = s instanceof Socket && out !== null ? s.write(chunk, () => out.written(chunk)) : s.write(chunk)
    if (!ok && this.writeTimer === null && this.config.write_timeout > 0) {
      // the socket is backed up: it must drain within write_timeout (go-nsq's write deadline)
      this.writeTimer = setTimeout(() => {
        this.closeErr ??= new TimeoutError('write', this.addr)
        s.destroy()
      }, this.config.write_timeout)
      this.writeTimer.unref()
      s.once('drain', () => {
        if (this.writeTimer) clearTimeout(this.writeTimer)
        this.writeTimer = null
      })
    }
  }

  /**
   * Close: what was written goes out first (half-close), the socket is destroyed if the
   * broker has not closed its side within `graceMs`. The delegate's close() follows.
   */
  close(graceMs = 1000): void {
    const s = this.stream
    if (s === null) {
      this.state = 'closed'
      return
    }
    if (this.state === 'connected') this.state = 'closing'
    this.out?.flush()
    s.end()
    const t = setTimeout(() => s.destroy(), graceMs)
    t.unref()
    s.once('close', () => clearTimeout(t))
  }

  /** Close at once, dropping anything not yet written. */
  destroy(err?: Error): void {
    if (err) this.closeErr ??= err
    this.stream?.destroy()
  }
}
