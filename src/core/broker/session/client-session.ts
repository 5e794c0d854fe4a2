/**
 * One client's protocol V2 session on the broker, over any Duplex (a socket, or `duplexPair()`
 * in tests) through a Wire (transport/wire.ts), which a TLS upgrade wraps: the connection that
 * carries it. It owns the bytes and the timers
 * (the magic, the command decoder on the way in, the output buffer on the way out, the
 * heartbeat ticker and the read deadline) and the session's SessionState (state.ts), which the
 * verbs (protocol-v2.ts) change through execCommand. To a channel it is a Subscriber; to the
 * verbs it is the narrow SessionIO.
 *
 *   onData → magic → CommandDecoder → execCommand(state, cmd, this) → response frame
 *   channel.dispatch → deliver(msg) → message frame → flush (end of I/O turn / full chunk)
 *
 * Output: frames are encoded straight into one 64 KiB chunk. Everything is flushed at the end
 * of the current I/O turn (the broker batches every client's flush into one setImmediate) or
 * when the chunk is full, so a burst of deliveries is one socket write per 64 KiB and a lone
 * message is never held back by a timer; output_buffer_size -1 (no buffering) writes each
 * message frame at once. While the socket is backed up (write() returned false) the client is
 * not ready for messages and its input is paused, so a peer that stops reading cannot make the
 * broker buffer without bound.
 *
 * Upgrades: IDENTIFY answers a Negotiation (protocol-v2.ts). The JSON leaves on the plain layer;
 * then, with no command read meanwhile (`held`), the stream is wrapped — TLS first (its
 * handshake awaited, 5 s), each upgrade followed by `OK` on the new layer — and the bytes the
 * decoder already held past IDENTIFY go to the new layer. A failed upgrade is nsqd's fatal
 * E_IDENTIFY_FAILED. No heartbeat is written while an upgrade is under way (it would come before
 * the OK the client waits for).
 *
 * Answers later: a verb may answer with a promise (AUTH asks the auth server; so does a command
 * whose grant expired). Until it settles no further command runs and the input is paused (what
 * was read stays in the decoder, in order); then its answer or error is sent and the commands
 * read meanwhile run. Heartbeats go on meanwhile, as nsqd's do.
 */
import type {Duplex} from 'node:stream'
import {
  CommandDecoder,
  FrameType,
  FRAME_HEADER_SIZE,
  MAGIC_V2,
  OutputSlab,
  ProtocolError,
  messageFrameSize,
  writeFrameHeader,
  writeMessageFrame,
} from '../../protocol/index.js'
import {describeTls, upgradeToTlsServer} from '../../transport/tls.js'
import {Wire} from '../../transport/wire.js'
import type {Timer} from '../../util/clock.js'
import {formatDuration} from '../../util/duration.js'
import type {Subscriber} from '../delivery/channel.js'
import type {BrokerMessage} from '../delivery/message.js'
import type {BrokerContext} from './context.js'
import {execCommand, checkLine, checkSize, isNegotiation, type Answer, type Negotiation, type SessionIO} from './protocol-v2.js'
import {ClientState, SessionState, type ClientInfo} from './state.js'

const OUT_CHUNK = 64 * 1024
const HEARTBEAT_FRAME = (() => {
  const data = Buffer.from('_heartbeat_')
  const b = Buffer.allocUnsafe(FRAME_HEADER_SIZE + data.length)
  writeFrameHeader(b, 0, FrameType.Response, data.length)
  data.copy(b, FRAME_HEADER_SIZE)
  return b
})()

/** How far the connection got: reading the magic, in the command loop, or refused at the magic. */
type Phase = 'magic' | 'ioloop' | 'rejected'

/** How long a half-closed connection may linger before it is destroyed. */
const LINGER_MS = 2000

export class ClientSession implements Subscriber, SessionIO {
  readonly state: SessionState

