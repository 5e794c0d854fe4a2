/**
 * createHostPool: each mode gives its pool (told apart by what a user sees: round-robin starts
 * at hosts[1] and never skips; hostpool starts at hosts[0] and skips a failed host; epsilon-
 * greedy draws from the injected random()), no hosts is an Error, and the defaults (the real
 * clock and Math.random) work.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {createHostPool, type PoolMode} from '../../../../src/core/tools/host-pool/index.js'

const MODES: PoolMode[] = ['round-robin', 'hostpool', 'epsilon-greedy']

function sequence(mode: PoolMode, failFirst: boolean, random?: () => number): string[] {
  const pool = createHostPool(mode, ['a', 'b', 'c'], {now: () => 0, random})
  const out: string[] = []
  for (let i = 0; i < 6; i++) {
    const p = pool.pick()
    p.mark(failFirst && i === 0 ? new Error('x') : null)
    out.push(p.host)
  }
  return out
}

test('round-robin: from hosts[1], a failure changes nothing', () => {
  assert.deepEqual(sequence('round-robin', true), ['b', 'c', 'a', 'b', 'c', 'a'])
})

test('hostpool: from hosts[0], a failed host skipped', () => {
  assert.deepEqual(sequence('hostpool', false), ['a', 'b', 'c', 'a', 'b', 'c'])
  assert.deepEqual(sequence('hostpool', true), ['a', 'b', 'c', 'b', 'c', 'b'])
})

test('epsilon-greedy: the injected random() decides (no timings yet: round-robin, one draw a pick)', () => {
  let draws = 0
  const got = sequence('epsilon-greedy', true, () => {
    draws++
    return 0.5
  })
  assert.deepEqual(got, ['a', 'b', 'c', 'b', 'c', 'b'])
  assert.equal(draws, 6)
})

test('no hosts is an Error, in every mode', () => {
  for (const mode of MODES) assert.throws(() => createHostPool(mode, []), {name: 'Error', message: 'a host pool needs at least one host'})
})

test('an unknown mode is an Error (the engines map their own fallbacks before)', () => {
  assert.throws(() => createHostPool('multicast' as PoolMode, ['a']), /unknown host pool mode: multicast/)
})

test('without deps (the real clock, Math.random) every mode picks among its hosts', () => {
  for (const mode of MODES) {
    const pool = createHostPool(mode, ['x', 'y'])
    assert.deepEqual(pool.hosts, ['x', 'y'])
    for (let i = 0; i < 50; i++) {
      const p = pool.pick()
      assert.ok(p.index === 0 || p.index === 1)
      assert.equal(p.host, pool.hosts[p.index])
      p.mark(i % 7 === 0 ? new Error('x') : null)
    }
  }
})
