/**
 * Deflate (src/core/transport/deflate.ts) against node:zlib as the other end: what Go's
 * compress/flate sends (raw DEFLATE, a sync flush after each write, one stream for the whole
 * connection) inflates in any split, a small read that inflates to more than one output buffer
 * comes out whole, and garbage or an ended stream is an error; the codec's output is flushed
 * at every write, so each write inflates as soon as it is read.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {constants, createDeflateRaw, deflateRawSync, createInflateRaw} from 'node:zlib'
import {InflateError, RawInflater, deflateCodec} from '../../../src/core/transport/deflate.js'

/** A raw deflate stream with a sync flush after each part, as Go's flate.Writer.Flush writes it. */
async function flushedStream(parts: Buffer[], level = 6): Promise<Buffer[]> {
  const d = createDeflateRaw({level})
  const out: Buffer[] = []
  const pieces: Buffer[] = []
  d.on('data', (b: Buffer) => out.push(b))
  for (const p of parts) {
    d.write(p)
    await new Promise<void>((r) => d.flush(constants.Z_SYNC_FLUSH, () => r()))
    pieces.push(Buffer.concat(out.splice(0)))
  }
  d.close()
  return pieces
}

test('each flushed write inflates as soon as its bytes arrive, in one stream', async () => {
  const parts = [Buffer.from('IDENTIFY\n'), randomBytes(1000), Buffer.alloc(5000, 'n'), Buffer.from('FIN 0123456789abcdef\n')]
  const pieces = await flushedStream(parts)
  const inf = new RawInflater()
  for (const [i, piece] of pieces.entries()) {
    assert.ok(piece.subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff])), 'a sync flush ends each write')
    assert.deepEqual(Buffer.concat(inf.push(piece)), parts[i], `write ${i}`)
  }
})

test('any split of the stream inflates to the same bytes', async () => {
  const parts = Array.from({length: 30}, (_, i) => (i % 3 === 0 ? randomBytes(3000) : Buffer.alloc(2000 + i, i)))
  const stream = Buffer.concat(await flushedStream(parts))
  const want = Buffer.concat(parts)
  for (const step of [1, 7, 1000, stream.length]) {
    const inf = new RawInflater()
    const got: Buffer[] = []
    for (let off = 0; off < stream.length; off += step) got.push(...inf.push(stream.subarray(off, off + step)))
    assert.deepEqual(Buffer.concat(got), want, `split every ${step} bytes`)
  }
})

test('a small read that inflates to megabytes comes out whole (more than one output buffer)', async () => {
  const big = Buffer.alloc(4 * 1024 * 1024, 0x61)
  const [piece] = await flushedStream([big], 9)
  assert.ok((piece as Buffer).length < 10_000)
  const got = Buffer.concat(new RawInflater().push(piece as Buffer))
  assert.equal(got.length, big.length)
  assert.ok(got.equals(big))
})

test('garbage, or a stream the peer ended, is an InflateError', () => {
  assert.throws(() => new RawInflater().push(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff])), InflateError)
  const ended = deflateRawSync(Buffer.from('the end'))
  assert.throws(() => new RawInflater().push(ended), /the peer ended its stream/)
})

test('the codec: every write is flushed (inflatable at once); consumed is called after; finish flushes', async () => {
  const emitted: Buffer[] = []
  const failures: Error[] = []
  const codec = deflateCodec(6)((b) => emitted.push(b), (err) => failures.push(err))
  const reader = createInflateRaw()
  const inflated: Buffer[] = []
  reader.on('data', (b: Buffer) => inflated.push(b))
  const writes = [Buffer.from('OK'), randomBytes(70_000), Buffer.alloc(100_000, 'm')]
  for (const w of writes) {
    await new Promise<void>((r) => codec.encode(w, r))
    // the flush's output follows the write on zlib's thread: wait (boundedly) for its marker
    const flushed = (): boolean => Buffer.concat(emitted).subarray(-4).equals(Buffer.from([0, 0, 0xff, 0xff]))
    for (let i = 0; i < 200 && !flushed(); i++) await new Promise<void>((r) => setTimeout(r, 5))
    assert.ok(flushed(), 'the write was flushed')
    const bytes = Buffer.concat(emitted.splice(0))
    await new Promise<void>((r) => reader.write(bytes, () => r()))
    await new Promise<void>((r) => reader.flush(constants.Z_SYNC_FLUSH, () => r()))
    assert.deepEqual(Buffer.concat(inflated.splice(0)), w)
  }
  // what the codec decodes is what node:zlib encoded
  const back = codec.decode(deflateRawSync(Buffer.from('back'), {finishFlush: constants.Z_SYNC_FLUSH}))
  assert.deepEqual(back, Buffer.from('back'))
  await new Promise<void>((r) => codec.finish(r))
  codec.close()
  assert.deepEqual(failures, [])
  reader.close()
})