  private readonly decoder: CommandDecoder
  private magic: Buffer | null = Buffer.alloc(0)
  private phase: Phase = 'magic'
  private readonly out: OutputSlab
  private readonly wire: Wire
  private blocked = false
  /** a verb is answering later, or an upgrade is under way: no command is read until it is done */
  private held = false
  /** an upgrade is under way: no heartbeat (it would come before the OK the client waits for) */
  private upgrading = false
  /** a verb is answering later: the input stays paused until it has */
  private waiting = false
  private closed = false
  private heartbeatTimer: Timer | null = null
  /** the read deadline: 2 × heartbeat after the last bytes read (refreshed per chunk) */
  private readTimer: Timer | null = null
  /** after end(): destroys the stream if the peer does not close its end within LINGER_MS */
  private linger: Timer | null = null
  private flushScheduled = false
  /** a FIN of this chunk freed a slot: dispatch once the chunk's commands are done */
  private dispatchWanted = false

  constructor(
    readonly id: number,
    stream: Duplex,
    readonly ctx: BrokerContext,
    readonly info: ClientInfo,
  ) {
    const state = new SessionState(id, info, ctx)
    this.state = state
    this.out = new OutputSlab((chunk) => this.write(chunk), OUT_CHUNK)
    this.decoder = new CommandDecoder({
      checkLine: (name, params) => checkLine(state, name, params),
      checkSize: (name, params, size) => checkSize(state, name, params, size),
    })
    this.wire = new Wire(stream, {
      data: (chunk) => this.onData(chunk),
      drain: () => {
        this.blocked = false
        if (!this.waiting) this.wire.resume()
        this.state.channel?.dispatch()
      },
      end: () => this.end(),
      close: () => {
        this.linger?.cancel()
        this.destroy()
      },
      error: (err) => {
        // nsqd's wording for a failed read or write in its command loop
        this.destroy(`${err.syscall === 'write' ? 'failed to send response' : 'failed to read command'} - ${err.message}`)
      },
    })
    this.startHeartbeat()
  }

  // ---- Subscriber: what a channel sees ----------------------------------------------------

  get ready(): boolean {
    return this.state.wantsMessages && !this.blocked
  }

  get sampleRate(): number {
    return this.state.sampleRate
  }

  get msgTimeout(): number {
    return this.state.msgTimeout
  }

  /** the channel has put `msg` in flight for us */
  deliver(msg: BrokerMessage): void {
    this.state.inFlightCount++
    this.state.messageCount++
    const out = this.out
    out.reserve(messageFrameSize(msg.body.length))
    out.end = writeMessageFrame(out.buf, out.end, msg.tsHigh, msg.tsLow, msg.attempts, msg, msg.body)
    // output_buffer_size -1 (size 1) writes every frame at once; any other size is buffered up
    // to the end of this I/O turn or a full 64 KiB chunk, which is never later than nsqd's timer
    if (this.state.outputBufferSize <= 1) this.flush()
    else this.scheduleFlush()
  }

  timedOut(): void {
    if (this.state.inFlightCount > 0) this.state.inFlightCount--
    this.state.channel?.dispatch()
  }

  emptied(): void {
    this.state.inFlightCount = 0
  }

  close(): void {
    this.end()
  }

  // ---- SessionIO: what a verb may ask ----------------------------------------------------

  get subscriber(): Subscriber {
    return this
  }

  heartbeatChanged(): void {
    this.startHeartbeat()
  }

  dispatchSoon(): void {
    this.dispatchWanted = true
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
    this.resumeCommands()
  }

  /** Execute every whole command read so far (until one answers later: then once it has). */
  private runCommands(): void {
    // asked once per read, not per command (a logger's level is a getter or two: ~1% of a busy
    // broker's CPU when asked per FIN)
    const debug = this.ctx.log.level === 'debug'
    for (;;) {
      if (this.held) return
      let cmd
      try {
        cmd = this.decoder.next()
        if (cmd === undefined) return
        // nsqd logs every command at debug as Go prints its [][]byte params: [SUB topic channel]
        if (debug) this.ctx.log.debug(`PROTOCOL(V2): [${this.info.remoteAddress}] [${cmd.params.join(' ')}]`)
        const reply = execCommand(this.state, cmd, this)
        if (reply instanceof Promise) {
          this.await(reply)
          return
        }
        if (isNegotiation(reply)) this.negotiate(reply)
        else if (reply !== null) this.sendResponse(reply)
      } catch (err) {
        if (!this.failed(err)) return
      }
      if (this.closed) return
    }
  }

