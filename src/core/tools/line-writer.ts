/**
 * Buffered output for the tools. Each push() is one record (a message's line); it resolves once
 * the record's bytes were accepted by the output (the write callback succeeded: the kernel has
 * them), so a message is FINed only after it was really written, and it rejects if the output
 * failed first. A failure (EPIPE from `| head`, ENOSPC from `> /dev/full`, a write that throws)
 * calls `onError` once, synchronously, before any pending push rejects, then rejects what is
 * pending and every later push.
 *
 * Two ways of writing, chosen from the stream's file descriptor:
 *
 *  - direct (a file, a terminal, /dev/null, a stream without an fd): one write per I/O turn
 *    (or per 64 KiB).
 *  - paced (a pipe or a socket: a reader that may stop early, `| head -3`): nothing can see
 *    what the reader has read, and whatever the pipe accepted counts as written, so the writer
 *    starts slowly, like TCP's slow start: the first write carries one record, each later one
 *    at most twice as many as the one before (and up to 64 KiB), the first RAMP_WRITES of them
 *    PACE_MS apart (1, 2, 4 … 128 records over ~70 ms; 10 ms lets a busy machine schedule the
 *    reader between two writes), then one write per I/O turn; after
 *    IDLE_RESET_MS without output it starts over. The reader
 *    runs between two writes, so a reader that wants 3 lines exits after a write or two and the
 *    next write fails with EPIPE instead of being accepted (and FINed).
 */
import {fstatSync} from 'node:fs'
import type {Writable} from 'node:stream'
import {joinParts, partSize} from './record-format.js'

export type OutputMode = 'direct' | 'paced'

export interface LineWriterOptions {
  /** default: 'paced' when the stream's fd is a pipe or a socket, else 'direct' */
  mode?: OutputMode
  /** the output failed (called once, before pending pushes reject) */
  onError?: (err: Error) => void
  /** bytes per write (a single larger record is written whole) */
  highWater?: number
}

/** paced mode: the least time between the starts of two writes */
export const PACE_MS = 10
/** paced mode: after this long without a write, the next write carries one record again */
export const IDLE_RESET_MS = 1000
/** paced mode: the first writes after a start or an idle pause are PACE_MS apart; then one per I/O turn */
export const RAMP_WRITES = 8

/**
 * One promise for records that are written together: in direct mode every record queued
 * between two writes (a write takes them all), in paced mode each record on its own (a paced
 * write may take only the first records queued). tail pushes every message it prints: a
 * promise and an object per record (and a call into C++ for each '\n') cost it ~6% of its CPU.
 */
interface Group {
  promise: Promise<void>
  resolve: () => void
  reject: (e: Error) => void
}

function newGroup(): Group {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return {promise, resolve, reject}
}

export class LineWriter {
  readonly mode: OutputMode
  // the queued records, in flat arrays (no object per record): record i has partCounts[i]
  // parts (the next ones in `parts`), sizes[i] bytes and settles with groups[i]
  private parts: (Buffer | string)[] = []
  private partCounts: number[] = []
  private sizes: number[] = []
  private groups: Group[] = []
  /** the first queued record, and its first part */
  private head = 0
  private partHead = 0
  /** direct mode: the group that records pushed now join */
  private open: Group | null = null
  private queuedBytes = 0
  /** the groups of each write handed to out.write and not yet called back */
  private readonly inWrite = new Set<Group[]>()
  private scheduled = false
  private timer: NodeJS.Timeout | null = null
  private failed: Error | null = null
  private writing: Promise<void> = Promise.resolve()
  private readonly highWater: number
  private readonly onError: ((err: Error) => void) | undefined
  // paced mode
  private lastWriteAt = -Infinity
  private lastCount = 0
  private rampLeft = RAMP_WRITES

  constructor(
    private readonly out: Writable,
    options: LineWriterOptions = {},
  ) {
    this.mode = options.mode ?? outputModeOf(out)
    this.highWater = options.highWater ?? 64 * 1024
    this.onError = options.onError
    out.on('error', (err: Error) => this.fail(err))
  }

  get error(): Error | null {
    return this.failed
  }

  /**
   * Queue one record (its parts are written in order, together); resolves when it has been
   * written. Records written together may share the promise.
   */
  push(data: Buffer | string | readonly (Buffer | string)[]): Promise<void> {
    if (this.failed) return Promise.reject(this.failed)
    let bytes = 0
    let count = 0
    if (typeof data === 'string' || Buffer.isBuffer(data)) {
      this.parts.push(data)
      bytes = partSize(data)
      count = 1
    } else {
      for (const d of data) {
        this.parts.push(d)
        bytes += partSize(d)
      }
      count = data.length
    }
    this.partCounts.push(count)
    this.sizes.push(bytes)
    let g = this.open
    if (g === null) {
      g = newGroup()
      if (this.mode === 'direct') this.open = g
    }
    this.groups.push(g)
    this.queuedBytes += bytes
    if (this.mode === 'direct' && this.queuedBytes >= this.highWater) void this.writeNow(Infinity)
    else this.schedule()
    return g.promise
  }

