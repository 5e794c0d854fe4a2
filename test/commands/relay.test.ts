/**
 * `nsqkit relay` / `nsq_to_nsq` (NSQ-SPEC §1.4) as the user runs it: the built CLI in a child
 * process between two `nsqkit serve` children on port 0. What is checked is what the user gets:
 * the messages in the destination broker (read back with a consumer), the source channel's
 * /stats (FINed only once the destination said OK, requeues), exit codes and stderr.
 *
 *  - 2,000 messages copied, each once, byte for byte; to --destination-topic; several --topic;
 *    MPUB batches and --batch-size 1 (Go's one PUB each)
 *  - the JSON filter: required field, required value (string, number), a missing field with a
 *    required value requeued, invalid JSON dropped, the whitelist re-serialised with sorted keys
 *  - the destination restarts (SIGKILL, then up again on its port): what was published meanwhile
 *    all arrives, nothing lost
 *  - SIGTERM: exit 0, nothing in flight; the shim; misuse: exit 2, one line naming the flag
 */
import assert from 'node:assert/strict'
import {after, describe, test} from 'node:test'
import {Consumer} from '../../src/core/client/consumer.js'
import {Producer} from '../../src/core/client/producer.js'
import type {ChannelJson} from '../helpers/client-harness.js'
import {NSQKIT, assertExit, assertOneLine, createChannel, killChildren, runCli, shim, spawnCli, stopTool, type CliChild, type CliResult} from '../helpers/cli.js'
import {topicNames} from '../helpers/names.js'
import {startServe, useServes, waitToolSubscribed, type ServeChild} from '../helpers/serve.js'
import {waitFor} from '../helpers/wait.js'

const T = {timeout: 30_000}
const RELAY = [...NSQKIT, 'relay']
const CHANNEL = 'nsq_to_nsq'
const FAST_RETRY = ['--consumer-opt=default_requeue_delay,50ms', '--consumer-opt=backoff_multiplier,10ms']

const [src, dst] = useServes(2) as [ServeChild, ServeChild]
const topicName = topicNames('relay')
const producers: Producer[] = []

after(async () => {
  killChildren()
  await Promise.all(producers.map((p) => p.stop(3000)))
})

async function publish(broker: ServeChild, topic: string, bodies: readonly (string | Buffer)[]): Promise<void> {
  const p = new Producer(broker.tcpAddress)
  producers.push(p)
  for (let i = 0; i < bodies.length; i += 500) await p.multiPublish(topic, bodies.slice(i, i + 500))
}

const bodiesOf = (tag: string, n: number): string[] => Array.from({length: n}, (_, i) => `${tag}-${String(i + 1).padStart(5, '0')}`)

/** Start `relay <args>` from `src`, subscribed with RDY > 0 to every topic. */
async function startRelay(topics: string[], args: string[], argv = RELAY, dest: ServeChild = dst): Promise<CliChild> {
  for (const t of topics) await createChannel(src.httpPort, t, CHANNEL)
  const child = spawnCli([...argv, ...topics.map((t) => `--topic=${t}`), `--nsqd-tcp-address=${src.tcpAddress}`, `--destination-nsqd-tcp-address=${dest.tcpAddress}`, ...args])
  for (const t of topics) await waitToolSubscribed(src, child, 'relay', t, CHANNEL)
  return child
}

const stop = (child: CliChild): Promise<CliResult> => stopTool(child, 'relay')

const sourceDone = (topic: string, n: number, timeoutMs = 10_000): Promise<ChannelJson> => src.channelDrained(topic, CHANNEL, n, timeoutMs)

/** Read `n` messages of `topic` at `broker` (a channel made before publishing); the bodies. */
async function drain(broker: ServeChild, topic: string, n: number, channel = 'check', timeoutMs = 10_000): Promise<Buffer[]> {
  const got: Buffer[] = []
  const c = new Consumer(topic, channel, (m) => void got.push(m.body), {config: {max_in_flight: 500}})
  try {
    await c.connectToNsqd(broker.tcpAddress)
    await waitFor(() => `${n} messages of ${topic} at ${broker.tcpAddress} (got ${got.length})`, () => got.length >= n, {timeoutMs})
    await new Promise((r) => setTimeout(r, 100))
  } finally {
    await c.stop(3000)
  }
  return got
}

