/**
 * `nsqkit to-http` / `nsq_to_http` (NSQ-SPEC §1.3) as the user runs it: the built CLI in a child
 * process against a `nsqkit serve` child on port 0, delivering to real HTTP sinks (node:http on
 * port 0, test/helpers/http-sink.ts). What is checked is what the user gets: what each endpoint
 * received (bodies, URLs, headers), the broker's /stats (FINed only once delivered, requeues),
 * the dead-letter topic's messages, exit codes and stderr.
 *
 *  - modes: round-robin's exact spread; hostpool leaves a failing endpoint alone, then probes it
 *    again after 30 s; epsilon-greedy prefers the faster endpoint; multicast gives every endpoint
 *    each message exactly once, even when one fails its first tries
 *  - GET: the body query-escaped into the one %s, bytes as Go escapes them; POST: the body as is,
 *    Content-Type, User-Agent, --header
 *  - a non-2xx answer requeues, a later success FINs; after max_attempts the message goes to
 *    --dead-letter-topic with the tail json envelope, the error and the endpoint
 *  - --sample 0 FINs unsent; --success-status; SIGTERM: exit 0, nothing in flight; the shim
 *  - misuse: exit 2, one line naming the flag
 */
import assert from 'node:assert/strict'
import {after, describe, test} from 'node:test'
import {Consumer} from '../../src/core/client/consumer.js'
import {Producer} from '../../src/core/client/producer.js'
import type {ChannelJson} from '../helpers/client-harness.js'
import {NSQKIT, assertExit, assertOneLine, createChannel, killChildren, runCli, shim, spawnCli, stopTool, type CliChild, type CliResult} from '../helpers/cli.js'
import {startSink, type HttpSink, type SinkPolicy} from '../helpers/http-sink.js'
import {topicNames} from '../helpers/names.js'
import {useServe, waitToolSubscribed} from '../helpers/serve.js'
import {waitFor} from '../helpers/wait.js'

const T = {timeout: 30_000}
const TO_HTTP = [...NSQKIT, 'to-http']
const CHANNEL = 'nsq_to_http'
// failures come back fast: a short requeue delay and backoff (go-nsq's are 90 s and 1 s)
const FAST_RETRY = ['--consumer-opt=default_requeue_delay,50ms', '--consumer-opt=backoff_multiplier,10ms']

const broker = useServe()
const topicName = topicNames('tohttp')
const sinks: HttpSink[] = []
let producer: Producer | null = null

after(async () => {
  killChildren()
  await producer?.stop(3000)
  await Promise.all(sinks.map((s) => s.close()))
})

async function sink(policy?: SinkPolicy): Promise<HttpSink> {
  const s = await startSink(policy)
  sinks.push(s)
  return s
}

async function publish(topic: string, bodies: readonly (string | Buffer)[]): Promise<void> {
  producer ??= new Producer(broker.tcpAddress)
  for (let i = 0; i < bodies.length; i += 500) await producer.multiPublish(topic, bodies.slice(i, i + 500))
}

const bodiesOf = (tag: string, n: number): string[] => Array.from({length: n}, (_, i) => `${tag}-${String(i + 1).padStart(4, '0')}`)

/** Start `to-http <args>` and wait until it is subscribed with RDY > 0. */
async function startToHttp(args: string[], topic: string, argv = TO_HTTP, channel = CHANNEL): Promise<CliChild> {
  await createChannel(broker.httpPort, topic, channel)
  const child = spawnCli([...argv, `--topic=${topic}`, `--nsqd-tcp-address=${broker.tcpAddress}`, ...args])
  await waitToolSubscribed(broker, child, 'to-http', topic, channel)
  return child
}

const stop = (child: CliChild): Promise<CliResult> => stopTool(child, 'to-http')

/** Every published message FINed: nothing queued, in flight or deferred, `n` through the channel. */
const allFined = (topic: string, n: number, timeoutMs = 10_000, channel = CHANNEL): Promise<ChannelJson> => broker.channelDrained(topic, channel, n, timeoutMs)

