/**
 * Buffered output for the tools: lines are gathered and written in one `write()` per I/O turn
 * (or per 64 KiB), and each push() resolves once its bytes were handed to the stream, so a
 * message is FINed only after it was really written. A write error (EPIPE from `| head`)
 * rejects what is pending and every later push.
 */
import type {Writable} from 'node:stream'

export class LineWriter {
  private parts: (Buffer | string)[] = []
  private size = 0
  private waiters: {resolve: () => void; reject: (e: Error) => void}[] = []
  private scheduled = false
  private failed: Error | null = null
  private writing: Promise<void> = Promise.resolve()

  constructor(
    private readonly out: Writable,
    private readonly highWater = 64 * 1024,
  ) {
    out.on('error', (err: Error) => this.fail(err))
  }

  get error(): Error | null {
    return this.failed
  }

  /** Queue one piece of output (or several, written in order); resolves when it has been written. */
  push(data: Buffer | string | readonly (Buffer | string)[]): Promise<void> {
    if (this.failed) return Promise.reject(this.failed)
    if (typeof data === 'string' || Buffer.isBuffer(data)) {
      this.parts.push(data)
      this.size += data.length
    } else {
      for (const d of data) {
        this.parts.push(d)
        this.size += d.length
      }
    }
    const p = new Promise<void>((resolve, reject) => this.waiters.push({resolve, reject}))
    if (this.size >= this.highWater) this.flush()
    else if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => this.flush())
    }
    return p
  }

  /** Write what is queued now. */
  flush(): Promise<void> {
    this.scheduled = false
    if (this.parts.length === 0 || this.failed) return this.writing
    const parts = this.parts
    const waiters = this.waiters
    this.parts = []
    this.waiters = []
    this.size = 0
    let total = 0
    for (const p of parts) total += typeof p === 'string' ? Buffer.byteLength(p) : p.length
    const chunk = Buffer.allocUnsafe(total)
    let o = 0
    for (const p of parts) o += typeof p === 'string' ? chunk.write(p, o) : p.copy(chunk, o)
    this.writing = new Promise<void>((resolve) => {
      this.out.write(chunk, (err) => {
        if (err) {
          this.fail(err)
          for (const w of waiters) w.reject(err)
        } else for (const w of waiters) w.resolve()
        resolve()
      })
    })
    return this.writing
  }

  private fail(err: Error): void {
    if (this.failed) return
    this.failed = err
    const w = this.waiters.splice(0)
    this.parts = []
    for (const x of w) x.reject(err)
  }
}

/** EPIPE and friends: the reader went away, which ends a pipeline normally. */
export function isBrokenPipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code
  return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END'
}