  /**
   * A verb's error: a defect of ours drops this client (the others go on), a fatal protocol
   * error is sent and closes, any other is sent. True when the connection goes on.
   */
  private failed(err: unknown): boolean {
    if (!(err instanceof ProtocolError)) {
      this.ctx.log.error(`[${this.info.remoteAddress}] internal error, closing: ${(err as Error).stack ?? String(err)}`)
      this.destroy(`internal error - ${(err as Error).message}`)
      return false
    }
    this.ctx.log.error(`[${this.info.remoteAddress}] - ${err.message}`)
    if (err.fatal) {
      this.fail(err)
      return false
    }
    this.sendFrame(FrameType.Error, err.frameText())
    return true
  }

  /** A verb answering later: no command is read until it has; then reading goes on. */
  private await(reply: Promise<Answer>): void {
    this.held = true
    this.waiting = true
    this.wire.pause()
    const settled = (): void => {
      this.held = false
      this.waiting = false
      // the deadline counts from here (it may have come and gone while the verb waited)
      this.readTimer?.refresh()
      if (!this.blocked && !this.closed) this.wire.resume()
    }
    reply.then(
      (answer) => {
        settled()
        if (this.closed) return
        if (answer !== null) this.sendResponse(answer)
        this.resumeCommands()
      },
      (err: unknown) => {
        settled()
        if (this.closed) return
        if (this.failed(err)) this.resumeCommands()
      },
    )
  }

  /** The commands read so far (after a read, or a wait), then the dispatch a FIN among them asked for. */
  private resumeCommands(): void {
    this.runCommands()
    if (this.dispatchWanted) {
      this.dispatchWanted = false
      if (!this.closed) this.state.channel?.dispatch()
    }
  }

  // ---- upgrades ------------------------------------------------------------------------

  private negotiate(n: Negotiation): void {
    this.sendResponse(n.response)
    if (!n.tls && !n.snappy && n.deflateLevel === 0) return
    this.held = true
    this.upgrading = true
    // the JSON leaves on the layer it was asked on
    this.flush()
    this.upgrade(n).then(
      () => {
        this.held = false
        this.upgrading = false
        if (this.closed) return
        this.resumeCommands()
      },
      (err: unknown) => {
        this.upgrading = false
        if (this.closed) return
        this.ctx.log.error(`[${this.info.remoteAddress}] - IDENTIFY failed ${(err as Error).message}`)
        this.fail(new ProtocolError('E_IDENTIFY_FAILED', `IDENTIFY failed ${(err as Error).message}`))
      },
    )
  }

  /**
   * The upgrades in nsqd's order, each followed by OK on its new layer. Each takes the bytes the
   * decoder holds (read past the last step) as the first bytes of its layer. The codecs are
   * loaded when first asked for: a start-up never pays for zlib-sync or snappy.
   */
  private async upgrade(n: Negotiation): Promise<void> {
    const addr = this.info.remoteAddress
    const log = this.ctx.log
    const tls = this.ctx.tls
    if (n.tls && tls !== null) {
      log.info(`PROTOCOL(V2): [${addr}] upgrading connection to TLS`)
      const sock = await upgradeToTlsServer(this.wire, tls, this.decoder.takeRest())
      if (this.closed) return
      this.state.tls = true
      this.state.tlsInfo = describeTls(sock)
      this.sendResponse('OK')
      this.flush()
    }
    if (n.snappy) {
      log.info(`PROTOCOL(V2): [${addr}] upgrading connection to snappy`)
      const {snappyCodec} = await import('../../transport/snappy.js')
      if (this.closed) return
      this.wire.addCodec(snappyCodec(), this.decoder.takeRest())
      this.state.snappy = true
      this.sendResponse('OK')
      this.flush()
    }
    if (n.deflateLevel > 0) {
      log.info(`PROTOCOL(V2): [${addr}] upgrading connection to deflate (level ${n.deflateLevel})`)
      const {deflateCodec} = await import('../../transport/deflate.js')
      if (this.closed) return
      this.wire.addCodec(deflateCodec(n.deflateLevel), this.decoder.takeRest())
      this.state.deflate = true
      this.sendResponse('OK')
      this.flush()
    }
  }

