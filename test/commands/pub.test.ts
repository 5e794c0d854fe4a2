/**
 * `nsqkit pub` / `to_nsq` (NSQ-SPEC §1.5, §0.2) as the user runs it: the built CLI in a child
 * process, records on its stdin (or as arguments), against `nsqkit serve` children on port 0.
 * What arrived is read back with our Consumer and the brokers' /stats.
 *
 *  - Go flag syntax (`-topic=t`, `-topic t`) = GNU syntax
 *  - 100,000 lines arrive complete and in order; --rate 100 takes about a second for 100
 *  - multicast: every record on every --nsqd-tcp-address
 *  - arguments instead of stdin; --delimiter; empty records skipped; a last record without
 *    delimiter kept
 *  - failures: a stopped broker, records over max-msg-size (exit 1, one clear line)
 *  - misuse: exit 2 with one stderr line naming the flag; --version and --help
 */
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {Broker, Cleanup, recordingConsumer} from '../helpers/client-harness.js'
import {NSQKIT, assertExit, assertNoStack, assertOneLine, killChildren, runCli, shim} from '../helpers/cli.js'

const T = {timeout: 30_000}
const PUB = [...NSQKIT, 'pub']
const TO_NSQ = shim('to_nsq')

let broker: Broker
let addr: string

before(async () => {
  // every record of the 100,000 stays in memory, so the order of delivery is the order of publishing
  broker = await Broker.start(['--mem-queue-size=200000'])
  addr = broker.tcpAddress
})

after(async () => {
  killChildren()
  await broker?.stop()
})

let seq = 0
const topicName = (what: string): string => `pub_${what}_${process.pid}_${++seq}`

/**
 * The first `n` messages of `topic` at `b` (a new channel, so it gets what the topic holds when
 * it is the topic's first channel), read with our Consumer; checks the topic's message_count is `n`.
 */
async function messagesOf(b: Broker, topic: string, n: number, timeoutMs = 10_000): Promise<{body: string; timestamp: bigint}[]> {
  const cleanup = new Cleanup()
  try {
    const timestamps: bigint[] = []
    const rec = await recordingConsumer(cleanup, [b], topic, 'read', {config: {max_in_flight: 2500}, concurrency: 1}, (m) => {
      timestamps.push(m.timestamp)
    })
    if (n > 0) await rec.waitCount(n, timeoutMs)
    const t = await b.topic(topic)
    assert.equal(t?.message_count, n, `message_count of ${topic}`)
    return rec.received.map((r, i) => ({body: r.body.toString('utf8'), timestamp: timestamps[i] as bigint}))
  } finally {
    await cleanup.run()
  }
}

const bodiesOf = async (b: Broker, topic: string, n: number, timeoutMs?: number): Promise<string[]> => (await messagesOf(b, topic, n, timeoutMs)).map((m) => m.body)

describe('to_nsq Go syntax = nsqkit pub GNU syntax', () => {
  test('-topic=t -nsqd-tcp-address=H:P, -topic t -nsqd-tcp-address H:P, --topic=t --nsqd-tcp-address H:P', T, async () => {
    const input = 'alpha\nbeta\ngamma\n'
    const variants: [string, (topic: string) => string[]][] = [
      ['to_nsq -topic=t -nsqd-tcp-address=H:P', (t) => [...TO_NSQ, `-topic=${t}`, `-nsqd-tcp-address=${addr}`]],
      ['to_nsq -topic t -nsqd-tcp-address H:P', (t) => [...TO_NSQ, '-topic', t, '-nsqd-tcp-address', addr]],
      ['nsqkit pub --topic=t --nsqd-tcp-address H:P', (t) => [...PUB, `--topic=${t}`, '--nsqd-tcp-address', addr]],
      ['nsqkit pub --topic t --nsqd-tcp-address=H:P', (t) => [...PUB, '--topic', t, `--nsqd-tcp-address=${addr}`]],
    ]
    const topics = variants.map(() => topicName('syntax'))
    const results = await Promise.all(variants.map(([, argv], i) => runCli(argv(topics[i] as string), {input})))
    for (const [i, [name]] of variants.entries()) {
      const r = results[i]
      assert.ok(r)
      assertExit(r, 0, name)
      assert.equal(r.stdout, '', `${name}: nothing on stdout`)
      assert.equal(r.stderr, '', `${name}: nothing on stderr`)
      assert.deepEqual(await bodiesOf(broker, topics[i] as string, 3), ['alpha', 'beta', 'gamma'], name)
    }
  })
})

