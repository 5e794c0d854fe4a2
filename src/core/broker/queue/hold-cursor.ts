/**
 * A disk queue's hold cursor (disk-queue.ts, "hold"): the start of the oldest record still held.
 *
 * Each record read is held under the next sequence number, with the position where it ends.
 * Releases may come in any order: one at the base moves the cursor past it and past every
 * released record right after it; one ahead of the base is marked in its slot and waits. What
 * the metadata records as its read position is the cursor, so after a crash every record from
 * it on is read again.
 *
 * The held records are one ring of typed arrays (end file, end position, released?), indexed by
 * sequence − base: a release is a store, with no Set of the releases ahead (a Set's add/delete
 * per FIN was 1.5% of the broker under nsq's bench_reader).
 */
export class HoldCursor {
  /** the cursor: file number and byte offset */
  file = 0
  pos = 0
  /** the sequence number the next record read gets */
  private nextSeq = 0
  /** the sequence number of the oldest record held: at the ring's head */
  private base = 0
  private head = 0
  private count = 0
  private mask = 63
  private endFile = new Float64Array(64)
  private endPos = new Float64Array(64)
  private released = new Uint8Array(64)

  /** records read from the cursor on: held, or released ahead of the oldest held (a crash reads them again) */
  get size(): number {
    return this.count
  }

  /** Start at a position with nothing held (open, empty). */
  reset(file: number, pos: number): void {
    this.file = file
    this.pos = pos
    this.head = 0
    this.count = 0
    this.released.fill(0)
    this.base = this.nextSeq
  }

  /** Hold a record that ends at (file, pos); returns its sequence number. */
  hold(file: number, pos: number): number {
    if (this.count === this.released.length) this.grow()
    const i = (this.head + this.count) & this.mask
    this.endFile[i] = file
    this.endPos[i] = pos
    this.released[i] = 0
    this.count++
    return this.nextSeq++
  }

  /** Let go of `seq`; true when the cursor moved. */
  release(seq: number): boolean {
    const k = seq - this.base
    if (k < 0 || k >= this.count) return false
    const r = this.released
    if (k !== 0) {
      r[(this.head + k) & this.mask] = 1
      return false
    }
    do {
      const i = this.head
      this.file = this.endFile[i] as number
      this.pos = this.endPos[i] as number
      r[i] = 0
      this.head = (i + 1) & this.mask
      this.count--
      this.base++
    } while (this.count > 0 && r[this.head] === 1)
    return true
  }

  /** How many records were read after `seq`. */
  readSince(seq: number): number {
    return this.nextSeq - 1 - seq
  }

  private grow(): void {
    const cap = this.released.length * 2
    const file = new Float64Array(cap)
    const pos = new Float64Array(cap)
    const released = new Uint8Array(cap)
    for (let k = 0; k < this.count; k++) {
      const i = (this.head + k) & this.mask
      file[k] = this.endFile[i] as number
      pos[k] = this.endPos[i] as number
      released[k] = this.released[i] as number
    }
    this.endFile = file
    this.endPos = pos
    this.released = released
    this.head = 0
    this.mask = cap - 1
  }
}
