/** GuidFactory (nsqd guid.go layout, 16 hex chars). */
import test from 'node:test'
import assert from 'node:assert/strict'

import {GuidFactory} from '../../../../src/core/broker/delivery/guid.js'

const TWEPOCH = 1288834974288n

/** nsqd's tick for a millisecond time: (now_ns >> 20) − twepoch, computed exactly. */
const nsqdTick = (ms: number): bigint => ((BigInt(ms) * 1000000n) >> 20n) - TWEPOCH

const decode = (id: string): {tick: bigint; node: number; seq: number; value: bigint} => {
  assert.match(id, /^[0-9a-f]{16}$/)
  const value = BigInt('0x' + id)
  return {value, tick: value >> 22n, node: Number((value >> 12n) & 0x3ffn), seq: Number(value & 0xfffn)}
}

const expectedId = (ms: number, node: number, seq: number): bigint =>
  (nsqdTick(ms) << 22n) | (BigInt(node) << 12n) | BigInt(seq)

/** a fixed time whose ns value needs no rounding care (see the float test below) */
const MS = 1700000000000

test('ids are 16 lowercase hex chars with nsqd\'s 64-bit layout for a fixed clock', () => {
  const g = new GuidFactory(42, () => MS)
  for (let seq = 0; seq < 3; seq++) {
    const id = g.next()
    assert.match(id, /^[0-9a-f]{16}$/)
    const d = decode(id)
    assert.equal(d.value, expectedId(MS, 42, seq))
    assert.equal(d.tick, nsqdTick(MS))
    assert.equal(d.node, 42)
    assert.equal(d.seq, seq, 'the sequence increments within a tick')
  }
})

test('the sequence resets on a new tick', () => {
  let now = MS
  const g = new GuidFactory(7, () => now)
  g.next()
  g.next()
  assert.equal(decode(g.next()).seq, 2)
  now = MS + 2 // 2 ms > one 1.048576 ms tick
  assert.notEqual(nsqdTick(now), nsqdTick(MS))
  const d = decode(g.next())
  assert.equal(d.value, expectedId(now, 7, 0))
  assert.equal(decode(g.next()).seq, 1)
})

test('5000 ids in one tick stay unique and strictly increasing (the next tick is borrowed after 4096)', () => {
  let now = MS
  const g = new GuidFactory(3, () => now)
  const ids: bigint[] = []
  for (let i = 0; i < 5000; i++) ids.push(decode(g.next()).value)
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `id ${i} is not above id ${i - 1}`)
  assert.equal(new Set(ids).size, 5000)
  assert.equal(ids[4095], expectedId(MS, 3, 4095))
  const borrowed = (nsqdTick(MS) + 1n) << 22n
  assert.equal(ids[4096], borrowed | (3n << 12n), 'seq 4096 becomes seq 0 of the next tick')
  assert.equal(ids[4999], borrowed | (3n << 12n) | 903n)
  // the real clock reaching the borrowed tick must not repeat an id
  now = MS + 1
  assert.equal(nsqdTick(now), nsqdTick(MS) + 1n)
  const next = decode(g.next()).value
  assert.ok(next > ids[4999]!)
})

test('string order equals numeric order', () => {
  let now = MS
  const g = new GuidFactory(1, () => now)
  const ids: string[] = []
  for (let i = 0; i < 300; i++) {
    if (i % 37 === 0) now += 5
    ids.push(g.next())
  }
  assert.deepEqual([...ids].sort(), ids)
})

test('a clock going backwards never produces a smaller or duplicate id', () => {
  const times = [MS, MS, MS + 10, MS + 10, MS - 1000, MS - 1000, MS + 5, MS + 9, MS + 10, MS + 11, MS - 50000, MS + 12, MS + 13]
  let i = 0
  const g = new GuidFactory(1023, () => times[i]!)
  let prev = -1n
  const seen = new Set<string>()
  for (i = 0; i < times.length; i++) {
    for (let k = 0; k < 3; k++) {
      const id = g.next()
      const v = decode(id).value
      assert.ok(v > prev, `time ${times[i]}: ${id} is not above the previous id`)
      assert.ok(!seen.has(id))
      seen.add(id)
      prev = v
    }
  }
  // a long run backwards that exhausts the reused tick keeps increasing too
  const g2 = new GuidFactory(5, (() => {
    let t = MS
    return () => (t -= 0.25)
  })())
  prev = -1n
  for (let k = 0; k < 9000; k++) {
    const v = decode(g2.next()).value
    assert.ok(v > prev)
    prev = v
  }
})

test('node id bits equal the node id', () => {
  for (const node of [0, 1, 617, 1023]) {
    const g = new GuidFactory(node, () => MS)
    for (let seq = 0; seq < 2; seq++) {
      const d = decode(g.next())
      assert.equal(d.node, node)
      assert.equal(d.seq, seq)
      assert.equal(d.value, expectedId(MS, node, seq))
    }
  }
})

test('the constructor rejects node ids outside 0-1023 and non-integers', () => {
  for (const bad of [-1, 1024, 1.5, NaN, Infinity]) {
    assert.throws(() => new GuidFactory(bad), RangeError, String(bad))
  }
  assert.doesNotThrow(() => new GuidFactory(0))
  assert.doesNotThrow(() => new GuidFactory(1023))
})

test('the default clock is Date.now', () => {
  const before = nsqdTick(Date.now())
  const d = decode(new GuidFactory(9).next())
  const after = nsqdTick(Date.now())
  assert.ok(d.tick >= before - 1n && d.tick <= after + 1n)
  assert.equal(d.node, 9)
})

test('the tick is exactly (now_ns >> 20) − twepoch for every ms (no float rounding)', () => {
  // ms * 1e6 exceeds 2^53 for current times; the factory computes it in a double, so the
  // rounded product can reach the next multiple of 2^20 and give a tick one too high.
  const bad: string[] = []
  for (let ms = MS; ms < MS + 32768; ms++) {
    const d = decode(new GuidFactory(0, () => ms).next())
    if (d.tick !== nsqdTick(ms)) bad.push(`${ms}: tick ${d.tick - nsqdTick(ms) > 0n ? '+' : ''}${d.tick - nsqdTick(ms)}`)
  }
  assert.deepEqual(bad, [], `ticks differ from nsqd's for ${bad.length} ms values, e.g. ${bad.slice(0, 4).join(', ')}`)
})
