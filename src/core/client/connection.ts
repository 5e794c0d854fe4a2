/**
 * One client connection to an nsqd (NSQ-SPEC §4.2, go-nsq conn.go), shared by Producer and
 * Consumer. It owns the socket and the bytes; its owner hears about frames through a narrow
 * delegate (docs/ARCHITECTURE.md, "Seams"):
 *
 *   connect(): dial (dial_timeout) → "  V2" → IDENTIFY (feature_negotiation) → read the answer
 *              (JSON or OK, within read_timeout) → TLS (tls_v1) and its OK → AUTH if the
 *              broker requires it
 *   then:      message frames → delegate.message, responses → delegate.response,
 *              error frames → delegate.error, `_heartbeat_` → NOP (and delegate.heartbeat),
 *              socket closed → delegate.close (once)
 *
 * Reads have a read_timeout deadline (2 heartbeats by default, so a dead broker is noticed);
 * a socket that backs up must drain within write_timeout.
 * Writes are encoded into one output slab and leave as one socket write once the event loop's
 * I/O callbacks of this turn have run (setImmediate; a command that leaves 4 KiB or more pending,
 * a full MPUB say, goes at once: FLUSH_AT): a burst of
 * FINs is one syscall and no Buffer or stream write per command — also when the FINs come from
 * many separate I/O events, as to-http's, where each HTTP answer finishes one message
 * (measured: flushing at the end of each tick instead wrote one FIN per syscall there, and
 * to-http spent ~15% more CPU per message).
 *
 * Transport: the socket is made by `dial` (plain TCP by default) and read and written through
 * a Wire (transport/wire.ts). With tls_v1, the IDENTIFY answer must say tls_v1 too: the wire
 * is then wrapped in TLS (the bytes the decoder held past the answer go to the TLS layer) and
 * the broker's OK read over it. A broker that does not agree to TLS fails the connection, loudly
 * (go-nsq and nsqjs would go on in plain text). Then deflate or snappy, when asked for and
 * granted: the wire gets the codec (loaded then, not at start-up) and the OK is read through it.
 */
import {connect as netConnect} from 'node:net'
import {TLSSocket} from 'node:tls'
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
import {readFileSync} from 'node:fs'
import {secureVersion, upgradeToTlsClient, type TlsClientSettings} from '../transport/tls.js'
import {Wire} from '../transport/wire.js'
import {parseHostPort} from '../util/hostport.js'
import {silentLogger, type Logger} from '../util/logger.js'
import {BadResponseError, ConfigError, ConnectionRefusedError, NotConnectedError, ProtocolResponseError, TimeoutError} from './errors.js'
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
/**
 * Pending bytes that go out at once instead of at the turn's end: a full MPUB, or a big burst of
 * FINs, gains nothing by waiting — written now, the broker works on it while this process
 * encodes the next (relay at max-in-flight 200: batches of 50 flushed as they fill overlap the
 * three processes, ~175k → ~210k msgs/s, where batches left to the turn's end went in turn)
 */
