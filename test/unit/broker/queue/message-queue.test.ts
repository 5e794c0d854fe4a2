/** MessageQueue: the memory tier of mem-queue-size in front of a backend; and the backends' contract. */
import test from 'node:test'
import assert from 'node:assert/strict'

import type {BackendQueue, Held, RecordHolder} from '../../../../src/core/broker/queue/backend.js'
import {MemoryBackend} from '../../../../src/core/broker/queue/memory.js'
import {MessageQueue} from '../../../../src/core/broker/queue/message-queue.js'
import {NullBackend} from '../../../../src/core/broker/queue/null.js'
import {mulberry32u} from '../../../helpers/prng.js'

const prng = mulberry32u

/** an item that holds no record (yet) */
type N = Held & {v: number}
const box = (v: number): N => ({v, holder: null, holdSeq: 0})

/** A MessageQueue of numbers, each boxed as an item. */
class NumQueue {
  readonly q: MessageQueue<N>
  constructor(memSize: number, backend: BackendQueue<N>) {
    this.q = new MessageQueue<N>(memSize, backend)
  }
  put(v: number): boolean {
    return this.q.put(box(v))
  }
  shift(): number | undefined {
    return this.q.shift()?.v
  }
  get length(): number {
    return this.q.length
  }
  get memoryDepth(): number {
    return this.q.memoryDepth
  }
  backendDepth(): number {
    return this.q.backendDepth()
  }
  clear(): void {
    this.q.clear()
  }
  close(): Promise<void> {
    return this.q.close()
  }
  delete(): Promise<void> {
    return this.q.delete()
  }
}

const drain = (q: NumQueue): number[] => {
  const out: number[] = []
  for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x)
  return out
}

test('FIFO across the memory and backend tiers', () => {
  const q = new NumQueue(3, new MemoryBackend())
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
  const q = new NumQueue(3, new MemoryBackend())
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

test('random put/shift against an array model', () => {
  const rand = prng(99)
  const q = new NumQueue(5, new MemoryBackend())
  const model: number[] = []
  for (let i = 0; i < 5000; i++) {
    const r = rand() % 10
    if (r < 5) {
      assert.equal(q.put(i), true)
      model.push(i)
    } else {
      assert.equal(q.shift(), model.shift())
    }
    assert.equal(q.length, model.length)
    assert.equal(q.memoryDepth + q.backendDepth(), model.length)
  }
  assert.deepEqual(drain(q), model)
})

test('memSize 0 sends everything to the backend, in order', () => {
  const q = new NumQueue(0, new MemoryBackend())
  for (let i = 0; i < 5; i++) q.put(i)
  assert.equal(q.memoryDepth, 0)
  assert.equal(q.backendDepth(), 5)
  assert.deepEqual(drain(q), [0, 1, 2, 3, 4])
})

test('NullBackend drops the overflow', () => {
  const q = new NumQueue(3, new NullBackend())
  assert.deepEqual([0, 1, 2, 3, 4].map((i) => q.put(i)), [true, true, true, false, false])
  assert.equal(q.length, 3)
  assert.equal(q.memoryDepth, 3)
  assert.equal(q.backendDepth(), 0)
  assert.equal(q.shift(), 0)
  assert.equal(q.put(5), true, 'room again after a shift')
  assert.equal(q.put(6), false)
  assert.deepEqual(drain(q), [1, 2, 5])
  const none = new NumQueue(0, new NullBackend())
  assert.equal(none.put(1), false)
  assert.equal(none.length, 0)
})

test('clear empties both tiers', () => {
  const backend = new MemoryBackend<N>()
  const q = new NumQueue(3, backend)
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
  m.put(3)
  await m.close()
  assert.equal(m.depth(), 1, 'close keeps what is stored')
  await m.delete()
  assert.equal(m.depth(), 0, 'delete drops it')
  const n = new NullBackend<number>()
  assert.equal(n.put(), false)
  assert.equal(n.read(), undefined)
  assert.equal(n.depth(), 0)
  await n.close()
  await n.delete()
})

test('close hands what waits in memory to the backend, then closes it: a durable backend keeps every message', async () => {
  const b = new MemoryBackend<N>()
  const q = new NumQueue(3, b)
  for (let i = 0; i < 5; i++) q.put(i)
  assert.equal(q.memoryDepth, 3)
  await q.close()
  assert.equal(q.memoryDepth, 0)
  assert.equal(b.depth(), 5, 'nothing lost at close')
  const kept: number[] = []
  for (let m = b.read(); m !== undefined; m = b.read()) kept.push(m.v)
  assert.deepEqual(kept.sort(), [0, 1, 2, 3, 4])
})

test('delete drops both tiers for good', async () => {
  const b = new MemoryBackend<N>()
  const q = new NumQueue(3, b)
  for (let i = 0; i < 5; i++) q.put(i)
  await q.delete()
  assert.equal(q.length, 0)
  assert.equal(b.depth(), 0)
})

test('a message put again lets go of the record it held, after it has its new place', () => {
  const released: number[] = []
  const holder: RecordHolder = {release: (seq) => released.push(seq)}
  const backend = new MemoryBackend<N>()
  const q = new MessageQueue<N>(1, backend)
  const a = box(1)
  a.holder = holder
  a.holdSeq = 7
  assert.equal(q.put(a), true)
  assert.deepEqual(released, [7], 'released once it is in memory')
  assert.equal(a.holder, null)
  const b = box(2)
  b.holder = holder
  b.holdSeq = 8
  q.put(b) // memory is full: the backend takes it
  assert.deepEqual(released, [7, 8])
  assert.equal(backend.depth(), 1)
  q.put(box(3))
  assert.deepEqual(released, [7, 8], 'an item that holds nothing releases nothing')
  const dropped = box(4)
  dropped.holder = holder
  dropped.holdSeq = 9
  assert.equal(new MessageQueue<N>(0, new NullBackend<N>()).put(dropped), false)
  assert.deepEqual(released, [7, 8, 9], 'a dropped message lets go too')
})

test('requeue: an item that holds a record keeps it and comes out first; one that holds nothing is put as usual', async () => {
  const released: number[] = []
  const holder: RecordHolder = {release: (seq) => released.push(seq)}
  const backend = new MemoryBackend<N>()
  const q = new MessageQueue<N>(0, backend)
  q.put(box(1))
  q.put(box(2))
  const back = box(9)
  back.holder = holder
  back.holdSeq = 5
  assert.equal(q.requeue(back), true)
  assert.deepEqual(released, [], 'no second record: the first one stays held')
  assert.equal(back.holder, holder)
  assert.deepEqual([q.length, q.memoryDepth, q.backendDepth()], [3, 1, 2], 'counted in depth, in memory')
  assert.equal(q.shift()?.v, 9, 'ahead of the queue')
  q.requeue(box(3)) // holds nothing: to the backend, behind the others
  assert.deepEqual([q.shift()?.v, q.shift()?.v, q.shift()?.v], [1, 2, 3])
  // clear lets go of what waits; close writes it to the backend, letting go once it is there
  const w = box(10)
  w.holder = holder
  w.holdSeq = 6
  q.requeue(w)
  q.clear()
  assert.deepEqual([released, q.length], [[6], 0])
  const k = box(11)
  k.holder = holder
  k.holdSeq = 7
  q.requeue(k)
  await q.close()
  assert.deepEqual(released, [6, 7])
  assert.equal(backend.depth(), 1)
})