const texts = (bs: Buffer[]): string[] => bs.map((b) => b.toString()).sort()

describe('relay: copying', {concurrency: true}, () => {
  test('2,000 messages, each once, byte for byte, to the topic of the same name; SIGTERM: exit 0, nothing in flight', T, async () => {
    const topic = topicName('copy')
    await createChannel(dst.httpPort, topic, 'check')
    const bodies = [...bodiesOf('c', 1999), Buffer.from([0, 0xff, 0x0a, 0x80])]
    await publish(src, topic, bodies)
    const child = await startRelay([topic], [])
    await sourceDone(topic, 2000)
    await stop(child)
    const got = await drain(dst, topic, 2000)
    assert.equal(got.length, 2000)
    assert.ok(got.some((b) => b.equals(Buffer.from([0, 0xff, 0x0a, 0x80]))), 'the binary body arrived as it was')
    assert.deepEqual(texts(got.filter((b) => b.length !== 4)), bodiesOf('c', 1999))
    assert.equal((await src.channel(topic, CHANNEL))?.in_flight_count, 0)
  })

  test('--destination-topic, two --topic and --batch-size 1 (one PUB each, as nsq_to_nsq): both topics land in the one destination topic', T, async () => {
    const [t1, t2] = [topicName('multi_a'), topicName('multi_b')]
    const into = topicName('multi_into')
    await createChannel(dst.httpPort, into, 'check')
    await publish(src, t1, bodiesOf('a', 50))
    await publish(src, t2, bodiesOf('b', 50))
    const child = await startRelay([t1, t2], [`--destination-topic=${into}`, '--batch-size=1'])
    await sourceDone(t1, 50)
    await sourceDone(t2, 50)
    await stop(child)
    assert.deepEqual(texts(await drain(dst, into, 100)), [...bodiesOf('a', 50), ...bodiesOf('b', 50)].sort())
    assert.equal(await dst.topic(t1), undefined, 'nothing went to a topic of the source name')
  })

  test('the destination restarts (SIGKILL, up again on its port): what was published meanwhile all arrives', {timeout: 60_000}, async () => {
    const topic = topicName('outage')
    const dest = await startServe()
    try {
      const port = dest.tcpPort
      await createChannel(dest.httpPort, topic, 'check')
      const child = await startRelay([topic], [...FAST_RETRY], RELAY, dest)
      await publish(src, topic, bodiesOf('before', 100))
      await sourceDone(topic, 100)
      await dest.stop('SIGKILL')
      await publish(src, topic, bodiesOf('during', 200))
      // the relay tries, fails, requeues; nothing is FINed while the destination is away
      await waitFor('requeues at the source', async () => ((await src.channel(topic, CHANNEL))?.requeue_count ?? 0) > 0, {timeoutMs: 10_000})
      const again = await startServe([], {tcpPort: port})
      try {
        await createChannel(again.httpPort, topic, 'check')
        await sourceDone(topic, 300, 30_000)
        await stop(child)
        const got = texts(await drain(again, topic, 200))
        for (const b of bodiesOf('during', 200)) assert.ok(got.includes(b), `${b} arrived`)
      } finally {
        await again.stop()
      }
    } finally {
      await dest.stop()
    }
  })

  test('the Go-named shim: nsq_to_nsq -topic=… -nsqd-tcp-address=… -destination-nsqd-tcp-address=…', T, async () => {
    const topic = topicName('shim')
    await createChannel(dst.httpPort, topic, 'check')
    await publish(src, topic, ['via-shim'])
    const child = await startRelay([topic].map((t) => t), ['-status-every=0'], shim('nsq_to_nsq'))
    await sourceDone(topic, 1)
    await stop(child)
    assert.deepEqual(texts(await drain(dst, topic, 1)), ['via-shim'])
  })
})

