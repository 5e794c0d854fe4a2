/**
 * A small fake nsqd on 127.0.0.1 (port 0) for the publishing paths that `serve` does not take.
 * It reads the connection as a stream, as nsqd 1.3.0 does (protocol_v2.go: each verb reads what
 * it needs from the connection's reader): IDENTIFY is answered (with `max_msg_size` in the JSON
 * when asked; nsqd sends none), PUB and MPUB with OK. A message over its max-msg-size is judged
 * on its 4-byte size prefix, the rest left unread: a PUB's body, and for an MPUB (readMPUB) the
 * oversized record's body and every record after it, so nothing of that MPUB is published. Then
 *   'frame'  the E_BAD_MESSAGE error frame with nsqd's text, then the socket closed at once
 *            (as nsqd: with unread bytes pending, or still arriving, the kernel resets the
 *            connection, so the client may or may not see the frame first)
 *   'reset'  the connection reset (RST) with no frame at all
 * `silent`: IDENTIFY is answered, then nothing (a broker that stopped answering).
 * What it accepted is recorded, in order.
 */
import {createServer, type Server, type Socket} from 'node:net'
import {Accumulator, FrameType, MAGIC_V2, ProtocolError, encodeFrame, type IdentifyResponse} from '../../src/core/protocol/index.js'
import {HOST} from './net.js'

export interface FakeNsqdOptions {
  maxMsgSize?: number
  maxBodySize?: number
  /** put max_msg_size in the IDENTIFY answer */
  announceMaxMsgSize?: boolean
  /** how a message over max-msg-size ends the connection */
  onTooBig?: 'frame' | 'reset'
  /** answer IDENTIFY, then never answer a PUB or MPUB */
  silent?: boolean
}

/** what the reader asks for: a line (without its newline), or that many bytes */
const LINE = -1
type Reader = Generator<number, void, Buffer>

export class FakeNsqd {
  /** every body acknowledged with OK, in order */
  readonly accepted: Buffer[] = []
  /** when each of `accepted` was acknowledged (Date.now()) */
  readonly acceptedAt: number[] = []
  /** IDENTIFY commands answered */
  identified = 0
  /** connections made (IDENTIFY included) */
  connections = 0
  /** connections ended because of a message over max-msg-size */
  kills = 0
  /** PUB and MPUB commands read in full and not answered (silent) */
  unanswered = 0
  private readonly sockets = new Set<Socket>()

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  get address(): string {
    return `${HOST}:${this.port}`
  }

  static async start(opts: FakeNsqdOptions = {}): Promise<FakeNsqd> {
    let fake: FakeNsqd | null = null
    const server = createServer((sock) => fake?.serve(sock, opts))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, HOST, () => resolve())
    })
    const a = server.address()
    fake = new FakeNsqd(server, typeof a === 'object' && a !== null ? a.port : 0)
    return fake
  }

  private serve(sock: Socket, opts: FakeNsqdOptions): void {
    this.connections++
    this.sockets.add(sock)
    sock.on('close', () => this.sockets.delete(sock))
    sock.on('error', () => undefined)
    const acc = new Accumulator()
    const reader = this.read(sock, opts)
    let need = reader.next().value as number
    let magic = false
    let dead = false
    sock.on('data', (chunk: Buffer) => {
      if (dead) return
      if (!magic) {
        // the test clients send the 4 magic bytes in their first write
        if (!chunk.subarray(0, 4).equals(MAGIC_V2)) return void sock.destroy()
        magic = true
        chunk = chunk.subarray(4)
      }
      acc.push(chunk)
      for (;;) {
        let got: Buffer
        if (need === LINE) {
          const nl = acc.indexOf(0x0a)
          if (nl < 0) return
          got = acc.take(nl)
          acc.skip(1)
        } else {
          if (acc.available < need) return
          got = acc.take(need)
        }
        let step: IteratorResult<number, void>
        try {
          step = reader.next(got)
        } catch (err) {
          if (!(err instanceof ProtocolError)) throw err
          dead = true
          this.kills++
          if (opts.onTooBig === 'reset') {
            sock.resetAndDestroy()
          } else {
            sock.write(encodeFrame(FrameType.Error, err.message))
            sock.destroy()
          }
          return
        }
        if (step.done) return
        need = step.value
      }
    })
  }

  /** nsqd's loop over one connection: each verb reads what it needs, and judges it as it comes. */
  private *read(sock: Socket, opts: FakeNsqdOptions): Reader {
    const maxMsgSize = opts.maxMsgSize ?? 1024 * 1024
    const maxBodySize = opts.maxBodySize ?? 5 * 1024 * 1024
    const answer = (data: string): void => {
      sock.write(encodeFrame(FrameType.Response, data))
    }
    for (;;) {
      const name = (yield LINE).toString('latin1').replace(/\r$/, '').split(' ')[0]
      if (name === 'NOP') continue
      if (name === 'IDENTIFY') {
        yield (yield 4).readInt32BE(0)
        const id: IdentifyResponse = {max_rdy_count: 2500, version: '1.3.0', max_msg_timeout: 900000, msg_timeout: 60000, tls_v1: false, deflate: false, deflate_level: 6, max_deflate_level: 6, snappy: false, sample_rate: 0, auth_required: false, output_buffer_size: 16384, output_buffer_timeout: 250}
        if (opts.announceMaxMsgSize) id.max_msg_size = maxMsgSize
        answer(JSON.stringify(id))
        this.identified++
      } else if (name === 'PUB') {
        const size = (yield 4).readInt32BE(0)
        if (size > maxMsgSize) throw new ProtocolError('E_BAD_MESSAGE', `PUB message too big ${size} > ${maxMsgSize}`)
        const body = Buffer.from(yield size)
        if (opts.silent) this.unanswered++
        else {
          this.accepted.push(body)
          this.acceptedAt.push(Date.now())
          answer('OK')
        }
      } else if (name === 'MPUB') {
        const size = (yield 4).readInt32BE(0)
        if (size > maxBodySize) throw new ProtocolError('E_BAD_BODY', `MPUB body too big ${size} > ${maxBodySize}`)
        const count = (yield 4).readInt32BE(0)
        if (count <= 0 || count > (maxBodySize - 4) / 5) throw new ProtocolError('E_BAD_BODY', `MPUB invalid message count ${count}`)
        const bodies: Buffer[] = []
        for (let i = 0; i < count; i++) {
          const n = (yield 4).readInt32BE(0)
          if (n <= 0) throw new ProtocolError('E_BAD_MESSAGE', `MPUB invalid message(${i}) body size ${n}`)
          if (n > maxMsgSize) throw new ProtocolError('E_BAD_MESSAGE', `MPUB message too big ${n} > ${maxMsgSize}`)
          bodies.push(Buffer.from(yield n))
        }
        if (opts.silent) this.unanswered++
        else {
          this.accepted.push(...bodies)
          this.acceptedAt.push(...bodies.map(() => Date.now()))
          answer('OK')
        }
      } else {
        throw new ProtocolError('E_INVALID', `invalid command ${name}`)
      }
    }
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
