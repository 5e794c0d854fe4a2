/**
 * --mode=epsilon-greedy: go-hostpool's EpsilonGreedy (decay 5 min, linear values). Randomness
 * is a script (each pick states the draws it must use: one to decide exploring, a second only
 * when some host has a timing to weigh) or mulberry32; time is a number the test sets, and a
 * timing is the time from pick() to mark().
 *   - no timings (or only sub-ms ones, counted as 0): round-robin
 *   - the weighted choice: value 1/v, shares walked in host order, r ≤ running sum
 *   - the weighted average over 120 buckets of 2.5 s: older means carried forward, gone after 5 min
 *   - ε: float32(0.3), × 0.9 per exploration down to 0.01, untouched by time and greedy picks
 *   - one fast and one slow host: the fast one gets the clear majority
 *   - dead hosts: skipped, retried through the weighted choice with go-hostpool's doubling delay,
 *     all dead → hosts[0]
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {EpsilonGreedyPool} from '../../../../src/core/tools/host-pool/epsilon-greedy.js'
import type {HostPick} from '../../../../src/core/tools/host-pool/types.js'
import {mulberry32} from '../../../helpers/prng.js'

/** a first draw that does not explore (ε ≤ 0.3) */
const STAY = 0.5
/** a first draw that explores */
const EXPLORE = 0
const boom = new Error('503')

function setup(hosts: string[]) {
  let t = 0
  let draws = 0
  const queue: number[] = []
  const random = (): number => {
    draws++
    const v = queue.shift()
    if (v === undefined) throw new Error('random() drawn more often than the test scripted')
    return v
  }
  const pool = new EpsilonGreedyPool(hosts, {now: () => t, random})
  return {
    pool,
    at: (ms: number): void => {
      t = ms
    },
    /** one pick that must use exactly these draws */
    pick(...rs: number[]): HostPick {
      queue.push(...rs)
      const before = draws
      const p = pool.pick()
      assert.equal(draws - before, rs.length, `pick ${p.host}: draws used`)
      assert.equal(p.host, pool.hosts[p.index])
      return p
    },
    /** the answer comes `ms` after the pick */
    answer(p: HostPick, ms: number, err: unknown = null): string {
      t += ms
      p.mark(err)
      return p.host
    },
  }
}

test('before any timing there is nothing to weigh: round-robin, one draw a pick', () => {
  const s = setup(['a', 'b', 'c'])
  const got = Array.from({length: 6}, () => s.answer(s.pick(STAY), 0.9))
  assert.deepEqual(got, ['a', 'b', 'c', 'a', 'b', 'c'], 'sub-millisecond answers count as 0 ms: still nothing to weigh')
})

test('a timed host is the only one weighed; the others come only by exploring (round-robin)', () => {
  const s = setup(['a', 'b'])
  assert.equal(s.answer(s.pick(STAY), 10), 'a') // round-robin: a, and a has a timing
  assert.equal(s.answer(s.pick(STAY, 0.999), 10), 'a')
  assert.equal(s.answer(s.pick(STAY, 0), 10), 'a')
  assert.equal(s.answer(s.pick(EXPLORE), 10), 'b', 'the weighted picks did not move the round-robin on')
})

/** a answered in 10 ms, b in 30 ms, both in the first bucket */
function tenAndThirty() {
  const s = setup(['a', 'b'])
  assert.equal(s.answer(s.pick(STAY), 10), 'a')
  assert.equal(s.answer(s.pick(EXPLORE), 30), 'b')
  return s
}

test('the weighted choice: values 1/10 and 1/30, shares walked in host order, taken at r ≤ the running sum', () => {
  const shareA = 1 / 10 / (1 / 10 + 1 / 30)
  assert.ok(Math.abs(shareA - 0.75) < 1e-12)
  for (const [r, want] of [
    [0, 'a'],
    [0.5, 'a'],
    [shareA, 'a'],
    [shareA + 1e-9, 'b'],
    [0.9, 'b'],
    [0.999999, 'b'],
  ] as const) {
    const s = tenAndThirty()
    assert.equal(s.pick(STAY, r).host, want, `r = ${r}`)
  }
})

