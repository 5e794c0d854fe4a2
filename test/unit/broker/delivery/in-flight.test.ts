/** InFlightTable: in-flight messages by id (a hash table over the id's words), in per-timeout lanes plus the 'irregular' one. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {InFlightTable, NOT_OWNER} from '../../../../src/core/broker/delivery/in-flight.js'
import {BrokerMessage} from '../../../../src/core/broker/delivery/message.js'
import {GuidFactory} from '../../../../src/core/broker/delivery/guid.js'
import {idWords, type MessageIdWords} from '../../../../src/core/protocol/index.js'
import {mulberry32u} from '../../../helpers/prng.js'

/** a short name as a 16-byte id (padded with '.') and back */
const idOf = (name: string): string => name.padEnd(16, '.')
const key = (name: string): MessageIdWords => idWords(idOf(name))
const nameOf = (m: BrokerMessage): string => m.id.replace(/\.+$/, '')
const msg = (name: string): BrokerMessage => BrokerMessage.withId(idOf(name), Buffer.from(name), 0, 0)
const take = (t: InFlightTable, name: string, owner: number): ReturnType<InFlightTable['take']> => {
  const k = key(name)
  return t.take(k.id0, k.id1, k.id2, k.id3, owner)
}

const prng = mulberry32u

const expired = (t: InFlightTable, now: number): string[] => {
  const out: string[] = []
  t.expire(now, (m) => out.push(nameOf(m)))
  return out.sort()
}

const T0 = 1700000000000

test('add, get and delete by id', () => {
  const t = new InFlightTable()
  assert.equal(t.size, 0)
  const a = msg('a')
  const b = msg('b')
  t.add(a, 1000, T0)
  assert.equal(a.deadline, T0 + 1000)
  assert.equal(t.size, 1)
  t.add(b, 5000, T0)
  assert.equal(b.deadline, T0 + 5000)
  assert.equal(t.size, 2)
  assert.equal(t.get(key('a')), a)
  assert.equal(t.get(key('b')), b)
  assert.equal(t.get(key('c')), undefined)
  t.delete(a)
  assert.equal(t.size, 1)
  assert.equal(t.get(key('a')), undefined)
  t.delete(a) // not there any more: no change
  t.delete(msg('zzz'))
  assert.equal(t.size, 1)
  t.delete(b)
  assert.equal(t.size, 0)
  assert.deepEqual(expired(t, T0 + 1e9), [])
})

test('take(): removes and returns what the owner has, refuses another client, finds other lanes and capped ones', () => {
  const t = new InFlightTable()
  const a = msg('a')
  const b = msg('b')
  const c = msg('c')
  a.clientId = 1
  b.clientId = 2
  c.clientId = 1
  t.add(a, 1000, T0)
  t.add(b, 5000, T0)
  t.add(c, 1000, T0)
  t.touch(c, 1000, T0 + 10, T0) // capped: now in the irregular map
  assert.equal(take(t, 'a', 2), NOT_OWNER)
  assert.equal(t.size, 3, 'refused: still in flight')
  assert.equal(take(t, 'a', 1), a)
  assert.equal(take(t, 'a', 1), undefined, 'gone once taken')
  assert.equal(take(t, 'b', 1), NOT_OWNER, 'another client\'s')
  assert.equal(take(t, 'b', 2), b, 'its owner\'s')
  assert.equal(take(t, 'c', 1), c, 'a capped message')
  assert.equal(take(t, 'zzz', 1), undefined)
  assert.equal(t.size, 0)
  assert.deepEqual(expired(t, T0 + 1e9), [])
})

test('expire(now) returns exactly the messages with deadline <= now across mixed 1000/5000 ms lanes', () => {
  const t = new InFlightTable()
  const deadlines = new Map<string, number>()
  for (let i = 0; i < 200; i++) {
    const now = T0 + i * 37
    const timeout = i % 3 === 0 ? 5000 : 1000
    const m = msg(`m${i}`)
    t.add(m, timeout, now)
    assert.equal(m.deadline, now + timeout)
    deadlines.set(nameOf(m), now + timeout)
    assert.equal(t.size, i + 1)
  }
  let left = new Map(deadlines)
  for (let now = T0; now <= T0 + 200 * 37 + 5000 + 111; now += 111) {
    const want = [...left].filter(([, d]) => d <= now).map(([id]) => id).sort()
    assert.deepEqual(expired(t, now), want, `at +${now - T0}`)
    left = new Map([...left].filter(([, d]) => d > now))
    assert.equal(t.size, left.size)
  }
  assert.equal(t.size, 0)
})

