/**
 * Consumer discovery through nsqlookupd (NSQ-SPEC §4.3 "Discovery", §3.3 /lookup), against a
 * small lookupd HTTP responder (FakeLookupd, test/helpers/fake-lookupd.ts: node:http on
 * 127.0.0.1:0) that points at real `nsqkit serve` children:
 *
 *  - GET /lookup?topic=T with `Accept: application/vnd.nsq; version=1.0`, in the 1.x answer
 *    shape and in the pre-1.0 wrapped one; host:port or URL addresses (path kept, /lookup by
 *    default, other query parameters kept)
 *  - every producer found is connected to; one poll per interval, lookupds taken round-robin;
 *    a failing lookupd makes the same poll try the next one; producers that vanish from
 *    lookupd stay connected
 *  - a lost nsqd connection triggers a lookupd re-query at once (not after the poll interval)
 */
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {Consumer} from '../../src/core/client/consumer.js'
import type {ClientConfig} from '../../src/core/client/options.js'
import {Producer} from '../../src/core/client/producer.js'
import {Cleanup, type Received} from '../helpers/client-harness.js'
import {FakeLookupd, producerEntry} from '../helpers/fake-lookupd.js'
import {startServe, useServes, type ServeChild} from '../helpers/serve.js'
import {sleep, waitFor, withTimeout} from '../helpers/wait.js'

const T = {timeout: 20_000}
const ACCEPT = 'application/vnd.nsq; version=1.0'

/** The 1.x /lookup answer. */
const lookupBody = (...brokers: ServeChild[]): unknown => ({channels: [], producers: brokers.map(producerEntry)})
/** The pre-1.0 wrapped /lookup answer. */
const wrappedBody = (...brokers: ServeChild[]): unknown => ({status_code: 200, status_txt: 'OK', data: lookupBody(...brokers)})

interface Discovering {
  consumer: Consumer
  received: Received[]
  waitCount(n: number, timeoutMs?: number): Promise<Received[]>
}

/** A recording Consumer started with connectToLookupd(...addrs); registered in cleanup. */
async function lookupdConsumer(cleanup: Cleanup, topic: string, addrs: string[], config: Partial<ClientConfig> = {}): Promise<Discovering> {
  const received: Received[] = []
  const consumer = new Consumer(
    topic,
    'ch',
    (m) => {
      received.push({id: m.id, body: Buffer.from(m.body), attempts: m.attempts, at: Date.now(), nsqd: m.nsqdAddress})
    },
    {config: {max_in_flight: 10, lookupd_poll_interval: 60_000, ...config}},
  )
  cleanup.add(`consumer ${topic}`, () => consumer.stop(3000))
  await withTimeout(consumer.connectToLookupd(...addrs), 5000, 'connectToLookupd')
  return {
    consumer,
    received,
    waitCount: (n, timeoutMs = 5000) => waitFor(`${n} message(s) on ${topic}`, () => (received.length >= n ? received : undefined), {timeoutMs}),
  }
}

async function publish(cleanup: Cleanup, b: ServeChild, topic: string, body: string): Promise<void> {
  const p = new Producer(b.tcpAddress)
  cleanup.add('producer', () => p.stop(2000))
  await withTimeout(p.publish(topic, body), 5000, `publish to ${b.tcpAddress}`)
}