  // ---- output --------------------------------------------------------------------------

  /**
   * Queue one frame. Strings are UTF-8, except error texts: those are byte strings (they echo
   * the client's bytes, as nsqd does), written as latin1.
   */
  sendFrame(type: number, data: string | Buffer): void {
    if (this.closed) return
    const enc: BufferEncoding = type === FrameType.Error ? 'latin1' : 'utf8'
    const len = typeof data === 'string' ? Buffer.byteLength(data, enc) : data.length
    const out = this.out
    out.reserve(FRAME_HEADER_SIZE + len)
    const o = writeFrameHeader(out.buf, out.end, type as FrameType, len)
    out.end = o + (typeof data === 'string' ? out.buf.write(data, o, enc) : data.copy(out.buf, o))
    this.scheduleFlush()
  }

  sendResponse(data: string | Buffer): void {
    this.sendFrame(FrameType.Response, data)
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return
    this.flushScheduled = true
    this.ctx.scheduleFlush(this)
  }

  /** Write what is buffered. */
  flush(): void {
    this.flushScheduled = false
    if (this.closed) this.out.discard()
    else this.out.flush()
  }

  /** The slab's sink: one stream write per flush or full slab (a socket copies: the slab is reused). */
  private write(chunk: Buffer): void {
    if (this.closed) return
    // the barrier: records put this turn are written before an OK for them can leave
    this.ctx.commit()
    const wire = this.wire
    if (!(wire.reusable ? wire.write(chunk, () => this.out.written(chunk)) : wire.write(chunk))) {
      // the peer is not reading: no more messages, and (as nsqd, blocked on its write) no more
      // commands read from it until the socket drains, so its output cannot grow without bound
      this.blocked = true
      wire.pause()
    }
  }

  // ---- heartbeats and lifetime -----------------------------------------------------------

  /** (Re)start the heartbeat ticker and the read deadline for the current interval. */
  private startHeartbeat(): void {
    this.stopTimers()
    const interval = this.state.heartbeatInterval
    if (interval <= 0 || this.closed) return
    const clock = this.ctx.clock
    this.heartbeatTimer = clock.setInterval(() => this.heartbeat(), interval)
    this.readTimer = clock.setTimeout(() => {
      // nsqd sets its read deadline only before it reads a line: never while a verb waits
      if (this.waiting) return
      // nsqd's read deadline is 2 x heartbeat; Go reports it as `read tcp LOCAL->REMOTE: i/o timeout`
      const conn = this.info.localAddress === undefined ? '' : ` tcp ${this.info.localAddress}->${this.info.remoteAddress}`
      this.destroy(`failed to read command - read${conn}: i/o timeout (no data for ${formatDuration(2 * interval)})`)
    }, 2 * interval)
  }

  private stopTimers(): void {
    this.heartbeatTimer?.cancel()
    this.readTimer?.cancel()
    this.heartbeatTimer = null
    this.readTimer = null
  }

  private heartbeat(): void {
    if (this.closed || this.upgrading) return
    this.out.append(HEARTBEAT_FRAME)
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
    this.wire.end()
    this.linger = this.ctx.clock.setTimeout(() => this.wire.destroy(), LINGER_MS)
  }

  destroy(reason: string | null = null): void {
    if (!this.closed) this.cleanup(reason)
    this.wire.destroy()
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
    this.state.state = ClientState.Disconnected
    this.stopTimers()
    this.state.channel?.removeSubscriber(this)
    this.ctx.removeClient(this.id)
  }
}
