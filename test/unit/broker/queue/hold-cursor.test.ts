/** HoldCursor: the start of the oldest record still held, whatever the order of releases. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {HoldCursor} from '../../../../src/core/broker/queue/hold-cursor.js'
import {mulberry32u} from '../../../helpers/prng.js'

test('in-order releases move the cursor record by record; one ahead waits for the base', () => {
  const h = new HoldCursor()
  h.reset(3, 100)
  const a = h.hold(3, 150)
  const b = h.hold(3, 220)
  const c = h.hold(4, 30)
  assert.equal(h.size, 3)
  assert.equal(h.release(b), false, 'ahead of the base: the cursor stays')
  assert.deepEqual([h.file, h.pos], [3, 100])
  assert.equal(h.release(b), false, 'released twice: nothing more')
  assert.equal(h.size, 3, 'b is still after the cursor')
  assert.equal(h.release(a), true)
  assert.deepEqual([h.file, h.pos], [3, 220], 'past a and the b released before it')
  assert.equal(h.size, 1)
  assert.equal(h.release(a), false, 'behind the base: ignored')
  assert.equal(h.release(c + 1), false, 'never held: ignored')
  assert.equal(h.release(c), true)
  assert.deepEqual([h.file, h.pos, h.size], [4, 30, 0])
  assert.equal(h.readSince(a), 2)
})

test('reset forgets what was held; sequence numbers keep counting', () => {
  const h = new HoldCursor()
  const a = h.hold(1, 10)
  h.hold(1, 20)
  h.reset(7, 0)
  assert.equal(h.size, 0)
  assert.equal(h.release(a), false)
  const b = h.hold(7, 5)
  assert.ok(b > a)
  assert.equal(h.release(b), true)
  assert.deepEqual([h.file, h.pos], [7, 5])
})

test('random holds and releases against a model, across the ring growing and wrapping', () => {
  const rand = mulberry32u(7)
  const h = new HoldCursor()
  h.reset(0, 0)
  const ends: [number, number][] = []
  const released = new Set<number>()
  let base = 0
  let file = 0
  let pos = 0
  let expect: [number, number] = [0, 0]
  const held: number[] = []
  for (let op = 0; op < 50_000; op++) {
    if (held.length === 0 || rand() % 100 < 52) {
      pos += 1 + (rand() % 300)
      if (rand() % 500 === 0) [file, pos] = [file + 1, 0]
      const seq = h.hold(file, pos)
      assert.equal(seq, ends.length)
      ends.push([file, pos])
      held.push(seq)
    } else {
      const j = rand() % Math.min(held.length, 1 + (rand() % 3000))
      const seq = held[j]!
      held[j] = held[held.length - 1]!
      held.pop()
      released.add(seq)
      const before = base
      while (released.has(base)) expect = ends[base++]!
      assert.equal(h.release(seq), base !== before, `op ${op}`)
      assert.deepEqual([h.file, h.pos], expect, `op ${op}`)
    }
    assert.equal(h.size, ends.length - base, 'the records from the cursor on')
  }
})
