/**
 * `nsqkit tail` / `nsq_tail` (NSQ-SPEC §1.1, §0.2) as the user runs it: the built CLI in a child
 * process against a `nsqkit serve` child on port 0. What is checked is what the user sees
 * (stdout lines, exit code, stderr) and what the broker's /stats shows afterwards (nothing left
 * in flight, the right depth).
 *
 *  - Go flag syntax (`-topic=t`, `-topic t`, `-n=3`, `-print-topic`) = GNU syntax
 *  - -n N: exactly N lines in total across topics, exit 0, every printed message FINed and the
 *    rest left in the channel
 *  - --print-topic with two topics; --format json (binary bodies as base64, ns timestamps)
 *  - `| head -3`, SIGINT and SIGTERM: exit 0, no stack trace, nothing left in flight
 *  - `| head -3` in a real shell pipeline over 1,000 messages on a durable channel: only what
 *    head took is FINed, the rest requeued once; `> /dev/full`: one line, exit 1, all requeued
 *  - two --nsqd-tcp-address, one down: the other consumed, the dead one retried until it is up;
 *    none up: exit 1 naming both
 *  - misuse: exit 2 with one stderr line naming the flag; --version and --help
 */
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {closeSync, openSync} from 'node:fs'
import {after, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {Consumer} from '../../src/core/client/consumer.js'
import type {ChannelJson} from '../helpers/client-harness.js'
import {
  NSQKIT,
  assertExit,
  assertNoStack,
  assertOneLine,
  createChannel,
  exitWithin,
  killChildren,
  mpub,
  mpubBinary,
  runCli,
  shim,
  spawnCli,
  waitLines,
} from '../helpers/cli.js'
import {topicNames} from '../helpers/names.js'
import {HOST, unusedPort} from '../helpers/net.js'
import {REPO_ROOT, startServe, useServe, type ServeChild} from '../helpers/serve.js'
import {sleep, waitFor, withTimeout} from '../helpers/wait.js'

const T = {timeout: 20_000}
const TAIL = [...NSQKIT, 'tail']
const NSQ_TAIL = shim('nsq_tail')

/**
 * src/core/client/consumer.ts closes a connection it has sent CLS on as soon as its in-flight
 * count reaches 0, without waiting for the broker's CLOSE_WAIT (go-nsq waits for it). Messages
 * the broker sent before it read CLS and that arrive after that moment are never answered: they
 * stay in flight until msg-timeout (60 s) although tail meant to REQ them.
 */

after(killChildren)
const broker = useServe()
/** A fresh topic name per test (the broker is shared). */
const topicName = topicNames('tail')

const lines = (s: string): string[] => s.split('\n').slice(0, -1)

/** The channel's stats once `ok` holds (polled, 3 s), else the assertion of the last one. */
async function channelWhen(topic: string, channel: string, ok: (c: ChannelJson) => boolean): Promise<ChannelJson> {
  try {
    return await waitFor(`${topic}/${channel} stats`, async () => {
      const c = await broker.channel(topic, channel)
      return c && ok(c) ? c : undefined
    }, {timeoutMs: 3000})
  } catch {
    const c = await broker.channel(topic, channel)
    assert.ok(c, `channel ${topic}/${channel} exists`)
    return c
  }
}

/** Deliver every message of topic/channel `times` times, requeueing each at once (attempts + `times`). */
async function bounce(topic: string, channel: string, times: number): Promise<void> {
  let resolve!: () => void
  const done = new Promise<void>((r) => (resolve = r))
  const consumer: Consumer = new Consumer(topic, channel, (m) => {
    // the last time: CLS first (the broker sends nothing more), so it is not delivered once more
    const last = m.attempts >= times
    const stopped = last ? consumer.stop(3000) : null
    m.requeue(0, false)
    if (stopped) void stopped.then(resolve)
  }, {config: {max_attempts: 0}, disableAutoResponse: true})
  try {
    await consumer.connectToNsqd(broker.tcpAddress)
    await withTimeout(done, 5000, `${times} deliveries`)
  } finally {
    await consumer.stop(3000)
  }
  await channelWhen(topic, channel, (x) => x.client_count === 0 && x.in_flight_count === 0)
}

describe('nsq_tail Go syntax = nsqkit tail GNU syntax', () => {
  test('-topic=t -nsqd-tcp-address=H:P -n=3, -flag value, --flags, and the --print-topic / -print-topic bools', T, async () => {
    const topic = topicName('syntax')
    // [name, channel, argv, prints the topic]: each on its own channel, so each gets a copy
    const variants: [string, string, string[], boolean][] = [
      ['-topic=t -n=3', 'c1', [...NSQ_TAIL, `-topic=${topic}`, `-nsqd-tcp-address=${broker.tcpAddress}`, '-n=3', '-channel=c1'], false],
      ['-topic t -n 3', 'c2', [...NSQ_TAIL, '-topic', topic, '-nsqd-tcp-address', broker.tcpAddress, '-n', '3', '-channel', 'c2'], false],
      ['--topic t -n 3', 'c3', [...TAIL, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '-n', '3', '--channel', 'c3'], false],
      ['--topic=t --n=3', 'c4', [...TAIL, `--topic=${topic}`, `--nsqd-tcp-address=${broker.tcpAddress}`, '--n=3', '--channel=c4'], false],
      ['-print-topic', 'c5', [...NSQ_TAIL, `-topic=${topic}`, `-nsqd-tcp-address=${broker.tcpAddress}`, '-n=3', '-print-topic', '-channel=c5'], true],
      ['-print-topic=true', 'c6', [...NSQ_TAIL, `-topic=${topic}`, `-nsqd-tcp-address=${broker.tcpAddress}`, '-n=3', '-print-topic=true', '-channel=c6'], true],
      ['--print-topic', 'c7', [...TAIL, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '-n', '3', '--print-topic', '--channel', 'c7'], true],
      ['-print-topic=false', 'c8', [...NSQ_TAIL, `-topic=${topic}`, `-nsqd-tcp-address=${broker.tcpAddress}`, '-n=3', '-print-topic=false', '-channel=c8'], false],
    ]
    for (const [, channel] of variants) await createChannel(broker.httpPort, topic, channel)
    await mpub(broker.httpPort, topic, ['one', 'two', 'three'])
    const results = await Promise.all(variants.map(([, , argv]) => runCli(argv)))
    const plain = 'one\ntwo\nthree\n'
    const prefixed = `${topic} | one\n${topic} | two\n${topic} | three\n`
    variants.forEach(([name, , , printsTopic], i) => {
      const r = results[i]
      assert.ok(r)
      assertExit(r, 0, name)
      assert.equal(r.stdout, printsTopic ? prefixed : plain, `stdout of ${name}`)
      assertNoStack(r.stderr)
    })
  })
})

describe('tail -n', () => {
  test('-n 5 of 10: exactly 5 lines, exit 0; the 5 printed are FINed and the other 5 are left to the channel', T, async () => {
    const topic = topicName('n5')
    await createChannel(broker.httpPort, topic, 'keep')
    const bodies = Array.from({length: 10}, (_, i) => `m${i + 1}`)
    await mpub(broker.httpPort, topic, bodies)
    const r = await runCli([...TAIL, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '--channel', 'keep', '-n', '5'])
    assertExit(r, 0)
    assert.deepEqual(lines(r.stdout), bodies.slice(0, 5))
    assertNoStack(r.stderr)
    // FINed: the printed ones left the channel; the rest are queued or in flight
    const c = await channelWhen(topic, 'keep', (x) => x.client_count === 0 && x.depth + x.in_flight_count === 5)
    assert.equal(c.message_count, 10)
    assert.equal(c.depth + c.in_flight_count, 5, `5 printed and FINed, 5 left: ${JSON.stringify(c)}`)
    assert.equal(c.timeout_count, 0)
    assert.equal(c.client_count, 0)
  })

  test('-n 5 of 10: the messages delivered beyond the count are REQueued, none left in flight', T, async () => {
    const topic = topicName('n5req')
    await createChannel(broker.httpPort, topic, 'keep')
    await mpub(broker.httpPort, topic, Array.from({length: 10}, (_, i) => `m${i + 1}`))
    const r = await runCli([...TAIL, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '--channel', 'keep', '-n', '5'])
    assertExit(r, 0)
    assert.equal(lines(r.stdout).length, 5)
    const c = await channelWhen(topic, 'keep', (x) => x.in_flight_count === 0 && x.depth === 5)
    assert.equal(c.in_flight_count, 0, `nothing in flight: ${JSON.stringify(c)}`)
    assert.equal(c.depth, 5)
    // every message delivered and not printed went back with REQ (how many were delivered
    // beyond the count is the broker's timing), none timed out
    assert.equal(c.timeout_count, 0)
    // once each: RDY 0 went out when the 5th was taken (max_in_flight is 5, so at most 5 more
    // were on their way), not requeued and redelivered until the output was done
    assert.ok(c.requeue_count <= 5, `requeue_count ${c.requeue_count}`)
    // and the next tail gets the other five, in order, each delivered at most twice
    const r2 = await runCli([...TAIL, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '--channel', 'keep', '-n', '5', '--format', 'json'], {timeoutMs: 10_000})
    assertExit(r2, 0)
    const objs = lines(r2.stdout).map((l) => JSON.parse(l) as {body: string; attempts: number})
    assert.deepEqual(objs.map((o) => o.body).sort(), ['m10', 'm6', 'm7', 'm8', 'm9'])
    assert.ok(objs.every((o) => o.attempts <= 2), JSON.stringify(objs))
  })

  test('a message delivered for the 7th time is printed (tail runs with max_attempts 0); with --consumer-opt max_attempts,2 a 3rd delivery is given up', T, async () => {
    const topic = topicName('attempts')
    await createChannel(broker.httpPort, topic, 'c')
    await mpub(broker.httpPort, topic, ['old'])
    await bounce(topic, 'c', 6)
    const r = await runCli([...TAIL, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '--channel', 'c', '-n', '1', '--format', 'json'], {timeoutMs: 10_000})
    assertExit(r, 0)
    const o = JSON.parse(r.stdout) as {body: string; attempts: number}
    assert.equal(o.body, 'old')
    assert.equal(o.attempts, 7)
    // the user's max_attempts still wins over tail's 0
    await mpub(broker.httpPort, topic, ['again'])
    await bounce(topic, 'c', 2)
    const child = spawnCli([...TAIL, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '--channel', 'c', '-n', '1', '--consumer-opt', 'max_attempts,2'])
    await waitFor('tail to give up on the message', () => /giving up/.test(child.stderr()), {timeoutMs: 10_000})
    const c = await channelWhen(topic, 'c', (x) => x.depth === 0 && x.in_flight_count === 0)
    assert.equal(c.depth + c.in_flight_count, 0, 'given up: FINed')
    assert.equal(child.stdout(), '')
    child.proc.kill('SIGTERM')
    assertExit(await exitWithin(child, 5000, 'tail after SIGTERM'), 0)
  })

  test('two --topic flags with --print-topic: lines are "topic | body", and -n counts in total', T, async () => {
    const a = topicName('multi_a')
    const b = topicName('multi_b')
    for (const t of [a, b]) {
      await createChannel(broker.httpPort, t, 'all')
      await createChannel(broker.httpPort, t, 'four')
    }
    await mpub(broker.httpPort, a, ['a1', 'a2', 'a3'])
    await mpub(broker.httpPort, b, ['b1', 'b2', 'b3'])
    const args = (channel: string, n: number): string[] => [...TAIL, '--topic', a, '--topic', b, '--nsqd-tcp-address', broker.tcpAddress, '--channel', channel, '--print-topic', '-n', String(n)]
    const [all, four] = await Promise.all([runCli(args('all', 6)), runCli(args('four', 4))])
    assert.ok(all && four)
    assertExit(all, 0, 'tail -n 6')
    assert.deepEqual(lines(all.stdout).sort(), [`${a} | a1`, `${a} | a2`, `${a} | a3`, `${b} | b1`, `${b} | b2`, `${b} | b3`])
    // per topic, the order is kept
    assert.deepEqual(lines(all.stdout).filter((l) => l.startsWith(`${a} |`)), [`${a} | a1`, `${a} | a2`, `${a} | a3`])
    assertExit(four, 0, 'tail -n 4')
    const got = lines(four.stdout)
    assert.equal(got.length, 4, `-n 4 over two topics prints 4 lines in total:\n${four.stdout}`)
    for (const l of got) assert.match(l, new RegExp(`^(${a} \\| a|${b} \\| b)[123]$`))
    // the four printed are FINed on their channel
    const left = (await channelWhen(a, 'four', (x) => x.client_count === 0)).depth + (await channelWhen(b, 'four', (x) => x.client_count === 0)).depth
    const inFlight = ((await broker.channel(a, 'four'))?.in_flight_count ?? 0) + ((await broker.channel(b, 'four'))?.in_flight_count ?? 0)
    assert.equal(left + inFlight, 2)
  })
})

describe('tail --format json', () => {
  test('one JSON object per line: topic, id, attempts, ns timestamp; a binary body as base64 with "encoding"', T, async () => {
    const topic = topicName('json')
    await createChannel(broker.httpPort, topic, 'c')
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x80, 0xc3, 0x28, 0x7b, 0x22])
    const text = 'héllo "wörld" ✓ {}'
    const before = BigInt(Date.now()) * 1_000_000n
    await mpubBinary(broker.httpPort, topic, [Buffer.from(text), binary, Buffer.from('plain')])
    const after = BigInt(Date.now()) * 1_000_000n
    const r = await runCli([...TAIL, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '--channel', 'c', '-n', '3', '--format', 'json'])
    assertExit(r, 0)
    const got = lines(r.stdout)
    assert.equal(got.length, 3, r.stdout)
    const objs = got.map((l) => JSON.parse(l) as {topic: string; id: string; attempts: number; timestamp: number; body: string; encoding?: string})
    for (const [i, o] of objs.entries()) {
      assert.deepEqual(Object.keys(o).filter((k) => k !== 'encoding'), ['topic', 'id', 'attempts', 'timestamp', 'body'])
      assert.equal(o.topic, topic)
      assert.match(o.id, /^[0-9a-f]{16}$/)
      assert.equal(o.attempts, 1)
      // the timestamp is an integer of nanoseconds, written exactly (read it from the text, not as a double)
      const ts = /"timestamp":(\d+)[,}]/.exec(got[i] as string)
      assert.ok(ts, `an integer timestamp in ${got[i]}`)
      const ns = BigInt(ts[1] as string)
      assert.ok(ns >= before - 1_000_000_000n && ns <= after + 1_000_000_000n, `timestamp ${ns} is within a second of the publish (${before}..${after})`)
    }
    assert.equal(objs[0]?.body, text)
    assert.equal(objs[0]?.encoding, undefined)
    assert.equal(objs[1]?.encoding, 'base64')
    assert.deepEqual(Buffer.from(objs[1]?.body ?? '', 'base64'), binary)
    assert.equal(objs[2]?.body, 'plain')
    assert.equal(objs[2]?.encoding, undefined)
    assert.notEqual(objs[0]?.id, objs[1]?.id)
  })
})

