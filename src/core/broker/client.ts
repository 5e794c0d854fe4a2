/**
 * One TCP protocol V2 connection, over any Duplex (a socket, a TLS socket, or `duplexPair()`
 * in tests). It owns the connection state nsqd keeps in clientV2 and the bytes: the command
 * decoder on the way in, the output buffer on the way out.
 *
 * Output: frames are encoded straight into one 64 KiB chunk. Everything is flushed at the end
 * of the current I/O turn (the broker batches every client's flush into one setImmediate) or
 * when the chunk is full, so a burst of deliveries is one socket write per 64 KiB and a lone
 * message is never held back by a timer; output_buffer_size -1 (no buffering) writes each
 * message frame at once. While the
 * socket is backed up (write() returned false) the client is not ready for messages and its
 * input is paused, so a peer that stops reading cannot make the broker buffer without bound.
 */
import type {Duplex} from 'node:stream'
import {
  CommandDecoder,
  FrameType,
  FRAME_HEADER_SIZE,
  MAGIC_V2,
  ProtocolError,
  messageFrameSize,
  writeFrameHeader,
  writeMessageFrame,
} from '../protocol/index.js'
import type {Channel, Consumer} from './channel.js'
import type {BrokerMessage} from './message.js'
import type {BrokerContext} from './context.js'
import {formatDuration} from '../util/duration.js'
import {splitHostPort} from '../util/hostport.js'
import {execCommand, checkLine, checkSize} from './protocol-v2.js'

/** nsqd's client states, as /stats reports them */
export const ClientState = {
  Init: 0,
  Disconnected: 1,
  Connected: 2,
  Subscribed: 3,
  Closing: 4,
} as const

const OUT_CHUNK = 64 * 1024
const HEARTBEAT_FRAME = (() => {
  const data = Buffer.from('_heartbeat_')
  const b = Buffer.allocUnsafe(FRAME_HEADER_SIZE + data.length)
  writeFrameHeader(b, 0, FrameType.Response, data.length)
  data.copy(b, FRAME_HEADER_SIZE)
  return b
})()

export interface ClientInfo {
  remoteAddress: string
  /** the broker's end of the connection (named in nsqd's read-timeout error) */
  localAddress?: string
}

/** How far the connection got: reading the magic, in the command loop, or refused at the magic. */
type Phase = 'magic' | 'ioloop' | 'rejected'

export class ClientV2 implements Consumer {
  state: number = ClientState.Init
  clientId: string
  hostname: string
  userAgent = ''
  heartbeatInterval: number
  msgTimeout: number
  outputBufferSize = 16 * 1024
  outputBufferTimeout: number
  sampleRate = 0
  deflate = false
  snappy = false
  tls = false
  readyCount = 0
  inFlightCount = 0
  messageCount = 0
  finishCount = 0
  requeueCount = 0
  readonly connectTs: number
  readonly pubCounts = new Map<string, number>()
  channel: Channel | null = null

  private readonly decoder: CommandDecoder
  private magic: Buffer | null = Buffer.alloc(0)
  private phase: Phase = 'magic'
  private out: Buffer = Buffer.allocUnsafe(OUT_CHUNK)
  private outStart = 0
  private outEnd = 0
  private blocked = false
  private closed = false
  private heartbeatTimer: NodeJS.Timeout | null = null
  /** the read deadline: 2 × heartbeat after the last bytes read (refreshed per chunk) */
  private readTimer: NodeJS.Timeout | null = null
  private flushScheduled = false

  constructor(
    readonly id: number,
    readonly stream: Duplex,
    readonly ctx: BrokerContext,
    readonly info: ClientInfo,
  ) {
    const o = ctx.opts
    const host = hostOf(info.remoteAddress)
    this.clientId = host
    this.hostname = host
    this.heartbeatInterval = o.clientTimeout / 2
    this.msgTimeout = o.msgTimeout
    this.outputBufferTimeout = o.outputBufferTimeout
    this.connectTs = Math.floor(ctx.now() / 1000)
    this.decoder = new CommandDecoder({
      checkLine: (name, params) => checkLine(this, name, params),
      checkSize: (name, params, size) => checkSize(this, name, params, size),
    })
    stream.on('data', (chunk: Buffer) => this.onData(chunk))
    stream.on('drain', () => {
      this.blocked = false
      stream.resume()
      this.channel?.dispatch()
    })
    stream.on('end', () => this.end())
    stream.on('close', () => this.destroy())
    stream.on('error', (err: NodeJS.ErrnoException) => {
      // nsqd's wording for a failed read or write in its command loop
      this.destroy(`${err.syscall === 'write' ? 'failed to send response' : 'failed to read command'} - ${err.message}`)
    })
    this.startHeartbeat()
  }

