/**
 * A cluster on one machine, as users scale past one node: `nsqkit lookupd` and `nsqkit serve`
 * children registering with it (--lookupd-tcp-address), the tools finding them through
 * --lookupd-http-address. What a user sees: lookupd's /lookup, /nodes and /channels, the
 * messages a tool prints, serve's /stats.
 *
 *  - two nodes register: /lookup lists both; `tail --lookupd-http-address` prints the messages
 *    of both
 *  - a channel lookupd knows is pre-created on a node where the topic is new, and gets what is
 *    published before any consumer
 *  - a tail's ephemeral channel leaves lookupd's /channels when the tail exits
 *  - a node killed with SIGKILL leaves /lookup (its connection closes)
 *  - a tombstone hides a node from /lookup for --tombstone-lifetime, /nodes shows it
 *  - lookupd restarted on the same port: the nodes register everything again (the next PING,
 *    within 15 s)
 *  - `serve --lookupd`: a broker and its lookupd in one process, and a tail through it
 */
import assert from 'node:assert/strict'
import {after, describe, test} from 'node:test'
import {NSQKIT, killChildren, spawnCli, stopTool, waitLines} from '../helpers/cli.js'
import {topicNames} from '../helpers/names.js'
import {startLookupd, startServe, type ServeChild} from '../helpers/serve.js'
import {waitFor} from '../helpers/wait.js'

const T = {timeout: 60_000}
const topicName = topicNames('cluster')
const children: ServeChild[] = []

after(async () => {
  killChildren()
  await Promise.all(children.map((c) => c.stop('SIGKILL')))
})

async function lookupdChild(args: string[] = [], opts: {tcpPort?: number} = {}): Promise<ServeChild> {
  const l = await startLookupd(args, opts)
  children.push(l)
  return l
}

/** A serve child registered with `lookupd` as 127.0.0.1 (so /lookup answers an address the tools reach). */
async function node(lookupd: ServeChild, args: string[] = []): Promise<ServeChild> {
  const s = await startServe([`--lookupd-tcp-address=${lookupd.tcpAddress}`, '--broadcast-address=127.0.0.1', ...args])
  children.push(s)
  return s
}

interface Lookup {
  channels: string[]
  producers: {broadcast_address: string; tcp_port: number; http_port: number}[]
}

async function get<J>(l: ServeChild, path: string): Promise<{status: number; body: J}> {
  const res = await fetch(`http://127.0.0.1:${l.httpPort}${path}`, {signal: AbortSignal.timeout(3000)})
  return {status: res.status, body: (await res.json()) as J}
}

/** /lookup?topic once `ok` holds. */
function lookupWhen(l: ServeChild, topic: string, ok: (r: Lookup) => boolean, what: string, timeoutMs = 5000): Promise<Lookup> {
  let last: unknown
  return waitFor(
    () => `${what} (last /lookup: ${JSON.stringify(last)})`,
    async () => {
      const r = await get<Lookup>(l, `/lookup?topic=${topic}`)
      last = r
      return r.status === 200 && ok(r.body) ? r.body : undefined
    },
    {timeoutMs, everyMs: 50},
  )
}

const ports = (r: Lookup): number[] => r.producers.map((p) => p.tcp_port).sort((a, b) => a - b)

