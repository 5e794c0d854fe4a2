/**
 * Interop with the real nsqjs client (Writer and Reader) against a `nsqkit serve` child
 * process (NSQ-SPEC §2.2): publishing (PUB, MPUB, DPUB), REQ with a delay, TOUCH, the
 * message timeout, topic → channel fan-out, sharing a channel, ephemeral channels.
 *
 * The broker runs with --msg-timeout=2s: readers that send no msg_timeout in IDENTIFY get
 * that default (the timeout test relies on it); the TOUCH test asks for 1 s in IDENTIFY
 * through nsqjs's `messageTimeout`. Broker state is checked through /stats?format=json.
 */
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import nsq from 'nsqjs'
import type {Message, Reader, ReaderConnectionConfigOptions, Writer} from 'nsqjs'
import {HOST} from '../helpers/net.js'
import {useServe} from '../helpers/serve.js'
import {sleep, waitFor, withTimeout} from '../helpers/wait.js'

const MSG_TIMEOUT_MS = 2000
const TEST_TIMEOUT = {timeout: 20_000}

const serve = useServe([`--msg-timeout=${MSG_TIMEOUT_MS / 1000}s`])

// ---- nsqjs, promised and bounded ----------------------------------------------------------------

interface Delivery {
  id: string
  body: Buffer
  attempts: number
  /** Date.now() when the Reader emitted it */
  at: number
  /** ms left before nsqjs thinks it times out (from the msg_timeout of the IDENTIFY response) */
  timeLeft: number | null
}

interface TestReader {
  reader: Reader
  deliveries: Delivery[]
  errors: Error[]
  close(): void
}

/** A connected, subscribed nsqjs Reader recording every delivery; `handle` answers them. */
async function openReader(
  topic: string,
  channel: string,
  opts: ReaderConnectionConfigOptions,
  handle: (m: Message, d: Delivery, r: TestReader) => void,
): Promise<TestReader> {
  const reader = new nsq.Reader(topic, channel, {maxInFlight: 1, ...opts, nsqdTCPAddresses: [serve.tcpAddress]})
  let closed = false
  const tr: TestReader = {
    reader,
    deliveries: [],
    errors: [],
    close() {
      if (closed) return
      closed = true
      reader.close()
    },
  }
  reader.on('message', (m: Message) => {
    const d: Delivery = {id: m.id, body: Buffer.from(m.body), attempts: m.attempts, at: Date.now(), timeLeft: m.timeUntilTimeout()}
    tr.deliveries.push(d)
    handle(m, d, tr)
  })
  const ready = new Promise<void>((resolve, reject) => {
    reader.once('ready', () => resolve())
    reader.on('error', (err: Error) => {
      tr.errors.push(err)
      reject(err)
    })
  })
  reader.connect()
  try {
    await withTimeout(ready, 5000, `nsqjs Reader ${topic}/${channel} ready`)
  } catch (err) {
    tr.close()
    throw err
  }
  return tr
}

interface TestWriter {
  writer: Writer
  errors: Error[]
  publish(topic: string, msgs: Buffer | Buffer[]): Promise<void>
  deferPublish(topic: string, msg: Buffer, delayMs: number): Promise<void>
  close(): void
}

async function openWriter(): Promise<TestWriter> {
  const writer = new nsq.Writer(HOST, serve.tcpPort)
  const errors: Error[] = []
  const ready = new Promise<void>((resolve, reject) => {
    writer.once('ready', () => resolve())
    writer.on('error', (err: Error) => {
      errors.push(err)
      reject(err)
    })
  })
  writer.connect()
  let closed = false
  const tw: TestWriter = {
    writer,
    errors,
    publish: (topic, msgs) =>
      withTimeout(
        new Promise<void>((resolve, reject) => writer.publish(topic, msgs, (err) => (err ? reject(err) : resolve()))),
        5000,
        `nsqjs publish to ${topic}`,
      ),
    deferPublish: (topic, msg, delayMs) =>
      withTimeout(
        new Promise<void>((resolve, reject) => writer.deferPublish(topic, [msg], delayMs, (err) => (err ? reject(err) : resolve()))),
        5000,
        `nsqjs deferPublish to ${topic}`,
      ),
    close() {
      if (closed) return
      closed = true
      writer.close()
    },
  }
  try {
    await withTimeout(ready, 5000, 'nsqjs Writer ready')
  } catch (err) {
    tw.close()
    throw err
  }
  return tw
}