describe('pub: what arrives', () => {
  test('100,000 lines on stdin arrive complete and in order', T, async () => {
    const topic = topicName('100k')
    const want = Array.from({length: 100_000}, (_, i) => String(i + 1))
    const r = await runCli([...PUB, '--topic', topic, '--nsqd-tcp-address', addr], {input: want.join('\n') + '\n', timeoutMs: 20_000})
    assertExit(r, 0)
    assert.equal(r.stderr, '')
    const got = await bodiesOf(broker, topic, want.length, 15_000)
    assert.equal(got.length, want.length)
    const firstDiff = got.findIndex((b, i) => b !== want[i])
    assert.equal(firstDiff, -1, `first difference at record ${firstDiff + 1}: ${got[firstDiff]}`)
  })

  test('--rate 100: 100 records take about one second, and all of them are published', T, async () => {
    const topic = topicName('rate')
    const want = Array.from({length: 100}, (_, i) => `r${i}`)
    const input = want.join('\n') + '\n'
    // the same run without a rate, for the start-up time of this machine
    const base = await runCli([...PUB, '--topic', topicName('norate'), '--nsqd-tcp-address', addr], {input})
    assertExit(base, 0, 'without --rate')
    const r = await runCli([...PUB, '--topic', topic, '--nsqd-tcp-address', addr, '--rate', '100'], {input})
    assertExit(r, 0, '--rate 100')
    // a token bucket starting at 1 and refilled every 10 ms: 99 waits of 10 ms at least
    assert.ok(r.ms >= 950, `--rate 100 for 100 records took ${r.ms} ms in all (at least ~1 s expected)`)
    assert.ok(r.ms - base.ms <= 3000, `--rate 100 added ${r.ms - base.ms} ms over an unthrottled run (${base.ms} ms); about 1000 expected`)
    const got = await messagesOf(broker, topic, 100)
    // every record, the last one too, in order
    assert.deepEqual(
      got.map((m) => m.body),
      want,
    )
    // the broker's timestamps: spread over about a second
    const spreadMs = Number((got[99] as {timestamp: bigint}).timestamp - (got[0] as {timestamp: bigint}).timestamp) / 1e6
    assert.ok(spreadMs >= 700 && spreadMs <= 3000, `first to last publish: ${spreadMs} ms, about 1000 expected`)
  })

  test('two --nsqd-tcp-address: multicast, each broker gets every record', T, async () => {
    const second = await Broker.start()
    try {
      const topic = topicName('multicast')
      const want = Array.from({length: 500}, (_, i) => `mc${i}`)
      const r = await runCli([...PUB, '--topic', topic, '--nsqd-tcp-address', addr, '--nsqd-tcp-address', second.tcpAddress], {input: want.join('\n')})
      assertExit(r, 0)
      for (const b of [broker, second]) {
        assert.equal((await b.topic(topic))?.message_count, want.length, `message_count at ${b.tcpAddress}`)
        assert.deepEqual(await bodiesOf(b, topic, want.length), want, `bodies at ${b.tcpAddress}`)
      }
    } finally {
      await second.stop()
    }
  })

  test('arguments instead of stdin: `pub --topic t --nsqd-tcp-address H:P one two` publishes exactly 2', T, async () => {
    const topic = topicName('args')
    // stdin is not read when there are arguments
    const r = await runCli([...PUB, '--topic', topic, '--nsqd-tcp-address', addr, 'one', 'two'], {input: 'from stdin\n'})
    assertExit(r, 0)
    assert.deepEqual(await bodiesOf(broker, topic, 2), ['one', 'two'])
  })

  test('--delimiter ",": empty records skipped, the last record without a delimiter published', T, async () => {
    const topic = topicName('delim')
    const r = await runCli([...TO_NSQ, `-topic=${topic}`, `-nsqd-tcp-address=${addr}`, '-delimiter=,'], {input: ',a,,b b\n,c'})
    assertExit(r, 0)
    assert.deepEqual(await bodiesOf(broker, topic, 3), ['a', 'b b\n', 'c'])
  })

  test('newline delimiter: empty lines skipped, a last line without newline published', T, async () => {
    const topic = topicName('lines')
    const r = await runCli([...PUB, '--topic', topic, '--nsqd-tcp-address', addr], {input: '\nx\n\n\ny z\nlast'})
    assertExit(r, 0)
    assert.deepEqual(await bodiesOf(broker, topic, 3), ['x', 'y z', 'last'])
  })
})

