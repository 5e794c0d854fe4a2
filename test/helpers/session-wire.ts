/**
 * A broker on a manual clock and client sessions over `duplexPair()`: no port, no sleeping.
 * Each PeerEnd is the client's end of one pair; it writes commands with the protocol's builders
 * and reads the broker's frames with the protocol's FrameDecoder, so what a test asserts is
 * what a real client would read off the wire. `pass(ms)` moves the clock the way time passes
 * for a live client: in steps, answering every `_heartbeat_` with NOP as client libraries do.
 *
 * Node 20's duplexPair does not pass a destroy() to the other side as a socket would: the wire
 * does (the broker destroying its end closes the client's; the client closing its end sends
 * the broker an end-of-stream, as a socket's FIN).
 */
import {duplexPair, type Duplex} from 'node:stream'
import {setImmediate as turn} from 'node:timers/promises'
import {Broker, type BrokerOptions} from '../../src/core/broker/index.js'
import {FrameDecoder, FrameType, MAGIC_V2, decodeMessage, nop, type Command, type Message} from '../../src/core/protocol/index.js'
import {createLogger, type Logger} from '../../src/core/util/logger.js'
import {ManualClock} from './manual-clock.js'

export interface WireFrame {
  type: FrameType
  data: Buffer
  text: string
  /** the manual clock's time when the frame was read */
  at: number
}

export class PeerEnd {
  private readonly dec = new FrameDecoder()
  readonly frames: WireFrame[] = []
  /** when (manual clock) each `_heartbeat_` arrived */
  readonly heartbeats: number[] = []
  /** reply NOP to each heartbeat */
  answerHeartbeats = true
  closedAt: number | null = null

  constructor(
    readonly end: Duplex,
    clock: ManualClock,
  ) {
    end.on('data', (chunk: Buffer) => {
      this.dec.push(chunk)
      for (let f = this.dec.next(); f; f = this.dec.next()) {
        const frame = {type: f.type, data: Buffer.from(f.data), text: f.data.toString('latin1'), at: clock.now()}
        if (frame.type === FrameType.Response && frame.text === '_heartbeat_') {
          this.heartbeats.push(frame.at)
          if (this.answerHeartbeats) this.send(nop())
        } else this.frames.push(frame)
      }
    })
    end.on('error', () => {})
    end.on('close', () => {
      this.closedAt ??= clock.now()
    })
    end.on('end', () => {
      this.closedAt ??= clock.now()
    })
  }

  get closed(): boolean {
    return this.closedAt !== null
  }

  send(...items: (Command | Buffer | string)[]): this {
    for (const it of items) this.end.write(typeof it === 'string' ? Buffer.from(it, 'latin1') : Buffer.isBuffer(it) ? it : it.encode())
    return this
  }

  /** Every frame read so far (heartbeats aside), removed. */
  take(): WireFrame[] {
    return this.frames.splice(0)
  }

  /** Close the client's end, as a client closing its socket (the broker reads end-of-stream). */
  close(): void {
    this.end.end()
  }
}

export class Wire {
  readonly clock = new ManualClock()
  readonly broker: Broker
  readonly logLines: string[] = []
  private readonly peers: PeerEnd[] = []
  private nextPort = 50000

  constructor(opts: Partial<BrokerOptions> = {}) {
    const logger: Logger = createLogger({level: 'info', write: (l) => this.logLines.push(l)})
    this.broker = new Broker(opts, {logger, clock: this.clock})
  }

  /** A new session, magic sent. */
  connect(): PeerEnd {
    const [client, server] = duplexPair()
    const port = this.nextPort++
    this.broker.handle(server, {remoteAddress: `127.0.0.1:${port}`, localAddress: '127.0.0.1:4150'})
    const peer = new PeerEnd(client, this.clock)
    // the broker dropping its end of a socket: the client's end closes too
    server.on('close', () => client.destroy())
    peer.send(MAGIC_V2)
    this.peers.push(peer)
    return peer
  }

  /** Let the bytes in flight on every pair arrive and be answered (I/O turns, not clock time). */
  async settle(): Promise<void> {
    let quiet = 0
    let seen = -1
    for (let i = 0; i < 50 && quiet < 3; i++) {
      await turn()
      const n = this.peers.reduce((s, p) => s + p.frames.length + p.heartbeats.length, 0)
      quiet = n === seen ? quiet + 1 : 0
      seen = n
    }
  }

  /** Move the clock by `ms` in steps of at most `step`, settling the wires after each. */
  async pass(ms: number, step = 250): Promise<void> {
    for (let left = ms; left > 0; left -= step) {
      this.clock.advance(Math.min(step, left))
      await this.settle()
    }
  }

  /** The next non-heartbeat frame of `p`, after settling; throws if there is none. */
  async next(p: PeerEnd): Promise<WireFrame> {
    if (p.frames.length === 0) await this.settle()
    const f = p.frames.shift()
    if (f === undefined) throw new Error('no frame')
    return f
  }

  async response(p: PeerEnd): Promise<string> {
    const f = await this.next(p)
    if (f.type !== FrameType.Response) throw new Error(`expected a response, got type ${f.type}: ${f.text}`)
    return f.text
  }

  async error(p: PeerEnd): Promise<string> {
    const f = await this.next(p)
    if (f.type !== FrameType.Error) throw new Error(`expected an error frame, got type ${f.type}: ${f.text}`)
    return f.text
  }

  async message(p: PeerEnd): Promise<Message & {at: number}> {
    const f = await this.next(p)
    if (f.type !== FrameType.Message) throw new Error(`expected a message, got type ${f.type}: ${f.text}`)
    return {...decodeMessage(f.data), at: f.at}
  }

  /** The channel as the broker holds it (what /stats reports). */
  channel(topic: string, name: string) {
    const ch = this.broker.getExistingTopic(topic)?.channels.get(name)
    if (ch === undefined) throw new Error(`no channel ${topic}/${name}`)
    return ch
  }

  async close(): Promise<void> {
    for (const p of this.peers) p.end.destroy()
    await this.broker.close()
  }
}

/** Run `fn` on a fresh wire, closed afterwards. */
export async function withWire(opts: Partial<BrokerOptions>, fn: (w: Wire) => Promise<void>): Promise<void> {
  const w = new Wire(opts)
  try {
    await fn(w)
  } finally {
    await w.close()
  }
}
