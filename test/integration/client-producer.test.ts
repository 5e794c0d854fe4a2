/**
 * The client Producer (NSQ-SPEC §4.4) against `nsqkit serve` child processes: what is published
 * arrives byte for byte (PUB, MPUB in order, DPUB not before its delay), error frames reject one
 * call with ERR_PROTOCOL and the E_* code, a refused dial is ERR_CONNECTION_REFUSED, a dying
 * broker rejects what is pending with ERR_NOT_CONNECTED, and the next call after a restart
 * reconnects. Interop: an nsqjs Reader receives what our Producer publishes.
 */
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import nsq from 'nsqjs'
import type {Message as NsqjsMessage} from 'nsqjs'
import {Consumer} from '../../src/core/client/consumer.js'
import {NsqClientError, ProtocolResponseError} from '../../src/core/client/errors.js'
import {Producer} from '../../src/core/client/producer.js'
import {Cleanup, recordingConsumer, rejectionOf} from '../helpers/client-harness.js'
import {HOST, unusedPort} from '../helpers/net.js'
import {startServe, useServe} from '../helpers/serve.js'
import {sleep, waitFor, withTimeout} from '../helpers/wait.js'

const T = {timeout: 20_000}

/** A Producer registered in `cleanup`. */
function producerFor(cleanup: Cleanup, addr: string, config: ConstructorParameters<typeof Producer>[1] = {}): Producer {
  const p = new Producer(addr, config)
  cleanup.add(`producer ${addr}`, () => p.stop(2000))
  return p
}

const hex = (bs: readonly Buffer[]): string[] => bs.map((b) => b.toString('hex'))

