/**
 * Channel close vs delete (docs/ARCHITECTURE.md, "Habits"): the broker stopping keeps a channel's messages for its
 * backend, in flight and deferred ones included (nsqd's channel.flush on Close); deleting it
 * drops them. Driven through real sessions over duplexPair (test/helpers/session-wire.ts).
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {pub, rdy, req, sub} from '../../../../src/core/protocol/index.js'
import {withWire} from '../../../helpers/session-wire.js'

async function threeStates(w: Parameters<Parameters<typeof withWire>[1]>[0]) {
  const c = w.connect()
  c.send(sub('t', 'c'))
  assert.equal(await w.response(c), 'OK')
  const p = w.connect()
  p.send(pub('t', 'in-flight'), pub('t', 'deferred'), pub('t', 'queued'))
  for (let i = 0; i < 3; i++) assert.equal(await w.response(p), 'OK')
  c.send(rdy(2))
  const a = await w.message(c)
  const b = await w.message(c)
  c.send(rdy(0), req(b.id, 60_000))
  await w.settle()
  const ch = w.channel('t', 'c')
  assert.deepEqual([ch.inFlight.size, ch.deferredCount, ch.depth], [1, 1, 1], `${a.body} in flight, ${b.body} deferred, one queued`)
  return {c, ch}
}

test('close (the broker stopping): in-flight and deferred messages go back to the queue, the subscriber is closed', () =>
  withWire({}, async (w) => {
    const {c, ch} = await threeStates(w)
    await ch.close()
    await w.settle()
    assert.equal(ch.inFlight.size, 0)
    assert.equal(ch.deferredCount, 0)
    assert.equal(ch.depth, 3, 'all three kept for the backend')
    assert.equal(c.closed, true)
  }))

test('delete: every message goes, and the subscriber is closed', () =>
  withWire({}, async (w) => {
    const {c, ch} = await threeStates(w)
    assert.equal(w.broker.getExistingTopic('t')?.deleteChannel('c'), true)
    await w.settle()
    assert.deepEqual([ch.inFlight.size, ch.deferredCount, ch.depth], [0, 0, 0])
    assert.equal(c.closed, true)
  }))
