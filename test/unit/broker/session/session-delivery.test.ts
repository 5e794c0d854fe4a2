/**
 * Protocol V2 delivery semantics on the broker's sessions, over `duplexPair()` with a manual
 * clock (NSQ-SPEC §2.2 "RDY semantics", "Timeouts, REQ, TOUCH, DPUB"): the deadlines are
 * nsqd's real ones (a 60 s msg_timeout is 60 s of clock time) and are checked to the scan tick,
 * in milliseconds of run time. test/integration/tcp-delivery.test.ts keeps one proof of each
 * over a real socket and real seconds.
 */
import test, {describe} from 'node:test'
import assert from 'node:assert/strict'

import {dpub, fin, identify, pub, rdy, req, sub, touch} from '../../../../src/core/protocol/index.js'
import {withWire, type PeerEnd, type Wire} from '../../../helpers/session-wire.js'

/** the scan loop's tick at the default queue-scan-interval: expiry is at most this late */
const TICK = 100

async function consumer(w: Wire, topic: string, channel: string, opts: {identify?: object; rdy?: number} = {}): Promise<PeerEnd> {
  const c = w.connect()
  if (opts.identify) {
    c.send(identify(opts.identify))
    assert.equal(await w.response(c), 'OK')
  }
  c.send(sub(topic, channel))
  assert.equal(await w.response(c), 'OK')
  if (opts.rdy !== undefined) c.send(rdy(opts.rdy))
  return c
}

async function publish(w: Wire, topic: string, ...bodies: string[]): Promise<void> {
  const p = w.connect()
  p.send(...bodies.map((b) => pub(topic, b)))
  for (let i = 0; i < bodies.length; i++) assert.equal(await w.response(p), 'OK', `PUB #${i}`)
}

