/**
 * Snappy's framing format (google/snappy framing_format.txt), the stream nsqd's snappy upgrade
 * speaks both ways (golang/snappy NewReader/NewWriter), as a Wire codec. Only the framing is
 * ours: the blocks are the `snappy` package's (N-API), the checksums `@node-rs/crc32`'s CRC-32C.
 *
 *   chunk := [1-byte type][3-byte LE length][length bytes]
 *   0xff         stream identifier: "sNaPpY" (first in a stream; may come again)
 *   0x00         compressed:   [4-byte LE masked CRC-32C of the uncompressed bytes][snappy block]
 *   0x01         uncompressed: [4-byte LE masked CRC-32C][the bytes]
 *   0xfe, 0x80-0xfd   padding / skippable: skipped
 *   0x02-0x7f    reserved unskippable: an error
 *   masked = ((crc >>> 15) | (crc << 17)) + 0xa282ead8 (mod 2^32); uncompressed data ≤ 65536 bytes
 *
 * The encoder sends the identifier before its first chunk, then each write as chunks of up to
 * 64 KiB, compressed when that saves at least an eighth (golang/snappy's rule), else as they are,
 * all of one write in one buffer (one socket write). The decoder takes the stream in any split
 * and checks every checksum; a bad chunk is an error (the connection closes).
 */
import {crc32c} from '@node-rs/crc32'
import {compressSync, uncompressSync} from 'snappy'
import {joined, type Codec, type CodecFactory} from './wire.js'

/** The block format: snappy's own, or a stand-in in tests. */
export interface SnappyBlocks {
  compress(b: Buffer): Buffer
  uncompress(b: Buffer): Buffer
}

export const SNAPPY_BLOCKS: SnappyBlocks = {
  compress: (b) => compressSync(b),
  uncompress: (b) => uncompressSync(b, {asBuffer: true}) as Buffer,
}

export const STREAM_IDENTIFIER = Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59])
const MAX_BLOCK = 65536
/** golang/snappy: maxEncodedLenOfMaxBlockSize (76490) + the checksum */
const MAX_CHUNK = 76490 + 4
const CHUNK_COMPRESSED = 0x00
const CHUNK_UNCOMPRESSED = 0x01
const CHUNK_IDENTIFIER = 0xff
const CHUNK_PADDING = 0xfe

export function maskedCrc(b: Buffer): number {
  const c = crc32c(b)
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0
}

export class SnappyError extends Error {}

/** A snappy block's uncompressed length (its leading varint); Infinity when it does not parse. */
function declaredLength(b: Buffer, at: number): number {
  let n = 0
  for (let i = 0, shift = 1; i < 5 && at + i < b.length; i++, shift *= 128) {
    const byte = b[at + i] as number
    n += (byte & 0x7f) * shift
    if ((byte & 0x80) === 0) return n
  }
  return Infinity
}

/** The incremental decoder: framed bytes in, the uncompressed bytes they complete out. */
export class SnappyFrameDecoder {
  private buf: Buffer = Buffer.alloc(0)
  private sawIdentifier = false

  constructor(private readonly blocks: SnappyBlocks = SNAPPY_BLOCKS) {}

  push(chunk: Buffer): Buffer[] {
    const buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk])
    const out: Buffer[] = []
    let off = 0
    while (buf.length - off >= 4) {
      const type = buf[off] as number
      const len = (buf[off + 1] as number) | ((buf[off + 2] as number) << 8) | ((buf[off + 3] as number) << 16)
      // golang/snappy's reader refuses any chunk longer than its buffer: a peer cannot make us
      // hold (and re-join at every read) 16 MiB of one chunk
      if (len > MAX_CHUNK) throw new SnappyError(`snappy: a chunk of ${len} bytes is over the ${MAX_CHUNK} the format allows`)
      if (buf.length - off - 4 < len) break
      const data = buf.subarray(off + 4, off + 4 + len)
      off += 4 + len
      if (type === CHUNK_IDENTIFIER) {
        if (!data.equals(STREAM_IDENTIFIER.subarray(4))) throw new SnappyError('snappy: bad stream identifier')
        this.sawIdentifier = true
        continue
      }
      if (!this.sawIdentifier) throw new SnappyError('snappy: the stream does not start with its identifier')
      if (type === CHUNK_COMPRESSED || type === CHUNK_UNCOMPRESSED) {
        if (len < 4) throw new SnappyError('snappy: chunk too short')
        const crc = data.readUInt32LE(0)
        let plain: Buffer
        if (type === CHUNK_COMPRESSED) {
          // the block's declared length (a varint) is checked before anything is allocated for it
          if (declaredLength(data, 4) > MAX_BLOCK) throw new SnappyError('snappy: chunk larger than 65536 bytes')
          try {
            plain = this.blocks.uncompress(data.subarray(4))
          } catch (err) {
            throw new SnappyError(`snappy: corrupt block (${(err as Error).message})`)
          }
        } else plain = data.subarray(4)
        if (plain.length > MAX_BLOCK) throw new SnappyError('snappy: chunk larger than 65536 bytes')
        if (maskedCrc(plain) !== crc) throw new SnappyError('snappy: checksum mismatch')
        // a view of an uncompressed chunk is safe to hand on: read chunks are never reused
        out.push(plain)
        continue
      }
      if (type === CHUNK_PADDING || type >= 0x80) continue
      throw new SnappyError(`snappy: reserved unskippable chunk type 0x${type.toString(16).padStart(2, '0')}`)
    }
    this.buf = off === buf.length ? Buffer.alloc(0) : Buffer.from(buf.subarray(off))
    return out
  }
}

/** The encoder: each call is one buffer of whole chunks (the identifier first, once). */
export class SnappyFrameEncoder {
  private started = false

  constructor(private readonly blocks: SnappyBlocks = SNAPPY_BLOCKS) {}

  encode(plain: Buffer): Buffer {
    const parts: Buffer[] = []
    if (!this.started) {
      this.started = true
      parts.push(STREAM_IDENTIFIER)
    }
    for (let off = 0; off < plain.length; off += MAX_BLOCK) {
      const block = plain.subarray(off, Math.min(plain.length, off + MAX_BLOCK))
      const packed = this.blocks.compress(block)
      const compressed = packed.length < block.length - (block.length >>> 3)
      const body = compressed ? packed : block
      const head = Buffer.allocUnsafe(8)
      const len = body.length + 4
      head[0] = compressed ? CHUNK_COMPRESSED : CHUNK_UNCOMPRESSED
      head[1] = len & 0xff
      head[2] = (len >>> 8) & 0xff
      head[3] = (len >>> 16) & 0xff
      head.writeUInt32LE(maskedCrc(block), 4)
      parts.push(head, body)
    }
    return Buffer.concat(parts)
  }
}

/** nsqd's snappy upgrade as a Wire codec. */
export function snappyCodec(blocks: SnappyBlocks = SNAPPY_BLOCKS): CodecFactory {
  return (emit): Codec => {
    const dec = new SnappyFrameDecoder(blocks)
    const enc = new SnappyFrameEncoder(blocks)
    return {
      name: 'snappy',
      decode(chunk) {
        return joined(dec.push(chunk))
      },
      encode(chunk, consumed) {
        const framed = enc.encode(chunk)
        consumed()
        emit(framed)
      },
      finish(done) {
        done()
      },
      close() {},
    }
  }
}
