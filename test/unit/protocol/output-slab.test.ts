/** OutputSlab: bytes encoded into one slab leave as views, never written over once handed out. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {FIN_SIZE, OutputSlab, encodeMessage, fin, writeFin} from '../../../src/core/protocol/index.js'

function collecting(size: number): {slab: OutputSlab; chunks: Buffer[]} {
  const chunks: Buffer[] = []
  return {slab: new OutputSlab((c) => chunks.push(c), size), chunks}
}

test('OutputSlab: what was written between flushes leaves as one chunk, in order', () => {
  const {slab, chunks} = collecting(64)
  slab.append(Buffer.from('ab'))
  slab.append(Buffer.from('cd'))
  assert.equal(slab.pending, 4)
  slab.flush()
  slab.flush() // nothing pending: no empty chunk
  slab.append(Buffer.from('e'))
  slab.flush()
  assert.deepEqual(
    chunks.map((c) => c.toString()),
    ['abcd', 'e'],
  )
  assert.equal(slab.pending, 0)
})

test('OutputSlab: a full slab hands its pending bytes out first; chunks handed out are never overwritten', () => {
  const {slab, chunks} = collecting(8)
  for (const s of ['123456', '789', 'abcdefghijkl', 'xy']) slab.append(Buffer.from(s))
  slab.flush()
  // '789' did not fit after '123456' (8 bytes): the first chunk left before it; the 12-byte
  // write got a slab of its own size; each chunk still holds its bytes after the later writes
  assert.deepEqual(
    chunks.map((c) => c.toString()),
    ['123456', '789', 'abcdefghijkl', 'xy'],
  )
})

test('OutputSlab: writers encode at end after reserve()', () => {
  const {slab, chunks} = collecting(16)
  slab.reserve(3)
  slab.buf[slab.end++] = 0x61
  slab.end += slab.buf.write('bc', slab.end, 'latin1')
  slab.flush()
  assert.equal(chunks[0]?.toString(), 'abc')
})

test('OutputSlab: discard drops what is pending', () => {
  const {slab, chunks} = collecting(16)
  slab.append(Buffer.from('gone'))
  slab.discard()
  slab.flush()
  slab.append(Buffer.from('kept'))
  slab.flush()
  assert.deepEqual(
    chunks.map((c) => c.toString()),
    ['kept'],
  )
})

test('writeFin: the bytes of fin(id), the id copied from the message payload', () => {
  const id = '0a1b2c3d4e5f6789'
  const payload = encodeMessage({timestamp: 1n, attempts: 3, id, body: Buffer.from('body')})
  const out = Buffer.alloc(FIN_SIZE + 2, 0xee)
  assert.equal(writeFin(out, 1, payload), 1 + FIN_SIZE)
  assert.deepEqual(out.subarray(1, 1 + FIN_SIZE), fin(id).encode())
  assert.equal(out[0], 0xee)
  assert.equal(out[FIN_SIZE + 1], 0xee)
})

test('OutputSlab.written: once every chunk handed out is written and nothing is pending, the slab is written from its start again', () => {
  const {slab, chunks} = collecting(16)
  slab.append(Buffer.from('abc'))
  const first = slab.buf
  slab.flush()
  slab.append(Buffer.from('de'))
  slab.flush()
  slab.append(Buffer.from('f')) // pending: no rewind yet
  slab.written(chunks[0] as Buffer)
  slab.written(chunks[1] as Buffer)
  slab.flush()
  assert.equal(chunks[2]?.byteOffset, (chunks[1] as Buffer).byteOffset + 2, 'appended after the pending bytes')
  slab.written(chunks[2] as Buffer)
  slab.append(Buffer.from('gh'))
  assert.equal(slab.buf, first, 'the same slab')
  slab.flush()
  assert.equal(chunks[3]?.byteOffset, first.byteOffset, 'from the start again')
  assert.equal(chunks[3]?.toString(), 'gh')
})

test('OutputSlab.written: a chunk of an earlier slab does not rewind the current one', () => {
  const {slab, chunks} = collecting(8)
  slab.append(Buffer.from('123456'))
  slab.append(Buffer.from('789')) // a new slab; '123456' handed out
  slab.flush()
  slab.written(chunks[0] as Buffer) // the old slab's chunk
  slab.append(Buffer.from('x'))
  slab.flush()
  assert.deepEqual(
    chunks.map((c) => c.toString()),
    ['123456', '789', 'x'],
  )
  assert.equal(chunks[2]?.byteOffset, (chunks[1] as Buffer).byteOffset + 3, '789 not yet written: no rewind')
})

test('OutputSlab: no memory is taken before the first write (a connection that never writes costs no slab)', () => {
  const {slab, chunks} = collecting(64)
  assert.equal(slab.buf.length, 0)
  slab.flush()
  assert.equal(chunks.length, 0)
  slab.append(Buffer.from('x'))
  assert.equal(slab.buf.length, 64)
  slab.flush()
  assert.deepEqual(
    chunks.map((c) => c.toString()),
    ['x'],
  )
})
