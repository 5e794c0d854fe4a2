/**
 * A raw NSQ TCP client for tests: real socket, our protocol codecs, frames read one by one
 * with a deadline. What a test asserts is what went over the wire.
 */
import {connect, type Socket} from 'node:net'
import {FrameDecoder, FrameType, MAGIC_V2, decodeMessage, type Command, type Frame, type Message} from '../../src/core/protocol/index.js'
import {HOST} from './net.js'
import {withTimeout} from './wait.js'

export interface ReadFrame {
  type: FrameType
  data: Buffer
  text: string
}

export class RawClient {
  private readonly dec = new FrameDecoder()
  private readonly frames: ReadFrame[] = []
  private waiters: (() => void)[] = []
  closed = false
  error: NodeJS.ErrnoException | null = null
  readonly closedPromise: Promise<void>

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.dec.push(chunk)
      for (let f: Frame | undefined = this.dec.next(); f; f = this.dec.next()) {
        this.frames.push({type: f.type, data: Buffer.from(f.data), text: f.data.toString('latin1')})
      }
      this.wake()
    })
    socket.on('error', (e: NodeJS.ErrnoException) => {
      this.error = e
    })
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true
        this.wake()
        resolve()
      }),
    )
  }

  /** Connect and (unless `magic: false`) send "  V2". */
  static async connect(port: number, opts: {magic?: boolean | Buffer} = {}): Promise<RawClient> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(port, HOST, () => resolve(s))
      s.once('error', reject)
    })
    socket.setNoDelay(true)
    const c = new RawClient(socket)
    if (opts.magic !== false) socket.write(Buffer.isBuffer(opts.magic) ? opts.magic : MAGIC_V2)
    return c
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  send(...items: (Command | Buffer | string)[]): this {
    for (const it of items) this.socket.write(typeof it === 'string' ? Buffer.from(it, 'latin1') : Buffer.isBuffer(it) ? it : it.encode())
    return this
  }

  /** The next frame, skipping heartbeats unless asked for; rejects after `timeoutMs`. */
  async next(timeoutMs = 2000, opts: {heartbeats?: boolean} = {}): Promise<ReadFrame> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      while (this.frames.length > 0) {
        const f = this.frames.shift() as ReadFrame
        if (!opts.heartbeats && f.type === FrameType.Response && f.text === '_heartbeat_') continue
        return f
      }
      if (this.closed) throw new Error('connection closed before a frame arrived')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no frame within ${timeoutMs}ms`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  async response(timeoutMs?: number): Promise<string> {
    const f = await this.next(timeoutMs)
    if (f.type !== FrameType.Response) throw new Error(`expected a response frame, got type ${f.type}: ${f.text}`)
    return f.text
  }

  async error_(timeoutMs?: number): Promise<string> {
    const f = await this.next(timeoutMs)
    if (f.type !== FrameType.Error) throw new Error(`expected an error frame, got type ${f.type}: ${f.text}`)
    return f.text
  }

  async message(timeoutMs?: number): Promise<Message> {
    const f = await this.next(timeoutMs)
    if (f.type !== FrameType.Message) throw new Error(`expected a message frame, got type ${f.type}: ${f.text}`)
    return decodeMessage(f.data)
  }

  /** Resolves true if no frame (other than heartbeats) arrives within `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    try {
      await this.next(ms)
      return false
    } catch {
      return true
    }
  }

  /** Resolves when the server closes the connection; rejects after `timeoutMs`. */
  async waitClosed(timeoutMs = 2000): Promise<void> {
    await withTimeout(this.closedPromise, timeoutMs, 'the server closing the connection (still open)')
  }

  close(): void {
    this.socket.destroy()
  }
}