async function pub(s: ServeChild, topic: string, body: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${s.httpPort}/pub?topic=${topic}`, {method: 'POST', body})
  assert.equal(res.status, 200)
}

describe('serve nodes registered with nsqkit lookupd', {concurrency: true}, () => {
  test('two nodes: /lookup lists both; tail --lookupd-http-address prints the messages published to each', T, async () => {
    const l = await lookupdChild()
    const [a, b] = await Promise.all([node(l), node(l)])
    const topic = topicName('two')
    await pub(a, topic, 'from-a')
    await pub(b, topic, 'from-b')
    const r = await lookupWhen(l, topic, (x) => x.producers.length === 2, 'both nodes registered')
    assert.deepEqual(ports(r), [a.tcpPort, b.tcpPort].sort((x, y) => x - y))
    for (const p of r.producers) assert.equal(p.broadcast_address, '127.0.0.1')
    const tail = spawnCli([...NSQKIT, 'tail', `--topic=${topic}`, `--lookupd-http-address=127.0.0.1:${l.httpPort}`, '-n', '2'])
    const lines = await waitLines(tail, 2, 15_000)
    assert.deepEqual([...lines].sort(), ['from-a', 'from-b'])
    const done = await tail.done
    assert.equal(done.code, 0, done.stderr)
  })

  test('a channel lookupd lists is pre-created where the topic is new, and gets what was published before any consumer', T, async () => {
    const l = await lookupdChild()
    const s = await node(l)
    const topic = topicName('precreate')
    const res = await fetch(`http://127.0.0.1:${l.httpPort}/channel/create?topic=${topic}&channel=archive`, {method: 'POST'})
    assert.equal(res.status, 200)
    await waitFor('serve connected to lookupd', () => /peer info/.test(s.stderr()), {timeoutMs: 5000})
    await pub(s, topic, 'first')
    const ch = await s.channelWhen(topic, 'archive', (c) => c.depth === 1, 'the pre-created channel holds the message')
    assert.equal(ch.message_count, 1)
    // and the node now registers the channel itself
    const r = await lookupWhen(l, topic, (x) => x.producers.length === 1 && x.channels.includes('archive'), 'the node registered')
    assert.deepEqual(r.channels, ['archive'])
  })

  test("a tail's ephemeral channel is in lookupd's /channels while it runs and gone after it exits", T, async () => {
    const l = await lookupdChild()
    const s = await node(l)
    const topic = topicName('ephemeral')
    await pub(s, topic, 'x')
    const tail = spawnCli([...NSQKIT, 'tail', `--topic=${topic}`, `--nsqd-tcp-address=${s.tcpAddress}`])
    const eph = await waitFor('the ephemeral channel registered', async () => {
      const r = await get<{channels: string[]}>(l, `/channels?topic=${topic}`)
      return r.body.channels.find((c) => c.endsWith('#ephemeral'))
    }, {timeoutMs: 10_000})
    assert.match(eph, /^tail\d+#ephemeral$/)
    await stopTool(tail, 'tail')
    await waitFor('the ephemeral channel unregistered', async () => (await get<{channels: string[]}>(l, `/channels?topic=${topic}`)).body.channels.length === 0, {timeoutMs: 5000})
  })

  test('a node killed with SIGKILL leaves /lookup; the topic stays in /topics', T, async () => {
    const l = await lookupdChild()
    const [a, b] = await Promise.all([node(l), node(l)])
    const topic = topicName('killed')
    await pub(a, topic, '1')
    await pub(b, topic, '2')
    await lookupWhen(l, topic, (x) => x.producers.length === 2, 'both registered')
    await b.stop('SIGKILL')
    const r = await lookupWhen(l, topic, (x) => x.producers.length === 1, 'only the live node')
    assert.deepEqual(ports(r), [a.tcpPort])
    assert.ok((await get<{topics: string[]}>(l, '/topics')).body.topics.includes(topic))
  })

  test('a tombstone hides the node from /lookup for --tombstone-lifetime; /nodes shows it tombstoned', T, async () => {
    const l = await lookupdChild(['--tombstone-lifetime=1500ms'])
    const [a, b] = await Promise.all([node(l), node(l)])
    const topic = topicName('tombstone')
    await pub(a, topic, '1')
    await pub(b, topic, '2')
    await lookupWhen(l, topic, (x) => x.producers.length === 2, 'both registered')
    const res = await fetch(`http://127.0.0.1:${l.httpPort}/topic/tombstone?topic=${topic}&node=127.0.0.1:${b.httpPort}`, {method: 'POST'})
    assert.equal(res.status, 200)
    const hidden = await get<Lookup>(l, `/lookup?topic=${topic}`)
    assert.deepEqual(ports(hidden.body), [a.tcpPort])
    const nodes = await get<{producers: {tcp_port: number; topics: string[]; tombstones: boolean[]}[]}>(l, '/nodes')
    const bn = nodes.body.producers.find((p) => p.tcp_port === b.tcpPort)
    assert.ok(bn, JSON.stringify(nodes.body))
    assert.equal(bn.tombstones[bn.topics.indexOf(topic)], true)
    // after the lifetime it is back
    await lookupWhen(l, topic, (x) => x.producers.length === 2, 'the tombstone expired', 5000)
  })

  test('lookupd restarted on the same port: the nodes register everything again', T, async () => {
    let l = await lookupdChild()
    const s = await node(l, [])
    const topic = topicName('restart')
    await pub(s, topic, 'x')
    const res = await fetch(`http://127.0.0.1:${s.httpPort}/channel/create?topic=${topic}&channel=keep`, {method: 'POST'})
    assert.equal(res.status, 200)
    await lookupWhen(l, topic, (x) => x.channels.includes('keep'), 'registered')
    const port = l.tcpPort
    await l.stop('SIGKILL')
    l = await lookupdChild([], {tcpPort: port})
    // the next PING (every 15 s) finds the connection gone; the one after reconnects and registers all
    const r = await lookupWhen(l, topic, (x) => x.producers.length === 1 && x.channels.includes('keep'), 're-registered', 35_000)
    assert.deepEqual(ports(r), [s.tcpPort])
  })
})

describe('serve --lookupd: the broker and a lookupd in one process', () => {
  test('tail --lookupd-http-address finds the broker through the embedded lookupd', T, async () => {
    const s = await startServe(['--lookupd', '--embedded-lookupd-tcp-address=127.0.0.1:0', '--embedded-lookupd-http-address=127.0.0.1:0'])
    children.push(s)
    const m = /\[nsqlookupd\] .*HTTP: listening on 127\.0\.0\.1:(\d+)/.exec(s.stderr())
    assert.ok(m, s.stderr())
    const lookupdHttp = Number(m[1])
    const topic = topicName('embedded')
    await pub(s, topic, 'through lookupd')
    const tail = spawnCli([...NSQKIT, 'tail', `--topic=${topic}`, `--lookupd-http-address=127.0.0.1:${lookupdHttp}`, '-n', '1'])
    assert.deepEqual(await waitLines(tail, 1, 15_000), ['through lookupd'])
    assert.equal((await tail.done).code, 0)
    // registered as 127.0.0.1 (no --broadcast-address given)
    const res = await fetch(`http://127.0.0.1:${lookupdHttp}/lookup?topic=${topic}`)
    const body = (await res.json()) as Lookup
    assert.deepEqual(
      body.producers.map((p) => [p.broadcast_address, p.tcp_port]),
      [['127.0.0.1', s.tcpPort]],
    )
    assert.equal(await s.stop(), 0)
  })
})
