/** TimeoutWheel: the hashed timing wheel for deferred deadlines. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {TimeoutWheel, type TimeoutSlot} from '../../../../src/core/broker/delivery/deferred.js'
import {mulberry32u} from '../../../helpers/prng.js'

interface Entry {
  name: string
  deadline: number
  slot: TimeoutSlot<Entry> | null
}

const entry = (name: string): Entry => ({name, deadline: 0, slot: null})

const prng = mulberry32u

const expired = (w: TimeoutWheel<Entry>, now: number): string[] => {
  const out: string[] = []
  w.expire(now, (e) => {
    assert.equal(e.slot, null, 'the entry is removed before fn is called')
    out.push(e.name)
  })
  return out.sort()
}

const T0 = 1700000000000

test('an entry expires once its tick has passed, never before its deadline', () => {
  const tick = 100
  for (const offset of [1, 50, 99, 100, 101, 150, 199, 200, 201, 1000, 1234, 5099]) {
    const d = T0 + offset
    const w = new TimeoutWheel<Entry>(tick, T0)
    const e = entry('e')
    w.add(e, d)
    assert.equal(e.deadline, d)
    for (const t of [T0, T0 + 1, d - 50, d - 2, d - 1]) {
      if (t < T0) continue
      assert.deepEqual(expired(w, t), [], `deadline +${offset} expired at +${t - T0}`)
    }
    assert.equal(w.size, 1)
    assert.deepEqual(expired(w, d + tick), ['e'], `deadline +${offset} not expired at deadline + tickMs`)
    assert.equal(w.size, 0)
    assert.deepEqual(expired(w, d + 10 * tick), [], 'expires only once')
  }
})

test('random deadlines with a fine scan: each expires in [deadline, deadline + tickMs]', () => {
  const rand = prng(1234)
  for (const tick of [1, 7, 100, 250]) {
    const w = new TimeoutWheel<Entry>(tick, T0)
    const deadlines = new Map<string, number>()
    for (let i = 0; i < 500; i++) {
      const e = entry(`m${i}`)
      const d = T0 + (rand() % 20000) + (rand() % 1000) / 1000 // fractional ms too
      deadlines.set(e.name, d)
      w.add(e, d)
    }
    assert.equal(w.size, 500)
    const seen = new Set<string>()
    for (let t = T0; t <= T0 + 20000 + 2 * tick; t += 3) {
      for (const name of expired(w, t)) {
        const d = deadlines.get(name)!
        assert.ok(t >= d, `tick ${tick}: ${name} (deadline ${d - T0}) expired early at ${t - T0}`)
        assert.ok(t < d + tick + 3, `tick ${tick}: ${name} (deadline ${d - T0}) expired late at ${t - T0}`)
        assert.ok(!seen.has(name))
        seen.add(name)
      }
    }
    assert.equal(seen.size, 500)
    assert.equal(w.size, 0)
  }
})

test('a deadline already in the past expires on the next expire() one tick later', () => {
  const w = new TimeoutWheel<Entry>(100, T0)
  assert.deepEqual(expired(w, T0 + 550), []) // the cursor moves on while empty
  const e = entry('late')
  w.add(e, T0 - 5000)
  assert.equal(w.size, 1)
  assert.deepEqual(expired(w, T0 + 550), [], 'a scanned tick is not scanned again')
  assert.deepEqual(expired(w, T0 + 650), ['late'])
  assert.equal(w.size, 0)
  // same on a wheel whose expire() was never called
  const w2 = new TimeoutWheel<Entry>(100, T0)
  w2.add(entry('p'), T0 - 1)
  assert.deepEqual(expired(w2, T0), [])
  assert.deepEqual(expired(w2, T0 + 100), ['p'])
})

test('remove() prevents expiry', () => {
  const w = new TimeoutWheel<Entry>(100, T0)
  const a = entry('a')
  const b = entry('b')
  w.add(a, T0 + 500)
  w.add(b, T0 + 500)
  assert.equal(w.size, 2)
  w.remove(a)
  assert.equal(a.slot, null)
  assert.equal(w.size, 1)
  w.remove(a) // twice: no effect
  assert.equal(w.size, 1)
  w.remove(entry('never added'))
  assert.equal(w.size, 1)
  assert.deepEqual(expired(w, T0 + 10000), ['b'])
  assert.equal(w.size, 0)
})

test('re-adding an entry moves its deadline', () => {
  const w = new TimeoutWheel<Entry>(100, T0)
  const e = entry('e')
  w.add(e, T0 + 1500)
  w.add(e, T0 + 3000)
  assert.equal(w.size, 1)
  assert.equal(e.deadline, T0 + 3000)
  assert.deepEqual(expired(w, T0 + 1600), [])
  assert.deepEqual(expired(w, T0 + 3100), ['e'])
  // moved earlier
  w.add(e, T0 + 9000)
  w.add(e, T0 + 4000)
  assert.equal(w.size, 1)
  assert.deepEqual(expired(w, T0 + 4100), ['e'])
  assert.deepEqual(expired(w, T0 + 9100), [])
  assert.equal(w.size, 0)
})

test('size counts adds, removes and expiries', () => {
  const w = new TimeoutWheel<Entry>(10, T0)
  const es = Array.from({length: 50}, (_, i) => entry(`e${i}`))
  es.forEach((e, i) => {
    w.add(e, T0 + 10 * i + 5)
    assert.equal(w.size, i + 1)
  })
  for (let i = 0; i < 50; i += 5) w.remove(es[i]!)
  assert.equal(w.size, 40)
  // deadline +10i+5 sits in tick i+1; expire(+255) scans ticks 1..25: i = 0..24, less the 5 removed
  const out = expired(w, T0 + 255)
  assert.equal(out.length, 20)
  assert.deepEqual(out, es.filter((_, i) => i < 25 && i % 5 !== 0).map((e) => e.name).sort())
  assert.equal(w.size, 40 - out.length)
})

test('drain returns every entry and empties the wheel', () => {
  const w = new TimeoutWheel<Entry>(100, T0)
  const es = Array.from({length: 20}, (_, i) => entry(`e${i}`))
  es.forEach((e, i) => w.add(e, T0 + 37 * i))
  const out = w.drain()
  assert.deepEqual(out.map((e) => e.name).sort(), es.map((e) => e.name).sort())
  assert.ok(out.every((e) => e.slot === null))
  assert.equal(w.size, 0)
  assert.deepEqual(expired(w, T0 + 100000), [])
  assert.deepEqual(w.drain(), [])
  // usable after a drain
  w.add(es[0]!, T0 + 100000 + 50)
  assert.equal(w.size, 1)
  assert.deepEqual(expired(w, T0 + 100200), ['e0'])
})