const counts = (bodies: string[]): Map<string, number> => {
  const m = new Map<string, number>()
  for (const b of bodies) m.set(b, (m.get(b) ?? 0) + 1)
  return m
}

describe('to-http: modes', {concurrency: true}, () => {
  test('round-robin: 100 messages over two endpoints, exactly 50 each, every message once', T, async () => {
    const topic = topicName('rr')
    const [a, b] = [await sink(), await sink()]
    const bodies = bodiesOf('rr', 100)
    await publish(topic, bodies)
    const child = await startToHttp(['--mode=round-robin', `--post=${a.url('/a')}`, `--post=${b.url('/b')}`], topic)
    await allFined(topic, 100)
    await stop(child)
    assert.equal(a.requests.length, 50)
    assert.equal(b.requests.length, 50)
    assert.deepEqual([...a.bodies(), ...b.bodies()].sort(), bodies)
  })

  test('hostpool: an endpoint that fails is left alone while the other takes the load, then probed again after 30 s', {timeout: 60_000}, async () => {
    const topic = topicName('hostpool')
    const bad = await sink(() => ({status: 500}))
    const good = await sink()
    const first = bodiesOf('hp1', 100)
    await publish(topic, first)
    const child = await startToHttp(['-n', '1', `--post=${bad.url('/bad')}`, `--post=${good.url('/good')}`, ...FAST_RETRY], topic)
    await allFined(topic, 100)
    assert.ok(bad.requests.length >= 1 && bad.requests.length <= 2, `the failing endpoint got ${bad.requests.length} requests (want 1: then it is dead for 30 s)`)
    assert.deepEqual([...new Set(good.bodies())].sort(), first, 'the good endpoint took every message')
    // 30 s later, the dead host is eligible again: the next messages probe it once
    const seen = bad.requests.length
    await new Promise((r) => setTimeout(r, 31_000))
    bad.policy = () => ({status: 200})
    const second = bodiesOf('hp2', 20)
    await publish(topic, second)
    await allFined(topic, 120)
    await stop(child)
    assert.ok(bad.requests.length > seen, 'after its retry delay the failed endpoint was tried again')
  })

  test('epsilon-greedy: the endpoint that answers at once gets most of the messages, the one that takes 40 ms the fewest', T, async () => {
    const topic = topicName('eg')
    const fast = await sink()
    const slow = await sink(() => ({status: 200, delayMs: 40}))
    const bodies = bodiesOf('eg', 300)
    await publish(topic, bodies)
    const child = await startToHttp(['--mode=epsilon-greedy', '-n', '4', `--post=${slow.url('/slow')}`, `--post=${fast.url('/fast')}`], topic)
    await allFined(topic, 300, 25_000)
    await stop(child)
    assert.equal(fast.requests.length + slow.requests.length, 300)
    assert.ok(fast.requests.length > 2 * slow.requests.length, `fast ${fast.requests.length}, slow ${slow.requests.length}`)
  })

  test('multicast: every endpoint gets each message exactly once, even when one fails its first 5 tries (a redelivery goes only to the one still owed)', T, async () => {
    const topic = topicName('mc')
    const a = await sink()
    const b = await sink((_, n) => ({status: n <= 5 ? 503 : 200}))
    const c = await sink()
    const bodies = bodiesOf('mc', 30)
    await publish(topic, bodies)
    const child = await startToHttp(['--mode=multicast', `--post=${a.url('/a')}`, `--post=${b.url('/b')}`, `--post=${c.url('/c')}`, ...FAST_RETRY], topic)
    const ch = await allFined(topic, 30, 15_000)
    await stop(child)
    assert.ok(ch.requeue_count >= 1, 'the failures were requeued')
    for (const [name, s] of [['a', a], ['c', c]] as const) assert.deepEqual([...counts(s.bodies())].sort(), bodies.map((x) => [x, 1]), `endpoint ${name}: each message once`)
    const okB = b.requests.filter((_, i) => i >= 5).map((r) => r.body.toString())
    assert.deepEqual([...counts(okB)].sort(), bodies.map((x) => [x, 1]), 'endpoint b: each message once after its failures')
  })
})

