/**
 * nsqd's deflate upgrade as a Wire codec: raw DEFLATE (RFC 1951, no zlib or gzip header) both
 * ways, as Go's compress/flate writes it — one stream per direction for the connection's life,
 * flushed (a sync flush, `00 00 ff ff`) at every flush of the writer, so each write arrives whole.
 *
 *   in:  zlib-sync's Inflate (windowBits -15), synchronous: each read is inflated at once, with a
 *        sync flush, and inflation goes on with empty input while it still yields bytes (a read
 *        that inflates to more than the output buffer leaves the rest inside zlib otherwise)
 *   out: node:zlib's DeflateRaw at the negotiated level, each write followed by a sync flush;
 *        its output reaches the socket in order, after the write (asynchronously)
 */
import {constants, createDeflateRaw, type DeflateRaw} from 'node:zlib'
import ZlibSync from 'zlib-sync'
import {joined, type Codec, type CodecFactory} from './wire.js'

const INFLATE_CHUNK = 64 * 1024

export class InflateError extends Error {}

/** The inflating half: raw DEFLATE in, the bytes it completes out. */
export class RawInflater {
  private readonly z = new ZlibSync.Inflate({windowBits: -15, chunkSize: INFLATE_CHUNK})
  private readonly empty = Buffer.alloc(0)

  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = []
    let input = chunk
    for (;;) {
      this.z.push(input, ZlibSync.Z_SYNC_FLUSH)
      const err = this.z.err
      // Z_BUF_ERROR: no progress was possible (nothing more to give); anything else below OK is corrupt input
      if (err < ZlibSync.Z_OK && err !== ZlibSync.Z_BUF_ERROR) throw new InflateError(`deflate: ${this.z.msg ?? `error ${err}`}`)
      if (err === ZlibSync.Z_STREAM_END) throw new InflateError('deflate: the peer ended its stream')
      const r = this.z.result
      if (!Buffer.isBuffer(r) || r.length === 0) break
      out.push(r)
      input = this.empty
    }
    return out
  }
}

export function deflateCodec(level: number): CodecFactory {
  return (emit, fail): Codec => {
    const inflater = new RawInflater()
    const deflater: DeflateRaw = createDeflateRaw({level})
    deflater.on('data', (b: Buffer) => emit(b))
    // a deflate failure is a defect of ours, not the peer's: the connection ends with it
    deflater.on('error', (err: Error) => fail(new InflateError(`deflate: ${err.message}`)))
    return {
      name: 'deflate',
      decode(chunk) {
        return joined(inflater.push(chunk))
      },
      encode(chunk, consumed) {
        deflater.write(chunk, () => consumed())
        deflater.flush(constants.Z_SYNC_FLUSH)
      },
      finish(done) {
        deflater.flush(constants.Z_SYNC_FLUSH, () => done())
      },
      close() {
        deflater.close()
      },
    }
  }
}
