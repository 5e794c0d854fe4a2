/**
 * The output side of a connection, the counterpart of the Accumulator: frames and commands are
 * encoded straight into one slab, and what is pending leaves as one view of it, so a burst of
 * many small writes (FINs, message frames) is one write to the stream instead of one Buffer
 * and one stream write each.
 *
 *   [ sent (views handed to the sink) | pending: start..end | room ]
 *
 * A view handed to the sink is never written over: when the slab has no room for the next
 * `reserve(n)`, what is pending goes to the sink and a new slab (at least `n` bytes) is taken.
 * Writers encode at `end` and move it: `slab.reserve(n); slab.end = encodeInto(slab.buf, slab.end)`.
 * Pure: the sink decides what a write is (a socket write, a test's array).
 *
 * Reuse: a sink that copies what it is given (a socket: once its write callback ran, the
 * kernel has the bytes) may report each chunk written with `written()`; when every chunk
 * handed out was written and nothing is pending, the slab is written from its start again, so
 * a busy connection keeps one slab instead of taking a new 64 KiB one every few writes (each
 * new one is external memory, which makes V8 run full collections). A sink that keeps the
 * views it was given (an in-memory pipe) never calls `written()`.
 *
 * The first slab is taken at the first write, not when the connection is made: a burst of
 * 1,000 connections that say nothing (or are refused at the magic) cost the broker 64 MiB of
 * slabs, which glibc then kept (bench/flood.ts: RSS 30 s after a flood 146 → 94 MB).
 */
const EMPTY = Buffer.alloc(0)

export class OutputSlab {
  /** the slab; write at `end`, after reserve() */
  buf: Buffer
  /** where the next bytes go */
  end = 0
  private start = 0
  /** chunks of the current slab handed to the sink and not yet reported written */
  private unwritten = 0

  constructor(
    private readonly sink: (chunk: Buffer) => void,
    private readonly size = 64 * 1024,
  ) {
    this.buf = EMPTY
  }

  /** bytes written and not yet handed to the sink */
  get pending(): number {
    return this.end - this.start
  }

  /** Make room for `n` bytes at `end` (handing what is pending to the sink first when full). */
  reserve(n: number): void {
    if (this.end + n <= this.buf.length) return
    this.flush()
    this.buf = Buffer.allocUnsafe(Math.max(this.size, n))
    this.start = 0
    this.end = 0
    this.unwritten = 0
  }

  /** Copy `bytes` in. */
  append(bytes: Buffer): void {
    this.reserve(bytes.length)
    this.end += bytes.copy(this.buf, this.end)
  }

  /** Hand what is pending to the sink (nothing when nothing is). */
  flush(): void {
    if (this.end === this.start) return
    const chunk = this.buf.subarray(this.start, this.end)
    this.start = this.end
    this.unwritten++
    this.sink(chunk)
  }

  /**
   * The sink is done with `chunk` (its bytes were copied out): once every chunk of this slab
   * is, and nothing is pending, the slab is written from its start again.
   */
  written(chunk: Buffer): void {
    if (chunk.buffer !== this.buf.buffer || chunk.byteOffset < this.buf.byteOffset || chunk.byteOffset >= this.buf.byteOffset + this.buf.length) return // an earlier slab's
    if (--this.unwritten === 0 && this.start === this.end) {
      this.start = 0
      this.end = 0
    }
  }

  /** Forget what is pending (its stream is gone). */
  discard(): void {
    this.start = this.end
  }
}