const FLUSH_AT = 4096

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
  private wire: Wire | null = null
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
    // snappy with deflate, a tls_* setting without tls_v1: refused before dialling (a ConfigError
    // naming the option); so is a TLS file that cannot be read
    assertSupported(c)
    const tls = c.tls_v1 ? tlsSettings(c, this.host) : null
    this.state = 'connecting'
    let stream: Duplex
    try {
      stream = await this.dial(this.host, this.port, c)
    } catch (err) {
      this.state = 'closed'
      throw err
    }
    const wire = new Wire(stream, {
      data: (chunk) => {
        this.readTimer?.refresh()
        this.onData(chunk)
      },
      drain: () => {
        if (this.writeTimer) clearTimeout(this.writeTimer)
        this.writeTimer = null
      },
      end: () => undefined,
      close: () => this.onClose(),
      error: (err) => {
        this.closeErr ??= err
      },
    })
    this.wire = wire
    // a read deadline, pushed back by what is read only (a socket's idle timeout would also be
    // pushed back by our own writes, so a producer publishing to a frozen broker never timed out)
    if (c.read_timeout > 0) {
      this.readTimer = setTimeout(() => {
        this.closeErr ??= new TimeoutError('read', this.addr)
        wire.destroy()
      }, c.read_timeout)
      this.readTimer.unref()
    }
    try {
      wire.write(MAGIC_V2)
      wire.write(
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
      }
      if (tls !== null) {
        // asked for TLS: never on in plain text
        if (this.identity?.tls_v1 !== true) throw new NotConnectedError(this.addr, 'nsqd did not agree to TLS (tls_v1 is set): not connecting in plain text')
        await upgradeToTlsClient(wire, tls, this.decoder.takeRest()).catch((err: unknown) => {
          throw new NotConnectedError(this.addr, `TLS handshake failed: ${(err as Error).message}`)
        })
        const ok = await this.nextHandshakeFrame()
        if (ok.data.toString('latin1') !== 'OK') throw new BadResponseError(this.addr, 'invalid response from TLS upgrade')
      }
      // go-nsq's order: deflate, then snappy (a broker grants one at most); a broker that does not
      // agree to compression is used without it, as go-nsq does
      const codec = this.identity?.deflate === true && c.deflate ? 'deflate' : this.identity?.snappy === true && c.snappy ? 'snappy' : null
      if (codec !== null) {
        const make = codec === 'deflate' ? (await import('../transport/deflate.js')).deflateCodec(this.identity?.deflate_level || c.deflate_level) : (await import('../transport/snappy.js')).snappyCodec()
        wire.addCodec(make, this.decoder.takeRest())
        const ok = await this.nextHandshakeFrame()
        if (ok.data.toString('latin1') !== 'OK') throw new BadResponseError(this.addr, `invalid response from ${codec} upgrade`)
      }
      if (this.identity?.auth_required) {
        if (!c.auth_secret) throw new ProtocolResponseError('E_AUTH_REQUIRED', 'Auth Required', this.addr)
        wire.write(authCmd(c.auth_secret).encode())
        const auth = await this.nextHandshakeFrame()
        // go-nsq: {"identity", "identity_url", "permission_count"}, logged (at debug, as the connect line)
        let granted: {identity?: unknown; identity_url?: unknown; permission_count?: unknown}
        try {
          granted = JSON.parse(auth.data.toString('utf8')) as typeof granted
        } catch {
          throw new BadResponseError(this.addr, 'AUTH answer is not JSON')
        }
        this.log.debug(`(${this.addr}) Auth accepted. Identity: ${JSON.stringify(String(granted.identity ?? ''))} ${String(granted.identity_url ?? '')} Permissions: ${String(granted.permission_count ?? 0)}`)
      }
      this.state = 'connected'
      // frames that came in the same read as the IDENTIFY answer wait for the owner to be ready
      setImmediate(() => this.drain())
      this.log.debug(`(${this.addr}) connected: ${f.data.toString('utf8')}`)
    } catch (err) {
      this.closeErr ??= err as Error
      wire.destroy()
      this.state = 'closed'
      throw err
    }
  }

  /** Is the connection encrypted (TLS negotiated)? */
  get tls(): boolean {
    return this.wire?.current instanceof TLSSocket
  }

  /** The compression in effect: 'deflate', 'snappy' or null. */
  get compression(): string | null {
    return this.wire?.codecName ?? null
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
      for (;;) {
        // between handshake steps no frame is taken: it waits for the next step (or the owner)
        if (this.handshake === null && this.state !== 'connected' && this.state !== 'closing') return
        if ((f = this.decoder.next()) === undefined) return
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
      this.wire?.destroy()
    }
  }

  private onClose(): void {
    if (this.state === 'closed' && this.wire === null) return
    const wasConnected = this.state === 'connected' || this.state === 'closing'
    if (this.readTimer) clearTimeout(this.readTimer)
    if (this.writeTimer) clearTimeout(this.writeTimer)
    this.readTimer = null
    this.writeTimer = null
    this.state = 'closed'
    this.wire = null
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
    if (out.pending >= FLUSH_AT) out.flush()
  }

  /** FIN the message whose frame payload is `data` (its id copied from the frame, no string made). */
  writeFin(data: Buffer): void {
    const out = this.slab()
    out.reserve(FIN_SIZE)
    out.end = writeFin(out.buf, out.end, data)
  }

  /** The output slab, its flush queued for after this turn's I/O callbacks. */
  private slab(): OutputSlab {
    const s = this.wire
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
    const s = this.wire
    if (s === null || s.destroyed) return
    const out = this.out
    const ok = s.reusable && out !== null ? s.write(chunk, () => out.written(chunk)) : s.write(chunk)
    if (!ok && this.writeTimer === null && this.config.write_timeout > 0) {
      // the socket is backed up: it must drain within write_timeout (go-nsq's write deadline;
      // the wire's drain clears it)
      this.writeTimer = setTimeout(() => {
        this.closeErr ??= new TimeoutError('write', this.addr)
        s.destroy()
      }, this.config.write_timeout)
      this.writeTimer.unref()
    }
  }

  /**
   * Close: what was written goes out first (half-close), the socket is destroyed if the
   * broker has not closed its side within `graceMs`. The delegate's close() follows.
   */
  close(graceMs = 1000): void {
    const s = this.wire
    if (s === null) {
      this.state = 'closed'
      return
    }
    if (this.state === 'connected') this.state = 'closing'
    this.out?.flush()
    s.end()
    const t = setTimeout(() => s.destroy(), graceMs)
    t.unref()
    s.current.once('close', () => clearTimeout(t))
  }

  /** Close at once, dropping anything not yet written. */
  destroy(err?: Error): void {
    if (err) this.closeErr ??= err
    this.wire?.destroy()
  }
}

/** go-nsq's TLS settings from the tls_* keys; a file that cannot be read is a ConfigError naming its key. */
function tlsSettings(c: ClientConfig, host: string): TlsClientSettings {
  const file = (key: 'tls_root_ca_file' | 'tls_cert' | 'tls_key'): Buffer | undefined => {
    const path = c[key]
    if (path === '') return undefined
    try {
      return readFileSync(path)
    } catch (err) {
      throw new ConfigError(key, `${key}: cannot read ${path}: ${(err as Error).message}`)
    }
  }
  return {
    host,
    ca: file('tls_root_ca_file'),
    cert: file('tls_cert'),
    key: file('tls_key'),
    verify: !c.tls_insecure_skip_verify,
    minVersion: c.tls_min_version === '' ? undefined : secureVersion(c.tls_min_version),
  }
}
