/**
 * A disk queue's hold cursor (disk-queue.ts, "hold"): the start of the oldest record still held.
 *
 * Each record read is held under the next sequence number, with the position where it ends.
 * Releases may come in any order: one at the base moves the cursor past it and past every
 * released record right after it; one ahead of the base waits in `releasedAhead`. What the
 * metadata records as its read position is the cursor, so after a crash every record from it on
 * is read again.
 */
import {Deque} from './deque.js'

export class HoldCursor {
  /** the cursor: file number and byte offset */
  file = 0
  pos = 0
  /** the sequence number the next record read gets */
  private nextSeq = 0
  /** the sequence number of the oldest record held */
  private base = 0
  private readonly endFile = new Deque<number>(64)
  private readonly endPos = new Deque<number>(64)
  private readonly releasedAhead = new Set<number>()

  /** records held (read, not yet released) */
  get size(): number {
    return this.endPos.length
  }

  /** Start at a position with nothing held (open, empty). */
  reset(file: number, pos: number): void {
    this.file = file
    this.pos = pos
    this.endFile.clear()
    this.endPos.clear()
    this.releasedAhead.clear()
    this.base = this.nextSeq
  }

  /** Hold a record that ends at (file, pos); returns its sequence number. */
  hold(file: number, pos: number): number {
    this.endFile.push(file)
    this.endPos.push(pos)
    return this.nextSeq++
  }

  /** Let go of `seq`; true when the cursor moved. */
  release(seq: number): boolean {
    if (seq < this.base) return false
    if (seq !== this.base) {
      this.releasedAhead.add(seq)
      return false
    }
    this.advance()
    while (this.releasedAhead.size > 0 && this.releasedAhead.delete(this.base)) this.advance()
    return true
  }

  /** How many records were read after `seq`. */
  readSince(seq: number): number {
    return this.nextSeq - 1 - seq
  }

  private advance(): void {
    this.file = this.endFile.shift() as number
    this.pos = this.endPos.shift() as number
    this.base++
  }
}