describe('Producer against nsqkit serve', () => {
  const broker = useServe()

  test('publish: text, UTF-8, binary and a 200 KiB body arrive byte for byte, in order, attempts 1', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'prod_pub'
      const rec = await recordingConsumer(cleanup, [broker], topic, 'ch', {config: {max_in_flight: 10}})
      const allBytes = Buffer.from(Array.from({length: 256}, (_, i) => i))
      const bodies = [Buffer.from('hello'), Buffer.from('héllo ✓ 日本', 'utf8'), allBytes, Buffer.from('a\nb\r\n\0 PUB x\n'), randomBytes(200 * 1024)]
      const p = producerFor(cleanup, broker.tcpAddress)
      for (const b of bodies) await withTimeout(p.publish(topic, b), 5000, 'publish')
      // a string body is sent as UTF-8
      await withTimeout(p.publish(topic, 'string ✓'), 5000, 'publish string')
      const got = await rec.waitCount(bodies.length + 1)
      assert.deepEqual(hex(got.map((r) => r.body)), hex([...bodies, Buffer.from('string ✓', 'utf8')]))
      assert.deepEqual(
        got.map((r) => r.attempts),
        bodies.map(() => 1).concat(1),
      )
      assert.equal(new Set(got.map((r) => r.id)).size, got.length, 'distinct ids')
      assert.equal(p.inFlight, 0)
      assert.equal(p.isConnected, true)
      await sleep(100)
      assert.equal(rec.received.length, bodies.length + 1, 'no duplicates')
      assert.equal((await broker.topic(topic))?.message_count, bodies.length + 1)
    } finally {
      await cleanup.run()
    }
  })

  test('MPUB of 1,000 messages: every one arrives, in publish order (one connection)', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'prod_mpub'
      const rec = await recordingConsumer(cleanup, [broker], topic, 'ch', {config: {max_in_flight: 100}})
      const bodies = Array.from({length: 1000}, (_, i) => Buffer.from(`mpub-${String(i).padStart(4, '0')}-${'x'.repeat(i % 17)}`))
      const p = producerFor(cleanup, broker.tcpAddress)
      await withTimeout(p.multiPublish(topic, bodies), 5000, 'MPUB')
      const got = await rec.waitCount(1000, 10_000)
      assert.equal(got.length, 1000)
      assert.deepEqual(
        got.map((r) => r.body.toString()),
        bodies.map((b) => b.toString()),
      )
      assert.equal((await broker.topic(topic))?.message_count, 1000)
      await waitFor('all 1000 FINed', async () => {
        const ch = await broker.channel(topic, 'ch')
        return ch && ch.in_flight_count === 0 && ch.depth === 0 && ch.clients?.[0]?.finish_count === 1000
      }, {timeoutMs: 5000})
    } finally {
      await cleanup.run()
    }
  })

  test('DPUB: the message waits deferred in the channel, arrives after ~the delay, not before', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'prod_dpub'
      const rec = await recordingConsumer(cleanup, [broker], topic, 'ch', {config: {max_in_flight: 10}})
      const p = producerFor(cleanup, broker.tcpAddress)
      await p.ping()
      const sent = Date.now()
      await withTimeout(p.deferredPublish(topic, 1000, Buffer.from('later')), 5000, 'DPUB')
      await withTimeout(p.publish(topic, Buffer.from('now')), 5000, 'PUB')
      await rec.waitCount(1)
      assert.equal(rec.received[0]?.body.toString(), 'now', 'the PUB overtakes the DPUB')
      assert.equal((await broker.channel(topic, 'ch'))?.deferred_count, 1)
      const [, later] = await rec.waitCount(2, 4000)
      assert.equal(later?.body.toString(), 'later')
      const waited = (later?.at ?? 0) - sent
      assert.ok(waited >= 900, `DPUB 1000 ms arrived after only ${waited} ms`)
      assert.ok(waited < 3000, `DPUB 1000 ms arrived after ${waited} ms`)
      assert.equal(later?.attempts, 1)
    } finally {
      await cleanup.run()
    }
  })

  test('pipelining: 300 concurrent publishes on one connection all resolve and all land', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'prod_pipeline'
      const p = producerFor(cleanup, broker.tcpAddress)
      const calls = Array.from({length: 300}, (_, i) => p.publish(topic, `m${i}`))
      await withTimeout(Promise.all(calls), 5000, '300 publishes')
      assert.equal(p.inFlight, 0)
      assert.equal((await broker.topic(topic))?.message_count, 300)
    } finally {
      await cleanup.run()
    }
  })

  test('an error frame rejects that call with ERR_PROTOCOL (nsqCode E_BAD_TOPIC); what was pipelined behind it gets ERR_NOT_CONNECTED; the next call reconnects', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'prod_errors'
      const p = producerFor(cleanup, broker.tcpAddress)
      await withTimeout(p.ping(), 5000, 'ping')

      const err = await rejectionOf(p.publish('bad!topic', 'x'), 5000, 'PUB to an invalid topic')
      assert.ok(err instanceof ProtocolResponseError, `got ${err.name}: ${err.message}`)
      assert.equal(err.code, 'ERR_PROTOCOL')
      assert.equal(err.nsqCode, 'E_BAD_TOPIC')
      assert.match(err.message, /E_BAD_TOPIC/)

      // a topic with a space or newline must not be cut at it ("PUB bad topic" would publish to "bad")
      for (const name of ['bad topic', 'bad\ntopic', `${topic} `]) {
        const e = await rejectionOf(p.publish(name, 'x'), 5000, `PUB to ${JSON.stringify(name)}`)
        assert.equal(e.code, 'ERR_PROTOCOL')
        assert.equal(e.nsqCode, 'E_BAD_TOPIC')
      }
      assert.deepEqual(
        (await broker.topics()).map((t) => t.topic_name).filter((n) => n === 'bad' || n === topic),
        [],
        'nothing published to a truncated name',
      )

      // an empty body is E_BAD_MESSAGE; the producer reconnected for it on its own
      const empty = await rejectionOf(p.publish(topic, Buffer.alloc(0)), 5000, 'PUB with an empty body')
      assert.equal(empty.code, 'ERR_PROTOCOL')
      assert.equal(empty.nsqCode, 'E_BAD_MESSAGE')

      // good, bad, good pipelined: nsqd closes after the fatal error, so the third is not published
      const first = p.publish(topic, 'one')
      const bad = rejectionOf(p.publish('bad!topic', 'two'), 5000, 'the bad pipelined publish')
      const third = rejectionOf(p.publish(topic, 'three'), 5000, 'the publish pipelined after the fatal error')
      await withTimeout(first, 5000, 'the first pipelined publish')
      assert.equal((await bad).nsqCode, 'E_BAD_TOPIC')
      const thirdErr = await third
      assert.equal(thirdErr.code, 'ERR_NOT_CONNECTED')
      assert.equal((await broker.topic(topic))?.message_count, 1)

      await withTimeout(p.publish(topic, 'after'), 5000, 'publish after the errors')
      assert.equal((await broker.topic(topic))?.message_count, 2)
    } finally {
      await cleanup.run()
    }
  })

  test('nothing listening: publish, ping and Consumer.connectToNsqd reject with ERR_CONNECTION_REFUSED', T, async () => {
    const cleanup = new Cleanup()
    try {
      const port = await unusedPort()
      const addr = `${HOST}:${port}`
      const p = producerFor(cleanup, addr)
      const err = await rejectionOf(p.publish('t', 'x'), 5000, 'publish to a closed port')
      assert.ok(err instanceof NsqClientError)
      assert.equal(err.code, 'ERR_CONNECTION_REFUSED')
      assert.equal(err.addr, addr)
      assert.equal(err.retriable, true)
      assert.equal((await rejectionOf(p.ping(), 5000, 'ping a closed port')).code, 'ERR_CONNECTION_REFUSED')
      assert.equal(p.isConnected, false)

      const c = new Consumer('t', 'ch', () => undefined)
      cleanup.add('consumer', () => c.stop(2000))
      assert.equal((await rejectionOf(c.connectToNsqd(addr), 5000, 'connectToNsqd on a closed port')).code, 'ERR_CONNECTION_REFUSED')
    } finally {
      await cleanup.run()
    }
  })

  test('stop(): waits for what is pending, then every call rejects with ERR_STOPPED', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'prod_stop'
      const p = producerFor(cleanup, broker.tcpAddress)
      await withTimeout(p.ping(), 5000, 'ping')
      const pending = Array.from({length: 50}, (_, i) => p.publish(topic, `s${i}`))
      // the publishes are written on the next tick; stop() must not cut them off
      await sleep(0)
      await withTimeout(p.stop(), 5000, 'stop')
      await withTimeout(Promise.all(pending), 1000, 'the publishes pending at stop()')
      assert.equal((await broker.topic(topic))?.message_count, 50)
      assert.equal((await rejectionOf(p.publish(topic, 'late'), 1000, 'publish after stop')).code, 'ERR_STOPPED')
      assert.equal((await rejectionOf(p.ping(), 1000, 'ping after stop')).code, 'ERR_STOPPED')
      assert.equal(p.isConnected, false)

      // a publish still waiting for its connection when stop() is called settles, it does not hang
      const q = producerFor(cleanup, broker.tcpAddress)
      await withTimeout(q.ping(), 5000, 'ping')
      const racing = q.publish(topic, 'racing stop').then(
        () => 'published',
        (err: {code?: string}) => err.code ?? String(err),
      )
      await withTimeout(q.stop(), 5000, 'stop')
      assert.ok(['published', 'ERR_STOPPED'].includes(await withTimeout(racing, 2000, 'a publish racing stop()')))
    } finally {
      await cleanup.run()
    }
  })

  test('interop: an nsqjs Reader receives what our Producer publishes (PUB, MPUB, DPUB)', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'prod_to_nsqjs'
      const got: {body: Buffer; attempts: number}[] = []
      const reader = new nsq.Reader(topic, 'ch', {maxInFlight: 10, nsqdTCPAddresses: [broker.tcpAddress]})
      cleanup.add('nsqjs reader', () => reader.close())
      const errors: Error[] = []
      reader.on('error', (e: Error) => errors.push(e))
      reader.on('message', (m: NsqjsMessage) => {
        got.push({body: Buffer.from(m.body), attempts: m.attempts})
        m.finish()
      })
      const ready = new Promise<void>((resolve) => reader.once('ready', () => resolve()))
      reader.connect()
      await withTimeout(ready, 5000, 'nsqjs Reader ready')
      await broker.waitSubscribed(topic, 'ch')

      const p = producerFor(cleanup, broker.tcpAddress)
      const bin = randomBytes(1000)
      await withTimeout(p.publish(topic, bin), 5000, 'PUB')
      await withTimeout(p.multiPublish(topic, ['m1', 'm2', Buffer.from([0, 255, 10])]), 5000, 'MPUB')
      await withTimeout(p.deferredPublish(topic, 300, 'deferred'), 5000, 'DPUB')
      await waitFor('5 messages at the nsqjs Reader', () => got.length >= 5, {timeoutMs: 5000})
      assert.deepEqual(hex(got.map((g) => g.body)), hex([bin, Buffer.from('m1'), Buffer.from('m2'), Buffer.from([0, 255, 10]), Buffer.from('deferred')]))
      assert.ok(got.every((g) => g.attempts === 1))
      await waitFor('the FINs', async () => (await broker.clients(topic, 'ch'))[0]?.finish_count === 5, {timeoutMs: 3000})
      assert.deepEqual(errors, [])
    } finally {
      await cleanup.run()
    }
  })
})

