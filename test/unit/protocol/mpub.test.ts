/** decodeMpubBody: nsqd's readMPUB checks and texts (protocol_v2.go). */
import test from 'node:test'
import assert from 'node:assert/strict'

import {ProtocolError, decodeMpubBody, encodeMpubBody, type MpubLimits} from '../../../src/core/protocol/index.js'

/** nsqd 1.3.0 defaults: --max-msg-size 1048576, --max-body-size 5242880 */
const LIMITS: MpubLimits = {maxMsgSize: 1048576, maxBodySize: 5242880}

const int32s = (...ns: number[]): Buffer => {
  const b = Buffer.alloc(4 * ns.length)
  ns.forEach((n, i) => b.writeInt32BE(n, 4 * i))
  return b
}
const body = (...parts: (number | string | Buffer)[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'number' ? int32s(p) : typeof p === 'string' ? Buffer.from(p) : p)))

function rejects(b: Buffer, code: string, text: string, limits = LIMITS): void {
  assert.throws(
    () => decodeMpubBody(b, limits),
    (err: unknown) => {
      assert.ok(err instanceof ProtocolError, String(err))
      assert.equal(err.code, code)
      assert.equal(err.description, text)
      assert.equal(err.frameText(), `${code} ${text}`)
      assert.equal(err.fatal, true)
      return true
    },
  )
}

test('decodeMpubBody: triad with encodeMpubBody', () => {
  const bodies = [Buffer.from('a'), Buffer.from('hello'), Buffer.alloc(1000, 0xff), Buffer.from([0])]
  const enc = encodeMpubBody(bodies)
  assert.deepEqual(enc, body(4, 1, 'a', 5, 'hello', 1000, Buffer.alloc(1000, 0xff), 1, Buffer.from([0])))
  assert.deepEqual(decodeMpubBody(enc, LIMITS), bodies)
  assert.deepEqual(encodeMpubBody(decodeMpubBody(enc, LIMITS)), enc)
})

test('decodeMpubBody: message bodies are zero-copy views', () => {
  const enc = encodeMpubBody([Buffer.from('xy'), Buffer.from('z')])
  const [a, b] = decodeMpubBody(enc, LIMITS)
  assert.equal(a?.buffer, enc.buffer)
  assert.equal(a?.byteOffset, enc.byteOffset + 8)
  assert.equal(b?.byteOffset, enc.byteOffset + 14)
})

test('decodeMpubBody: count missing', () => {
  for (const n of [0, 1, 3]) rejects(Buffer.alloc(n), 'E_BAD_BODY', 'MPUB failed to read message count')
})

test('decodeMpubBody: count 0 (nsqd: "E_BAD_BODY MPUB invalid message count 0")', () => {
  rejects(body(0), 'E_BAD_BODY', 'MPUB invalid message count 0')
  rejects(body(0, 1, 'x'), 'E_BAD_BODY', 'MPUB invalid message count 0')
})

test('decodeMpubBody: negative count', () => {
  rejects(body(-1), 'E_BAD_BODY', 'MPUB invalid message count -1')
  rejects(body(-2147483648), 'E_BAD_BODY', 'MPUB invalid message count -2147483648')
})

test('decodeMpubBody: count above (maxBodySize - 4) / 5', () => {
  const limits = {maxMsgSize: 100, maxBodySize: 104} // at most 20 messages
  rejects(body(21), 'E_BAD_BODY', 'MPUB invalid message count 21', limits)
  rejects(body(2147483647), 'E_BAD_BODY', 'MPUB invalid message count 2147483647')
  const twenty = encodeMpubBody(Array.from({length: 20}, () => Buffer.from('x')))
  assert.equal(decodeMpubBody(twenty, limits).length, 20)
})

test('decodeMpubBody: message size 0 or negative', () => {
  rejects(body(1, 0), 'E_BAD_MESSAGE', 'MPUB invalid message(0) body size 0')
  rejects(body(2, 1, 'a', 0), 'E_BAD_MESSAGE', 'MPUB invalid message(1) body size 0')
  rejects(body(2, 1, 'a', -7), 'E_BAD_MESSAGE', 'MPUB invalid message(1) body size -7')
})

test('decodeMpubBody: message too big', () => {
  rejects(body(1, 1048577), 'E_BAD_MESSAGE', 'MPUB message too big 1048577 > 1048576')
  rejects(body(2, 1, 'a', 11, 'hello world'), 'E_BAD_MESSAGE', 'MPUB message too big 11 > 10', {maxMsgSize: 10, maxBodySize: 1000})
  assert.equal(decodeMpubBody(body(1, 10, '0123456789'), {maxMsgSize: 10, maxBodySize: 1000}).length, 1, 'max is inclusive')
})

test('decodeMpubBody: truncated', () => {
  rejects(body(1), 'E_BAD_MESSAGE', 'MPUB failed to read message(0) body size')
  rejects(body(2, 1, 'a'), 'E_BAD_MESSAGE', 'MPUB failed to read message(1) body size')
  rejects(body(2, 1, 'a', Buffer.from([0, 0])), 'E_BAD_MESSAGE', 'MPUB failed to read message(1) body size')
  rejects(body(1, 5, 'abcd'), 'E_BAD_MESSAGE', 'MPUB failed to read message body')
  rejects(body(2, 1, 'a', 3), 'E_BAD_MESSAGE', 'MPUB failed to read message body')
})