test('older timings are carried forward through the buckets after them, so they weigh as slower', () => {
  // a: 10 ms at t=0 (bucket 0). b: 30 ms at 150 s (bucket 60). At 150 s a's mean sits at weight
  // 60/120 and is carried through 61..120: v = 10·(60 + 61 + … + 120)/120 = 457.5; b's v = 30.
  const build = () => {
    const s = setup(['a', 'b'])
    assert.equal(s.answer(s.pick(STAY), 10), 'a')
    s.at(150_000)
    assert.equal(s.answer(s.pick(EXPLORE), 30), 'b')
    return s
  }
  const shareA = 1 / 457.5 / (1 / 457.5 + 1 / 30) // 0.0615…: the faster host gets only 6 %
  assert.equal(build().pick(STAY, shareA - 1e-6).host, 'a')
  assert.equal(build().pick(STAY, shareA + 1e-6).host, 'b')
})

test('a timing counts for 5 minutes: 120 buckets of 2.5 s, the oldest emptied as the window moves', () => {
  for (const [answeredAt, lastWeighed] of [
    [10, 299_999], // bucket 0: [0, 2.5 s)
    [2_499, 299_999],
    [2_500, 302_499], // bucket 1
    [100_000, 399_999], // bucket 40: [100 s, 102.5 s), emptied at the 160th move
  ]) {
    const build = () => {
      const s = setup(['a', 'b'])
      s.at(answeredAt - 10)
      assert.equal(s.answer(s.pick(STAY), 10), 'a')
      return s
    }
    const still = build()
    still.at(lastWeighed)
    assert.equal(still.pick(STAY, 0.5).host, 'a', `answered at ${answeredAt}: weighed at ${lastWeighed}`)
    const gone = build()
    gone.at(lastWeighed + 1)
    assert.equal(gone.pick(STAY).host, 'b', `answered at ${answeredAt}: gone at ${lastWeighed + 1}, round-robin again`)
  }
})

test('ε starts at float32(0.3) and a draw explores only strictly below it (as a float32)', () => {
  const s = setup(['a', 'b'])
  s.answer(s.pick(STAY), 10)
  s.answer(s.pick(0.3, 0), 0) // float32(0.3) = 0.30000001…, which is ε itself: not below
  s.answer(s.pick(Math.fround(0.3) + 1e-9, 0), 0) // rounds to ε as a float32
  s.answer(s.pick(0.2999999), 0) // below: explores, no second draw
})

/** a timed (10 ms), b never: a weighed pick uses two draws, an exploration one */
function onlyATimed() {
  const s = setup(['a', 'b'])
  assert.equal(s.answer(s.pick(STAY), 10), 'a')
  return s
}

test('ε × 0.9 at each exploration, floored at 0.01 from the 33rd on', () => {
  const s = onlyATimed()
  for (let k = 0; k <= 45; k++) {
    const eps = Math.max(0.3 * 0.9 ** k, 0.01)
    assert.equal(s.answer(s.pick(eps * (1 + 1e-5), 0.5), 0), 'a', `after ${k} explorations ε ≈ ${eps}: just above it weighs`)
    s.answer(s.pick(eps * (1 - 1e-5)), 0) // just below it explores
  }
})

test('ε decays with explorations only: not with time, not on weighed picks', () => {
  const s = onlyATimed()
  for (let i = 1; i <= 200; i++) {
    s.at(i * 3_000) // 10 minutes in all, twice the decay window
    assert.equal(s.answer(s.pick(STAY, 0.5), 10), 'a')
  }
  s.answer(s.pick(0.3 * (1 + 1e-5), 0.5), 0)
  s.answer(s.pick(0.3 * (1 - 1e-5)), 0)
  s.answer(s.pick(0.27 * (1 + 1e-5), 0.5), 0)
  s.answer(s.pick(0.27 * (1 - 1e-5)), 0)
})

