/** Deque: the growable ring buffer behind the broker's queues. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {Deque} from '../../../../src/core/broker/queue/deque.js'
import {mulberry32u} from '../../../helpers/prng.js'

const prng = mulberry32u

test('empty deque: length 0, shift and peek give undefined', () => {
  const d = new Deque<number>()
  assert.equal(d.length, 0)
  assert.equal(d.shift(), undefined)
  assert.equal(d.peek(), undefined)
  assert.deepEqual([...d], [])
})

test('FIFO order across growth: push 10,000 then shift all', () => {
  const d = new Deque<number>()
  for (let i = 0; i < 10000; i++) {
    d.push(i)
    assert.equal(d.length, i + 1)
  }
  for (let i = 0; i < 10000; i++) {
    assert.equal(d.peek(), i)
    assert.equal(d.shift(), i)
    assert.equal(d.length, 9999 - i)
  }
  assert.equal(d.shift(), undefined)
})

test('unshift puts at the front, also when it makes the deque grow', () => {
  const d = new Deque<number>()
  d.push(1)
  d.push(2)
  d.unshift(0)
  assert.deepEqual([...d], [0, 1, 2])
  assert.equal(d.peek(), 0)
  const e = new Deque<number>()
  for (let i = 0; i < 40; i++) e.unshift(i) // grows from 16 to 64 through unshift only
  assert.equal(e.length, 40)
  assert.deepEqual([...e], Array.from({length: 40}, (_, i) => 39 - i))
  // full ring with a wrapped head, then unshift
  const f = new Deque<number>()
  for (let i = 0; i < 8; i++) f.push(i)
  for (let i = 0; i < 8; i++) f.shift()
  for (let i = 0; i < 16; i++) f.push(100 + i) // full, head at 8
  f.unshift(99)
  assert.deepEqual([...f], Array.from({length: 17}, (_, i) => 99 + i))
})

test('interleaved push and shift with wrap-around keep FIFO order', () => {
  const d = new Deque<number>()
  let next = 0
  let expect = 0
  for (let round = 0; round < 200; round++) {
    for (let i = 0; i < 10; i++) d.push(next++)
    for (let i = 0; i < 9; i++) assert.equal(d.shift(), expect++) // grows slowly while wrapping
  }
  assert.equal(d.length, 200)
  assert.deepEqual([...d], Array.from({length: 200}, (_, i) => expect + i))
  // wrap without growth: capacity 16, never more than 12 items
  const w = new Deque<number>()
  next = 0
  expect = 0
  for (let i = 0; i < 12; i++) w.push(next++)
  for (let round = 0; round < 100; round++) {
    for (let i = 0; i < 5; i++) assert.equal(w.shift(), expect++)
    for (let i = 0; i < 5; i++) w.push(next++)
    assert.equal(w.length, 12)
  }
  assert.deepEqual([...w], Array.from({length: 12}, (_, i) => expect + i))
})

test('random push/unshift/shift against an array model', () => {
  const rand = prng(7)
  const d = new Deque<number>(3)
  const model: number[] = []
  for (let i = 0; i < 20000; i++) {
    const r = rand() % 10
    if (r < 4) {
      d.push(i)
      model.push(i)
    } else if (r < 6) {
      d.unshift(i)
      model.unshift(i)
    } else {
      assert.equal(d.shift(), model.shift())
    }
    assert.equal(d.length, model.length)
    assert.equal(d.peek(), model[0])
    if (i % 997 === 0) assert.deepEqual([...d], model)
  }
  assert.deepEqual([...d], model)
})

test('peek does not remove', () => {
  const d = new Deque<string>()
  d.push('a')
  d.push('b')
  assert.equal(d.peek(), 'a')
  assert.equal(d.peek(), 'a')
  assert.equal(d.length, 2)
})

test('clear empties the deque, which stays usable', () => {
  const d = new Deque<number>(100)
  for (let i = 0; i < 300; i++) d.push(i)
  for (let i = 0; i < 50; i++) d.shift()
  d.clear()
  assert.equal(d.length, 0)
  assert.equal(d.peek(), undefined)
  assert.equal(d.shift(), undefined)
  assert.deepEqual([...d], [])
  for (let i = 0; i < 40; i++) d.push(i)
  d.unshift(-1)
  assert.deepEqual([...d], Array.from({length: 41}, (_, i) => i - 1))
})

test('the iterator yields front to back without consuming', () => {
  const d = new Deque<number>()
  for (let i = 0; i < 20; i++) d.push(i)
  for (let i = 0; i < 15; i++) d.shift()
  for (let i = 20; i < 30; i++) d.push(i) // wrapped
  d.unshift(14)
  assert.deepEqual([...d], [14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29])
  assert.equal(d.length, 16)
  assert.deepEqual(Array.from(d), [...d])
})

test('falsy items are kept', () => {
  const d = new Deque<number | string | null>()
  d.push(0)
  d.push('')
  d.push(null)
  assert.equal(d.length, 3)
  assert.equal(d.shift(), 0)
  assert.equal(d.shift(), '')
  assert.equal(d.shift(), null)
})
