/**
 * `nsqkit stat` / `nsq_stat` (NSQ-SPEC §1.6) as the user runs it: the built CLI in a child
 * process against `nsqkit serve` children on port 0 (and FakeLookupds listing them). What is
 * checked is what the user reads:
 *
 *  - the table as golden text: nsq_stat's two header lines, then --count lines of known counts
 *    (total, mem, msgs, clients; the rates are 0 when nothing moves, and a number in its column
 *    when messages flow)
 *  - two nodes summed, in nsqd mode and in lookupd mode (two lookupds listing both: de-duplicated)
 *  - --json's shape; every topic/channel in titled blocks without --channel
 *  - one node down mid-run: one stderr line naming it, the lines go on with the other node
 *  - exit 1 when nothing answers at the first poll or the channel is nowhere (Go's message)
 *  - misuse: exit 2, one line naming the flag as typed; the nsq_stat shim and its -version
 */
import assert from 'node:assert/strict'
import {after, describe, test} from 'node:test'
import {Consumer} from '../../src/core/client/consumer.js'
import {NSQKIT_VERSION} from '../../src/core/version.js'
import {NSQKIT, assertExit, assertNoStack, assertOneLine, createChannel, killChildren, mpub, runCli, shim, spawnCli, stopTool, waitLines} from '../helpers/cli.js'
import {FakeLookupd, producerEntry} from '../helpers/fake-lookupd.js'
import {topicNames} from '../helpers/names.js'
import {HOST} from '../helpers/net.js'
import {startServe, useServes, type ServeChild} from '../helpers/serve.js'
import {waitFor} from '../helpers/wait.js'

const T = {timeout: 30_000}
const STAT = [...NSQKIT, 'stat']
const H1 = '------rate------+----------------depth----------------+--------------metadata---------------'
const H2 = 'ingress  egress |   total     mem    disk inflt   def |     req     t-o         msgs clients'

const [a, b] = useServes(2) as [ServeChild, ServeChild]
const topicName = topicNames('stat')
const lookupds: FakeLookupd[] = []
const consumers: Consumer[] = []

after(async () => {
  killChildren()
  await Promise.all(consumers.map((c) => c.stop(3000)))
  await Promise.all(lookupds.map((l) => l.close()))
})

const http = (s: ServeChild): string => `${HOST}:${s.httpPort}`

/** A topic with channel `c` on each broker, `counts[i]` messages published to the i-th. */
async function seed(what: string, brokers: ServeChild[], counts: number[]): Promise<string> {
  const topic = topicName(what)
  await Promise.all(
    brokers.map(async (s, i) => {
      await createChannel(s.httpPort, topic, 'c')
      const n = counts[i] ?? 0
      if (n > 0) await mpub(s.httpPort, topic, Array.from({length: n}, (_, k) => `m${k}`))
    }),
  )
  return topic
}

/** The data line nsq_stat prints for these counts when nothing moves (both rates 0). */
function still(total: number, msgs: number, clients: number, inflt = 0): string {
  const p = (n: number, w: number): string => String(n).padStart(w)
  return `${p(0, 7)} ${p(0, 7)} | ${p(total, 7)} ${p(total, 7)} ${p(0, 7)} ${p(inflt, 5)} ${p(0, 5)} | ${p(0, 7)} ${p(0, 7)} ${p(msgs, 12)} ${p(clients, 7)}`
}

/** A data line cut into its 11 numbers by nsq_stat's column widths (so a misaligned line fails). */
function cells(line: string): number[] {
  const m = /^([ -\d]{7}) ([ -\d]{7}) \| ([ -\d]{7}) ([ -\d]{7}) ([ -\d]{7}) ([ -\d]{5}) ([ -\d]{5}) \| ([ -\d]{7}) ([ -\d]{7}) ([ -\d]{12}) ([ -\d]{7})$/.exec(line)
  assert.ok(m, `a data line in nsq_stat's columns: ${JSON.stringify(line)}`)
  return m.slice(1).map((s) => Number(s.trim()))
}