  /** Write everything queued now, without pacing; resolves when it has been written (or failed). */
  flush(): Promise<void> {
    this.cancelTimer()
    if (this.queued() > 0 && !this.failed) void this.writeNow(Infinity)
    return this.writing
  }

  private queued(): number {
    return this.sizes.length - this.head
  }

  private cancelTimer(): void {
    this.scheduled = false
    if (this.timer) clearTimeout(this.timer)
    this.timer = null
  }

  private schedule(): void {
    if (this.scheduled || this.failed || this.queued() === 0) return
    this.scheduled = true
    if (this.mode === 'direct') {
      setImmediate(() => {
        if (!this.scheduled) return
        this.scheduled = false
        void this.writeNow(Infinity)
      })
      return
    }
    // paced: one write at a time, PACE_MS apart, each at most twice the one before
    if (this.inWrite.size > 0) {
      this.scheduled = false // the write's callback schedules the next one
      return
    }
    const now = performance.now()
    if (now - this.lastWriteAt > IDLE_RESET_MS) {
      this.lastCount = 0
      this.rampLeft = RAMP_WRITES
    }
    const go = (): void => {
      this.timer = null
      if (!this.scheduled) return
      this.scheduled = false
      if (this.rampLeft > 0) this.rampLeft--
      void this.writeNow(Math.max(1, 2 * this.lastCount))
    }
    // past the ramp: one write per I/O turn, as direct; during it, PACE_MS between writes
    const wait = this.rampLeft > 0 ? this.lastWriteAt + PACE_MS - now : 0
    // even at once, after this turn: the records of one socket read are pushed together
    if (wait <= 0) setImmediate(go)
    else this.timer = setTimeout(go, Math.ceil(wait))
  }

  /**
   * Write up to `maxRecords` queued records (and up to highWater bytes, at least one record).
   * Only paced mode writes fewer than all, and there each record has its own group.
   */
  private writeNow(maxRecords: number): Promise<void> {
    if (this.failed || this.queued() === 0) return this.writing
    const paced = this.mode === 'paced' && Number.isFinite(maxRecords)
    const sizes = this.sizes
    const last = sizes.length
    let end = this.head
    let partEnd = this.partHead
    let total = 0
    while (end < last && end - this.head < maxRecords) {
      const bytes = sizes[end] as number
      if (paced && end > this.head && total + bytes > this.highWater) break
      total += bytes
      partEnd += this.partCounts[end] as number
      end++
    }
    const chunk = joinParts(this.parts, this.partHead, partEnd, total)
    // the groups of this write, each once (a group's records are next to each other)
    const batch: Group[] = []
    for (let i = this.head; i < end; i++) {
      const g = this.groups[i] as Group
      if (batch[batch.length - 1] !== g) batch.push(g)
    }
    const count = end - this.head
    this.open = null
    this.queuedBytes -= total
    this.head = end
    this.partHead = partEnd
    if (end === last) this.clearQueue()
    else if (this.head > 1024 && this.head * 2 > last) {
      this.parts.splice(0, this.partHead)
      this.partCounts.splice(0, this.head)
      sizes.splice(0, this.head)
      this.groups.splice(0, this.head)
      this.head = 0
      this.partHead = 0
    }
    this.lastWriteAt = performance.now()
    this.lastCount = count
    this.inWrite.add(batch)
    this.writing = new Promise<void>((resolve) => {
      const done = (err: Error | null | undefined): void => {
        this.inWrite.delete(batch)
        if (err) {
          this.fail(err)
          for (const g of batch) g.reject(err)
        } else for (const g of batch) g.resolve()
        resolve()
        this.schedule()
      }
      try {
        // a synchronous stream (a file, /dev/full) throws instead of calling back
        this.out.write(chunk, done)
      } catch (err) {
        done(err as Error)
      }
    })
    return this.writing
  }

  private clearQueue(): void {
    this.parts = []
    this.partCounts = []
    this.sizes = []
    this.groups = []
    this.head = 0
    this.partHead = 0
    this.open = null
    this.queuedBytes = 0
  }

  private fail(err: Error): void {
    if (this.failed) return
    this.failed = err
    this.cancelTimer()
    try {
      this.onError?.(err)
    } finally {
      const pending = new Set([...[...this.inWrite].flat(), ...this.groups.slice(this.head)])
      this.clearQueue()
      for (const g of pending) g.reject(err)
    }
  }
}

/** 'paced' for a pipe or a socket (a reader that may stop early), else 'direct'. */
export function outputModeOf(out: Writable): OutputMode {
  const fd = (out as {fd?: unknown}).fd
  if (typeof fd !== 'number') return 'direct'
  try {
    const st = fstatSync(fd)
    return st.isFIFO() || st.isSocket() ? 'paced' : 'direct'
  } catch {
    return 'direct'
  }
}

/** EPIPE and friends: the reader went away, which ends a pipeline normally. */
export function isBrokenPipe(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code
  return code === 'EPIPE' || code === 'ECONNRESET' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END'
}