  get ready(): boolean {
    return this.state === ClientState.Subscribed && this.inFlightCount < this.readyCount && !this.blocked
  }

  get isProducer(): boolean {
    return this.pubCounts.size > 0
  }

  // ---- input ---------------------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.closed) return
    this.readTimer?.refresh()
    if (this.magic !== null) {
      const have = Buffer.concat([this.magic, chunk])
      if (have.length < 4) {
        this.magic = have
        return
      }
      this.magic = null
      const magic = have.toString('latin1', 0, 4)
      this.ctx.log.info(`CLIENT(${this.info.remoteAddress}): desired protocol magic '${magic}'`)
      if (!have.subarray(0, 4).equals(MAGIC_V2)) {
        this.phase = 'rejected'
        this.ctx.log.error(`client(${this.info.remoteAddress}) bad protocol magic '${magic}'`)
        this.fail(new ProtocolError('E_BAD_PROTOCOL', ''))
        return
      }
      this.phase = 'ioloop'
      chunk = have.subarray(4)
    }
    this.decoder.push(chunk)
    for (;;) {
      let cmd
      try {
        cmd = this.decoder.next()
        if (cmd === undefined) return
        // nsqd logs every command at debug as Go prints its [][]byte params: [SUB topic channel]
        if (this.ctx.log.level === 'debug') this.ctx.log.debug(`PROTOCOL(V2): [${this.info.remoteAddress}] [${cmd.params.join(' ')}]`)
        const response = execCommand(this, cmd)
        if (response !== null) this.sendResponse(response)
      } catch (err) {
        if (!(err instanceof ProtocolError)) {
          // a defect, not the client's fault: drop this client, keep serving the others
          this.ctx.log.error(`[${this.info.remoteAddress}] internal error, closing: ${(err as Error).stack ?? String(err)}`)
          this.destroy(`internal error - ${(err as Error).message}`)
          return
        }
        this.ctx.log.error(`[${this.info.remoteAddress}] - ${err.message}`)
        if (err.fatal) {
          this.fail(err)
          return
        }
        this.sendFrame(FrameType.Error, err.frameText())
      }
      if (this.closed) return
    }
  }

  // ---- output --------------------------------------------------------------------------

  private reserve(n: number): void {
    if (this.outEnd + n <= this.out.length) return
    this.flush()
    this.out = Buffer.allocUnsafe(Math.max(OUT_CHUNK, n))
    this.outStart = 0
    this.outEnd = 0
  }

  /**
   * Queue one frame. Strings are UTF-8, except error texts: those are byte strings (they echo
   * the client's bytes, as nsqd does), written as latin1.
   */
  sendFrame(type: number, data: string | Buffer): void {
    if (this.closed) return
    const enc: BufferEncoding = type === FrameType.Error ? 'latin1' : 'utf8'
    const len = typeof data === 'string' ? Buffer.byteLength(data, enc) : data.length
    this.reserve(FRAME_HEADER_SIZE + len)
    const o = writeFrameHeader(this.out, this.outEnd, type as FrameType, len)
    this.outEnd = o + (typeof data === 'string' ? this.out.write(data, o, enc) : data.copy(this.out, o))
    this.scheduleFlush()
  }

  sendResponse(data: string | Buffer): void {
    this.sendFrame(FrameType.Response, data)
  }

  /** Consumer.deliver: the channel has put `msg` in flight for us. */
  deliver(msg: BrokerMessage): void {
    this.inFlightCount++
    this.messageCount++
    const size = messageFrameSize(msg.body.length)
    this.reserve(size)
    this.outEnd = writeMessageFrame(this.out, this.outEnd, msg.tsHigh, msg.tsLow, msg.attempts, msg.id, msg.body)
    // output_buffer_size -1 (size 1) writes every frame at once; any other size is buffered up
    // to the end of this I/O turn or a full 64 KiB chunk, which is never later than nsqd's timer
    if (this.outputBufferSize <= 1) this.flush()
    else this.scheduleFlush()
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    this.ctx.scheduleFlush(this)
  }

  /** Write what is buffered. */
  flush(): void {
    this.flushScheduled = false
    if (this.outEnd === this.outStart || this.closed) return
    const chunk = this.out.subarray(this.outStart, this.outEnd)
    this.outStart = this.outEnd
    if (!this.stream.write(chunk)) {
      // the peer is not reading: no more messages, and (as nsqd, blocked on its write) no more
      // commands read from it until the socket drains, so its output cannot grow without bound
      this.blocked = true
      this.stream.pause()
    }
  }

  // ---- Consumer --------------------------------------------------------------------------

  timedOut(): void {
    if (this.inFlightCount > 0) this.inFlightCount--
    this.channel?.dispatch()
  }

  emptied(): void {
    this.inFlightCount = 0
  }

  close(): void {
    this.end()
  }

  // ---- heartbeats and lifetime -----------------------------------------------------------

  /** (Re)start the heartbeat ticker and the read deadline for the current interval. */
  startHeartbeat(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer)
    if (this.readTimer) clearTimeout(this.readTimer)
    this.heartbeatTimer = null
    this.readTimer = null
    if (this.heartbeatInterval <= 0 || this.closed) return
    this.heartbeatTimer = setInterval(() => this.heartbeat(), this.heartbeatInterval)
    this.heartbeatTimer.unref()
    this.readTimer = setTimeout(() => {
      // nsqd's read deadline is 2 x heartbeat; Go reports it as `read tcp LOCAL->REMOTE: i/o timeout`
      const conn = this.info.localAddress === undefined ? '' : ` tcp ${this.info.localAddress}->${this.info.remoteAddress}`
      this.destroy(`failed to read command - read${conn}: i/o timeout (no data for ${formatDuration(2 * this.heartbeatInterval)})`)
    }, 2 * this.heartbeatInterval)
    this.readTimer.unref()
  }

  private heartbeat(): void {
    if (this.closed) return
    this.reserve(HEARTBEAT_FRAME.length)
    this.outEnd += HEARTBEAT_FRAME.copy(this.out, this.outEnd)
    this.flush()
  }

  /** Send a fatal error, then close. */
  fail(err: ProtocolError): void {
    this.sendFrame(FrameType.Error, err.frameText())
    this.end(err.message)
  }

  /**
   * Flush, half-close, and forget the client; the socket is destroyed if the peer lingers.
   * `reason`: why, when it is not the peer closing its end (logged as nsqd does).
   */
  end(reason: string | null = null): void {
    if (this.closed) return
    this.flush()
    this.cleanup(reason)
    this.stream.end()
    const t = setTimeout(() => this.stream.destroy(), 2000)
    t.unref?.()
  }

  destroy(reason: string | null = null): void {
    if (!this.closed) this.cleanup(reason)
    this.stream.destroy()
  }

  /** nsqd's lines when a connection ends: `exiting ioloop`, then the error that ended it, if any. */
  private logExit(reason: string | null): void {
    const log = this.ctx.log
    const addr = this.info.remoteAddress
    if (this.phase === 'magic') log.error(`failed to read protocol version - ${reason ?? 'EOF'}`)
    else if (this.phase === 'ioloop') {
      log.info(`PROTOCOL(V2): [${addr}] exiting ioloop`)
      if (reason !== null) log.error(`client(${addr}) - ${reason}`)
    }
  }

  private cleanup(reason: string | null): void {
    this.logExit(reason)
    this.closed = true
    this.state = ClientState.Disconnected
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer)
    if (this.readTimer) clearTimeout(this.readTimer)
    this.heartbeatTimer = null
    this.readTimer = null
    const ch = this.channel
    if (ch) ch.removeConsumer(this)
    this.ctx.removeClient(this)
  }
}

/** The host of a remote address (`[::1]:5555` → `::1`); '' when it has none, as nsqd ignores SplitHostPort's error. */
function hostOf(addr: string): string {
  try {
    return splitHostPort(addr).host
  } catch {
    return ''
  }
}

/** The port of a remote address, as text; '' when it has none. */
export function portOf(addr: string): string {
  try {
    return splitHostPort(addr).port
  } catch {
    return ''
  }
}