test('one fast host (5 ms) and one slow (50 ms): after warm-up the fast one gets the clear majority', () => {
  for (const seed of [1, 2, 3, 0xc0ffee]) {
    let t = 0
    const pool = new EpsilonGreedyPool(['fast', 'slow'], {now: () => t, random: mulberry32(seed)})
    const after = {fast: 0, slow: 0}
    for (let i = 0; i < 3000; i++) {
      const p = pool.pick()
      t += p.host === 'fast' ? 5 : 50
      p.mark(null)
      t += 20
      if (i >= 500) after[p.host as 'fast' | 'slow']++
    }
    const share = after.fast / 2500
    // values 1/5 : 1/50 make the weighed share 10/11 ≈ 0.91; ε is 0.01 by then
    assert.ok(share > 0.85 && share < 0.96, `seed ${seed}: fast share ${share}`)
    assert.ok(after.slow > 0, `seed ${seed}: the slow host still gets some`)
  }
})

/** a answered in 10 ms, b in 20 ms; then a weighed pick of a fails at t = 40: a is dead until 30 040 */
function aDead() {
  const s = setup(['a', 'b'])
  assert.equal(s.answer(s.pick(STAY), 10), 'a')
  assert.equal(s.answer(s.pick(EXPLORE), 20), 'b')
  assert.equal(s.answer(s.pick(STAY, 0), 10, boom), 'a')
  return s
}

test('a dead host is not weighed until its retry is due; the retry doubles its delay as in the standard pool', () => {
  const s = aDead()
  s.at(30_040)
  assert.equal(s.answer(s.pick(STAY, 0), 0), 'b', 'r = 0 would take a, were it there')
  s.at(30_041)
  const retry = s.pick(STAY, 0)
  assert.equal(retry.host, 'a', 'due: weighed again, and taken')
  assert.equal(s.answer(s.pick(STAY, 0), 0), 'b', 'not handed out again while its retry is under way')
  retry.mark(boom)
  s.at(90_041)
  assert.equal(s.answer(s.pick(STAY, 0), 0), 'b', 'the failed retry keeps it out 60 s from the retry')
  s.at(90_042)
  assert.equal(s.answer(s.pick(STAY, 0), 10), 'a', 'retried, and it answers')
  assert.equal(s.answer(s.pick(STAY, 0), 10), 'a', 'alive again')
})

test('exploring goes round-robin past a dead host', () => {
  const s = aDead()
  assert.equal(s.answer(s.pick(EXPLORE), 0), 'b')
  assert.equal(s.answer(s.pick(EXPLORE), 0), 'b')
})

test('all dead: nothing to weigh (one draw), every host alive again and hosts[0]', () => {
  const s = aDead()
  assert.equal(s.answer(s.pick(STAY, 0), 10, boom), 'b')
  s.at(1_000)
  assert.equal(s.answer(s.pick(STAY), 10), 'a')
  // both back with their timings (a 10 ms, b 20 ms: b's failed answer counted nothing): a's share is 2/3
  assert.equal(s.pick(STAY, 0.99).host, 'b')
})

test('a failed answer leaves no timing', () => {
  const s = setup(['a', 'b'])
  assert.equal(s.answer(s.pick(STAY), 10, boom), 'a')
  s.at(30_011) // a is due again, but has nothing to weigh
  assert.equal(s.pick(STAY).host, 'b', 'round-robin, one draw')
})

test('only the first mark counts', () => {
  const s = setup(['a', 'b'])
  const p = s.pick(STAY)
  s.answer(p, 10)
  p.mark(boom)
  assert.equal(s.answer(s.pick(STAY, 0.99), 10), 'a', 'alive and timed')
  const q = s.pick(STAY, 0.99)
  s.answer(q, 10, boom)
  q.mark(null)
  assert.equal(s.pick(STAY).host, 'b', 'a dead: nothing to weigh, round-robin')
})
