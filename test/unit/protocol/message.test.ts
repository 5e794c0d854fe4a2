/** Message payloads: [timestamp int64][attempts uint16][16-byte id][body]. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {
  FrameDecoder,
  FrameError,
  FrameType,
  MESSAGE_HEADER_SIZE,
  MSG_ID_LENGTH,
  type Message,
  decodeMessage,
  encodeFrame,
  encodeMessage,
  joinTimestamp,
  messageFrameSize,
  splitTimestamp,
  writeMessageFrame,
  idWords,
} from '../../../src/core/protocol/index.js'

const msg = (over: Partial<Message> = {}): Message => ({
  timestamp: 1795226889166432251n,
  attempts: 1,
  id: '18a2921fdbe69000',
  body: Buffer.from('hello world'),
  ...over,
})

test('message layout constants', () => {
  assert.equal(MESSAGE_HEADER_SIZE, 26)
  assert.equal(MSG_ID_LENGTH, 16)
  assert.equal(messageFrameSize(0), 34)
  assert.equal(messageFrameSize(11), 45)
})

test('encodeMessage: wire layout', () => {
  const b = encodeMessage(msg({timestamp: 0x0102030405060708n, attempts: 0x0a0b, id: '0123456789abcdef', body: Buffer.from('xy')}))
  assert.equal(b.toString('hex'), '0102030405060708' + '0a0b' + Buffer.from('0123456789abcdef').toString('hex') + '7879')
})

test('decodeMessage: triad on synthetic values', () => {
  const cases: Message[] = [
    msg(),
    msg({body: Buffer.alloc(0)}),
    msg({attempts: 65535}),
    msg({attempts: 0}),
    msg({timestamp: 0n}),
    msg({timestamp: 0x7fffffffffffffffn}),
    msg({body: Buffer.from([0, 0xff, 0x0a, 0x0d])}),
    msg({body: Buffer.alloc(70000, 7)}),
  ]
  for (const m of cases) {
    const enc = encodeMessage(m)
    assert.equal(enc.length, MESSAGE_HEADER_SIZE + m.body.length)
    assert.deepEqual(decodeMessage(enc), m)
    const [hi, lo] = splitTimestamp(m.timestamp)
    const frame = Buffer.alloc(messageFrameSize(m.body.length))
    assert.equal(writeMessageFrame(frame, 0, hi, lo, m.attempts, idWords(m.id), m.body), frame.length)
    assert.deepEqual(frame, encodeFrame(FrameType.Message, enc))
    const d = new FrameDecoder()
    d.push(frame)
    const f = d.next()
    assert.ok(f)
    assert.deepEqual(decodeMessage(f.data), m)
  }
})

test('decodeMessage: exactly the header is a message with an empty body', () => {
  const m = decodeMessage(Buffer.alloc(26, 0x30))
  assert.equal(m.body.length, 0)
  assert.equal(m.id, '0000000000000000')
})

test('decodeMessage: shorter than the header is a FrameError', () => {
  for (const n of [0, 1, 8, 10, 25]) {
    assert.throws(
      () => decodeMessage(Buffer.alloc(n)),
      (err: unknown) => err instanceof FrameError && err.message === `message frame too short (${n} bytes)`,
    )
  }
})

test('decodeMessage: body is a zero-copy view', () => {
  const data = encodeMessage(msg())
  const m = decodeMessage(data)
  assert.equal(m.body.buffer, data.buffer)
  assert.equal(m.body.byteOffset, data.byteOffset + 26)
})

test('decodeMessage: the id is read byte for byte (latin1)', () => {
  const data = encodeMessage(msg())
  data[10] = 0xe9
  assert.equal(decodeMessage(data).id.charCodeAt(0), 0xe9)
})

test('writeMessageFrame: attempts wrap to 16 bits', () => {
  const frame = Buffer.alloc(messageFrameSize(0))
  writeMessageFrame(frame, 0, 0, 0, 65537, idWords('0000000000000000'), Buffer.alloc(0))
  assert.equal(decodeMessage(frame.subarray(8)).attempts, 1)
})

test('splitTimestamp / joinTimestamp round-trip non-negative timestamps', () => {
  for (const ts of [0n, 1n, 0xffffffffn, 0x100000000n, 1795226889166432251n, 0x7fffffffffffffffn]) {
    const [hi, lo] = splitTimestamp(ts)
    assert.ok(hi >= 0 && hi <= 0xffffffff && lo >= 0 && lo <= 0xffffffff)
    assert.equal(joinTimestamp(hi, lo), ts)
  }
  assert.deepEqual(splitTimestamp(0x0000000100000002n), [1, 2])
})

test('writeMessageFrame writes the same bytes as encodeMessage for a current timestamp', () => {
  const now = BigInt(Date.now()) * 1_000_000n + 123n
  const m = msg({timestamp: now, attempts: 3})
  const [hi, lo] = splitTimestamp(now)
  const out = Buffer.alloc(messageFrameSize(m.body.length))
  writeMessageFrame(out, 0, hi, lo, m.attempts, idWords(m.id), m.body)
  assert.deepEqual(out.subarray(8), encodeMessage(m))
})
