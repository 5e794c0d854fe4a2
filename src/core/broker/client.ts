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
}

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
    stream.on('error', (err: Error) => {
      ctx.log.debug(`[${this.info.remoteAddress}] connection error: ${err.message}`)
      this.destroy()
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
      if (!have.subarray(0, 4).equals(MAGIC_V2)) {
        this.ctx.log.error(`client(${this.info.remoteAddress}) bad protocol magic '${have.toString('latin1', 0, 4)}'`)
        this.fail(new ProtocolError('E_BAD_PROTOCOL', ''))
        return
      }
      chunk = have.subarray(4)
    }
    this.decoder.push(chunk)
    for (;;) {
      let cmd
      try {
        cmd = this.decoder.next()
        if (cmd === undefined) return
        const response = execCommand(this, cmd)
        if (response !== null) this.sendResponse(response)
      } catch (err) {
        if (!(err instanceof ProtocolError)) {
          // a defect, not the client's fault: drop this client, keep serving the others
          this.ctx.log.error(`[${this.info.remoteAddress}] internal error, closing: ${(err as Error).stack ?? String(err)}`)
          this.destroy()
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
      this.ctx.log.error(`[${this.info.remoteAddress}] IO error - no data for ${2 * this.heartbeatInterval}ms (2 x heartbeat), closing`)
      this.destroy()
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
    this.end()
  }

  /** Flush, half-close, and forget the client; the socket is destroyed if the peer lingers. */
  end(): void {
    if (this.closed) return
    this.flush()
    this.cleanup()
    this.stream.end()
    const t = setTimeout(() => this.stream.destroy(), 2000)
    t.unref?.()
  }

  destroy(): void {
    if (!this.closed) this.cleanup()
    this.stream.destroy()
  }

  private cleanup(): void {
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

function hostOf(addr: string): string {
  const i = addr.lastIndexOf(':')
  return i >= 0 ? addr.slice(0, i) : addr
}

export function portOf(addr: string): string {
  const i = addr.lastIndexOf(':')
  return i >= 0 ? addr.slice(i + 1) : ''
}
