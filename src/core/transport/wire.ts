/**
 * One connection's bytes under the NSQ protocol code, on the broker (a client session) and in the
 * client (a connection) alike: whatever carries them, the protocol reads plain bytes and writes
 * plain bytes through the wire.
 *
 *   plain:   socket
 *   TLS:     socket ─ TLSSocket                      replaceStream(): the stream is swapped
 *   codec:   stream ─ codec (snappy | deflate)       addCodec(): bytes read are decoded with it,
 *                                                    bytes written encoded
 *
 * The wire binds its listeners to whatever stream is current and tells its owner through
 * WireEvents; the owner never holds the stream, so an upgrade cannot leave a listener on the
 * old one. An upgrade happens at a point in the protocol (after the IDENTIFY answer); bytes the
 * owner's decoder already holds past that point (`leftover`) belong to the new layer: for TLS
 * they are the first bytes of the TLS stream, for a codec they are decoded with it. nsqd drops
 * them (a new bufio.Reader over the new layer), so a peer that writes ahead of the answer loses
 * commands there; here they are kept.
 *
 * Writes: `write(chunk, done)` returns false once the socket wants a drain (the owner pauses);
 * `done` runs once `chunk` may be overwritten (the owner's output slab is then reused), which
 * `reusable` says is safe at all: a socket copies or finishes with the bytes before its write
 * callback, a codec before its `consumed` callback; an in-memory Duplex may hand the very
 * buffer to its reader, so it never is.
 */
import {Socket} from 'node:net'
import {Duplex} from 'node:stream'

export interface WireEvents {
  /** plain bytes read */
  data(chunk: Buffer): void
  /** the socket drained after a write returned false */
  drain(): void
  /** the peer ended its side */
  end(): void
  /** the stream is gone (after end, error or destroy) */
  close(): void
  /** a read, write or codec error; `close` follows */
  error(err: NodeJS.ErrnoException): void
}

/**
 * A compression layer (snappy, deflate). `decode` gets bytes as read and returns the plain bytes
 * they complete (null or empty when none yet), throwing on corrupt input. `encode` takes plain
 * bytes and hands the encoded ones, in order, to the `emit` the codec was made with; `consumed`
 * runs once `chunk` is no longer read. `finish` calls back once everything encoded so far was
 * emitted (the wire ends the stream after it); `close` frees the codec.
 */
export interface Codec {
  readonly name: string
  decode(chunk: Buffer): Buffer | null
  encode(chunk: Buffer, consumed: () => void): void
  finish(done: () => void): void
  close(): void
}

/** `fail`: the codec cannot go on (its encoder failed): the wire reports the error and closes. */
export type CodecFactory = (emit: (encoded: Buffer) => void, fail: (err: Error) => void) => Codec

/** A codec's decoded pieces as one `decode` answer: null for none. */
export function joined(pieces: Buffer[]): Buffer | null {
  return pieces.length === 0 ? null : pieces.length === 1 ? (pieces[0] as Buffer) : Buffer.concat(pieces)
}

export class Wire {
  private stream: Duplex
  private codec: Codec | null = null
  private readonly onData = (chunk: Buffer): void => this.receive(chunk)
  private readonly onDrain = (): void => this.events.drain()
  private readonly onEnd = (): void => this.events.end()
  private readonly onClose = (): void => this.events.close()
  private readonly onError = (err: NodeJS.ErrnoException): void => this.events.error(err)

  constructor(
    stream: Duplex,
    private readonly events: WireEvents,
  ) {
    this.stream = stream
    this.bind(stream)
  }

  /** The stream the wire writes to now (a socket, a TLS socket over it, or a test's Duplex). */
  get current(): Duplex {
    return this.stream
  }

  get codecName(): string | null {
    return this.codec?.name ?? null
  }

  get destroyed(): boolean {
    return this.stream.destroyed
  }

  /** May a chunk be overwritten once its write's `done` ran? */
  get reusable(): boolean {
    return this.codec !== null || this.stream instanceof Socket
  }

  write(chunk: Buffer, done?: () => void): boolean {
    const s = this.stream
    if (this.codec !== null) {
      this.codec.encode(chunk, done ?? noop)
      return !s.writableNeedDrain
    }
    return done === undefined ? s.write(chunk) : s.write(chunk, () => done())
  }

  pause(): void {
    this.stream.pause()
  }

  resume(): void {
    this.stream.resume()
  }