describe('Consumer discovery through lookupd', () => {
  const [a, b] = useServes(2)

  test('1.x answer: GET /lookup?topic=T with the vnd.nsq Accept header; the nsqd found is subscribed to and delivers', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'disc_v1'
      const lookupd = await FakeLookupd.start(() => ({status: 200, body: lookupBody(a)}))
      cleanup.add('lookupd', () => lookupd.close())
      const c = await lookupdConsumer(cleanup, topic, [lookupd.addr])
      await a.waitSubscribed(topic, 'ch')
      const [first] = lookupd.requests
      assert.ok(first, 'lookupd was asked')
      assert.equal(first.method, 'GET')
      assert.equal(first.path, '/lookup')
      assert.equal(first.query.get('topic'), topic)
      assert.equal(first.accept, ACCEPT)
      await publish(cleanup, a, topic, 'found you')
      const [got] = await c.waitCount(1)
      assert.equal(got?.body.toString(), 'found you')
      assert.equal(got?.nsqd, a.tcpAddress)
      assert.equal(c.consumer.stats.connections, 1)
    } finally {
      await cleanup.run()
    }
  })

  test('pre-1.0 wrapped answer {status_code, status_txt, data}: both producers found, both deliver', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'disc_wrapped'
      const lookupd = await FakeLookupd.start(() => ({status: 200, body: wrappedBody(a, b)}))
      cleanup.add('lookupd', () => lookupd.close())
      const c = await lookupdConsumer(cleanup, topic, [lookupd.addr])
      await a.waitSubscribed(topic, 'ch')
      await b.waitSubscribed(topic, 'ch')
      assert.equal(c.consumer.stats.connections, 2)
      await publish(cleanup, a, topic, 'from a')
      await publish(cleanup, b, topic, 'from b')
      const got = await c.waitCount(2)
      assert.deepEqual(got.map((r) => `${r.nsqd}=${r.body.toString()}`).sort(), [`${a.tcpAddress}=from a`, `${b.tcpAddress}=from b`].sort())
      assert.ok(lookupd.requests.every((r) => r.accept === ACCEPT))
    } finally {
      await cleanup.run()
    }
  })

  test('URL addresses: http://host:port/lookup as given, a custom path and query kept, a bare URL gets /lookup', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'disc_url'
      const lookupd = await FakeLookupd.start((r) => (r.path === '/lookup' || r.path === '/nsq/lookup' ? {status: 200, body: lookupBody(a)} : {status: 404, body: {message: 'NOT_FOUND'}}))
      cleanup.add('lookupd', () => lookupd.close())
      const base = `http://${lookupd.addr}`

      await lookupdConsumer(cleanup, topic, [`${base}/lookup`])
      await a.waitSubscribed(topic, 'ch', 1)
      await lookupdConsumer(cleanup, 'disc_url2', [`${base}/nsq/lookup?dc=eu`])
      await a.waitSubscribed('disc_url2', 'ch', 1)
      await lookupdConsumer(cleanup, 'disc_url3', [`${base}/`])
      await a.waitSubscribed('disc_url3', 'ch', 1)

      const asked = lookupd.requests.map((r) => `${r.path}?${[...r.query.entries()].map(([k, v]) => `${k}=${v}`).join('&')}`)
      assert.ok(asked.includes(`/lookup?topic=${topic}`), JSON.stringify(asked))
      assert.ok(asked.includes('/nsq/lookup?dc=eu&topic=disc_url2'), JSON.stringify(asked))
      assert.ok(asked.includes('/lookup?topic=disc_url3'), JSON.stringify(asked))
      assert.ok(lookupd.requests.every((r) => r.accept === ACCEPT))
    } finally {
      await cleanup.run()
    }
  })

  test('two lookupds: one query per poll, round-robin; one connection to the nsqd both name; a producer that vanishes stays connected', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'disc_rr'
      let answer = lookupBody(a)
      const l1 = await FakeLookupd.start(() => ({status: 200, body: answer}))
      const l2 = await FakeLookupd.start(() => ({status: 200, body: answer}))
      cleanup.add('lookupd 1', () => l1.close())
      cleanup.add('lookupd 2', () => l2.close())
      const c = await lookupdConsumer(cleanup, topic, [l1.addr, l2.addr], {lookupd_poll_interval: 100, lookupd_poll_jitter: 0})
      await a.waitSubscribed(topic, 'ch')
      await waitFor('a few polls', () => l1.requests.length + l2.requests.length >= 8, {timeoutMs: 5000})
      const t0 = Date.now()
      const n0 = l1.requests.length + l2.requests.length
      await sleep(1000)
      const polls = l1.requests.length + l2.requests.length - n0
      const elapsed = Date.now() - t0
      // one lookupd per poll: ~10 polls a second, not ~20
      assert.ok(polls <= elapsed / 100 + 3, `${polls} queries in ${elapsed} ms with a 100 ms poll interval and 2 lookupds`)
      assert.ok(polls >= 3, `only ${polls} queries in ${elapsed} ms`)
      const order = [...l1.requests.map((r) => ({at: r.at, l: 1})), ...l2.requests.map((r) => ({at: r.at, l: 2}))]
        .sort((x, y) => x.at - y.at)
        .map((x) => x.l)
      // the start-up query goes to the first lookupd while it is the only one (as in go-nsq,
      // whose index then wraps to it again); from there on they alternate
      assert.equal(order[0], 1)
      for (let i = 2; i < order.length; i++) assert.notEqual(order[i], order[i - 1], `not round-robin: ${order.join('')}`)
      assert.equal(c.consumer.stats.connections, 1)
      assert.equal((await a.clients(topic, 'ch')).length, 1)

      // lookupd stops naming the nsqd: the connection stays and keeps delivering
      answer = lookupBody()
      const n1 = l1.requests.length + l2.requests.length
      await waitFor('polls with no producers', () => l1.requests.length + l2.requests.length >= n1 + 3, {timeoutMs: 3000})
      assert.equal(c.consumer.stats.connections, 1)
      await publish(cleanup, a, topic, 'still here')
      const [got] = await c.waitCount(1)
      assert.equal(got?.body.toString(), 'still here')
    } finally {
      await cleanup.run()
    }
  })

  test('a lookupd that fails (HTTP 500, bad JSON): the poll tries the next one and discovery still works', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'disc_fail'
      const broken = await FakeLookupd.start(() => ({status: 500, body: {message: 'INTERNAL_ERROR'}}))
      const garbage = await FakeLookupd.start(() => ({status: 200, body: 'not json'}))
      const good = await FakeLookupd.start(() => ({status: 200, body: lookupBody(b)}))
      cleanup.add('lookupds', () => Promise.all([broken.close(), garbage.close(), good.close()]))
      const c = await lookupdConsumer(cleanup, topic, [broken.addr, garbage.addr, good.addr], {lookupd_poll_interval: 300, lookupd_poll_jitter: 0})
      await b.waitSubscribed(topic, 'ch')
      assert.ok(broken.requests.length >= 1)
      assert.ok(garbage.requests.length >= 1)
      assert.ok(good.requests.length >= 1)
      await publish(cleanup, b, topic, 'via the third')
      assert.equal((await c.waitCount(1))[0]?.body.toString(), 'via the third')
    } finally {
      await cleanup.run()
    }
  })

  test('a lost nsqd connection re-queries lookupd at once (poll interval 60 s) and connects to the producer it names now', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = 'disc_requery'
      const doomed = await startServe()
      cleanup.add('doomed broker', () => doomed.stop())
      let answer = lookupBody(doomed)
      const lookupd = await FakeLookupd.start(() => ({status: 200, body: answer}))
      cleanup.add('lookupd', () => lookupd.close())
      const c = await lookupdConsumer(cleanup, topic, [lookupd.addr], {lookupd_poll_interval: 60_000, lookupd_poll_jitter: 0})
      await doomed.waitSubscribed(topic, 'ch')
      await sleep(200) // let the start-up queries settle
      const before = lookupd.requests.length

      answer = lookupBody(a)
      const killedAt = Date.now()
      await doomed.stop()
      await a.waitSubscribed(topic, 'ch')
      const requery = lookupd.requests[before]
      assert.ok(requery, 'lookupd was queried again')
      assert.ok(requery.at - killedAt < 3000, `re-query ${requery.at - killedAt} ms after the broker died`)
      assert.equal(c.consumer.stats.connections, 1)
      await publish(cleanup, a, topic, 'after failover')
      assert.equal((await c.waitCount(1))[0]?.body.toString(), 'after failover')
    } finally {
      await cleanup.run()
    }
  })
})
