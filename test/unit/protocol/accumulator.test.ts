/**
 * Accumulator, the byte cursor under the decoders and pub's record splitter: a unit of unknown
 * size (a record with no delimiter yet) that arrives in many chunks is re-copied a logarithmic
 * number of times, not once per chunk, and the bytes handed out are the bytes pushed.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {Accumulator} from '../../../src/core/protocol/accumulator.js'
import {mulberry32} from '../../helpers/prng.js'

/** Count Buffer.allocUnsafe calls made by `fn` (each is a re-copy of the pending bytes). */
function countAllocs(fn: () => void): number {
  const original = Buffer.allocUnsafe
  let n = 0
  Buffer.allocUnsafe = ((size: number) => {
    n++
    return original(size)
  }) as typeof Buffer.allocUnsafe
  try {
    fn()
  } finally {
    Buffer.allocUnsafe = original
  }
  return n
}

test('a 16 MiB record in 64 KiB chunks is re-allocated O(log n) times, not per chunk', () => {
  const acc = new Accumulator()
  const chunk = Buffer.alloc(64 * 1024, 0x61)
  const chunks = 256
  const allocs = countAllocs(() => {
    for (let i = 0; i < chunks; i++) {
      acc.push(chunk)
      assert.equal(acc.indexOf(0x0a), -1)
    }
  })
  // doubling from 128 KiB to 16 MiB: 8 allocations; the old growth (capped at 1 MiB) did ~240
  assert.ok(allocs <= 12, `${allocs} allocations for ${chunks} chunks`)
  assert.equal(acc.available, chunks * chunk.length)
  const all = acc.take(acc.available)
  assert.ok(all.every((b) => b === 0x61))
})

test('records split across random chunk boundaries come out byte for byte', () => {
  const rand = mulberry32(42)
  const records: Buffer[] = []
  for (let i = 0; i < 200; i++) {
    const len = Math.floor(rand() * 300_000)
    const b = Buffer.alloc(len)
    for (let j = 0; j < len; j++) b[j] = Math.floor(rand() * 255) + 1 // no 0x00: the delimiter
    records.push(b)
  }
  const stream = Buffer.concat(records.flatMap((r) => [r, Buffer.from([0])]))
  const acc = new Accumulator()
  const out: Buffer[] = []
  let at = 0
  while (at < stream.length) {
    const n = 1 + Math.floor(rand() * 100_000)
    acc.push(stream.subarray(at, at + n))
    at += n
    let i: number
    while ((i = acc.indexOf(0)) >= 0) {
      out.push(Buffer.from(acc.take(i)))
      acc.skip(1)
    }
  }
  assert.equal(out.length, records.length)
  for (let k = 0; k < records.length; k++) assert.ok(out[k]?.equals(records[k] as Buffer), `record ${k}`)
})
