/**
 * Argument bytes (src/cli/raw-argv.ts): an argument that is not valid UTF-8 is carried with each
 * invalid byte as a lone surrogate and turned back into exactly the bytes typed; valid UTF-8
 * reads as Node decodes it. The child-process side (the bytes reaching nsqd) is in
 * test/commands/pub.test.ts.
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import {argBytes, escapeBytes} from '../../../src/cli/raw-argv.js'
import {mulberry32u} from '../../helpers/prng.js'

test('valid UTF-8 reads as Node decodes it, and encodes back to the same bytes', () => {
  for (const s of ['', 'plain', 'café', '€', '𝄞 clef', '\n', 'a=b,c']) {
    assert.equal(escapeBytes(Buffer.from(s)), s)
    assert.ok(argBytes(s).equals(Buffer.from(s)), s)
  }
})

test('invalid bytes come back as themselves: FF, Latin-1 E9, overlong C0 AF, a lone surrogate ED A0 80, a cut F0 9F 98', () => {
  for (const h of ['ff', '636166e9', 'c0af', 'eda080', 'f09f98', 'f4908080', 'fffe', 'e9c3a9', '80', 'c3']) {
    const b = Buffer.from(h, 'hex')
    const s = escapeBytes(b)
    assert.ok(!s.includes('\uFFFD'), h)
    assert.equal(argBytes(s).toString('hex'), h)
  }
  // the valid part around an invalid byte stays readable
  assert.equal(escapeBytes(Buffer.from('636166e92dc3a9', 'hex')), 'caf\udce9-é')
})

test('seeded random bytes round-trip', () => {
  const next = mulberry32u(0xa29)
  for (let i = 0; i < 2000; i++) {
    const b = Buffer.alloc(1 + (next() % 12))
    for (let j = 0; j < b.length; j++) b[j] = next() & 0xff
    assert.equal(argBytes(escapeBytes(b)).toString('hex'), b.toString('hex'))
  }
})