describe('the table', {concurrency: true}, () => {
  test('nsq_stat\'s headers, then --count 2 lines of the known counts; exit 0', T, async () => {
    const topic = await seed('golden', [a], [5])
    const r = await runCli([...STAT, '--topic', topic, '--channel', 'c', '--nsqd-http-address', http(a), '--interval', '200ms', '--count', '2'])
    assertExit(r, 0)
    assert.equal(r.stdout, `${H1}\n${H2}\n${still(5, 5, 0)}\n${still(5, 5, 0)}\n`)
    assert.equal(r.stderr, '')
  })

  test('a subscribed client that holds its messages: clients 1, inflt, the depth gone from total', T, async () => {
    const topic = await seed('client', [a], [3])
    // never answered: the three stay in flight
    const c = new Consumer(topic, 'c', () => undefined, {config: {max_in_flight: 10}, disableAutoResponse: true})
    consumers.push(c)
    await c.connectToNsqd(a.tcpAddress)
    await waitFor('3 in flight', async () => (await a.channel(topic, 'c'))?.in_flight_count === 3)
    const r = await runCli([...STAT, `-topic=${topic}`, '-channel=c', `-nsqd-http-address=${http(a)}`, '-interval=200ms', '-count=1'])
    assertExit(r, 0)
    assert.equal(r.stdout, `${H1}\n${H2}\n${still(0, 3, 1, 3)}\n`)
  })

  test('two nodes given: every column summed', T, async () => {
    const topic = await seed('two', [a, b], [3, 4])
    const r = await runCli([...STAT, '--topic', topic, '--channel', 'c', '--nsqd-http-address', http(a), '--nsqd-http-address', http(b), '--interval', '200ms', '--count', '1'])
    assertExit(r, 0)
    assert.equal(r.stdout, `${H1}\n${H2}\n${still(7, 7, 0)}\n`)
  })

  test('lookupd mode: two lookupds listing both nodes, each node counted once', T, async () => {
    const topic = await seed('lookupd', [a, b], [2, 6])
    for (let i = 0; i < 2; i++) {
      lookupds.push(
        await FakeLookupd.start((req) =>
          req.path === '/lookup' && req.query.get('topic') === topic ? {status: 200, body: {channels: ['c'], producers: [producerEntry(a), producerEntry(b)]}} : {status: 404, body: {message: 'TOPIC_NOT_FOUND'}},
        ),
      )
    }
    const [l1, l2] = lookupds.slice(-2) as [FakeLookupd, FakeLookupd]
    const r = await runCli([...STAT, '--topic', topic, '--channel', 'c', '--lookupd-http-address', l1.addr, '--lookupd-http-address', l2.addr, '--interval', '200ms', '--count', '1'])
    assertExit(r, 0)
    assert.equal(r.stdout, `${H1}\n${H2}\n${still(8, 8, 0)}\n`)
    // each lookupd asked every interval (the baseline and one line)
    assert.equal(l1.asked('/lookup').length, 2)
    assert.equal(l1.asked('/lookup')[0]?.accept, 'application/vnd.nsq; version=1.0')
  })

  test('messages flowing: ingress counts them per second, in its column; egress stays a number ≥ 0', T, async () => {
    const topic = await seed('rates', [a], [0])
    const child = spawnCli([...STAT, '--topic', topic, '--channel', 'c', '--nsqd-http-address', http(a), '--interval', '300ms'])
    await waitLines(child, 3, 10_000)
    await mpub(a.httpPort, topic, Array.from({length: 30}, (_, k) => `r${k}`))
    const lines = await waitFor('a line with the 30', () => {
      const ls = child.stdout().trim().split('\n').slice(2)
      return ls.some((l) => cells(l)[9] === 30) ? ls : undefined
    })
    await stopTool(child, 'stat')
    const at = lines.findIndex((l) => cells(l)[9] === 30)
    // 30 in one 300 ms interval (or split over two): 100/s in all
    const ingress = lines.slice(0, at + 1).reduce((s, l) => s + (cells(l)[0] as number), 0)
    assert.equal(ingress, 100)
    for (const l of lines) assert.ok((cells(l)[1] as number) >= 0, l)
    assert.equal(cells(lines[at] as string)[2], 30)
  })
})