describe('pub: failures exit 1 with a clear line', () => {
  test('a stopped broker: exit 1, one line on stderr naming the address', T, async () => {
    const gone = await Broker.start()
    const goneAddr = gone.tcpAddress
    await gone.stop()
    const r = await runCli([...PUB, '--topic', topicName('stopped'), '--nsqd-tcp-address', goneAddr], {input: 'a\nb\n'})
    assertExit(r, 1)
    assertOneLine(r, new RegExp(`^pub: .*${goneAddr.replace(/\./g, '\\.')}.*(refused|connect)`))
  })

  test('one of two brokers stopped: exit 1, nothing claimed as published', T, async () => {
    const gone = await Broker.start()
    const goneAddr = gone.tcpAddress
    await gone.stop()
    const r = await runCli([...PUB, '--topic', topicName('half'), '--nsqd-tcp-address', addr, '--nsqd-tcp-address', goneAddr], {input: 'a\nb\n'})
    assertExit(r, 1)
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '')
    assert.match(lines[lines.length - 1] as string, new RegExp(`^pub: .*${goneAddr.replace(/\./g, '\\.')}`))
    assertNoStack(r.stderr)
  })

  test('a record over --max-msg-size: exit 1, stderr names the record numbers, the other records are published', T, async () => {
    const small = await Broker.start(['--max-msg-size=100'])
    try {
      const topic = topicName('big')
      // records: 1 "a", 2 (200 bytes), 3 "b", 4 "" (skipped, still counted), 5 (101 bytes), 6 "c"
      const input = ['a', 'x'.repeat(200), 'b', '', 'y'.repeat(101), 'c'].join('\n') + '\n'
      const r = await runCli([...PUB, '--topic', topic, '--nsqd-tcp-address', small.tcpAddress], {input})
      assertExit(r, 1)
      assertNoStack(r.stderr)
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '')
      const summary = lines[lines.length - 1] as string
      assert.match(summary, /^pub: 3 of 5 records published .* 2 not published: .*max-msg-size \(2, 5\)$/)
      assert.deepEqual(await bodiesOf(small, topic, 3), ['a', 'b', 'c'])
    } finally {
      await small.stop()
    }
  })
})

describe('pub misuse: exit 2 with one stderr line naming the flag', {concurrency: true}, () => {
  const cases: [string, () => string[], RegExp][] = [
    ['no --topic', () => [...PUB, '--nsqd-tcp-address', addr], /--topic/],
    ['no --topic (Go syntax)', () => [...TO_NSQ, `-nsqd-tcp-address=${addr}`], /--topic/],
    ['no --nsqd-tcp-address', () => [...PUB, '--topic', 't'], /--nsqd-tcp-address/],
    ['--delimiter ab', () => [...PUB, '--topic', 't', '--nsqd-tcp-address', addr, '--delimiter', 'ab'], /--delimiter/],
    ['--delimiter é (two bytes)', () => [...PUB, '--topic', 't', '--nsqd-tcp-address', addr, '--delimiter', 'é'], /--delimiter/],
    ['an unknown flag', () => [...PUB, '--topic', 't', '--nsqd-tcp-address', addr, '--bogus'], /--bogus/],
    ['an unknown flag (Go syntax)', () => [...TO_NSQ, '-topic=t', `-nsqd-tcp-address=${addr}`, '-bogus=1'], /bogus/],
    ['--rate -1', () => [...PUB, '--topic', 't', '--nsqd-tcp-address', addr, '--rate', '-1'], /rate/],
    ['--producer-opt nope,1', () => [...PUB, '--topic', 't', '--nsqd-tcp-address', addr, '--producer-opt', 'nope,1'], /--producer-opt.*nope/],
    ['--nsqd-tcp-address without a port', () => [...PUB, '--topic', 't', '--nsqd-tcp-address', 'nohost'], /--nsqd-tcp-address/],
  ]
  for (const [name, argv, mentions] of cases) {
    test(name, T, async () => {
      const r = await runCli(argv(), {input: 'never published\n'})
      assertExit(r, 2, name)
      assertOneLine(r, mentions)
      assert.equal(r.stdout, '')
    })
  }
})

describe('pub --version and --help', {concurrency: true}, () => {
  test('to_nsq -version and nsqkit pub --version print "to_nsq v… (nsqkit)"', T, async () => {
    for (const argv of [[...TO_NSQ, '-version'], [...TO_NSQ, '--version'], [...PUB, '--version']]) {
      const r = await runCli(argv)
      assertExit(r, 0, argv.join(' '))
      assert.match(r.stdout, /^to_nsq v1\.3\.0 \(nsqkit v\d+\.\d+\.\d+\S*\)\n$/)
    }
  })

  test('nsqkit pub --help shows the Go name, the flags and examples', T, async () => {
    const r = await runCli([...PUB, '--help'])
    assertExit(r, 0)
    assert.match(r.stdout, /Go name: to_nsq/)
    assert.match(r.stdout, /--nsqd-tcp-address/)
    assert.match(r.stdout, /--delimiter/)
    assert.match(r.stdout, /--rate/)
    assert.match(r.stdout, /EXAMPLES[\s\S]*to_nsq -topic=/)
    assert.match(r.stdout, /\$ nsqkit pub --topic/)
  })
})
