/** MessageQueue: the memory tier of mem-queue-size in front of a backend. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {MemoryBackend, MessageQueue, NullBackend} from '../../../../src/core/broker/queue/backend.js'
import {mulberry32u} from '../../../helpers/prng.js'

const prng = mulberry32u

const drain = <T>(q: MessageQueue<T>): T[] => {
  const out: T[] = []
  for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x)
  return out
}

test('FIFO across the memory and backend tiers', () => {
  const q = new MessageQueue<number>(3, new MemoryBackend())
  for (let i = 0; i < 10; i++) assert.equal(q.put(i), true)
  assert.equal(q.length, 10)
  assert.equal(q.memoryDepth, 3)
  assert.equal(q.backendDepth(), 7, 'backendDepth counts the overflow')
  assert.deepEqual(drain(q), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  assert.equal(q.length, 0)
  assert.equal(q.backendDepth(), 0)
  assert.equal(q.shift(), undefined)
})

test('messages put while the backend holds some follow them there', () => {
  const q = new MessageQueue<number>(3, new MemoryBackend())
  for (let i = 0; i < 10; i++) q.put(i)
  assert.equal(q.shift(), 0)
  assert.equal(q.shift(), 1)
  for (let i = 10; i < 15; i++) q.put(i) // memory has room, but the backend is not empty
  assert.equal(q.memoryDepth, 1)
  assert.equal(q.backendDepth(), 12)
  assert.equal(q.length, 13)
  assert.equal(q.shift(), 2)
  assert.equal(q.shift(), 3, 'from the backend once memory is empty')
  q.put(15)
  assert.deepEqual(drain(q), [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15])
  // once everything is read, memory is used again
  q.put(16)
  assert.equal(q.memoryDepth, 1)
  assert.equal(q.backendDepth(), 0)
})

test('random put/shift/putFront against an array model', () => {
  const rand = prng(99)
  const q = new MessageQueue<number>(5, new MemoryBackend())
  const model: number[] = []
  for (let i = 0; i < 5000; i++) {
    const r = rand() % 10
    if (r < 5) {
      assert.equal(q.put(i), true)
      model.push(i)
    } else if (r < 6) {
      q.putFront(i)
      model.unshift(i)
    } else {
      assert.equal(q.shift(), model.shift())
    }
    assert.equal(q.length, model.length)
    assert.equal(q.memoryDepth + q.backendDepth(), model.length)
  }
  assert.deepEqual(drain(q), model)
})

test('memSize 0 sends everything to the backend, in order', () => {
  const q = new MessageQueue<number>(0, new MemoryBackend())
  for (let i = 0; i < 5; i++) q.put(i)
  assert.equal(q.memoryDepth, 0)
  assert.equal(q.backendDepth(), 5)
  assert.deepEqual(drain(q), [0, 1, 2, 3, 4])
})

test('NullBackend drops the overflow', () => {
  const q = new MessageQueue<number>(3, new NullBackend())
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => q.put(i)), [true, true, true, false, false])
  assert.equal(q.length, 3)
  assert.equal(q.memoryDepth, 3)
  assert.equal(q.backendDepth(), 0)
  assert.equal(q.shift(), 0)
  assert.equal(q.put(5), true, 'room again after a shift')
  assert.equal(q.put(6), false)
  assert.deepEqual(drain(q), [1, 2, 5])
  const none = new MessageQueue<number>(0, new NullBackend())
  assert.equal(none.put(1), false)
  assert.equal(none.length, 0)
})

test('putFront puts a message back at the front', () => {
  const q = new MessageQueue<string>(2, new MemoryBackend())
  q.put('a')
  q.put('b')
  q.put('c') // backend
  const first = q.shift()
  assert.equal(first, 'a')
  q.putFront('a')
  assert.equal(q.length, 3)
  assert.deepEqual(drain(q), ['a', 'b', 'c'])
  // when memory is empty and the backend is not, the returned message still comes first
  q.put('x')
  q.put('y')
  q.put('z')
  assert.equal(q.shift(), 'x')
  assert.equal(q.shift(), 'y')
  q.putFront('y')
  assert.deepEqual(drain(q), ['y', 'z'])
  // beyond memSize with a NullBackend: nothing is dropped by putFront
  const e = new MessageQueue<number>(1, new NullBackend())
  e.put(1)
  e.putFront(0)
  assert.equal(e.length, 2)
  assert.deepEqual(drain(e), [0, 1])
})

test('clear empties both tiers', () => {
  const backend = new MemoryBackend<number>()
  const q = new MessageQueue<number>(3, backend)
  for (let i = 0; i < 10; i++) q.put(i)
  q.clear()
  assert.equal(q.length, 0)
  assert.equal(q.memoryDepth, 0)
  assert.equal(q.backendDepth(), 0)
  assert.equal(backend.depth(), 0)
  assert.equal(q.shift(), undefined)
  for (let i = 0; i < 5; i++) q.put(i)
  assert.equal(q.memoryDepth, 3)
  assert.deepEqual(drain(q), [0, 1, 2, 3, 4])
})

test('the backends on their own', async () => {
  const m = new MemoryBackend<number>()
  assert.equal(m.put(1), true)
  assert.equal(m.put(2), true)
  assert.equal(m.depth(), 2)
  assert.equal(m.read(), 1)
  m.empty()
  assert.equal(m.depth(), 0)
  assert.equal(m.read(), undefined)
  await m.close()
  const n = new NullBackend<number>()
  assert.equal(n.put(), false)
  assert.equal(n.read(), undefined)
  assert.equal(n.depth(), 0)
  await n.close()
})
