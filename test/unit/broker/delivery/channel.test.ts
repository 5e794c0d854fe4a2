/**
 * Channel close vs delete (docs/ARCHITECTURE.md, "Habits"): the broker stopping keeps a channel's messages for its
 * backend, in flight and deferred ones included (nsqd's channel.flush on Close); deleting it
 * drops them. Driven through real sessions over duplexPair (test/helpers/session-wire.ts).
 * And the copies of one message a crash can leave in a disk queue: one in flight at a time.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {idWords, pub, rdy, req, sub} from '../../../../src/core/protocol/index.js'
import {Channel, type Subscriber} from '../../../../src/core/broker/delivery/channel.js'
import {BrokerMessage} from '../../../../src/core/broker/delivery/message.js'
import {NullBackend} from '../../../../src/core/broker/queue/null.js'
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

/** A backend that hands out records it holds (as a disk queue after a crash can: two of one message). */
class HoldingBackend {
  readonly released: number[] = []
  private readonly holder = {release: (seq: number) => this.released.push(seq)}
  private readonly items: BrokerMessage[] = []
  add(id: string, seq: number): void {
    const m = BrokerMessage.withId(id, Buffer.from(`copy ${seq}`), 0, 0)
    m.holder = this.holder
    m.holdSeq = seq
    this.items.push(m)
  }
  put(): boolean {
    return true
  }
  read(): BrokerMessage | undefined {
    return this.items.shift()
  }
  depth(): number {
    return this.items.length
  }
  empty(): void {}
  async close(): Promise<void> {}
  async delete(): Promise<void> {}
}

test('a second record of a message in flight is dropped (its hold let go of); once the first is FINed, a later copy is delivered', () => {
  const backend = new HoldingBackend()
  const ch = new Channel('t', 'c', {
    memQueueSize: 0,
    maxMsgTimeout: 60_000,
    maxChannelConsumers: 0,
    tickMs: 100,
    now: () => 1_000_000,
    backend: () => backend,
    onEmptyEphemeral: () => undefined,
  })
  const got: string[] = []
  let room = 2
  const sub: Subscriber = {
    id: 1,
    get ready() {
      return room > 0
    },
    sampleRate: 0,
    msgTimeout: 60_000,
    deliver: (m) => {
      room--
      got.push(m.body.toString())
    },
    timedOut: () => undefined,
    emptied: () => undefined,
    close: () => undefined,
  }
  ch.addSubscriber(sub)
  const X = '0000000000000abc'
  backend.add(X, 1)
  backend.add(X, 2) // the same message again: dropped while copy 1 is in flight
  backend.add('0000000000000def', 3)
  ch.dispatch()
  assert.deepEqual(got, ['copy 1', 'copy 3'])
  assert.deepEqual(backend.released, [2], 'the dropped copy lets go of its record')
  assert.equal(ch.inFlight.size, 2)
  assert.equal(ch.finish(sub, idWords(X)), null, 'FIN of the one in flight works')
  assert.deepEqual(backend.released, [2, 1])
  backend.add(X, 4) // not in flight any more: delivered (at least once)
  room = 1
  ch.dispatch()
  assert.deepEqual(got, ['copy 1', 'copy 3', 'copy 4'])
})

test('an #ephemeral channel with --mem-queue-size 0 hands a REQ\'d and an expired DPUB message to a ready subscriber, as nsqd', () => {
  let now = 1_000_000
  const ch = new Channel('t', 'c#ephemeral', {
    memQueueSize: 0,
    maxMsgTimeout: 60_000,
    maxChannelConsumers: 0,
    tickMs: 100,
    now: () => now,
    backend: () => new NullBackend<BrokerMessage>(),
    onEmptyEphemeral: () => undefined,
  })
  const got: string[] = []
  const sub: Subscriber = {
    id: 1,
    ready: true,
    sampleRate: 0,
    msgTimeout: 60_000,
    deliver: (m) => got.push(`${m.body.toString()}#${m.attempts}`),
    timedOut: () => undefined,
    emptied: () => undefined,
    close: () => undefined,
  }
  ch.addSubscriber(sub)
  ch.put(BrokerMessage.withId('0000000000000001', Buffer.from('m-1'), 0, 0))
  assert.equal(ch.requeue(sub, idWords('0000000000000001'), 0), null)
  ch.putDeferred(BrokerMessage.withId('0000000000000002', Buffer.from('m-2'), 0, 0), 500)
  now += 1000
  ch.scan(now)
  assert.deepEqual(got, ['m-1#1', 'm-1#2', 'm-2#1'])
  assert.equal(ch.depth, 0, 'nothing kept: there is no backend')
})