test('a deadline is expired at exactly its time, not a ms before', () => {
  const t = new InFlightTable()
  t.add(msg('a'), 1000, T0)
  t.add(msg('b'), 5000, T0)
  assert.deepEqual(expired(t, T0 + 999), [])
  assert.deepEqual(expired(t, T0 + 1000), ['a'])
  assert.deepEqual(expired(t, T0 + 4999), [])
  assert.deepEqual(expired(t, T0 + 5000), ['b'])
  assert.equal(t.size, 0)
})

test('touch() re-inserts with now + timeout and keeps the lane ordered', () => {
  const t = new InFlightTable()
  const a = msg('a')
  const b = msg('b')
  const c = msg('c')
  t.add(a, 1000, T0)
  t.add(b, 1000, T0 + 100)
  t.add(c, 1000, T0 + 200)
  t.touch(a, 1000, T0 + 500 + 1000, T0 + 500) // a moves behind c
  assert.equal(a.deadline, T0 + 1500)
  assert.equal(t.size, 3)
  assert.equal(t.get(key('a')), a)
  assert.deepEqual(expired(t, T0 + 1100), ['b'])
  assert.deepEqual(expired(t, T0 + 1200), ['c'])
  assert.deepEqual(expired(t, T0 + 1499), [])
  assert.deepEqual(expired(t, T0 + 1500), ['a'])
  assert.equal(t.size, 0)
})

test('a capped TOUCH deadline (below now + timeout) still expires at the capped time', () => {
  const t = new InFlightTable()
  const a = msg('a')
  const b = msg('b')
  t.add(a, 5000, T0)
  t.add(b, 5000, T0 + 10)
  const capped = T0 + 3000 + 1200 // the cap, shorter than now + timeout = T0 + 8000
  t.touch(a, 5000, capped, T0 + 3000)
  assert.equal(a.deadline, capped)
  assert.equal(t.size, 2)
  assert.equal(t.get(key('a')), a)
  assert.equal(t.get(key('a')), a)
  assert.deepEqual(expired(t, capped - 1), [])
  assert.deepEqual(expired(t, capped), ['a'])
  assert.equal(t.size, 1)
  assert.deepEqual(expired(t, T0 + 5010), ['b'])
  assert.equal(t.size, 0)
})

test('a capped message can be touched, deleted or drained again', () => {
  const t = new InFlightTable()
  const a = msg('a')
  const b = msg('b')
  t.add(a, 5000, T0)
  t.add(b, 5000, T0)
  t.touch(a, 5000, T0 + 2000, T0 + 1000) // irregular
  t.touch(a, 5000, T0 + 2500, T0 + 1500) // irregular again
  assert.equal(t.size, 2)
  assert.deepEqual(expired(t, T0 + 2000), [])
  t.touch(a, 5000, T0 + 1600 + 5000, T0 + 1600) // back to its lane
  assert.equal(t.size, 2)
  assert.deepEqual(expired(t, T0 + 5000), ['b'])
  assert.deepEqual(expired(t, T0 + 6599), [])
  assert.deepEqual(expired(t, T0 + 6600), ['a'])
  t.add(a, 5000, T0 + 7000)
  t.touch(a, 5000, T0 + 7500, T0 + 7100)
  t.delete(a)
  assert.equal(t.size, 0)
  assert.equal(t.get(key('a')), undefined)
  t.add(a, 5000, T0 + 8000)
  t.touch(a, 5000, T0 + 8500, T0 + 8100)
  t.add(b, 1000, T0 + 8100)
  assert.deepEqual(t.drain().map(nameOf).sort(), ['a', 'b'])
  assert.equal(t.size, 0)
})