describe('session delivery over duplexPair, manual clock', () => {
  test('IDENTIFY → SUB → RDY → message → FIN: the window reopens and the channel is left empty', () =>
    withWire({}, async (w) => {
      const c = w.connect()
      c.send(identify({feature_negotiation: true, client_id: 'unit', msg_timeout: 5000}))
      const neg = JSON.parse(await w.response(c)) as {msg_timeout: number; max_rdy_count: number}
      assert.equal(neg.msg_timeout, 5000)
      assert.equal(neg.max_rdy_count, 2500)
      c.send(sub('t', 'c'), rdy(1))
      assert.equal(await w.response(c), 'OK')
      await publish(w, 't', 'one', 'two')
      const m1 = await w.message(c)
      assert.equal(m1.body.toString(), 'one')
      assert.equal(m1.attempts, 1)
      assert.deepEqual(c.take(), [], 'RDY 1: one message in flight, no more')
      const ch = w.channel('t', 'c')
      assert.equal(ch.inFlight.size, 1)
      assert.equal(ch.depth, 1)
      c.send(fin(m1.id))
      const m2 = await w.message(c)
      assert.equal(m2.body.toString(), 'two', 'the FIN opened the one slot')
      c.send(fin(m2.id))
      await w.settle()
      assert.equal(ch.inFlight.size, 0)
      assert.equal(ch.depth, 0)
      const state = [...w.broker.clients()].find((s) => s.clientId === 'unit')
      assert.equal(state?.finishCount, 2)
      assert.equal(state?.inFlightCount, 0)
      assert.equal(state?.messageCount, 2)
    }),
  )

  test("msg_timeout: an un-FINed message comes back after the broker's 60 s, not before, attempts 2", () =>
    withWire({}, async (w) => {
      const c = await consumer(w, 'to', 'c', {rdy: 1})
      await publish(w, 'to', 'slow')
      const m1 = await w.message(c)
      await w.pass(60_000 - 50, 1000)
      assert.deepEqual(c.take(), [], 'still in flight just before 60 s')
      await w.pass(TICK + 50)
      const m2 = await w.message(c)
      assert.equal(m2.id, m1.id)
      assert.equal(m2.attempts, 2)
      assert.ok(m2.at - m1.at >= 60_000 && m2.at - m1.at <= 60_000 + TICK, `redelivered ${m2.at - m1.at} ms after delivery`)
      assert.equal(w.channel('to', 'c').timeoutCount, 1)
      assert.equal(c.closed, false, 'the client answered its heartbeats all along')
    }),
  )

  test('IDENTIFY msg_timeout 1000 on a broker whose default is 60 s: the message times out after 1 s', () =>
    withWire({}, async (w) => {
      const c = await consumer(w, 'mt', 'c', {identify: {msg_timeout: 1000}, rdy: 1})
      await publish(w, 'mt', 'x')
      const m1 = await w.message(c)
      await w.pass(950)
      assert.deepEqual(c.take(), [])
      await w.pass(TICK + 50)
      const m2 = await w.message(c)
      assert.equal(m2.attempts, 2)
      assert.ok(m2.at - m1.at <= 1000 + TICK, `redelivered after ${m2.at - m1.at} ms`)
    }),
  )

  test('TOUCH pushes the deadline to now + msg_timeout, never past max-msg-timeout after delivery', () =>
    withWire({msgTimeout: 10_000, maxMsgTimeout: 25_000}, async (w) => {
      const c = await consumer(w, 'tch', 'c', {identify: {msg_timeout: 10_000}, rdy: 1})
      await publish(w, 'tch', 'keep')
      const m1 = await w.message(c)
      await w.pass(8000)
      c.send(touch(m1.id)) // deadline 8 s + 10 s = 18 s after delivery
      await w.pass(9800)
      assert.deepEqual(c.take(), [], 'alive at 17.8 s: the TOUCH at 8 s moved the 10 s deadline')
      c.send(touch(m1.id)) // 17.8 s + 10 s = 27.8 s, capped at 25 s
      await w.pass(25_000 - 17_800 - 100)
      assert.deepEqual(c.take(), [], 'alive just before the 25 s cap')
      await w.pass(TICK + 100)
      const m2 = await w.message(c)
      assert.equal(m2.id, m1.id)
      assert.equal(m2.attempts, 2)
      assert.ok(m2.at - m1.at <= 25_000 + TICK, `redelivered ${m2.at - m1.at} ms after delivery; the cap is 25 s`)
    }),
  )

  test('TOUCH of a message not in flight is E_TOUCH_FAILED, and not fatal', () =>
    withWire({}, async (w) => {
      const c = await consumer(w, 'tf', 'c', {rdy: 1})
      c.send(touch('0123456789abcdef'))
      assert.equal(await w.error(c), 'E_TOUCH_FAILED TOUCH 0123456789abcdef failed ID not in flight')
      await publish(w, 'tf', 'still served')
      assert.equal((await w.message(c)).body.toString(), 'still served')
    }),
  )

  test('REQ with a delay: deferred (deferred_count 1) until the delay passes, then redelivered with attempts 2', () =>
    withWire({}, async (w) => {
      const c = await consumer(w, 'later', 'c', {rdy: 1})
      await publish(w, 'later', 'wait')
      const m1 = await w.message(c)
      c.send(req(m1.id, 5000))
      await w.settle()
      const sent = w.clock.now()
      const ch = w.channel('later', 'c')
      assert.equal(ch.deferredCount, 1)
      assert.equal(ch.inFlight.size, 0)
      await w.pass(4900)
      assert.deepEqual(c.take(), [], 'not before 5 s')
      await w.pass(TICK + 100)
      const m2 = await w.message(c)
      assert.equal(m2.id, m1.id)
      assert.equal(m2.attempts, 2)
      assert.ok(m2.at - sent >= 5000 && m2.at - sent <= 5000 + TICK, `redelivered ${m2.at - sent} ms after the REQ`)
      assert.equal(ch.deferredCount, 0)
      assert.equal(ch.requeueCount, 1)
    }),
  )

  test('REQ longer than max-req-timeout is cut to it (nsqd logs it and goes on)', () =>
    withWire({maxReqTimeout: 10_000}, async (w) => {
      const c = await consumer(w, 'cap', 'c', {rdy: 1})
      await publish(w, 'cap', 'x')
      const m1 = await w.message(c)
      c.send(req(m1.id, 60_000))
      await w.pass(10_000 + TICK + 50)
      const m2 = await w.message(c)
      assert.equal(m2.id, m1.id)
      assert.ok(m2.at - m1.at <= 10_000 + TICK + 250, `redelivered after ${m2.at - m1.at} ms, max-req-timeout is 10 s`)
      assert.ok(w.logLines.some((l) => l.includes('REQ timeout 60000000000 out of range 0-10000000000. Setting to 10000000000')))
    }),
  )

  test('DPUB defers the first delivery; the message counts in message_count at publish', () =>
    withWire({}, async (w) => {
      const c = await consumer(w, 'dp', 'c', {rdy: 1})
      const p = w.connect()
      p.send(dpub('dp', 3000, 'deferred'))
      assert.equal(await w.response(p), 'OK')
      const sent = w.clock.now()
      const ch = w.channel('dp', 'c')
      assert.equal(ch.deferredCount, 1)
      assert.equal(ch.messageCount, 1)
      assert.equal(ch.depth, 0)
      await w.pass(2900)
      assert.deepEqual(c.take(), [])
      await w.pass(TICK + 100)
      const m = await w.message(c)
      assert.equal(m.attempts, 1)
      assert.equal(m.body.toString(), 'deferred')
      assert.ok(m.at - sent >= 3000 && m.at - sent <= 3000 + TICK, `delivered ${m.at - sent} ms after DPUB 3000`)
    }),
  )

  test('a message in flight to a client that disconnects goes to another only after its msg_timeout', () =>
    withWire({msgTimeout: 10_000}, async (w) => {
      const a = await consumer(w, 'dc', 'c', {rdy: 1})
      const b = await consumer(w, 'dc', 'c', {rdy: 0})
      await publish(w, 'dc', 'orphan')
      const m1 = await w.message(a)
      a.close()
      b.send(rdy(1))
      await w.pass(9900)
      assert.deepEqual(b.take(), [], 'nsqd does not requeue on disconnect, only on timeout')
      await w.pass(TICK + 100)
      const m2 = await w.message(b)
      assert.equal(m2.id, m1.id)
      assert.equal(m2.attempts, 2)
    }),
  )
})
