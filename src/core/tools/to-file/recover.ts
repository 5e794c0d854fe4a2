/**
 * Crash recovery for to-file's output: the longest whole prefix of a file, and the repair that
 * cuts the file to it.
 *
 * The archiver writes each sync as one batch of whole records and fsyncs it, and FINs the batch
 * only after the fsync (NSQ-SPEC §1.2 "Write / sync / FIN ordering"); with gzip each batch is one
 * complete gzip member, so a file is a concatenation of members. A `kill -9` at any moment can
 * leave a torn tail: part of a member, part of a record. Nothing in it was FINed, so cutting it
 * loses nothing (nsqd redelivers it), and what stays is a file `gzip -t`/`zcat` accept (NSQ's
 * open bug #716, "malformed gzip on crash", is this tail).
 *
 * The whole prefix:
 *  - gzip: every complete, valid member from the start, up to the first that is not. A member is
 *    RFC 1952: the 10-byte header (1f 8b, CM 8, no reserved FLG bits), then by its flags FEXTRA
 *    (XLEN + XLEN bytes), FNAME and FCOMMENT (zero-terminated), FHCRC (the low 16 bits of the
 *    header's CRC-32, checked: gzip checks it too); the raw deflate stream; the trailer, CRC-32
 *    and ISIZE (the inflated length mod 2^32) of the inflated bytes, both checked. Files written
 *    by Go's nsq_to_file (compress/gzip) parse the same way.
 *  - raw, json: up to and including the last '\n' (a json record is one JSON.stringify line, so
 *    '\n' only ends records).
 *  - length-prefixed: every whole [4-byte big-endian length][body] from the start; bodies are
 *    skipped, never read, so a '\n' or anything else inside them is just bytes.
 *
 * Bounded memory. The file is read through a 64 KiB window (`Cursor`), never whole. The deflate
 * stream is fed window by window to one `zlib.createInflateRaw` per member, waiting for each
 * write's callback before the next; the inflated chunks only update a running CRC-32
 * (`zlib.crc32(chunk, crc)`, Node >= 20.15) and a byte count, and are dropped. The engine stops
 * taking input where the deflate stream ends, so once `bytesWritten` (input consumed) falls
 * behind the bytes fed, the stream ended inside the last window: wait for 'end' (every chunk
 * counted), and the trailer starts at the member's data start + `bytesWritten`. The end of the
 * file before that, or an inflate error (a corrupt stream), makes the member not whole. A
 * `zlib.inflateRawSync(..., {info: true})` per member would be simpler but needs the whole member
 * in memory, and a member (one sync's batch, up to max-in-flight bodies) has no size bound.
 *
 * A cut never skips ahead: a member that fails (a flipped byte, a bad CRC) ends the prefix even if
 * valid members follow it, since the prefix is what is kept.
 */
import {open, unlink, type FileHandle} from 'node:fs/promises'
import {dirname} from 'node:path'
import zlib from 'node:zlib'
import type {RecordFormat} from '../record-format.js'

export type {RecordFormat}

export interface RecoverOptions {
  gzip: boolean
  format: RecordFormat
}

export interface RepairResult {
  /** the file's size before the repair */
  size: number
  validLength: number
  /** ok: the file was whole; truncated: cut to validLength; removed: gzip with nothing whole */
  action: 'ok' | 'truncated' | 'removed'
}

/** the read window (and the most the inflate is fed at once) */
const CHUNK = 64 * 1024

const FHCRC = 0x02
const FEXTRA = 0x04
const FNAME = 0x08
const FCOMMENT = 0x10
const FRESERVED = 0xe0

/**
 * Reads from `pos` through a window of up to CHUNK bytes. Each refill reads into a new buffer, so
 * a view handed out (to the inflate engine) is never overwritten by a later read.
 */
class Cursor {
  pos = 0
  private buf = Buffer.alloc(0)
  /** the file offset of buf[0] */
  private start = 0

  constructor(
    private readonly fh: FileHandle,
    readonly size: number,
  ) {}

  /** The bytes from pos to the window's end (refilled when pos is outside it); empty at EOF. */
  async window(): Promise<Buffer> {
    if (this.pos >= this.size) return Buffer.alloc(0)
    if (!this.holds(1)) await this.fill()
    return this.buf.subarray(this.pos - this.start)
  }

  /** Make [pos, pos + n) readable through view() (n <= CHUNK); false if the file ends first. */
  async has(n: number): Promise<boolean> {
    if (this.pos + n > this.size) return false
    if (!this.holds(n)) await this.fill()
    return this.holds(n)
  }

  /** n bytes at pos, after has(n) said yes */
  view(n: number): Buffer {
    const at = this.pos - this.start
    return this.buf.subarray(at, at + n)
  }

  private holds(n: number): boolean {
    return this.pos >= this.start && this.pos + n <= this.start + this.buf.length
  }

  private async fill(): Promise<void> {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, this.size - this.pos))
    const {bytesRead} = await this.fh.read(buf, 0, buf.length, this.pos)
    this.buf = buf.subarray(0, bytesRead)
    this.start = this.pos
  }
}

/** The length of the longest whole prefix of the file at `path` (see the header comment). */
export async function validLength(path: string, o: RecoverOptions): Promise<number> {
  const fh = await open(path, 'r')
  try {
    return await validLengthOf(fh, (await fh.stat()).size, o)
  } finally {
    await fh.close()
  }
}

/**
 * Cut the file to its whole prefix and fsync it. For gzip, nothing whole (0 bytes: a 0-byte .gz
 * fails gzip -t) removes the file and fsyncs its directory; an empty plain file is kept.
 */
