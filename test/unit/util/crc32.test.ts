/** CRC-32 (IEEE) as Go's hash/crc32.ChecksumIEEE. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {crc32} from '../../../src/core/util/crc32.js'

test('crc32: known values', () => {
  assert.equal(crc32(Buffer.from('hello')), 0x3610a686)
  assert.equal(crc32(Buffer.from('')), 0)
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926, 'the standard check value')
  assert.equal(crc32(Buffer.from('The quick brown fox jumps over the lazy dog')), 0x414fa339)
  assert.equal(crc32(Buffer.from([0])), 0xd202ef8d)
  assert.equal(crc32(Buffer.alloc(4, 0xff)), 0xffffffff)
})

test('crc32: unsigned 32-bit result, any Uint8Array', () => {
  const u8 = new Uint8Array([0x68, 0x65, 0x6c, 0x6c, 0x6f])
  assert.equal(crc32(u8), 0x3610a686)
  for (let i = 0; i < 256; i++) {
    const v = crc32(Buffer.from([i, 255 - i, i]))
    assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff)
  }
})

test('crc32: a view is hashed over its own bytes only', () => {
  const big = Buffer.from('xxhelloyy')
  assert.equal(crc32(big.subarray(2, 7)), 0x3610a686)
})