describe('tail ends cleanly', () => {
  test('`| head -3`: the reader goes away → exit 0 within 5 s, no stack trace', T, async () => {
    const topic = topicName('head')
    await createChannel(broker.httpPort, topic, 'c')
    await mpub(broker.httpPort, topic, ['1', '2', '3', '4', '5'])
    const child = spawnCli([...TAIL, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '--channel', 'c'])
    assert.deepEqual((await waitLines(child, 3, 10_000)).slice(0, 3), ['1', '2', '3'])
    // head exits: the read end of the pipe is closed; the next write gets EPIPE
    child.proc.stdout?.destroy()
    await mpub(broker.httpPort, topic, ['6', '7', '8'])
    const r = await exitWithin(child, 5000, 'tail after its stdout closed')
    assertExit(r, 0)
    assertNoStack(r.stderr)
    const c = await channelWhen(topic, 'c', (x) => x.client_count === 0)
    assert.equal(c.client_count, 0)
    assert.equal(c.timeout_count, 0)
  })

  test('`| head -3`: the messages it could not print are not left in flight', T, async () => {
    const topic = topicName('head_inflight')
    await createChannel(broker.httpPort, topic, 'c')
    await mpub(broker.httpPort, topic, ['1', '2', '3'])
    const child = spawnCli([...TAIL, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '--channel', 'c'])
    await waitLines(child, 3, 10_000)
    child.proc.stdout?.destroy()
    await mpub(broker.httpPort, topic, ['4', '5', '6', '7', '8', '9', '10'])
    const r = await exitWithin(child, 5000, 'tail after its stdout closed')
    assertExit(r, 0)
    const c = await channelWhen(topic, 'c', (x) => x.client_count === 0 && x.in_flight_count === 0 && x.depth === 7)
    assert.equal(c.in_flight_count, 0, `nothing in flight: ${JSON.stringify(c)}`)
    // 1-3 were printed and FINed; 4-10 were not printed, so they are back in the channel
    assert.equal(c.depth, 7)
  })

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    test(`${sig} to a running tail → exit 0 within 5 s, everything it printed FINed, nothing in flight`, T, async () => {
      const topic = topicName(sig.toLowerCase())
      await createChannel(broker.httpPort, topic, 'c')
      await mpub(broker.httpPort, topic, ['a', 'b', 'c', 'd'])
      const child = spawnCli([...NSQ_TAIL, `-topic=${topic}`, `-nsqd-tcp-address=${broker.tcpAddress}`, '-channel=c'])
      assert.deepEqual(await waitLines(child, 4, 5000), ['a', 'b', 'c', 'd'])
      child.proc.kill(sig)
      const r = await exitWithin(child, 5000, `tail after ${sig}`)
      assertExit(r, 0)
      assertNoStack(r.stderr)
      const c = await channelWhen(topic, 'c', (x) => x.client_count === 0 && x.in_flight_count === 0)
      assert.equal(c.client_count, 0)
      assert.equal(c.in_flight_count, 0)
      assert.equal(c.depth, 0)
      assert.equal(c.requeue_count, 0)
    })
  }

  test('SIGTERM while waiting for -n (starved): exit 0, the printed ones FINed', T, async () => {
    const topic = topicName('starved')
    await createChannel(broker.httpPort, topic, 'c')
    await mpub(broker.httpPort, topic, ['x', 'y'])
    const child = spawnCli([...TAIL, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '--channel', 'c', '-n', '5'])
    assert.deepEqual(await waitLines(child, 2, 5000), ['x', 'y'])
    child.proc.kill('SIGTERM')
    const r = await exitWithin(child, 5000, 'tail after SIGTERM')
    assertExit(r, 0)
    const c = await channelWhen(topic, 'c', (x) => x.client_count === 0 && x.in_flight_count === 0)
    assert.equal(c.in_flight_count, 0)
    assert.equal(c.depth, 0)
  })
})

