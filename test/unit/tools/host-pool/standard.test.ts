/**
 * --mode=hostpool: go-hostpool's standard pool. Round-robin from hosts[0] over the live hosts;
 * a failed host skipped until strictly after its retry time (30 s after the failure); a retry
 * that fails keeps it out 60, 120, 240, 480, then 900 s (the cap) counted from the retry; a
 * success puts it back with the 30 s delay for its next failure; all dead and none due → all
 * alive again and hosts[0], with the search restarting at 0. Time is a number the test sets.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {StandardPool} from '../../../../src/core/tools/host-pool/standard.js'

const boom = new Error('connection refused')

function setup(hosts: string[]): {pool: StandardPool; at: (ms: number) => void; ok: () => string; fail: () => string} {
  let t = 0
  const pool = new StandardPool(hosts, {now: () => t})
  const take = (err: unknown): string => {
    const p = pool.pick()
    assert.equal(p.host, pool.hosts[p.index])
    p.mark(err)
    return p.host
  }
  return {pool, at: (ms) => (t = ms), ok: () => take(null), fail: () => take(boom)}
}

test('all alive: round-robin from hosts[0]', () => {
  const {ok} = setup(['a', 'b', 'c'])
  assert.deepEqual(Array.from({length: 7}, ok), ['a', 'b', 'c', 'a', 'b', 'c', 'a'])
})

test('a failed host is skipped until strictly after 30 s, then tried again', () => {
  const {at, ok, fail} = setup(['a', 'b', 'c'])
  assert.equal(fail(), 'a')
  at(15_000)
  assert.deepEqual([ok(), ok(), ok(), ok()], ['b', 'c', 'b', 'c'])
  at(30_000)
  assert.deepEqual([ok(), ok()], ['b', 'c'], 'at exactly 30 s it is still out')
  at(30_001)
  assert.deepEqual([ok(), ok(), ok()], ['a', 'b', 'c'], 'retried, and back in the rotation after a success')
})

test('failed retries keep it out 60, 120, 240, 480, then 900 s (capped), counted from each retry', () => {
  const {at, ok, fail} = setup(['a', 'b'])
  assert.equal(fail(), 'a')
  let retry = 0
  for (const delay of [30_000, 60_000, 120_000, 240_000, 480_000, 900_000, 900_000, 900_000]) {
    // two picks at the due time: the second looks at a first (the search goes on after b)
    at(retry + delay)
    assert.deepEqual([ok(), ok()], ['b', 'b'], `still out ${delay} ms after ${retry}`)
    at(retry + delay + 1)
    assert.equal(fail(), 'a', `retried ${delay + 1} ms after ${retry}`)
    retry += delay + 1
  }
})

test('the next delay runs from the retry pick, not from when the retry failed', () => {
  const {pool, at, ok, fail} = setup(['a', 'b'])
  fail()
  at(30_001)
  assert.equal(ok(), 'b')
  const retry = pool.pick()
  assert.equal(retry.host, 'a')
  at(50_001)
  retry.mark(new Error('timed out after 20 s'))
  at(90_001)
  assert.deepEqual([ok(), ok()], ['b', 'b'])
  at(90_002)
  assert.equal(ok(), 'a', '60 s after the retry was picked, not after it failed')
})

test('while a retry is under way the host is not handed out again', () => {
  const {pool, at, ok, fail} = setup(['a', 'b'])
  fail()
  at(30_001)
  assert.equal(ok(), 'b')
  const retry = pool.pick()
  assert.equal(retry.host, 'a')
  assert.deepEqual([ok(), ok(), ok()], ['b', 'b', 'b'])
  retry.mark(null)
  assert.deepEqual([ok(), ok()], ['a', 'b'])
})

test('a success puts it back, and its next failure starts again from 30 s', () => {
  const {at, ok, fail} = setup(['a', 'b'])
  fail() // t=0, out 30 s
  at(30_001)
  assert.deepEqual([ok(), fail()], ['b', 'a']) // retry, out 60 s
  at(90_002)
  assert.deepEqual([ok(), fail()], ['b', 'a']) // retry, out 120 s
  at(210_003)
  assert.deepEqual([ok(), ok()], ['b', 'a']) // the retry succeeds: alive
  assert.deepEqual([ok(), ok(), ok(), ok()], ['b', 'a', 'b', 'a'])
  at(300_000)
  assert.equal(ok(), 'b')
  assert.equal(fail(), 'a') // a fresh failure
  at(330_000)
  assert.deepEqual([ok(), ok()], ['b', 'b'])
  at(330_001)
  assert.equal(ok(), 'a', 'out 30 s again, not 240')
})

test('all dead, none due: all alive again, hosts[0], and the next pick is hosts[0] again', () => {
  const {at, ok, fail} = setup(['a', 'b', 'c'])
  assert.deepEqual([fail(), fail(), fail()], ['a', 'b', 'c'])
  at(1_000)
  assert.deepEqual(Array.from({length: 6}, ok), ['a', 'a', 'b', 'c', 'a', 'b'])
})

test('revived hosts fail afresh: each failure is again 30 s out', () => {
  const {at, ok, fail} = setup(['a', 'b'])
  fail()
  fail()
  at(1_000)
  assert.equal(fail(), 'a') // all revived, a picked and fails at 1 s
  assert.deepEqual([ok(), ok()], ['b', 'b'])
  at(31_000)
  assert.equal(ok(), 'b')
  at(31_001)
  assert.equal(ok(), 'a')
})

test('all dead but one due: that one is retried; the pick after finds none due and revives all', () => {
  const {at, ok, fail} = setup(['a', 'b'])
  assert.equal(fail(), 'a') // a due after 30 s
  at(10_000)
  assert.equal(fail(), 'b') // b due after 40 s
  at(30_001)
  assert.equal(fail(), 'a', 'a is due: a retry, not a reset')
  assert.deepEqual([ok(), ok(), ok()], ['a', 'a', 'b'], 'then none due: everyone alive, hosts[0], hosts[0] again')
})

test('a late success of an earlier pick revives a host another pick marked dead', () => {
  const {pool, ok} = setup(['a', 'b'])
  const early = pool.pick()
  assert.equal(early.host, 'a')
  assert.equal(ok(), 'b')
  const later = pool.pick()
  assert.equal(later.host, 'a')
  later.mark(boom)
  assert.deepEqual([ok(), ok()], ['b', 'b'], 'dead')
  early.mark(null)
  assert.deepEqual([ok(), ok()], ['a', 'b'], 'alive again')
})

test('only the first mark counts', () => {
  const {pool, ok} = setup(['a', 'b'])
  const p = pool.pick()
  p.mark(boom)
  p.mark(null)
  assert.deepEqual([ok(), ok()], ['b', 'b'], 'a stays dead')
  const q = pool.pick()
  assert.equal(q.host, 'b')
  q.mark(null)
  q.mark(boom)
  assert.deepEqual([ok(), ok()], ['b', 'b'], 'b stays alive (and a dead)')
})

test('null and undefined are a success; any other value is a failure', () => {
  for (const good of [null, undefined]) {
    const {pool, ok} = setup(['a', 'b'])
    pool.pick().mark(good)
    assert.deepEqual([ok(), ok()], ['b', 'a'], String(good))
  }
  for (const bad of [boom, 'timeout', 0, false]) {
    const {pool, ok} = setup(['a', 'b'])
    pool.pick().mark(bad)
    assert.deepEqual([ok(), ok()], ['b', 'b'], String(bad))
  }
})

test('one host: skipped is impossible, so a dead one is revived and used at once', () => {
  const {at, ok, fail} = setup(['solo'])
  assert.equal(fail(), 'solo')
  at(1)
  assert.equal(fail(), 'solo')
  assert.equal(ok(), 'solo')
})

test('the same host given twice: marks land on the last of them (go-hostpool looks hosts up by name)', () => {
  const {pool} = setup(['x', 'y', 'x'])
  const first = pool.pick()
  assert.equal(first.index, 0)
  first.mark(boom) // sets aside index 2, not 0
  const indices: number[] = []
  for (let i = 0; i < 4; i++) {
    const p = pool.pick()
    indices.push(p.index)
    p.mark(null)
  }
  // 2 is skipped and 0 taken in its place; 0's success is 2's, which is then back
  assert.deepEqual(indices, [1, 0, 1, 2])
})

test('hosts is a copy of the list it was given', () => {
  const list = ['a', 'b']
  const {pool} = setup(list)
  list.push('c')
  assert.deepEqual(pool.hosts, ['a', 'b'])
})