describe('Producer and a broker that goes away', () => {
  test('heartbeats: an idle producer (heartbeat_interval 1 s, read_timeout 1.5 s) stays connected for 3 s and publishes on the same connection', T, async () => {
    const cleanup = new Cleanup()
    try {
      const b = await startServe()
      cleanup.add('broker', () => b.stop())
      const p = producerFor(cleanup, b.tcpAddress, {heartbeat_interval: 1000, read_timeout: 1500})
      await withTimeout(p.ping(), 5000, 'ping')
      let drops = 0
      const t0 = Date.now()
      while (Date.now() - t0 < 3000) {
        if (!p.isConnected) drops++
        await sleep(100)
      }
      assert.equal(drops, 0, 'the connection dropped while idle: heartbeats not answered')
      await withTimeout(p.publish('hb', 'after idling'), 5000, 'publish after idling')
      assert.equal((await b.topic('hb'))?.message_count, 1)
    } finally {
      await cleanup.run()
    }
  })

  test('a frozen broker: pending publishes reject with ERR_TIMEOUT after read_timeout, even while more publishes keep going out', T, async () => {
    const cleanup = new Cleanup()
    try {
      const b = await startServe()
      cleanup.add('broker', () => b.stop('SIGKILL'))
      const p = producerFor(cleanup, b.tcpAddress, {heartbeat_interval: 1000, read_timeout: 1500})
      await withTimeout(p.ping(), 5000, 'ping')
      await b.freeze()
      const frozenAt = Date.now()
      const first = rejectionOf(p.publish('frozen', 'a'), 6000, 'a publish to a frozen broker')
      let settledAt = 0
      void first.finally(() => {
        settledAt = Date.now()
      })
      // keep writing: our own writes must not push the read deadline back
      const more: Promise<unknown>[] = []
      while (settledAt === 0 && Date.now() - frozenAt < 6000) {
        more.push(p.publish('frozen', 'b').catch((err: unknown) => err))
        await sleep(200)
      }
      const err = await first
      assert.equal(err.code, 'ERR_TIMEOUT', `${err.name}: ${err.message}`)
      assert.ok(settledAt - frozenAt < 4000, `the first publish settled ${settledAt - frozenAt} ms after the broker froze`)
      await withTimeout(Promise.all(more), 6000, 'the later publishes')
    } finally {
      await cleanup.run()
    }
  })

  test('reconnects on the next call after the broker restarts on the same port (SIGTERM)', T, async () => {
    const cleanup = new Cleanup()
    try {
      const first = await startServe()
      cleanup.add('first broker', () => first.stop())
      const port = first.tcpPort
      const p = producerFor(cleanup, first.tcpAddress)
      await withTimeout(p.publish('restart', 'before'), 5000, 'publish before the restart')
      assert.equal(p.isConnected, true)

      await first.stop()
      await waitFor('the producer to notice the lost connection', () => !p.isConnected, {timeoutMs: 3000})

      const second = await startServe([], {tcpPort: port})
      cleanup.add('second broker', () => second.stop())
      assert.equal(second.tcpPort, port)
      await withTimeout(p.publish('restart', 'after'), 5000, 'the first publish after the restart')
      assert.equal(p.isConnected, true)
      assert.equal((await second.topic('restart'))?.message_count, 1)
    } finally {
      await cleanup.run()
    }
  })

  test('calls pending when the broker dies reject with ERR_NOT_CONNECTED; the next call after a restart succeeds', T, async () => {
    const cleanup = new Cleanup()
    try {
      const first = await startServe()
      cleanup.add('first broker', () => first.stop())
      const port = first.tcpPort
      const p = producerFor(cleanup, first.tcpAddress)
      await withTimeout(p.ping(), 5000, 'ping')

      // freeze the broker so the publishes stay unanswered, then kill it
      await first.freeze()
      const pending = [p.publish('dies', 'a'), p.multiPublish('dies', ['b', 'c']), p.deferredPublish('dies', 100, 'd')].map((call, i) =>
        rejectionOf(call, 5000, `pending call ${i}`),
      )
      await waitFor('3 pending transactions', () => p.inFlight === 3, {timeoutMs: 2000})
      await first.stop('SIGKILL')
      for (const [i, outcome] of pending.entries()) {
        const err = await outcome
        assert.ok(err instanceof NsqClientError, `got ${err.name}: ${err.message}`)
        assert.equal(err.code, 'ERR_NOT_CONNECTED', `pending call ${i}: ${err.message}`)
      }
      assert.equal(p.inFlight, 0)
      assert.equal(p.isConnected, false)

      // while nothing listens, a call fails fast
      assert.equal((await rejectionOf(p.publish('dies', 'x'), 5000, 'publish while down')).code, 'ERR_CONNECTION_REFUSED')

      const second = await startServe([], {tcpPort: port})
      cleanup.add('second broker', () => second.stop())
      await withTimeout(p.publish('dies', 'after'), 5000, 'publish after the restart')
      assert.equal((await second.topic('dies'))?.message_count, 1)
    } finally {
      await cleanup.run()
    }
  })
})
