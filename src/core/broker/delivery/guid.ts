/**
 * Message ids as nsqd makes them (nsqd guid.go), rendered as 16 lowercase hex characters:
 *
 *   64-bit id = ((now_ns >> 20) − 1288834974288) << 22 | node_id << 12 | sequence
 *
 * Differences from nsqd, both deliberate: when the 12-bit sequence runs out inside one
 * 1.05 ms tick, the generator borrows the next tick instead of failing the publish
 * (nsqd returns ErrSequenceExhausted and retries), and a clock going backwards reuses the
 * last tick instead of failing. Ids stay unique and increasing either way.
 *
 * Hot path: the 13-byte prefix is cached per tick; an id is made by writing 3 hex bytes after
 * it and slicing out one flat string.
 */
const TWEPOCH = 1288834974288
/** the 3 hex digits of each sequence number, as 3 ASCII bytes packed in one int */
const SEQ_BYTES: number[] = Array.from({length: 4096}, (_, i) => {
  const h = i.toString(16).padStart(3, '0')
  return (h.charCodeAt(0) << 16) | (h.charCodeAt(1) << 8) | h.charCodeAt(2)
})

export class GuidFactory {
  private lastTick = -1
  private seq = 0
  /** the id being built: 13 prefix bytes cached per tick, 3 sequence bytes per id */
  private readonly scratch = Buffer.alloc(16)

  constructor(
    private readonly nodeId: number,
    private readonly nowMs: () => number = Date.now,
  ) {
    if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 1023) throw new RangeError(`node id ${nodeId} out of range 0-1023`)
  }

  next(): string {
    // (ms * 1e6) >> 20 exactly: 1e6 / 2^20 = 15625 / 16384, and every step stays below 2^53
    const ms = Math.floor(this.nowMs())
    let tick = Math.floor(ms / 16384) * 15625 + Math.floor(((ms % 16384) * 15625) / 16384) - TWEPOCH
    if (tick <= this.lastTick) {
      tick = this.lastTick
      if (++this.seq > 4095) {
        tick++
        this.seq = 0
      }
    } else {
      this.seq = 0
    }
    if (tick !== this.lastTick) {
      this.lastTick = tick
      // hi 32 bits = tick >> 10; lo 32 bits = (tick & 0x3ff) << 22 | node << 12 | seq
      const hi = Math.floor(tick / 1024)
      const loTop20 = (tick % 1024) * 1024 + this.nodeId // lo >>> 12
      this.scratch.write(hi.toString(16).padStart(8, '0') + loTop20.toString(16).padStart(5, '0'), 0, 13, 'latin1')
    }
    // one flat string (a concatenation would be a cons string, flattened again by every map)
    const seq = SEQ_BYTES[this.seq] as number
    const b = this.scratch
    b[13] = seq >>> 16
    b[14] = (seq >>> 8) & 0xff
    b[15] = seq & 0xff
    return b.latin1Slice(0, 16)
  }
}
