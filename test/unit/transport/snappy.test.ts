/**
 * Snappy's framing format (src/core/transport/snappy.ts) against vectors made by hand from the
 * format's text (google/snappy framing_format.txt) and the published CRC-32C check values (the
 * CRC catalogue's "123456789", RFC 3720's 32-byte patterns): the stream identifier, the
 * chunk layout, the masked checksum, 64 KiB chunking, any split of the input, and each way a
 * stream can be wrong. Blocks made by the `snappy` codec are checked to round-trip; a block
 * written by hand (a literal and a copy) checks the decoder does not depend on our encoder.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {crc32c} from '@node-rs/crc32'
import {
  STREAM_IDENTIFIER,
  SnappyError,
  SnappyFrameDecoder,
  SnappyFrameEncoder,
  maskedCrc,
} from '../../../src/core/transport/snappy.js'

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex')

/** One chunk: type, 3-byte little-endian length, data. */
function chunk(type: number, data: Buffer): Buffer {
  const h = Buffer.from([type, data.length & 0xff, (data.length >>> 8) & 0xff, (data.length >>> 16) & 0xff])
  return Buffer.concat([h, data])
}

function crcLE(plain: Buffer): Buffer {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(maskedCrc(plain))
  return b
}

function decodeAll(...parts: Buffer[]): Buffer {
  const d = new SnappyFrameDecoder()
  return Buffer.concat(parts.flatMap((p) => d.push(p)))
}

test('the stream identifier is ff 06 00 00 "sNaPpY"', () => {
  assert.deepEqual(STREAM_IDENTIFIER, hex('ff060000 734e61507059'))
})

test('CRC-32C check values (catalogue "123456789", RFC 3720 zeros and ones) and the mask', () => {
  assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283)
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa)
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43)
  // worked by hand: 0xe3069283 rotated right by 15 is 0x2507c60d; + 0xa282ead8 = 0xc78ab0e5 (mod 2^32)
  assert.equal(maskedCrc(Buffer.from('123456789')), 0xc78ab0e5)
})

test('the encoder: the identifier once, then an incompressible write as one uncompressed chunk', () => {
  const e = new SnappyFrameEncoder()
  const body = randomBytes(100)
  const first = e.encode(body)
  assert.deepEqual(first, Buffer.concat([STREAM_IDENTIFIER, chunk(0x01, Buffer.concat([crcLE(body), body]))]))
  const second = e.encode(body)
  assert.deepEqual(second, chunk(0x01, Buffer.concat([crcLE(body), body])), 'no identifier the second time')
})

test('the encoder: a compressible write as a compressed chunk whose checksum is of the uncompressed bytes', () => {
  const e = new SnappyFrameEncoder()
  const body = Buffer.alloc(1000, 'a')
  const out = e.encode(body).subarray(STREAM_IDENTIFIER.length)
  assert.equal(out[0], 0x00)
  const len = out.readUIntLE(1, 3)
  assert.equal(out.length, 4 + len)
  assert.ok(len < 100, `1000 x 'a' compresses (${len} bytes)`)
  assert.equal(out.readUInt32LE(4), maskedCrc(body))
  assert.deepEqual(decodeAll(STREAM_IDENTIFIER, out), body)
})

test('the encoder splits a write into chunks of at most 65,536 uncompressed bytes', () => {
  const e = new SnappyFrameEncoder()
  const body = randomBytes(2 * 65536 + 1)
  let out = e.encode(body).subarray(STREAM_IDENTIFIER.length)
  const sizes: number[] = []
  while (out.length > 0) {
    const len = out.readUIntLE(1, 3)
    assert.equal(out[0], 0x01)
    sizes.push(len - 4)
    out = out.subarray(4 + len)
  }
  assert.deepEqual(sizes, [65536, 65536, 1])
})

test('the decoder takes a hand-written compressed chunk (a literal and a copy)', () => {
  // block "abcabcabc": varint length 9; literal of 3 (tag (3-1)<<2); copy, 1-byte offset: length 6, offset 3
  const block = hex('09 08 616263 09 03')
  const plain = Buffer.from('abcabcabc')
  assert.deepEqual(decodeAll(STREAM_IDENTIFIER, chunk(0x00, Buffer.concat([crcLE(plain), block]))), plain)
})

