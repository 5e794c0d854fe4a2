/** The wall clock in ns: hrtime anchored to the wall clock (message timestamps, log stamps). */
import test from 'node:test'
import assert from 'node:assert/strict'

import {nowMicros, nowNs, uint64Halves} from '../../../src/core/util/clock.js'
import {mulberry32u} from '../../helpers/prng.js'

test('nowNs: within a few ms of Date.now(), finer than a millisecond, never going back', () => {
  let prev = 0n
  let fine = 0
  const N = 5000
  for (let i = 0; i < N; i++) {
    const before = BigInt(Date.now()) * 1_000_000n
    const ns = nowNs()
    const after = BigInt(Date.now() + 1) * 1_000_000n
    // Date.now() is truncated to the ms: ns lies in [before, after) give or take the anchor's error
    assert.ok(ns >= before - 3_000_000n && ns <= after + 3_000_000n, `nowNs ${ns} outside [${before}, ${after}] ± 3 ms`)
    assert.ok(ns >= prev, `went back: ${prev} then ${ns}`)
    prev = ns
    if (ns % 1_000_000n !== 0n) fine++
  }
  assert.ok(fine > N * 0.9, `only ${fine} of ${N} readings have sub-millisecond digits`)
})

test('nowMicros: nowNs in whole microseconds', () => {
  const a = nowNs() / 1000n
  const u = nowMicros()
  const b = nowNs() / 1000n
  assert.ok(Number.isInteger(u))
  assert.ok(BigInt(u) >= a && BigInt(u) <= b, `${a} <= ${u} <= ${b}`)
})

test('uint64Halves: the two uint32 halves, as the message frame stores them', () => {
  const next = mulberry32u(7)
  const values: bigint[] = [0n, 1n, 0xffffffffn, 0x100000000n, 0x7fffffffffffffffn, 1795226889166432251n, nowNs()]
  while (values.length < 2000) values.push((BigInt(next() >>> 1) << 32n) | BigInt(next()))
  for (const v of values) {
    const [hi, lo] = uint64Halves(v)
    assert.deepEqual([hi, lo], [Number(v >> 32n), Number(v & 0xffffffffn)], `${v}`)
    assert.equal((BigInt(hi) << 32n) | BigInt(lo), v)
  }
})