const hexes = (bs: readonly Buffer[]): string[] => bs.map((b) => b.toString('hex')).sort()

// ---- the tests ----------------------------------------------------------------------------------

describe('nsqjs Writer and Reader against nsqkit serve', () => {
  test('PUB, MPUB (array) and DPUB (deferPublish 1000 ms) arrive with the exact bodies; the Reader FINs them', TEST_TIMEOUT, async () => {
    const topic = 'nsqjs_pub'
    const pubBody = Buffer.from('pub: hello from nsqjs')
    const mpubBodies = [Buffer.from('mpub-0'), Buffer.from([0x00, 0x01, 0x0a, 0x0d, 0x20, 0xfe, 0xff]), Buffer.from('mpub-2 héllo ✓', 'utf8')]
    const dpubBody = Buffer.from('dpub: one second later')
    const r = await openReader(topic, 'ch', {maxInFlight: 10}, (m) => m.finish())
    let w: TestWriter | undefined
    try {
      await serve.waitSubscribed(topic, 'ch', 1)
      w = await openWriter()
      await w.publish(topic, pubBody)
      await w.publish(topic, mpubBodies)
      const dpubSent = Date.now()
      await w.deferPublish(topic, dpubBody, 1000)

      // the three immediate ones arrive, the deferred one waits in the channel
      await waitFor('PUB and MPUB deliveries', () => r.deliveries.length >= 4, {timeoutMs: 3000})
      const early = r.deliveries.slice(0, 4)
      assert.deepEqual(hexes(early.map((d) => d.body)), hexes([pubBody, ...mpubBodies]))
      const afterImmediate = await serve.channel(topic, 'ch')
      assert.equal(afterImmediate?.deferred_count, 1, 'the DPUB message is deferred in the channel')

      const dpub = await waitFor('the DPUB delivery', () => r.deliveries[4], {timeoutMs: 3000})
      assert.equal(dpub.body.toString('hex'), dpubBody.toString('hex'))
      const waited = dpub.at - dpubSent
      assert.ok(waited >= 900, `DPUB 1000ms arrived after only ${waited}ms`)
      assert.ok(waited < 2500, `DPUB 1000ms arrived after ${waited}ms`)

      for (const d of r.deliveries) assert.equal(d.attempts, 1)
      assert.equal(new Set(r.deliveries.map((d) => d.id)).size, 5, 'five distinct message ids')

      // every FIN landed: nothing in flight, nothing queued or deferred, no redelivery
      const ch = await waitFor('in_flight_count 0 after FIN', async () => {
        const c = await serve.channel(topic, 'ch')
        return c && c.in_flight_count === 0 && c.clients?.[0]?.finish_count === 5 ? c : undefined
      }, {timeoutMs: 3000})
      assert.equal(ch.message_count, 5)
      assert.equal(ch.depth, 0)
      assert.equal(ch.deferred_count, 0)
      assert.equal(ch.requeue_count, 0)
      assert.equal(ch.timeout_count, 0)
      assert.match(ch.clients?.[0]?.user_agent ?? '', /^nsqjs\//)
      assert.equal((await serve.topic(topic))?.message_count, 5)
      assert.equal(r.deliveries.length, 5)
      assert.deepEqual(r.errors, [])
      assert.deepEqual(w.errors, [])
    } finally {
      r.close()
      w?.close()
    }
  })

  test('REQ with a delay: requeue(500, false) brings the message back with attempts 2 after >= ~400 ms', TEST_TIMEOUT, async () => {
    const topic = 'nsqjs_req'
    const r = await openReader(topic, 'ch', {maxInFlight: 1}, (m, _d, tr) => {
      if (tr.deliveries.length === 1) m.requeue(500, false)
      else m.finish()
    })
    let w: TestWriter | undefined
    try {
      await serve.waitSubscribed(topic, 'ch', 1)
      w = await openWriter()
      await w.publish(topic, Buffer.from('requeue me'))
      const first = await waitFor('the first delivery', () => r.deliveries[0], {timeoutMs: 3000})
      // while requeued with a delay it is deferred, not queued or in flight
      const deferred = await waitFor('the REQ to be deferred', async () => {
        const c = await serve.channel(topic, 'ch')
        return c && c.deferred_count === 1 ? c : undefined
      }, {timeoutMs: 1000})
      assert.equal(deferred.in_flight_count, 0)
      assert.equal(deferred.requeue_count, 1)

      const second = await waitFor('the redelivery', () => r.deliveries[1], {timeoutMs: 3000})
      assert.equal(first.attempts, 1)
      assert.equal(second.attempts, 2)
      assert.equal(second.id, first.id)
      assert.equal(second.body.toString(), 'requeue me')
      const gap = second.at - first.at
      assert.ok(gap >= 400, `REQ 500 came back after only ${gap}ms`)
      // the message timeout (2 s) would also bring it back with attempts 2: make sure it was the REQ
      assert.ok(gap < 1500, `REQ 500 came back after ${gap}ms`)

      const ch = await waitFor('the FIN of the redelivery', async () => {
        const c = await serve.channel(topic, 'ch')
        return c && c.in_flight_count === 0 && c.clients?.[0]?.finish_count === 1 ? c : undefined
      }, {timeoutMs: 3000})
      assert.equal(ch.requeue_count, 1)
      assert.equal(ch.timeout_count, 0)
      assert.equal(ch.clients?.[0]?.requeue_count, 1)
      await sleep(200)
      assert.equal(r.deliveries.length, 2)
      assert.deepEqual(r.errors, [])
    } finally {
      r.close()
      w?.close()
    }
  })

  test('TOUCH keeps a slow message alive past its 1 s msg_timeout: delivered once, timeout_count 0', TEST_TIMEOUT, async () => {
    const topic = 'nsqjs_touch'
    const timers: NodeJS.Timeout[] = []
    let finished!: () => void
    const done = new Promise<void>((resolve) => {
      finished = resolve
    })
    const r = await openReader(topic, 'ch', {maxInFlight: 1, messageTimeout: 1000}, (m, _d, tr) => {
      if (tr.deliveries.length > 1) {
        m.finish() // a redelivery: the broker let the touched message time out
        return
      }
      const touching = setInterval(() => m.touch(), 400)
      timers.push(touching)
      timers.push(
        setTimeout(() => {
          clearInterval(touching)
          m.finish()
          finished()
        }, 2500),
      )
    })
    let w: TestWriter | undefined
    try {
      await serve.waitSubscribed(topic, 'ch', 1)
      w = await openWriter()
      await w.publish(topic, Buffer.from('slow work'))
      const first = await waitFor('the delivery', () => r.deliveries[0], {timeoutMs: 3000})
      // the IDENTIFY response carried msg_timeout 1000: nsqjs's own clock for the message
      assert.ok(first.timeLeft !== null && first.timeLeft <= 1000 && first.timeLeft > 500, `nsqjs time left ${first.timeLeft}ms`)
      await withTimeout(done, 5000, 'the slow handler')
      await waitFor('the FIN', async () => {
        const c = await serve.channel(topic, 'ch')
        return c !== undefined && c.in_flight_count === 0 && c.clients?.[0]?.finish_count === 1
      }, {timeoutMs: 2000})
      await sleep(300)
      assert.deepEqual(
        r.deliveries.map((d) => d.attempts),
        [1],
        'exactly one delivery: the TOUCHed message must not time out and come back',
      )
      const ch = await serve.channel(topic, 'ch')
      assert.equal(ch?.timeout_count, 0)
      assert.equal(ch?.requeue_count, 0)
      assert.equal(ch?.message_count, 1)
      assert.deepEqual(r.errors, [], 'no E_TOUCH_FAILED / E_FIN_FAILED')
    } finally {
      for (const t of timers) clearTimeout(t)
      r.close()
      w?.close()
    }
  })

  test('message timeout: an unanswered message comes back after --msg-timeout with attempts 2; timeout_count 1', TEST_TIMEOUT, async () => {
    const topic = 'nsqjs_timeout'
    // no messageTimeout: the broker's --msg-timeout=2s applies
    const r = await openReader(topic, 'ch', {maxInFlight: 1}, (m, _d, tr) => {
      if (tr.deliveries.length > 1) m.finish() // the first delivery gets no answer at all
    })
    let w: TestWriter | undefined
    try {
      await serve.waitSubscribed(topic, 'ch', 1)
      w = await openWriter()
      await w.publish(topic, Buffer.from('forgotten'))
      const first = await waitFor('the first delivery', () => r.deliveries[0], {timeoutMs: 3000})
      assert.ok(
        first.timeLeft !== null && first.timeLeft <= MSG_TIMEOUT_MS && first.timeLeft > MSG_TIMEOUT_MS - 500,
        `IDENTIFY response msg_timeout should be the broker's 2000ms; nsqjs time left ${first.timeLeft}ms`,
      )
      const inFlight = await serve.channel(topic, 'ch')
      assert.equal(inFlight?.in_flight_count, 1)
      assert.equal(inFlight?.timeout_count, 0)

      const second = await waitFor('the redelivery after the timeout', () => r.deliveries[1], {timeoutMs: 4000})
      assert.equal(first.attempts, 1)
      assert.equal(second.attempts, 2)
      assert.equal(second.id, first.id)
      assert.equal(second.body.toString(), 'forgotten')
      const gap = second.at - first.at
      assert.ok(gap >= MSG_TIMEOUT_MS - 200, `timed out after only ${gap}ms`)
      assert.ok(gap < MSG_TIMEOUT_MS + 1500, `timed out after ${gap}ms`)

      const ch = await waitFor('the FIN of the redelivery', async () => {
        const c = await serve.channel(topic, 'ch')
        return c && c.in_flight_count === 0 && c.clients?.[0]?.finish_count === 1 ? c : undefined
      }, {timeoutMs: 3000})
      assert.equal(ch.timeout_count, 1)
      assert.equal(ch.requeue_count, 0)
      assert.equal(r.deliveries.length, 2)
      assert.deepEqual(r.errors, [])
    } finally {
      r.close()
      w?.close()
    }
  })

  test('two channels on one topic each get every message', TEST_TIMEOUT, async () => {
    const topic = 'nsqjs_fanout'
    const a = await openReader(topic, 'a', {maxInFlight: 5}, (m) => m.finish())
    let b: TestReader | undefined
    let w: TestWriter | undefined
    try {
      b = await openReader(topic, 'b', {maxInFlight: 5}, (m) => m.finish())
      await serve.waitSubscribed(topic, 'a', 1)
      await serve.waitSubscribed(topic, 'b', 1)
      w = await openWriter()
      const bodies = Array.from({length: 20}, (_, i) => Buffer.from(`fanout-${i}`))
      for (const body of bodies) await w.publish(topic, body)
      const rb = b
      await waitFor('20 messages on channel a', () => a.deliveries.length >= 20, {timeoutMs: 5000})
      await waitFor('20 messages on channel b', () => rb.deliveries.length >= 20, {timeoutMs: 5000})
      await sleep(200)
      for (const [name, r] of [['a', a], ['b', rb]] as const) {
        assert.equal(r.deliveries.length, 20, `channel ${name}: exactly 20 deliveries`)
        assert.deepEqual(hexes(r.deliveries.map((d) => d.body)), hexes(bodies), `channel ${name}: every body once`)
        // each channel has its own copy of a message, with its own attempts counter
        assert.deepEqual(
          r.deliveries.map((d) => d.attempts),
          bodies.map(() => 1),
          `channel ${name}: every message is a first attempt`,
        )
        assert.deepEqual(r.errors, [])
        const ch = await waitFor(`channel ${name} drained`, async () => {
          const c = await serve.channel(topic, name)
          return c && c.in_flight_count === 0 ? c : undefined
        }, {timeoutMs: 3000})
        assert.equal(ch.message_count, 20)
        assert.equal(ch.depth, 0)
      }
      assert.equal((await serve.topic(topic))?.message_count, 20)
    } finally {
      a.close()
      b?.close()
      w?.close()
    }
  })

  test('two readers sharing one channel split 100 messages: both get some, none twice, none lost', TEST_TIMEOUT, async () => {
    const topic = 'nsqjs_shared'
    const finishSoon = (m: Message): void => {
      setTimeout(() => m.finish(), 2)
    }
    const r1 = await openReader(topic, 'ch', {maxInFlight: 5}, finishSoon)
    let r2: TestReader | undefined
    let w: TestWriter | undefined
    try {
      r2 = await openReader(topic, 'ch', {maxInFlight: 5}, finishSoon)
      await serve.waitSubscribed(topic, 'ch', 2)
      w = await openWriter()
      const bodies = Array.from({length: 100}, (_, i) => Buffer.from(`shared-${i}`))
      await w.publish(topic, bodies)
      const rr2 = r2
      await waitFor('100 messages across both readers', () => r1.deliveries.length + rr2.deliveries.length >= 100, {timeoutMs: 5000})
      const ch = await waitFor('the channel drained', async () => {
        const c = await serve.channel(topic, 'ch')
        return c && c.in_flight_count === 0 && c.depth === 0 ? c : undefined
      }, {timeoutMs: 3000})
      await sleep(200)
      const n1 = r1.deliveries.length
      const n2 = rr2.deliveries.length
      assert.ok(n1 > 0 && n2 > 0, `both readers get messages (${n1} + ${n2})`)
      assert.equal(n1 + n2, 100, `no duplicates (${n1} + ${n2})`)
      const all = [...r1.deliveries, ...rr2.deliveries]
      assert.deepEqual(hexes(all.map((d) => d.body)), hexes(bodies))
      assert.equal(new Set(all.map((d) => d.id)).size, 100)
      assert.ok(all.every((d) => d.attempts === 1))
      assert.equal(ch.message_count, 100)
      assert.equal(ch.client_count, 2)
      assert.equal(ch.timeout_count, 0)
      assert.equal(ch.requeue_count, 0)
      assert.deepEqual((ch.clients ?? []).map((c) => c.message_count).sort((x, y) => x - y), [n1, n2].sort((x, y) => x - y))
      assert.deepEqual(r1.errors, [])
      assert.deepEqual(rr2.errors, [])
    } finally {
      r1.close()
      r2?.close()
      w?.close()
    }
  })

  test('an ephemeral channel disappears from /stats once its reader closes', TEST_TIMEOUT, async () => {
    const topic = 'nsqjs_ephemeral'
    const channel = 'ch#ephemeral'
    const r = await openReader(topic, channel, {maxInFlight: 1}, (m) => m.finish())
    let w: TestWriter | undefined
    try {
      await serve.waitSubscribed(topic, channel, 1)
      w = await openWriter()
      await w.publish(topic, Buffer.from('to the ephemeral channel'))
      const d = await waitFor('the delivery', () => r.deliveries[0], {timeoutMs: 3000})
      assert.equal(d.body.toString(), 'to the ephemeral channel')
      await waitFor('the FIN', async () => (await serve.channel(topic, channel))?.in_flight_count === 0, {timeoutMs: 2000})
      assert.deepEqual(r.errors, [])
    } finally {
      r.close()
      w?.close()
    }
    await waitFor(`${channel} gone from /stats`, async () => {
      const t = await serve.topic(topic)
      return t !== undefined && !t.channels.some((c) => c.channel_name === channel)
    }, {timeoutMs: 2000})
    // the topic itself is not ephemeral: it stays
    const t = await serve.topic(topic)
    assert.equal(t?.message_count, 1)
    assert.deepEqual(t?.channels, [])
  })
})