describe('relay: the JSON filter (nsq_to_nsq)', {concurrency: true}, () => {
  const msgs = [
    '{"type":"click","n":1,"user":"a"}',
    '{"type":"view","n":2,"user":"b"}',
    '{"n":3,"user":"c"}',
    'not json',
    '{"type":"click","n":4.0,"user":"d","extra":{"z":1,"a":2}}',
  ]

  test('--require-json-field: only messages with the field pass; invalid JSON is dropped (FINed)', T, async () => {
    const topic = topicName('req_field')
    await createChannel(dst.httpPort, topic, 'check')
    await publish(src, topic, msgs)
    const child = await startRelay([topic], ['--require-json-field=type'])
    const ch = await sourceDone(topic, 5)
    await stop(child)
    assert.equal(ch.requeue_count, 0)
    assert.deepEqual(texts(await drain(dst, topic, 3)), [msgs[0], msgs[1], msgs[4]].sort(), 'forwarded byte for byte')
  })

  test('--require-json-value: a string compares as a string; a message without the field is requeued, not dropped', T, async () => {
    const topic = topicName('req_value')
    await createChannel(dst.httpPort, topic, 'check')
    await publish(src, topic, [msgs[0] as string, msgs[1] as string, msgs[4] as string])
    const child = await startRelay([topic], ['--require-json-field=type', '--require-json-value=click'])
    await sourceDone(topic, 3)
    assert.deepEqual(texts(await drain(dst, topic, 2)), [msgs[0], msgs[4]].sort())
    // a message without the field, with a value required: requeued (Go: "missing field to check required value")
    await publish(src, topic, ['{"user":"z"}'])
    await waitFor('the message without the field requeued', async () => ((await src.channel(topic, CHANNEL))?.requeue_count ?? 0) >= 1, {timeoutMs: 10_000})
    await stop(child)
  })

  test('--require-json-value that parses as a number compares numerically (4.0 == 4)', T, async () => {
    const topic = topicName('req_num')
    await createChannel(dst.httpPort, topic, 'check')
    await publish(src, topic, msgs)
    const child = await startRelay([topic], ['--require-json-field=n', '--require-json-value=4'])
    await sourceDone(topic, 5)
    await stop(child)
    assert.deepEqual(texts(await drain(dst, topic, 1)), [msgs[4]])
  })

  test('--whitelist-json-field: only those fields, re-serialised with sorted keys; 4.0 prints as 4', T, async () => {
    const topic = topicName('whitelist')
    await createChannel(dst.httpPort, topic, 'check')
    await publish(src, topic, [msgs[4] as string, msgs[2] as string])
    const child = await startRelay([topic], ['--whitelist-json-field=user', '--whitelist-json-field=n', '--whitelist-json-field=extra'])
    await sourceDone(topic, 2)
    await stop(child)
    assert.deepEqual(texts(await drain(dst, topic, 2)), ['{"extra":{"a":2,"z":1},"n":4,"user":"d"}', '{"n":3,"user":"c"}'])
  })
})

describe('relay: misuse, exit 2 with one line naming the flag', {concurrency: true}, () => {
  const cases: [string[], RegExp][] = [
    [['--nsqd-tcp-address=127.0.0.1:1', '--destination-nsqd-tcp-address=127.0.0.1:2'], /--topic and --channel are required/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1'], /--destination-nsqd-tcp-address required/],
    [['--topic=t', '--destination-nsqd-tcp-address=127.0.0.1:2'], /--nsqd-tcp-address or --lookupd-http-address required/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--lookupd-http-address=127.0.0.1:3', '--destination-nsqd-tcp-address=127.0.0.1:2'], /not both/],
    [['--topic=bad topic', '--nsqd-tcp-address=127.0.0.1:1', '--destination-nsqd-tcp-address=127.0.0.1:2'], /--topic: invalid topic name/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--destination-nsqd-tcp-address=127.0.0.1:2', '--destination-topic=a/b'], /--destination-topic: invalid topic name/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--destination-nsqd-tcp-address=nope'], /--destination-nsqd-tcp-address/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--destination-nsqd-tcp-address=127.0.0.1:2', '--require-json-value=x'], /--require-json-value needs --require-json-field/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--destination-nsqd-tcp-address=127.0.0.1:2', '--mode=multicast'], /--mode/],
    [['--topic=t', '--nsqd-tcp-address=127.0.0.1:1', '--destination-nsqd-tcp-address=127.0.0.1:2', '--batch-size=0'], /--batch-size/],
  ]
  for (const [args, line] of cases) {
    test(`relay ${args.join(' ')}`, T, async () => {
      const r = await runCli([...RELAY, ...args])
      assertExit(r, 2)
      assertOneLine(r, line)
      assert.equal(r.stdout, '')
    })
  }
})