/** `<tail argv> | <reader>` run by /bin/sh as a user's shell runs it; tail's own exit status comes back on stderr as `tail-exit=N`. */
async function shellPipeline(argv: string[], reader: string, timeoutMs = 15_000): Promise<{stdout: string; stderr: string; tailExit: number; ms: number}> {
  const t0 = Date.now()
  const sh = spawn('/bin/sh', ['-c', `{ "$@"; echo "tail-exit=$?" >&2; } | ${reader}`, 'sh', process.execPath, ...argv], {cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  sh.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
  sh.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
  const timer = setTimeout(() => sh.kill('SIGKILL'), timeoutMs)
  try {
    await once(sh, 'close')
  } finally {
    clearTimeout(timer)
  }
  const m = /tail-exit=(\d+)/.exec(stderr)
  assert.ok(m, `the pipeline ran to its end within ${timeoutMs}ms; stderr:\n${stderr}`)
  return {stdout, stderr: stderr.replace(/tail-exit=\d+\n/, ''), tailExit: Number(m[1]), ms: Date.now() - t0}
}

describe('tail and a reader that stops early', () => {
  test('`tail --channel hc | head -3` over 1,000 messages: 3 lines, exit 0 at once; only what head took is FINed, the rest requeued once (attempts 2 at most), nothing in flight', T, async () => {
    const topic = topicName('head_durable')
    await createChannel(broker.httpPort, topic, 'hc')
    const bodies = Array.from({length: 1000}, (_, i) => `message-${String(i + 1).padStart(4, '0')}`)
    await mpub(broker.httpPort, topic, bodies)
    const r = await shellPipeline([...TAIL, '--topic', topic, '--channel', 'hc', '--nsqd-tcp-address', broker.tcpAddress], 'head -3')
    assert.equal(r.stdout, 'message-0001\nmessage-0002\nmessage-0003\n')
    assert.equal(r.tailExit, 0, `tail's exit status; stderr:\n${r.stderr}`)
    assertNoStack(r.stderr)
    assert.ok(r.ms < 10_000, `the pipeline took ${r.ms}ms`)
    const c = await channelWhen(topic, 'hc', (x) => x.client_count === 0 && x.in_flight_count === 0)
    assert.equal(c.in_flight_count, 0, JSON.stringify(c))
    assert.equal(c.deferred_count, 0)
    assert.equal(c.timeout_count, 0)
    const fined = c.message_count - c.depth
    // head read the first write or two and exited; the next write got EPIPE. (Before the fix:
    // the first 200 were FINed in one write and 400 requeues as RDY stayed open.)
    assert.ok(fined >= 0 && fined <= 50, `${fined} FINed for 3 printed: ${JSON.stringify(c)}`)
    // RDY 0 went out before the REQs: each of the (at most 200) in flight was requeued once
    assert.ok(c.requeue_count <= 200, `requeue_count ${c.requeue_count}: requeued again and again`)
    // what is left is exactly what was not FINed (the first `fined`, in order), each delivered at most twice
    const rest = await runCli([...TAIL, '--topic', topic, '--channel', 'hc', '--nsqd-tcp-address', broker.tcpAddress, '-n', String(c.depth), '--format', 'json'])
    assertExit(rest, 0, 'the second tail')
    const objs = lines(rest.stdout).map((l) => JSON.parse(l) as {body: string; attempts: number})
    assert.deepEqual(objs.map((o) => o.body).sort(), bodies.slice(fined))
    assert.ok(objs.every((o) => o.attempts <= 2), `attempts: ${objs.filter((o) => o.attempts > 2).map((o) => `${o.body}:${o.attempts}`).join(' ')}`)
    assert.equal(objs.filter((o) => o.attempts === 2).length, c.requeue_count)
  })

  test('stdout is /dev/full (ENOSPC): one line "tail: cannot write to stdout: …", exit 1, no stack; the messages are requeued, none left in flight', T, async () => {
    const topic = topicName('devfull')
    await createChannel(broker.httpPort, topic, 'c')
    await mpub(broker.httpPort, topic, Array.from({length: 100}, (_, i) => `m${i}`))
    const full = openSync('/dev/full', 'w')
    let child
    try {
      child = spawn(process.execPath, [...TAIL, '--topic', topic, '--channel', 'c', '--nsqd-tcp-address', broker.tcpAddress, '--log-level', 'warn'], {cwd: REPO_ROOT, stdio: ['ignore', full, 'pipe']})
    } finally {
      closeSync(full)
    }
    let stderr = ''
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
    const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null]
    clearTimeout(timer)
    assert.equal(signal, null, `killed: still running after 10 s; stderr:\n${stderr}`)
    assert.equal(code, 1, `exit code; stderr:\n${stderr}`)
    assertOneLine({code, signal, stdout: '', stdoutBytes: Buffer.alloc(0), stderr, ms: 0}, /^tail: cannot write to stdout: ENOSPC: no space left on device/)
    const c = await channelWhen(topic, 'c', (x) => x.client_count === 0 && x.in_flight_count === 0)
    assert.equal(c.in_flight_count, 0, JSON.stringify(c))
    assert.equal(c.depth, 100, 'nothing FINed: nothing was written')
    assert.ok(c.requeue_count <= 100, `requeued once each: ${c.requeue_count}`)
  })
})

describe('tail with several --nsqd-tcp-address', () => {
  test('the second is down: the first is consumed, the second retried (logged with the interval) and consumed once it is up', T, async () => {
    const topic = topicName('two')
    const port = await unusedPort()
    const dead = `${HOST}:${port}`
    await createChannel(broker.httpPort, topic, 'c')
    await mpub(broker.httpPort, topic, ['a1', 'a2', 'a3'])
    const child = spawnCli([...TAIL, '--topic', topic, '--channel', 'c', '--nsqd-tcp-address', broker.tcpAddress, '--nsqd-tcp-address', dead, '--consumer-opt', 'lookupd_poll_interval,300ms'])
    let second: ServeChild | undefined
    try {
      assert.deepEqual(await waitLines(child, 3, 10_000), ['a1', 'a2', 'a3'])
      await channelWhen(topic, 'c', (x) => x.depth === 0 && x.in_flight_count === 0)
      const c = await broker.channel(topic, 'c')
      assert.equal((c?.depth ?? -1) + (c?.in_flight_count ?? -1), 0, `the first broker's messages are FINed: ${JSON.stringify(c)}`)
      // still running, retrying the dead one every 300ms, one error line per try
      await waitFor('two retries logged', () => (child.stderr().match(new RegExp(`\\(${dead}\\) error connecting to nsqd .*retrying in 300ms`, 'g')) ?? []).length >= 2, {timeoutMs: 5000})
      assert.equal(child.proc.exitCode, null, `tail exited; stderr:\n${child.stderr()}`)
      second = await startServe([], {tcpPort: port})
      await second.waitSubscribed(topic, 'c')
      await mpub(second.httpPort, topic, ['b1', 'b2'])
      await mpub(broker.httpPort, topic, ['a4'])
      const got = await waitLines(child, 6, 5000)
      assert.deepEqual(got.slice(3).sort(), ['a4', 'b1', 'b2'])
      child.proc.kill('SIGTERM')
      const r = await exitWithin(child, 5000, 'tail after SIGTERM')
      assertExit(r, 0)
      assertNoStack(r.stderr)
      const c2 = await channelWhen(topic, 'c', (x) => x.client_count === 0)
      assert.equal(c2.depth + c2.in_flight_count, 0)
    } finally {
      await second?.stop()
    }
  })

  test('none can be reached at start: exit 1 with one line naming every address', T, async () => {
    const [p1, p2] = [await unusedPort(), await unusedPort()]
    const r = await runCli([...TAIL, '--topic', topicName('none'), '--nsqd-tcp-address', `${HOST}:${p1}`, '--nsqd-tcp-address', `${HOST}:${p2}`])
    assertExit(r, 1)
    assertOneLine(r, new RegExp(`^tail: cannot connect to any nsqd \\(${HOST}:${p1}: connection refused; ${HOST}:${p2}: connection refused\\)$`))
  })
})

describe('tail keeps waiting', () => {
  test('its nsqd goes away: tail keeps running, reconnects when it is back on the same port, prints what comes', T, async () => {
    const first = await startServe()
    let second: ServeChild | undefined
    try {
      const topic = topicName('restart')
      const child = spawnCli([...NSQ_TAIL, `-topic=${topic}`, `-nsqd-tcp-address=${first.tcpAddress}`, '-channel=c', '-consumer-opt=lookupd_poll_interval,200ms'])
      await first.waitSubscribed(topic, 'c')
      await first.stop()
      // no connection left: it must not fall out of the event loop (exit 13) nor give up
      await sleep(700)
      assert.equal(child.proc.exitCode, null, `tail exited with ${child.proc.exitCode} while its nsqd was down; stderr:\n${child.stderr()}`)
      second = await startServe([], {tcpPort: first.tcpPort})
      await second.waitSubscribed(topic, 'c')
      await mpub(second.httpPort, topic, ['after restart'])
      assert.deepEqual(await waitLines(child, 1, 5000), ['after restart'])
      child.proc.kill('SIGTERM')
      const r = await exitWithin(child, 5000, 'tail after SIGTERM')
      assertExit(r, 0)
      assertNoStack(r.stderr)
    } finally {
      await first.stop()
      await second?.stop()
    }
  })

  test('a lookupd that does not answer: tail keeps polling until SIGINT, then exits 0', T, async () => {
    const port = await unusedPort()
    const child = spawnCli([...TAIL, '--topic', topicName('lookupd'), '--lookupd-http-address', `${HOST}:${port}`])
    // the first failed poll is logged (start-up takes longer on a loaded machine: wait for it)
    await waitFor('a line about the lookupd that does not answer', () => /nsqlookupd/.test(child.stderr()) || child.proc.exitCode !== null, {timeoutMs: 10_000})
    assert.equal(child.proc.exitCode, null, `tail exited with ${child.proc.exitCode}; stderr:\n${child.stderr()}`)
    await sleep(300)
    assert.equal(child.proc.exitCode, null, `tail exited with ${child.proc.exitCode}; stderr:\n${child.stderr()}`)
    child.proc.kill('SIGINT')
    const r = await exitWithin(child, 5000, 'tail after SIGINT')
    assertExit(r, 0)
    assertNoStack(r.stderr)
  })
})

describe('tail misuse: exit 2 with one stderr line naming the flag', {concurrency: true}, () => {
  const cases: [string, () => string[], RegExp][] = [
    ['no --topic', () => [...TAIL, '--nsqd-tcp-address', broker.tcpAddress], /--topic/],
    ['no --topic (Go syntax)', () => [...NSQ_TAIL, `-nsqd-tcp-address=${broker.tcpAddress}`], /--topic/],
    ['neither --nsqd-tcp-address nor --lookupd-http-address', () => [...TAIL, '--topic', 't'], /--nsqd-tcp-address.*--lookupd-http-address/],
    ['both --nsqd-tcp-address and --lookupd-http-address', () => [...TAIL, '--topic', 't', '--nsqd-tcp-address', broker.tcpAddress, '--lookupd-http-address', `${HOST}:4161`], /--nsqd-tcp-address.*--lookupd-http-address.*not both/],
    ['--consumer-opt max_in_flight,-1', () => [...TAIL, '--topic', 't', '--nsqd-tcp-address', broker.tcpAddress, '--consumer-opt', 'max_in_flight,-1'], /--consumer-opt.*max_in_flight/],
    ['--consumer-opt nope,1', () => [...TAIL, '--topic', 't', '--nsqd-tcp-address', broker.tcpAddress, '--consumer-opt', 'nope,1'], /--consumer-opt.*nope/],
    ['-n -1', () => [...TAIL, '--topic', 't', '--nsqd-tcp-address', broker.tcpAddress, '-n', '-1'], /(^|\s)--?n\b/],
    ['--format xml', () => [...TAIL, '--topic', 't', '--nsqd-tcp-address', broker.tcpAddress, '--format', 'xml'], /--format|xml/],
    ['--nsqd-tcp-address without a port', () => [...TAIL, '--topic', 't', '--nsqd-tcp-address', 'nohost'], /--nsqd-tcp-address/],
  ]
  for (const [name, argv, mentions] of cases) {
    test(name, T, async () => {
      const r = await runCli(argv())
      assertExit(r, 2, name)
      assertOneLine(r, mentions)
      assert.equal(r.stdout, '')
    })
  }
})