test('the decoder takes the stream in any split, skips padding and skippable chunks, and a repeated identifier', () => {
  const e = new SnappyFrameEncoder()
  const writes = [Buffer.from('hello'), Buffer.alloc(70_000, 'x'), randomBytes(5000), Buffer.alloc(0)]
  const framed = Buffer.concat([
    e.encode(writes[0] as Buffer),
    chunk(0xfe, Buffer.alloc(10)),
    chunk(0x80, Buffer.from('skip me')),
    chunk(0xfd, Buffer.alloc(0)),
    STREAM_IDENTIFIER,
    e.encode(writes[1] as Buffer),
    e.encode(writes[2] as Buffer),
    e.encode(writes[3] as Buffer),
  ])
  const want = Buffer.concat(writes)
  assert.deepEqual(decodeAll(framed), want)
  // byte by byte
  const d = new SnappyFrameDecoder()
  const out: Buffer[] = []
  for (let i = 0; i < framed.length; i++) out.push(...d.push(framed.subarray(i, i + 1)))
  assert.deepEqual(Buffer.concat(out), want)
  // random splits
  for (let round = 0; round < 20; round++) {
    const d2 = new SnappyFrameDecoder()
    const got: Buffer[] = []
    for (let off = 0; off < framed.length; ) {
      const n = 1 + Math.floor(Math.random() * 9000)
      got.push(...d2.push(framed.subarray(off, off + n)))
      off += n
    }
    assert.deepEqual(Buffer.concat(got), want)
  }
})

test('a decoded chunk is its own memory: the next read cannot change what was handed on', () => {
  const e = new SnappyFrameEncoder()
  const framed = e.encode(randomBytes(64))
  const copy = Buffer.from(framed)
  const d = new SnappyFrameDecoder()
  const [first] = d.push(framed.subarray(0, framed.length - 1))
  assert.equal(first, undefined)
  const [got] = d.push(framed.subarray(framed.length - 1))
  const want = Buffer.from(got as Buffer)
  framed.fill(0)
  assert.deepEqual(got, want)
  assert.deepEqual(decodeAll(copy), want)
})

test('each way a stream can be wrong is an error', () => {
  const body = Buffer.from('payload')
  const good = chunk(0x01, Buffer.concat([crcLE(body), body]))
  const cases: [string, Buffer[], RegExp][] = [
    ['data before the identifier', [good], /does not start with its identifier/],
    ['a wrong identifier', [chunk(0xff, Buffer.from('sNaPpX'))], /bad stream identifier/],
    ['a bad checksum', [STREAM_IDENTIFIER, chunk(0x01, Buffer.concat([Buffer.alloc(4), body]))], /checksum mismatch/],
    ['a reserved unskippable type', [STREAM_IDENTIFIER, chunk(0x02, Buffer.alloc(3))], /reserved unskippable chunk type 0x02/],
    ['a chunk too short for its checksum', [STREAM_IDENTIFIER, chunk(0x00, Buffer.alloc(3))], /chunk too short/],
    ['a corrupt block', [STREAM_IDENTIFIER, chunk(0x00, Buffer.concat([crcLE(body), hex('05 10 61')]))], /corrupt block/],
    ['a chunk longer than the format allows (76,494 bytes), refused at its header', [STREAM_IDENTIFIER, Buffer.from([0xfe, 0xff, 0xff, 0xff])], /a chunk of 16777215 bytes is over the 76494/],
    ['a compressed block declaring more than 65,536 bytes', [STREAM_IDENTIFIER, chunk(0x00, Buffer.concat([Buffer.alloc(4), hex('80 80 80 80 01 00')]))], /larger than 65536/],
    ['an uncompressed chunk over 65,536 bytes', [STREAM_IDENTIFIER, chunk(0x01, Buffer.concat([crcLE(Buffer.alloc(65537)), Buffer.alloc(65537)]))], /larger than 65536/],
  ]
  for (const [what, parts, err] of cases) {
    assert.throws(() => decodeAll(...parts), (e: unknown) => e instanceof SnappyError && err.test(e.message), what)
  }
})