describe('to-http: requests', {concurrency: true}, () => {
  test('GET: the body query-escaped into the one %s (Go url.QueryEscape, byte by byte), the rest of the URL as written', T, async () => {
    const topic = topicName('get')
    const s = await sink()
    const body = Buffer.concat([Buffer.from('a b&c=d/é+%'), Buffer.from([0x00, 0xff, 0x0a])])
    await publish(topic, [body])
    const child = await startToHttp([`--get=${s.url('/hit?x=1&data=%s&y=%20')}`], topic)
    await allFined(topic, 1)
    await stop(child)
    assert.equal(s.requests.length, 1)
    const r = s.requests[0]
    assert.equal(r?.method, 'GET')
    assert.equal(r?.url, '/hit?x=1&data=a+b%26c%3Dd%2F%C3%A9%2B%25%00%FF%0A&y=%20')
  })

  test('POST: the body byte for byte, the Content-Type, the User-Agent and every --header', T, async () => {
    const topic = topicName('post')
    const s = await sink()
    const body = Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00, 0x0a])
    await publish(topic, [body])
    const child = await startToHttp([`--post=${s.url('/in')}`, '--content-type=application/x-test', '--header=X-One: 1', '--header', 'X-Two:  two words '], topic)
    await allFined(topic, 1)
    await stop(child)
    const r = s.requests[0]
    assert.equal(r?.method, 'POST')
    assert.equal(r?.url, '/in')
    assert.deepEqual(r?.body, body)
    assert.equal(r?.headers['content-type'], 'application/x-test')
    assert.match(String(r?.headers['user-agent']), /^nsq_to_http v1\.3\.0/)
    assert.equal(r?.headers['x-one'], '1')
    assert.equal(r?.headers['x-two'], 'two words')
  })

  test('a non-2xx answer requeues the message; the success after FINs it, once', T, async () => {
    const topic = topicName('retry')
    const s = await sink((_, n) => ({status: n <= 2 ? 500 : 201}))
    await publish(topic, ['again'])
    const child = await startToHttp([`--post=${s.url('/')}`, ...FAST_RETRY], topic)
    const ch = await allFined(topic, 1)
    await stop(child)
    assert.equal(ch.requeue_count, 2)
    assert.deepEqual(s.bodies(), ['again', 'again', 'again'])
    assert.equal(s.ok, 1)
  })

  test('GET succeeds on 200 only (a 204 is a failure), unless --success-status says otherwise', T, async () => {
    const topic = topicName('status')
    const s = await sink((_, n) => ({status: n === 1 ? 204 : 200}))
    await publish(topic, ['x'])
    const child = await startToHttp([`--get=${s.url('/?d=%s')}`, ...FAST_RETRY], topic)
    const ch = await allFined(topic, 1)
    await stop(child)
    assert.equal(ch.requeue_count, 1, 'the 204 was a failure')

    const topic2 = topicName('status2')
    const s2 = await sink(() => ({status: 204}))
    await publish(topic2, ['y'])
    const child2 = await startToHttp([`--get=${s2.url('/?d=%s')}`, '--success-status=200,204'], topic2)
    const ch2 = await allFined(topic2, 1)
    await stop(child2)
    assert.equal(ch2.requeue_count, 0)
  })

  test('after max_attempts the message goes to --dead-letter-topic (tail json envelope + error + endpoint) and is FINed', T, async () => {
    const topic = topicName('dlq')
    const dlq = topicName('dlq_dead')
    const s = await sink(() => ({status: 500}))
    await createChannel(broker.httpPort, dlq, 'check')
    await publish(topic, ['poison'])
    const child = await startToHttp([`--post=${s.url('/p')}`, `--dead-letter-topic=${dlq}`, '--consumer-opt=max_attempts,3', ...FAST_RETRY], topic)
    const ch = await allFined(topic, 1)
    await stop(child)
    assert.equal(s.requests.length, 3, 'three attempts, then given up (no fourth request)')
    assert.equal(ch.requeue_count, 2)
    const got: Buffer[] = []
    const c = new Consumer(dlq, 'check', (m) => void got.push(m.body))
    try {
      await c.connectToNsqd(broker.tcpAddress)
      await waitFor('the dead letter', () => got.length === 1, {timeoutMs: 5000})
    } finally {
      await c.stop(3000)
    }
    const env = JSON.parse((got[0] as Buffer).toString()) as Record<string, unknown>
    assert.equal(env.topic, topic)
    assert.equal(env.body, 'poison')
    assert.equal(env.attempts, 3)
    assert.match(String(env.id), /^[0-9a-f]{16}$/)
    assert.equal(typeof env.timestamp, 'number')
    assert.match(String(env.error), /got status code 500/)
    assert.equal(env.endpoint, s.url('/p'))
  })

  test('--sample 0: every message FINed, none sent', T, async () => {
    const topic = topicName('sample')
    const s = await sink()
    await publish(topic, bodiesOf('s', 20))
    const child = await startToHttp([`--post=${s.url('/')}`, '--sample=0'], topic)
    await allFined(topic, 20)
    await stop(child)
    assert.equal(s.requests.length, 0)
  })

  test('SIGTERM while requests are slow: the ones under way finish and are FINed, the rest requeued; exit 0, nothing in flight', T, async () => {
    const topic = topicName('term')
    const s = await sink(() => ({status: 200, delayMs: 300}))
    await publish(topic, bodiesOf('t', 50))
    const child = await startToHttp([`--post=${s.url('/')}`, '-n', '5'], topic)
    await waitFor('some requests under way', () => s.count >= 5, {timeoutMs: 5000})
    await stop(child)
    const ch = await broker.channel(topic, CHANNEL)
    assert.equal(ch?.in_flight_count, 0)
    assert.equal((ch?.depth ?? 0) + (ch?.deferred_count ?? 0) + s.ok, 50, 'every message either delivered or back in the queue')
    assert.ok(s.ok >= 5)
  })

  test('the Go-named shim: nsq_to_http -topic=… -nsqd-tcp-address=… -post=… delivers', T, async () => {
    const topic = topicName('shim')
    const s = await sink()
    await publish(topic, ['via-shim'])
    const child = await startToHttp([`-post=${s.url('/')}`, '-status-every=0'], topic, shim('nsq_to_http'))
    await allFined(topic, 1)
    await stop(child)
    assert.deepEqual(s.bodies(), ['via-shim'])
  })
})