describe('beyond nsq_stat', {concurrency: true}, () => {
  test('--json: one object per interval, the columns by name plus topic, channel, time', T, async () => {
    const topic = await seed('json', [a], [4])
    const r = await runCli([...STAT, '--topic', topic, '--channel', 'c', '--nsqd-http-address', http(a), '--interval', '200ms', '--count', '2', '--json'])
    assertExit(r, 0)
    const objs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    assert.equal(objs.length, 2)
    for (const o of objs) {
      assert.deepEqual(Object.keys(o), ['time', 'topic', 'channel', 'ingress', 'egress', 'total', 'mem', 'disk', 'inflt', 'def', 'req', 't-o', 'msgs', 'clients', 'paused'])
      assert.deepEqual({...o, time: undefined}, {time: undefined, topic, channel: 'c', ingress: 0, egress: 0, total: 4, mem: 4, disk: 0, inflt: 0, def: 0, req: 0, 't-o': 0, msgs: 4, clients: 0, paused: false})
      assert.ok(!Number.isNaN(Date.parse(o.time as string)))
    }
  })

  test('--extended: the paused column (yes once the channel is paused); the rest as nsq_stat', T, async () => {
    const topic = await seed('paused', [a], [1])
    const res = await fetch(`http://${http(a)}/channel/pause?topic=${topic}&channel=c`, {method: 'POST'})
    assert.equal(res.status, 200)
    const r = await runCli([...STAT, '--topic', topic, '--channel', 'c', '--nsqd-http-address', http(a), '--interval', '200ms', '--count', '1', '--extended'])
    assertExit(r, 0)
    assert.equal(r.stdout, `${H1}-+-------\n${H2} | paused\n${still(1, 1, 0)} |    yes\n`)
  })

  test('--topic without --channel: a titled block per channel, sorted', T, async () => {
    const topic = await seed('blocks', [a], [0])
    await createChannel(a.httpPort, topic, 'b')
    await mpub(a.httpPort, topic, ['x', 'y'])
    const r = await runCli([...STAT, '--topic', topic, '--nsqd-http-address', http(a), '--interval', '200ms', '--count', '1'])
    assertExit(r, 0)
    assert.equal(r.stdout, `${topic}/b\n${H1}\n${H2}\n${topic}/c\n${H1}\n${H2}\n${topic}/b\n${still(2, 2, 0)}\n${topic}/c\n${still(2, 2, 0)}\n`)
  })

  test('no --topic, lookupd mode: every topic lookupd lists (GET /topics, then /lookup of each), a block per channel', T, async () => {
    const t1 = await seed('all1', [a], [1])
    const t2 = await seed('all2', [b], [2])
    const l = await FakeLookupd.start((req) => {
      if (req.path === '/topics') return {status: 200, body: {topics: [t2, t1]}}
      const t = req.query.get('topic')
      if (req.path === '/lookup' && (t === t1 || t === t2)) return {status: 200, body: {channels: ['c'], producers: [producerEntry(t === t1 ? a : b)]}}
      return {status: 404, body: {message: 'TOPIC_NOT_FOUND'}}
    })
    lookupds.push(l)
    const r = await runCli([...STAT, '--lookupd-http-address', l.addr, '--interval', '200ms', '--count', '1', '--json'])
    assertExit(r, 0)
    // both nodes hold the other tests' topics too: keep the two of this test
    const objs = r.stdout.trim().split('\n').map((x) => JSON.parse(x) as Record<string, unknown>).filter((o) => o.topic === t1 || o.topic === t2)
    assert.deepEqual(objs.map((o) => [o.topic, o.channel, o.msgs]), [[t1, 'c', 1], [t2, 'c', 2]])
  })

  test('one node down mid-run: one stderr line naming it each interval, the lines go on with the other', T, async () => {
    const gone = await startServe()
    try {
      const topic = await seed('down', [a, gone], [2, 5])
      const child = spawnCli([...STAT, '--topic', topic, '--channel', 'c', '--nsqd-http-address', http(a), '--nsqd-http-address', http(gone), '--interval', '200ms'])
      const first = await waitLines(child, 3, 10_000)
      assert.equal(first[2], still(7, 7, 0))
      const addr = http(gone)
      await gone.stop('SIGKILL')
      const n = child.stdout().split('\n').length - 1
      const later = await waitLines(child, n + 2, 10_000)
      assert.equal(later.at(-1), still(2, 2, 0))
      const r = await stopTool(child, 'stat')
      const failures = r.stderr.split('\n').filter((l) => l !== '')
      assert.ok(failures.length >= 1)
      for (const l of failures) assert.match(l, new RegExp(`WARNING: nsqd ${addr.replace(/\./g, '\\.')}: request failed: .*\\(skipped this interval\\)$`))
      assertNoStack(r.stderr)
      assert.equal(r.stdout.split('\n').filter((l) => l === H1).length, 1)
    } finally {
      await gone.stop('SIGKILL')
    }
  })

  test('nothing answers at the first poll: exit 1, its failure last on stderr, nothing on stdout', T, async () => {
    const r = await runCli([...STAT, '--topic', 't', '--channel', 'c', '--nsqd-http-address', `${HOST}:1`, '--interval', '100ms', '--count', '1'])
    assertExit(r, 1)
    assert.equal(r.stdout, '')
    assert.match(r.stderr.trim().split('\n').at(-1) as string, /^stat: nsqd 127\.0\.0\.1:1: request failed: /)
    assertNoStack(r.stderr)
  })

  test('stdout a pipe whose reader leaves (| head -3): stat ends by itself, nothing on stderr', T, async () => {
    const topic = await seed('head', [a], [1])
    const r = await runCli([...STAT, '--topic', topic, '--channel', 'c', '--nsqd-http-address', http(a), '--interval', '100ms'], {sh: '"$0" "$@" | head -3'})
    assert.equal(r.signal, null, 'the pipeline ended without being killed')
    assert.equal(r.stdout, `${H1}\n${H2}\n${still(1, 1, 0)}\n`)
    assert.equal(r.stderr, '')
  })

  test('stdout that cannot be written (> /dev/full): one line, exit 1', T, async () => {
    const topic = await seed('full', [a], [1])
    const r = await runCli([...STAT, '--topic', topic, '--channel', 'c', '--nsqd-http-address', http(a), '--interval', '100ms', '--count', '1'], {sh: '"$0" "$@" > /dev/full'})
    assertExit(r, 1)
    assertOneLine(r, /^stat: cannot write to stdout: ENOSPC/)
  })

  test('the channel is on no node: exit 1 with nsq_stat\'s message', T, async () => {
    const topic = await seed('nochannel', [a], [0])
    const r = await runCli([...shim('nsq_stat'), `-topic=${topic}`, '-channel=nope', `-nsqd-http-address=${http(a)}`, '-count=1'])
    assertExit(r, 1)
    assertOneLine(r, new RegExp(`^nsq_stat: failed to find channel\\(nope\\) in stats metadata for topic\\(${topic}\\)$`))
  })
})