test('random add/touch/delete/expire against a model: exact expiry and size after every operation', () => {
  const rand = prng(4242)
  const t = new InFlightTable()
  const timeouts = [1000, 5000, 60000]
  const model = new Map<string, {msg: BrokerMessage; timeout: number; deadline: number}>()
  let now = T0
  let next = 0
  for (let op = 0; op < 6000; op++) {
    now += rand() % 50
    const r = rand() % 100
    const ids = [...model.keys()]
    const pick = ids.length > 0 ? model.get(ids[rand() % ids.length]!)! : undefined
    if (r < 40 || pick === undefined) {
      const m = msg(`m${next++}`)
      const timeout = timeouts[rand() % timeouts.length]!
      t.add(m, timeout, now)
      model.set(nameOf(m), {msg: m, timeout, deadline: now + timeout})
    } else if (r < 60) {
      const capped = rand() % 2 === 0
      const deadline = capped ? now + (rand() % pick.timeout) : now + pick.timeout
      t.touch(pick.msg, pick.timeout, deadline, now)
      pick.deadline = deadline
      assert.equal(pick.msg.deadline, deadline)
    } else if (r < 75) {
      assert.equal(t.get(pick.msg), pick.msg)
      t.delete(pick.msg)
      model.delete(nameOf(pick.msg))
      assert.equal(t.get(pick.msg), undefined)
    } else {
      const want = [...model.values()].filter((e) => e.deadline <= now).map((e) => nameOf(e.msg)).sort()
      assert.deepEqual(expired(t, now), want, `op ${op}`)
      for (const id of want) model.delete(id)
    }
    assert.equal(t.size, model.size, `size after op ${op}`)
  }
  assert.deepEqual(t.drain().map(nameOf).sort(), [...model.keys()].sort())
  assert.equal(t.size, 0)
})

test('drain returns every message from every lane and the irregular map', () => {
  const t = new InFlightTable()
  t.add(msg('a'), 1000, T0)
  t.add(msg('b'), 5000, T0)
  const c = msg('c')
  t.add(c, 5000, T0)
  t.touch(c, 5000, T0 + 2000, T0 + 1000)
  const out = t.drain()
  assert.deepEqual(out.map(nameOf).sort(), ['a', 'b', 'c'])
  assert.equal(t.size, 0)
  assert.deepEqual(t.drain(), [])
  assert.deepEqual(expired(t, T0 + 1e9), [])
  assert.equal(t.get(key('a')), undefined)
  assert.equal(t.get(key('c')), undefined)
})

test('the id table under a turning window: 200,000 guid ids through it, every lookup right, no id found twice', () => {
  const g = new GuidFactory(1, () => T0)
  const t = new InFlightTable()
  const live: BrokerMessage[] = []
  const gone: BrokerMessage[] = []
  const rand = prng(99)
  for (let i = 0; i < 200_000; i++) {
    g.advance(g.now())
    const m = new BrokerMessage(g.id0, g.id1, g.id2, g.id3, Buffer.alloc(0), 0, 0)
    m.clientId = 1 + (i % 2)
    t.add(m, 1000, T0)
    live.push(m)
    // a window of ~5,000 in flight, FINs in a shuffled order (backward-shift deletion in every position of a run)
    while (live.length > 5000) {
      const j = rand() % live.length
      const x = live[j]!
      live[j] = live[live.length - 1]!
      live.pop()
      assert.equal(t.take(x.id0, x.id1, x.id2, x.id3, x.clientId), x)
      if (gone.length < 1000) gone.push(x)
    }
  }
  assert.equal(t.size, live.length)
  for (const m of live) assert.equal(t.get(m), m)
  for (const m of gone) assert.equal(t.get(m), undefined)
  const other = live[0]!
  assert.equal(t.take(other.id0, other.id1, other.id2, other.id3, 3), NOT_OWNER)
  assert.deepEqual(expired(t, T0 + 1000).length, live.length)
  assert.equal(t.size, 0)
  for (const m of live) assert.equal(t.get(m), undefined)
})

test('ids that are any 16 bytes are told apart, the ones differing in one byte too', () => {
  const t = new InFlightTable()
  const ids = ['\u00ff'.repeat(16), '\u0000'.repeat(16), ' '.repeat(15) + '\r', 'abcdefghijklmnop', 'abcdefghijklmnoq', 'bbcdefghijklmnop']
  const ms = ids.map((id) => BrokerMessage.withId(id, Buffer.alloc(0), 0, 0))
  for (const m of ms) t.add(m, 1000, T0)
  ms.forEach((m, i) => {
    assert.equal(m.id, ids[i])
    assert.equal(t.get(idWords(ids[i]!)), m)
  })
  assert.equal(t.get(idWords('abcdefghijklmnoz')), undefined)
})

test('expire() passes on only what it took out: a callback that drains the table ends it', () => {
  const t = new InFlightTable()
  for (const n of ['a', 'b', 'c']) t.add(msg(n), 1000, T0)
  const passed: string[] = []
  let drained: string[] = []
  t.expire(T0 + 1000, (m) => {
    passed.push(nameOf(m))
    drained = t.drain().map(nameOf)
  })
  assert.deepEqual(passed, ['a'])
  assert.deepEqual(drained.sort(), ['b', 'c'])
  assert.equal(t.size, 0)
})