describe('to-http: misuse, exit 2 with one line naming the flag', {concurrency: true}, () => {
  const cases: [string[], RegExp][] = [
    [['--post=http://127.0.0.1:1/', '--nsqd-tcp-address=127.0.0.1:1'], /--topic and --channel are required/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1'], /--get or --post required/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--post=http://h/', '--get=http://h/?%s'], /use --get or --post not both/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--get=http://h/'], /--get: invalid GET address - must be a printf string/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--get=http://h/?%s', '--content-type=text/plain'], /--content-type only used with --post/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--post=http://h/', '--header=nocolon'], /--header: invalid header "nocolon"/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--post=http://h/', '--mode=nope'], /--mode/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--post=http://h/', '--sample=1.5'], /--sample: invalid value 1\.5/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--post=http://h/', '--success-status=ok'], /--success-status: invalid status "ok"/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--lookupd-http-address=127.0.0.1:2', '--post=http://h/'], /use --nsqd-tcp-address or --lookupd-http-address not both/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--post=ftp://h/'], /--post: invalid URL/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--post=http://h/', '--dead-letter-topic=bad topic'], /--dead-letter-topic: invalid topic name/],
  ]
  for (const [args, line] of cases) {
    test(`to-http ${args.join(' ')}`, T, async () => {
      const r = await runCli([...TO_HTTP, ...args])
      assertExit(r, 2)
      assertOneLine(r, line)
      assert.equal(r.stdout, '')
    })
  }

  test('the shim names flags as typed: nsq_to_http -topic=t -nsqd-tcp-address=… -get=http://h/', T, async () => {
    const r = await runCli([...shim('nsq_to_http'), '-topic=t', '-nsqd-tcp-address=127.0.0.1:1', '-get=http://h/'])
    assertExit(r, 2)
    assertOneLine(r, /^nsq_to_http: -get: invalid GET address/)
  })
})