export async function repairFile(path: string, o: RecoverOptions): Promise<RepairResult> {
  const fh = await open(path, 'r+')
  let result: RepairResult
  try {
    const size = (await fh.stat()).size
    const valid = await validLengthOf(fh, size, o)
    if (o.gzip && valid === 0) {
      result = {size, validLength: 0, action: 'removed'}
    } else {
      if (valid < size) await fh.truncate(valid)
      await fh.sync()
      return {size, validLength: valid, action: valid < size ? 'truncated' : 'ok'}
    }
  } finally {
    await fh.close()
  }
  await unlink(path)
  await syncDir(dirname(path))
  return result
}

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

function validLengthOf(fh: FileHandle, size: number, o: RecoverOptions): Promise<number> {
  if (o.gzip) return gzipLength(new Cursor(fh, size))
  if (o.format === 'length-prefixed') return lengthPrefixedLength(new Cursor(fh, size))
  return lineLength(fh, size)
}

/** raw, json: up to and including the last '\n', searched from the end a chunk at a time */
async function lineLength(fh: FileHandle, size: number): Promise<number> {
  let end = size
  while (end > 0) {
    const from = Math.max(0, end - CHUNK)
    const buf = Buffer.allocUnsafe(end - from)
    const {bytesRead} = await fh.read(buf, 0, buf.length, from)
    const i = buf.subarray(0, bytesRead).lastIndexOf(0x0a)
    if (i >= 0) return from + i + 1
    end = from
  }
  return 0
}

/** length-prefixed: whole [u32 BE length][body] records from the start */
async function lengthPrefixedLength(c: Cursor): Promise<number> {
  let valid = 0
  for (;;) {
    c.pos = valid
    if (!(await c.has(4))) return valid
    const end = valid + 4 + c.view(4).readUInt32BE(0)
    if (end > c.size) return valid
    valid = end
  }
}

/** gzip: whole valid members from the start */
async function gzipLength(c: Cursor): Promise<number> {
  let valid = 0
  for (;;) {
    c.pos = valid
    if (!(await skipHeader(c))) return valid
    const inflated = await inflateMember(c)
    if (inflated === null || !(await c.has(8))) return valid
    const trailer = c.view(8)
    if (trailer.readUInt32LE(0) !== inflated.crc || trailer.readUInt32LE(4) !== inflated.size % 2 ** 32) return valid
    valid = c.pos + 8
  }
}

/** Past a gzip member's header (RFC 1952 §2.3.1); false if it is cut short or not valid. */
async function skipHeader(c: Cursor): Promise<boolean> {
  if (!(await c.has(10))) return false
  const fixed = c.view(10)
  const flags = fixed[3] as number
  if (fixed[0] !== 0x1f || fixed[1] !== 0x8b || fixed[2] !== 8 || (flags & FRESERVED) !== 0) return false
  let crc = zlib.crc32(fixed)
  c.pos += 10
  if (flags & FEXTRA) {
    if (!(await c.has(2))) return false
    const xlen = c.view(2).readUInt16LE(0)
    crc = zlib.crc32(c.view(2), crc)
    c.pos += 2
    const after = await skipBytes(c, xlen, crc)
    if (after === null) return false
    crc = after
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if ((flags & flag) === 0) continue
    const after = await skipZeroTerminated(c, crc)
    if (after === null) return false
    crc = after
  }
  if (flags & FHCRC) {
    if (!(await c.has(2)) || c.view(2).readUInt16LE(0) !== (crc & 0xffff)) return false
    c.pos += 2
  }
  return true
}

/** Past n bytes, adding them to crc; null if the file ends first. */
async function skipBytes(c: Cursor, n: number, crc: number): Promise<number | null> {
  let left = n
  while (left > 0) {
    const w = await c.window()
    if (w.length === 0) return null
    const part = w.subarray(0, left)
    crc = zlib.crc32(part, crc)
    c.pos += part.length
    left -= part.length
  }
  return crc
}

/** Past a zero-terminated field (and its zero), adding it to crc; null if the file ends first. */
async function skipZeroTerminated(c: Cursor, crc: number): Promise<number | null> {
  for (;;) {
    const w = await c.window()
    if (w.length === 0) return null
    const zero = w.indexOf(0)
    const part = zero < 0 ? w : w.subarray(0, zero + 1)
    crc = zlib.crc32(part, crc)
    c.pos += part.length
    if (zero >= 0) return crc
  }
}

/**
 * Inflate the raw deflate stream at c.pos, window by window, keeping only the CRC-32 and length
 * of its output. On success c.pos is just past the stream (at the trailer); null if the file
 * ends inside the stream or the stream is corrupt.
 */
async function inflateMember(c: Cursor): Promise<{crc: number; size: number} | null> {
  const start = c.pos
  const inflate = zlib.createInflateRaw({chunkSize: CHUNK})
  let crc = 0
  let size = 0
  inflate.on('data', (chunk: Buffer) => {
    crc = zlib.crc32(chunk, crc)
    size += chunk.length
  })
  const failed = new Promise<false>((resolve) => inflate.on('error', () => resolve(false)))
  const ended = new Promise<true>((resolve) => inflate.once('end', () => resolve(true)))
  try {
    let fed = 0
    for (;;) {
      const w = await c.window()
      if (w.length === 0) return null
      fed += w.length
      const written = new Promise<boolean>((resolve) => inflate.write(w, (err) => resolve(!err)))
      if (!(await Promise.race([written, failed]))) return null
      if (inflate.bytesWritten < fed) {
        // the engine stopped taking input: the stream ended inside this window
        if (!(await Promise.race([ended, failed]))) return null
        c.pos = start + inflate.bytesWritten
        return {crc, size}
      }
      c.pos += w.length
    }
  } finally {
    inflate.destroy()
  }
}
