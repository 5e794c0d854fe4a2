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
 * Hot path: advance() leaves the id in four number fields, the words of its 16 hex bytes
 * (protocol/message.ts MessageIdWords), the first three made once per tick: no string per id.
 */
import {idString, type MessageIdWords} from '../../protocol/index.js'

const TWEPOCH = 1288834974288
/** the 2 hex digits of each byte, as 2 ASCII bytes packed in one int */
const HEX2: number[] = Array.from({length: 256}, (_, i) => {
  const h = i.toString(16).padStart(2, '0')
  return (h.charCodeAt(0) << 8) | h.charCodeAt(1)
})
/** the id word of 16 bits as 4 hex digits */
const hex4 = (v: number): number => ((HEX2[v >>> 8] as number) << 16) | (HEX2[v & 0xff] as number)

export class GuidFactory implements MessageIdWords {
  private lastTick = -1
  private seq = 0
  /** the low 32 bits' top 20 (tick & 0x3ff, node), per tick */
  private loTop20 = 0
  /** the id advance() made last */
  id0 = 0
  id1 = 0
  id2 = 0
  id3 = 0

  constructor(
    private readonly nodeId: number,
    private readonly nowMs: () => number = Date.now,
  ) {
    if (!Number.isInteger(nodeId) || nodeId < 0 || nodeId > 1023) throw new RangeError(`node id ${nodeId} out of range 0-1023`)
  }

  /** the clock the ids are made by, ms */
  now(): number {
    return this.nowMs()
  }

  /**
   * Make the next id, at time `ms` (now(); a batch of messages asks the clock once): in id0-id3.
   */
  advance(at: number): void {
    // (ms * 1e6) >> 20 exactly: 1e6 / 2^20 = 15625 / 16384, and every step stays below 2^53
    const ms = Math.floor(at)
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
      this.loTop20 = (tick % 1024) * 1024 + this.nodeId // lo >>> 12
      this.id0 = hex4(hi >>> 16)
      this.id1 = hex4(hi & 0xffff)
      this.id2 = hex4(this.loTop20 >>> 4)
    }
    this.id3 = hex4(((this.loTop20 & 0xf) << 12) | this.seq)
  }

  /** The next id as its 16 characters. */
  next(): string {
    this.advance(this.nowMs())
    return idString(this)
  }
}