  /** End our side once what was written has left (through the codec, when there is one). */
  end(): void {
    const s = this.stream
    if (this.codec === null) s.end()
    else this.codec.finish(() => s.end())
  }

  destroy(): void {
    this.stream.destroy()
  }

  /**
   * Put a new stream over the current one (TLS): `make` gets the raw stream (with `leftover`
   * and any bytes it buffered in front of what it reads next) and returns the new stream,
   * which the wire reads and writes from now on.
   */
  replaceStream<T extends Duplex>(make: (raw: Duplex) => T, leftover: Buffer): T {
    const next = make(this.detach(leftover))
    this.attach(next)
    return next
  }

  /**
   * replaceStream for a layer that exists only once its handshake is done (a TLS server that
   * verifies client certificates): nothing is read or written meanwhile; if `make` fails, the
   * raw stream is destroyed and the owner hears `close`.
   */
  async upgradeStream<T extends Duplex>(make: (raw: Duplex) => Promise<T>, leftover: Buffer): Promise<T> {
    const raw = this.detach(leftover)
    let next: T
    try {
      next = await make(raw)
    } catch (err) {
      // the owner hears the close (unless the stream had closed already; the owner's error path ends it then)
      this.attach(raw)
      raw.destroy()
      throw err
    }
    this.attach(next)
    return next
  }

  /** Let go of the current stream; returns it, or (when bytes were read ahead) a stream that hands them over first. */
  private detach(leftover: Buffer): Duplex {
    const old = this.stream
    this.unbind(old)
    // bytes the old stream read and kept (it was paused) come before what it reads next
    const kept: Buffer[] = leftover.length > 0 ? [leftover] : []
    for (let c: unknown; (c = old.read()) !== null; ) kept.push(c as Buffer)
    // a socket the new layer takes over reads its handle directly: bytes already read can
    // only reach that layer through a stream that hands them over first
    return kept.length === 0 ? old : withPrefix(old, Buffer.concat(kept))
  }

  private attach(next: Duplex): void {
    this.stream = next
    this.bind(next)
  }

  /** Encode and decode everything from here on with a codec; `leftover` (already read) is decoded first. */
  addCodec(make: CodecFactory, leftover: Buffer): void {
    const s = this.stream
    this.codec = make(
      (encoded) => {
        if (!s.destroyed) s.write(encoded)
      },
      (err) => {
        if (s.destroyed) return
        this.events.error(err as NodeJS.ErrnoException)
        s.destroy()
      },
    )
    s.once('close', this.onCloseCodec)
    if (leftover.length > 0) this.receive(leftover)
  }

  private readonly onCloseCodec = (): void => {
    this.codec?.close()
  }

  private receive(chunk: Buffer): void {
    const codec = this.codec
    if (codec === null) {
      this.events.data(chunk)
      return
    }
    let plain: Buffer | null
    try {
      plain = codec.decode(chunk)
    } catch (err) {
      this.events.error(err as NodeJS.ErrnoException)
      this.stream.destroy()
      return
    }
    if (plain !== null && plain.length > 0) this.events.data(plain)
  }

  private bind(s: Duplex): void {
    s.on('data', this.onData)
    s.on('drain', this.onDrain)
    s.on('end', this.onEnd)
    s.on('close', this.onClose)
    s.on('error', this.onError)
  }

  private unbind(s: Duplex): void {
    s.off('data', this.onData)
    s.off('drain', this.onDrain)
    s.off('end', this.onEnd)
    s.off('close', this.onClose)
    s.off('error', this.onError)
    // an error of the old stream now reaches the new one through its own machinery; never crash on it
    s.on('error', noop)
  }
}

function noop(): void {}

/** `stream` read as `head` followed by what it reads next; writes go straight to it. */
function withPrefix(stream: Duplex, head: Buffer): Duplex {
  const d = new Duplex({
    read() {
      stream.resume()
    },
    write(chunk: Buffer, _enc, cb) {
      stream.write(chunk, cb)
    },
    final(cb) {
      stream.end()
      cb()
    },
    destroy(err, cb) {
      stream.destroy()
      cb(err)
    },
  })
  d.push(head)
  stream.on('data', (c: Buffer) => {
    if (!d.push(c)) stream.pause()
  })
  stream.on('end', () => d.push(null))
  stream.on('close', () => d.destroy())
  stream.resume()
  return d
}
