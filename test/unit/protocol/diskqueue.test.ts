/**
 * nsqd's data-path files as codecs: go-diskqueue's records and metadata text, nsqd.dat. The
 * expected bytes are written out by hand from go-diskqueue v1.1.0's writeOne/persistMetaData and
 * nsqd's PersistMetadata, not produced by the code under test.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {
  decodeNsqdMetadata,
  diskQueueName,
  encodeNsqdMetadata,
  formatDiskQueueMeta,
  metaFileName,
  parseDiskQueueMeta,
  readRecordData,
  recordSize,
  segmentFileName,
  writeRecord,
  idWords,
} from '../../../src/core/protocol/index.js'

test('file names: go-diskqueue\'s, with nsqd\'s topic:channel backend names', () => {
  assert.equal(diskQueueName('orders'), 'orders')
  assert.equal(diskQueueName('orders', 'archive'), 'orders:archive')
  assert.equal(segmentFileName('orders:archive', 0), 'orders:archive.diskqueue.000000.dat')
  assert.equal(segmentFileName('t', 123456), 't.diskqueue.123456.dat')
  assert.equal(segmentFileName('t', 1234567), 't.diskqueue.1234567.dat', '%06d widens past six digits')
  assert.equal(metaFileName('orders'), 'orders.diskqueue.meta.dat')
})

test('a record is [size][timestamp][attempts][id][body], big-endian, byte for byte', () => {
  const body = Buffer.from([0x00, 0xff, 0x0a, 0x41])
  const id = '0123456789abcdef'
  const size = recordSize(body.length)
  assert.equal(size, 4 + 26 + 4)
  const buf = Buffer.alloc(size + 3, 0xee)
  const end = writeRecord(buf, 1, 0x17a2b3c4, 0xd5e6f708, 0x0102, idWords(id), body)
  assert.equal(end, 1 + size)
  const expected = Buffer.concat([
    Buffer.from([0xee]),
    Buffer.from([0x00, 0x00, 0x00, 30]), // 26 + 4
    Buffer.from([0x17, 0xa2, 0xb3, 0xc4, 0xd5, 0xe6, 0xf7, 0x08]),
    Buffer.from([0x01, 0x02]),
    Buffer.from(id, 'latin1'),
    body,
    Buffer.from([0xee, 0xee]),
  ])
  assert.deepEqual(buf, expected)
  const back = readRecordData(buf.subarray(5, end))
  assert.deepEqual({...back, body: [...back.body]}, {tsHigh: 0x17a2b3c4, tsLow: 0xd5e6f708, attempts: 0x0102, id, body: [0x00, 0xff, 0x0a, 0x41]})
})

test('attempts are written modulo 2^16, as a uint16', () => {
  const buf = Buffer.alloc(recordSize(1))
  writeRecord(buf, 0, 0, 0, 65537, idWords('aaaaaaaaaaaaaaaa'), Buffer.from('x'))
  assert.equal(readRecordData(buf.subarray(4)).attempts, 1)
})

test('metadata text: "%d\\n%d,%d\\n%d,%d\\n"', () => {
  const m = {depth: 42, readFileNum: 3, readPos: 1024, writeFileNum: 5, writePos: 77}
  assert.equal(formatDiskQueueMeta(m), '42\n3,1024\n5,77\n')
  assert.deepEqual(parseDiskQueueMeta('42\n3,1024\n5,77\n'), m)
  assert.deepEqual(parseDiskQueueMeta('0\n0,0\n0,0\n'), {depth: 0, readFileNum: 0, readPos: 0, writeFileNum: 0, writePos: 0})
  assert.deepEqual(parseDiskQueueMeta('7\n0,10\n0,20'), {depth: 7, readFileNum: 0, readPos: 10, writeFileNum: 0, writePos: 20}, 'the last newline may be missing')
  assert.equal(parseDiskQueueMeta('-3\n0,0\n0,0\n')?.depth, -3, 'a negative depth parses (the queue clamps it)')
  for (const bad of ['', 'x\n0,0\n0,0\n', '1\n0;0\n0,0\n', '1\n0,0\n', '1 0,0 0,0']) assert.equal(parseDiskQueueMeta(bad), null, JSON.stringify(bad))
})

test('nsqd.dat: Go\'s field order, no spaces, empty channel lists as []', () => {
  const text = encodeNsqdMetadata({
    topics: [
      {name: 't1', paused: false, channels: [{name: 'c1', paused: true}]},
      {name: 't2', paused: true, channels: []},
    ],
    version: '1.3.0',
  })
  assert.equal(text, '{"topics":[{"name":"t1","paused":false,"channels":[{"name":"c1","paused":true}]},{"name":"t2","paused":true,"channels":[]}],"version":"1.3.0"}')
  assert.equal(encodeNsqdMetadata({topics: [], version: '1.3.0'}), '{"topics":[],"version":"1.3.0"}')
})

test('nsqd.dat is read as nsqd\'s LoadMetadata: invalid names skipped, a missing paused is false', () => {
  const m = decodeNsqdMetadata('{"topics":[{"name":"ok","channels":[{"name":"c"},{"name":"bad name","paused":true}]},{"name":"no/slash","paused":true,"channels":[]},{"name":"p","paused":true}],"version":"1.2.1"}')
  assert.deepEqual(m.topics, [
    {name: 'ok', paused: false, channels: [{name: 'c', paused: false}]},
    {name: 'p', paused: true, channels: []},
  ])
  assert.equal(m.version, '1.2.1')
  assert.deepEqual(m.skipped, ['channel "bad name" of topic ok', 'topic "no/slash"'])
  assert.deepEqual(decodeNsqdMetadata('{}').topics, [])
  assert.throws(() => decodeNsqdMetadata('not json'), SyntaxError)
  assert.throws(() => decodeNsqdMetadata('[1]'), TypeError)
  assert.throws(() => decodeNsqdMetadata('{"topics":{}}'), TypeError)
})
