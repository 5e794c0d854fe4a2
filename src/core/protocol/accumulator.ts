/**
 * The byte cursor under both incremental decoders (frames on the client side, commands on
 * the server side).
 *
 * One buffer and an offset cursor; chunks are taken as they come. Bytes handed out by
 * `take()` are subarrays (zero-copy) and are never overwritten later: when a unit straddles
 * chunks, the unread tail is copied into a fresh buffer sized for the whole unit (when its
 * size is known), and later chunks are appended after the bytes already handed out. So no
 * `Buffer.concat` of the backlog per chunk, and a 1 MB body arriving in 64 KB chunks is copied
 * once, not sixteen times.
 */
import {int32At} from './bytes.js'

// latin1Slice: Buffer's own fast path behind toString('latin1'), typed in src/node-buffer.d.ts

export class Accumulator {
  private buf: Buffer = Buffer.alloc(0)
  private off = 0
  private end = 0
  /** true when `buf` is our own allocation, so bytes after `end` may be written */
  private owned = false

  get available(): number {
    return this.end - this.off
  }

  /** Append a chunk. `hint` is the total size of the unit being read, when known. */
  push(chunk: Buffer, hint = 0): void {
    if (chunk.length === 0) return
    const rem = this.end - this.off
    if (rem === 0) {
      this.buf = chunk
      this.off = 0
      this.end = chunk.length
      this.owned = false
      return
    }
    if (this.owned && this.buf.length - this.end >= chunk.length) {
      chunk.copy(this.buf, this.end)
      this.end += chunk.length
      return
    }
    const need = rem + chunk.length
    // geometric growth: a unit of unknown size (a long line) is copied O(1) times per byte,
    // not once per chunk (a 64 MiB record in 64 KiB chunks was 1,000 copies of its head)
    const size = Math.max(need, hint, rem * 2)
    const next = Buffer.allocUnsafe(size)
    this.buf.copy(next, 0, this.off, this.end)
    chunk.copy(next, rem)
    this.buf = next
    this.off = 0
    this.end = need
    this.owned = true
  }

  /** The byte `at` bytes past the cursor (caller checks `available`). */
  byte(at: number): number {
    return this.buf[this.off + at] as number
  }

  /** Read a big-endian int32 at `at` bytes past the cursor (caller checks `available`). */
  int32(at = 0): number {
    return int32At(this.buf, this.off + at)
  }

  /** Index (relative to the cursor) of the first `byte` at or after `from`, or -1. */
  indexOf(byte: number, from = 0): number {
    const i = this.buf.indexOf(byte, this.off + from)
    return i < 0 || i >= this.end ? -1 : i - this.off
  }

  /** Hand out the next `n` bytes (zero-copy) and advance. */
  take(n: number): Buffer {
    const b = this.buf.subarray(this.off, this.off + n)
    this.off += n
    return b
  }

  /**
   * The words of the line ending at `nl` (relative to the cursor: the newline's index; a
   * trailing CR is dropped), split on single spaces, each a flat
   * latin1 string; the first word is one of `verbs` (the same string object) when it matches
   * one, so hot verbs cost no allocation.
   */
  words(nl: number, verbs: readonly string[]): string[] {
    const buf = this.buf
    const start = this.off
    let end = start + nl
    if (end > start && buf[end - 1] === 0x0d) end--
    this.off = start + nl + 1
    let sp = start
    while (sp < end && buf[sp] !== 0x20) sp++
    const out: string[] = [matchWord(buf, start, sp, verbs) ?? buf.latin1Slice(start, sp)]
    while (sp < end) {
      const from = sp + 1
      sp = from
      while (sp < end && buf[sp] !== 0x20) sp++
      out.push(buf.latin1Slice(from, sp))
    }
    return out
  }

  skip(n: number): void {
    this.off += n
  }

  /** Make sure the next unit of `total` bytes can be assembled without re-copying. */
  reserve(total: number): void {
    const rem = this.end - this.off
    if (rem === 0 || rem >= total) return
    if (this.owned && this.buf.length - this.off >= total) return
    const next = Buffer.allocUnsafe(total)
    this.buf.copy(next, 0, this.off, this.end)
    this.buf = next
    this.off = 0
    this.end = rem
    this.owned = true
  }

  /** Hand out everything buffered past the cursor (zero-copy) and forget it: a stream upgrade's leftover. */
  takeRest(): Buffer {
    const rest = this.buf.subarray(this.off, this.end)
    this.clear()
    return rest
  }

  /** Drop everything buffered. */
  clear(): void {
    this.buf = Buffer.alloc(0)
    this.off = 0
    this.end = 0
    this.owned = false
  }
}

function matchWord(buf: Buffer, start: number, end: number, words: readonly string[]): string | undefined {
  const len = end - start
  outer: for (const w of words) {
    if (w.length !== len) continue
    for (let i = 0; i < len; i++) if (buf[start + i] !== w.charCodeAt(i)) continue outer
    return w
  }
  return undefined
}
