/**
 * A small fake nsqd on 127.0.0.1 (port 0) for the publishing paths that `serve` does not take:
 * it answers IDENTIFY (with `max_msg_size` in the JSON when asked; nsqd 1.3.0 sends none), PUB
 * and MPUB with OK, and treats a message over its max-msg-size as nsqd does: a PUB is judged on
 * its size prefix (the body is left unread), an MPUB once its whole body is read, and then
 *   'frame'  the E_BAD_MESSAGE error frame with nsqd's text, then the socket closed at once
 *            (as nsqd: with unread bytes pending the kernel resets the connection, so the
 *            client may or may not see the frame first)
 *   'reset'  the connection reset (RST) with no frame at all
 * What it accepted is recorded, in order, per connection.
 */
import {createServer, type Server, type Socket} from 'node:net'
import {CommandDecoder, FrameType, MAGIC_V2, ProtocolError, decodeMpubBody, encodeFrame, type IdentifyResponse} from '../../src/core/protocol/index.js'
import {HOST} from './client-harness.js'

export interface FakeNsqdOptions {
  maxMsgSize?: number
  maxBodySize?: number
  /** put max_msg_size in the IDENTIFY answer */
  announceMaxMsgSize?: boolean
  /** how a message over max-msg-size ends the connection */
  onTooBig?: 'frame' | 'reset'
}

export class FakeNsqd {
  /** every body acknowledged with OK, in order */
  readonly accepted: Buffer[] = []
  /** connections made (IDENTIFY included) */
  connections = 0
  /** connections ended because of a message over max-msg-size */
  kills = 0
  private readonly sockets = new Set<Socket>()

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  get address(): string {
    return `${HOST}:${this.port}`
  }

  static async start(opts: FakeNsqdOptions = {}): Promise<FakeNsqd> {
    const maxMsgSize = opts.maxMsgSize ?? 1024 * 1024
    const maxBodySize = opts.maxBodySize ?? 5 * 1024 * 1024
    let fake: FakeNsqd | null = null
    const server = createServer((sock) => fake?.serve(sock, maxMsgSize, maxBodySize, opts))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, HOST, () => resolve())
    })
    const a = server.address()
    fake = new FakeNsqd(server, typeof a === 'object' && a !== null ? a.port : 0)
    return fake
  }

  private serve(sock: Socket, maxMsgSize: number, maxBodySize: number, opts: FakeNsqdOptions): void {
    this.connections++
    this.sockets.add(sock)
    sock.on('close', () => this.sockets.delete(sock))
    sock.on('error', () => undefined)
    let magic = false
    let dead = false
    const dec = new CommandDecoder({
      checkSize: (name, _params, size) => {
        // nsqd's readPUB / readMPUB checks and texts
        if (name === 'PUB' && size > maxMsgSize) throw new ProtocolError('E_BAD_MESSAGE', `PUB message too big ${size} > ${maxMsgSize}`)
        if (name === 'MPUB' && size > maxBodySize) throw new ProtocolError('E_BAD_BODY', `MPUB body too big ${size} > ${maxBodySize}`)
      },
    })
    const answer = (data: string): void => {
      sock.write(encodeFrame(FrameType.Response, data))
    }
    const kill = (err: ProtocolError): void => {
      dead = true
      this.kills++
      if (opts.onTooBig === 'reset') {
        sock.resetAndDestroy()
      } else {
        sock.write(encodeFrame(FrameType.Error, err.message))
        sock.destroy()
      }
    }
    sock.on('data', (chunk: Buffer) => {
      if (dead) return
      if (!magic) {
        // the test clients send the 4 magic bytes in their first write
        if (!chunk.subarray(0, 4).equals(MAGIC_V2)) return void sock.destroy()
        magic = true
        chunk = chunk.subarray(4)
      }
      dec.push(chunk)
      try {
        for (let c = dec.next(); c !== undefined && !dead; c = dec.next()) {
          if (c.name === 'IDENTIFY') {
            const id: IdentifyResponse = {max_rdy_count: 2500, version: '1.3.0', max_msg_timeout: 900000, msg_timeout: 60000, tls_v1: false, deflate: false, deflate_level: 6, max_deflate_level: 6, snappy: false, sample_rate: 0, auth_required: false, output_buffer_size: 16384, output_buffer_timeout: 250}
            if (opts.announceMaxMsgSize) id.max_msg_size = maxMsgSize
            answer(JSON.stringify(id))
          } else if (c.name === 'PUB') {
            this.accepted.push(Buffer.from(c.body as Buffer))
            answer('OK')
          } else if (c.name === 'MPUB') {
            const bodies = decodeMpubBody(c.body as Buffer, {maxMsgSize, maxBodySize})
            for (const b of bodies) this.accepted.push(Buffer.from(b))
            answer('OK')
          } else if (c.name !== 'NOP') {
            kill(new ProtocolError('E_INVALID', `invalid command ${c.name}`))
          }
        }
      } catch (err) {
        if (err instanceof ProtocolError) kill(err)
        else throw err
      }
    })
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
