/** FrameDecoder / encodeFrame beyond the golden bytes: limits, bad sizes and types, allocation. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {
  FRAME_HEADER_SIZE,
  FrameDecoder,
  FrameError,
  FrameType,
  encodeFrame,
  writeFrameHeader,
} from '../../../src/core/protocol/index.js'

const header = (size: number, type: number): Buffer => {
  const b = Buffer.alloc(8)
  b.writeInt32BE(size, 0)
  b.writeInt32BE(type, 4)
  return b
}

const isFrameError = (re: RegExp) => (err: unknown): boolean =>
  err instanceof FrameError && err.code === 'E_BAD_FRAME' && re.test(err.message)

test('encodeFrame: header is size = 4 + len(data), then the type', () => {
  assert.deepEqual(encodeFrame(FrameType.Response, 'OK'), Buffer.from('00000006000000004f4b', 'hex'))
  assert.deepEqual(encodeFrame(FrameType.Error, Buffer.alloc(0)), Buffer.from('0000000400000001', 'hex'))
  assert.deepEqual(encodeFrame(FrameType.Message, 'é'), Buffer.from('0000000600000002c3a9', 'hex'), 'strings are utf8')
  assert.equal(FRAME_HEADER_SIZE, 8)
})

test('writeFrameHeader writes at the offset and returns the offset after the header', () => {
  const b = Buffer.alloc(12, 0xaa)
  assert.equal(writeFrameHeader(b, 2, FrameType.Message, 100), 10)
  assert.deepEqual(b, Buffer.from('aaaa0000006800000002aaaa', 'hex'))
})

test('FrameDecoder: empty data frame (size 4)', () => {
  const d = new FrameDecoder()
  d.push(header(4, 0))
  const f = d.next()
  assert.ok(f)
  assert.equal(f.type, FrameType.Response)
  assert.equal(f.data.length, 0)
  assert.equal(d.next(), undefined)
})

test('FrameDecoder: nothing before the whole frame has arrived', () => {
  const frame = encodeFrame(FrameType.Response, 'hello')
  const d = new FrameDecoder()
  for (let i = 0; i < frame.length - 1; i++) {
    d.push(frame.subarray(i, i + 1))
    assert.equal(d.next(), undefined, `after ${i + 1} bytes`)
    assert.equal(d.buffered, i + 1)
  }
  d.push(frame.subarray(frame.length - 1))
  assert.equal(d.next()?.data.toString(), 'hello')
  assert.equal(d.buffered, 0)
})

test('FrameDecoder: several frames in one chunk, then an incomplete one', () => {
  const a = encodeFrame(FrameType.Response, 'OK')
  const b = encodeFrame(FrameType.Error, 'E_INVALID x')
  const c = encodeFrame(FrameType.Message, Buffer.alloc(30, 1))
  const d = new FrameDecoder()
  d.push(Buffer.concat([a, b, c.subarray(0, 10)]))
  assert.equal(d.next()?.data.toString(), 'OK')
  const e = d.next()
  assert.equal(e?.type, FrameType.Error)
  assert.equal(e?.data.toString(), 'E_INVALID x')
  assert.equal(d.next(), undefined)
  d.push(c.subarray(10))
  assert.deepEqual(d.next()?.data, Buffer.alloc(30, 1))
})

test('FrameDecoder: size below 4 is a FrameError', () => {
  for (const size of [3, 0, -1, -2147483648]) {
    const d = new FrameDecoder()
    d.push(header(size, 0))
    assert.throws(() => d.next(), isFrameError(/invalid frame size/), `size ${size}`)
  }
})

test('FrameDecoder: the size is checked as soon as 4 bytes are in, before any data', () => {
  const d = new FrameDecoder({maxFrameSize: 100})
  d.push(Buffer.from([0, 0, 0]))
  assert.equal(d.next(), undefined)
  d.push(Buffer.from([105]))
  assert.throws(() => d.next(), isFrameError(/frame too big 101 > 100/))
})

test('FrameDecoder: maxFrameSize is inclusive', () => {
  const ok = new FrameDecoder({maxFrameSize: 10})
  ok.push(encodeFrame(FrameType.Response, Buffer.alloc(10)))
  assert.equal(ok.next()?.data.length, 10)
  const bad = new FrameDecoder({maxFrameSize: 10})
  bad.push(encodeFrame(FrameType.Response, Buffer.alloc(11)))
  assert.throws(() => bad.next(), isFrameError(/too big/))
})

test('FrameDecoder: default max is 64 MiB', () => {
  const d = new FrameDecoder()
  d.push(header(64 * 1024 * 1024 + 4, 0).subarray(0, 4))
  assert.equal(d.next(), undefined, 'exactly 64 MiB is acceptable')
  const e = new FrameDecoder()
  e.push(header(64 * 1024 * 1024 + 5, 0).subarray(0, 4))
  assert.throws(() => e.next(), isFrameError(/too big/))
})

test('FrameDecoder: unknown frame type is a FrameError', () => {
  for (const type of [3, -1, 0x7fffffff]) {
    const d = new FrameDecoder()
    d.push(Buffer.concat([header(6, type), Buffer.from('OK')]))
    assert.throws(() => d.next(), isFrameError(/invalid frame type/), `type ${type}`)
  }
})

test('FrameDecoder: a hostile size prefix never causes a big allocation, even across pushes', () => {
  for (const size of [0x7fffffff, 0x7ffffffc, -5]) {
    const d = new FrameDecoder()
    const before = process.memoryUsage().arrayBuffers
    d.push(header(size, 0).subarray(0, 4))
    d.push(Buffer.from([0, 0, 0, 0]))
    d.push(Buffer.from('more bytes'))
    const grown = process.memoryUsage().arrayBuffers - before
    assert.ok(grown < 16 * 1024 * 1024, `size ${size}: grew ${grown} bytes`)
    assert.throws(() => d.next(), (err: unknown) => err instanceof FrameError)
  }
})

test('FrameDecoder: a frame over maxFrameSize does not size the buffer either', () => {
  const d = new FrameDecoder({maxFrameSize: 1024})
  const before = process.memoryUsage().arrayBuffers
  d.push(header(50 * 1024 * 1024, 0).subarray(0, 4))
  d.push(Buffer.alloc(10))
  assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024)
  assert.throws(() => d.next(), isFrameError(/too big/))
})

test('FrameDecoder: data is a zero-copy view when the frame arrives in one chunk', () => {
  const chunk = Buffer.concat([encodeFrame(FrameType.Response, 'abc'), encodeFrame(FrameType.Response, 'def')])
  const d = new FrameDecoder()
  d.push(chunk)
  const a = d.next()
  const b = d.next()
  assert.ok(a && b)
  assert.equal(a.data.buffer, chunk.buffer)
  assert.equal(b.data.byteOffset, chunk.byteOffset + 8 + 3 + 8)
})

test('FrameDecoder: a big frame in 64 KiB chunks is assembled once and decodes intact', () => {
  const body = Buffer.alloc(1024 * 1024 + 17)
  for (let i = 0; i < body.length; i++) body[i] = (i * 31) & 0xff
  const frame = encodeFrame(FrameType.Message, body)
  const d = new FrameDecoder()
  const out: Buffer[] = []
  for (let o = 0; o < frame.length; o += 65536) {
    d.push(Buffer.from(frame.subarray(o, o + 65536)))
    for (let f = d.next(); f; f = d.next()) out.push(f.data)
  }
  assert.equal(out.length, 1)
  assert.ok((out[0] as Buffer).equals(body))
})