describe('the nsq_stat shim and misuse', {concurrency: true}, () => {
  test('bin/nsq_stat with Go flags: the same table', T, async () => {
    const topic = await seed('shim', [a], [1])
    const r = await runCli([...shim('nsq_stat'), `-topic=${topic}`, '-channel=c', `-nsqd-http-address=${http(a)}`, '-interval=200ms', '-count=1'])
    assertExit(r, 0)
    assert.equal(r.stdout, `${H1}\n${H2}\n${still(1, 1, 0)}\n`)
  })

  for (const argv of [[...shim('nsq_stat'), '-version'], [...STAT, '--version']]) {
    test(`${argv.at(-2)?.split('/').at(-1)} ${argv.at(-1)}: nsq_stat v1.3.0 (nsqkit v${NSQKIT_VERSION})`, T, async () => {
      const r = await runCli(argv)
      assertExit(r, 0)
      assert.equal(r.stdout, `nsq_stat v1.3.0 (nsqkit v${NSQKIT_VERSION})\n`)
    })
  }

  const misuse: [string[], RegExp][] = [
    [['-topic=t', '-channel=c'], /^nsq_stat: --nsqd-http-address or --lookupd-http-address required$/],
    [['-topic=t', '-nsqd-http-address=h:1', '-lookupd-http-address=h:2'], /^nsq_stat: use -nsqd-http-address or -lookupd-http-address not both$/],
    [['-topic=t', '-nsqd-http-address=http://h:4151'], /^nsq_stat: -nsqd-http-address: address should not contain scheme \("http:\/\/h:4151"\)$/],
    [['-topic=t', '--lookupd-http-address=https://h:4161'], /^nsq_stat: --lookupd-http-address: address should not contain scheme/],
    [['-topic=t', '-nsqd-http-address=h'], /^nsq_stat: -nsqd-http-address: /],
    [['-channel=c', '-nsqd-http-address=h:1'], /^nsq_stat: -channel needs --topic$/],
    [['-topic=t', '-nsqd-http-address=h:1', '-interval=0s'], /^nsq_stat: -interval: must be greater than 0$/],
    [['-topic=t', '-nsqd-http-address=h:1', '-interval=-1s'], /^nsq_stat: -interval: must be greater than 0$/],
    [['-topic=t', '-nsqd-http-address=h:1', '-count=0'], /^nsq_stat: -count: must be greater than 0$/],
    [['-topic=t', '-nsqd-http-address=h:1', '-count=-3'], /^nsq_stat: -count: must be greater than 0$/],
    [['-topic=t', '-nsqd-http-address=h:1', '-http-client-request-timeout=0s'], /^nsq_stat: -http-client-request-timeout: must be greater than 0$/],
    [['-topic=bad topic', '-nsqd-http-address=h:1'], /^nsq_stat: -topic: invalid topic name/],
  ]
  for (const [args, line] of misuse) {
    test(`nsq_stat ${args.join(' ')}: exit 2, one line`, T, async () => {
      const r = await runCli([...shim('nsq_stat'), ...args])
      assertExit(r, 2)
      assertOneLine(r, line)
      assert.equal(r.stdout, '')
    })
  }
})
