/**
 * Server → client frames (NSQ TCP protocol V2, NSQ-SPEC §2.2 "Server frames").
 *
 *   [ size: int32 BE = 4 + len(data) ][ frame type: int32 BE ][ data ... ]
 *     frame type 0 = response ("OK", "CLOSE_WAIT", "_heartbeat_", IDENTIFY JSON)
 *                1 = error    ("E_CODE description")
 *                2 = message  (see message.ts)
 */
import {Accumulator} from './accumulator.js'
import {putInt32} from './bytes.js'
import {FrameError} from './errors.js'

export const FrameType = {
  Response: 0,
  Error: 1,
  Message: 2,
} as const
export type FrameType = (typeof FrameType)[keyof typeof FrameType]

export const FRAME_HEADER_SIZE = 8

/** The 4 bytes a V2 client sends first. Plain `Buffer` (not the inferred `Buffer<ArrayBuffer>`): the declarations also compile with an older, non-generic @types/node. */
export const MAGIC_V2: Buffer = Buffer.from('  V2', 'latin1')
export const HEARTBEAT = '_heartbeat_'
export const OK = 'OK'
export const CLOSE_WAIT = 'CLOSE_WAIT'

export interface Frame {
  type: FrameType
  /** the frame's data, a zero-copy view into the received bytes */
  data: Buffer
}

/** Write the 8-byte frame header for `dataLength` bytes of data at `offset`. */
export function writeFrameHeader(target: Buffer, offset: number, type: FrameType, dataLength: number): number {
  putInt32(target, offset, dataLength + 4)
  putInt32(target, offset + 4, type)
  return offset + FRAME_HEADER_SIZE
}

/** Encode one complete frame. */
export function encodeFrame(type: FrameType, data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  const out = Buffer.allocUnsafe(FRAME_HEADER_SIZE + body.length)
  writeFrameHeader(out, 0, type, body.length)
  body.copy(out, FRAME_HEADER_SIZE)
  return out
}

export interface FrameDecoderOptions {
  /** largest acceptable frame data (a size prefix beyond it is a FrameError); default 64 MiB */
  maxFrameSize?: number
}

/**
 * Incremental frame decoder: `push()` chunks as they arrive, then call `next()` until it
 * returns undefined. Throws only FrameError (negative/oversized size, unknown type).
 */
export class FrameDecoder {
  private readonly acc = new Accumulator()
  private readonly max: number

  constructor(opts: FrameDecoderOptions = {}) {
    this.max = opts.maxFrameSize ?? 64 * 1024 * 1024
  }

  push(chunk: Buffer): void {
    // size the buffer for the pending frame, but only from a size prefix next() would accept
    let hint = 0
    if (this.acc.available >= 4) {
      const size = this.acc.int32()
      if (size >= 4 && size - 4 <= this.max) hint = size + 4
    }
    this.acc.push(chunk, hint)
  }

  get buffered(): number {
    return this.acc.available
  }

  /** The bytes read past the last whole frame, taken out (a stream upgrade hands them to the new layer). */
  takeRest(): Buffer {
    return this.acc.takeRest()
  }

  next(): Frame | undefined {
    const acc = this.acc
    if (acc.available < 4) return undefined
    const size = acc.int32()
    if (size < 4) throw new FrameError(`invalid frame size ${size}`)
    if (size - 4 > this.max) throw new FrameError(`frame too big ${size - 4} > ${this.max}`)
    if (acc.available < 4 + size) {
      acc.reserve(4 + size)
      return undefined
    }
    const type = acc.int32(4)
    if (type !== 0 && type !== 1 && type !== 2) throw new FrameError(`invalid frame type ${type}`)
    acc.skip(8)
    return {type: type as FrameType, data: acc.take(size - 4)}
  }
}
