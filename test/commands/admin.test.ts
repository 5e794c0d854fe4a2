/**
 * `nsqkit admin` / `nsqadmin`: nsqadmin 1.3.0's read API as a script or the browser meets it —
 * the built CLI in a child process over a real cluster of children (`nsqkit lookupd` and two
 * `nsqkit serve` registered with it), read over HTTP. The shapes are checked against the
 * answers captured from the real nsqadmin (test/fixtures/nsqadmin-1.3.0): the same keys in the
 * same order at each level; the values against what was published.
 *
 *  - lookupd mode: /ping; /api/topics (the union); a topic on two nodes summed, per node, its
 *    channel; a topic on one node without channels; a channel with a consumer on both nodes
 *    (its clients, each with its node); an unknown topic (502 UPSTREAM_ERROR), an unknown channel
 *    (404); /api/nodes; /api/nodes/:node and an unknown node (404); /api/counter; the router's
 *    404 and 405
 *  - the actions, each checked on the nodes' /stats and the lookupd: pause / unpause / empty of a
 *    topic and of a channel on both nodes, create (topic and channel in the lookupd), delete of a
 *    channel and of a topic, tombstone of a topic on one node; the bad bodies' 400s; each
 *    action's notification with nsqadmin's fields (user from Basic auth, url, via)
 *  - the admin gate: with --admin-user, a request without the ACL header or naming another user
 *    is 403 FORBIDDEN and changes nothing; the one it names may act
 *  - nsqd mode with one address dead: the live nodes' data and a WARNING naming the dead one
 *  - misuse (no address, both kinds): exit 2, one line; the nsqadmin shim
 */
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {connect} from 'node:net'
import {join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {Consumer} from '../../src/core/client/consumer.js'
import {NSQKIT, assertExit, assertOneLine, createChannel, killChildren, mpub, runCli, shim, spawnCli} from '../helpers/cli.js'
import {topicNames} from '../helpers/names.js'
import {HOST, unusedPort} from '../helpers/net.js'
import {startAdmin} from '../helpers/admin.js'
import {startSink, type HttpSink} from '../helpers/http-sink.js'
import {REPO_ROOT, startLookupd, startServe, type ServeChild} from '../helpers/serve.js'
import {waitFor} from '../helpers/wait.js'

const T = {timeout: 30_000}
const topicName = topicNames('admin')
const children: ServeChild[] = []
const consumers: Consumer[] = []

after(async () => {
  await Promise.all(consumers.map((c) => c.stop(3000)))
  killChildren()
  await Promise.all(children.map((c) => c.stop('SIGKILL')))
})

interface Capture {
  request: string
  status: number
  body: Record<string, unknown>
}

/** The captured answer to `request` (the first, or the one whose note matches). */
function capture(file: string, request: string, note?: RegExp): Capture {
  const doc = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'nsqadmin-1.3.0', file), 'utf8')) as {captures: (Capture & {note?: string})[]}
  const c = doc.captures.find((x) => x.request === request && (note === undefined || note.test(x.note ?? '')))
  assert.ok(c, `${file} has a capture of ${request}`)
  return c
}

const keys = (v: unknown): string[] => Object.keys(v as object)
const first = (v: unknown, k: string): unknown => ((v as Record<string, unknown[]>)[k] ?? [])[0]

/** The same keys in the same order as the capture's, at the top and in the first element of each list named. */
function assertSameShape(ours: unknown, theirs: unknown, lists: string[][]): void {
  assert.deepEqual(keys(ours), keys(theirs), 'top-level keys')
  for (const path of lists) {
    let a = ours
    let b = theirs
    for (const k of path) {
      a = first(a, k)
      b = first(b, k)
    }
    assert.ok(a !== undefined && b !== undefined, `both have ${path.join('[0].')}[0]`)
    assert.deepEqual(keys(a), keys(b), `keys of ${path.join('[0].')}[0]`)
  }
}

async function get(url: string, init: RequestInit = {}): Promise<{status: number; type: string | null; body: Record<string, unknown>; text: string}> {
  const res = await fetch(url, {signal: AbortSignal.timeout(10_000), ...init})
  const text = await res.text()
  let body: Record<string, unknown> = {}
  try {
    body = JSON.parse(text) as Record<string, unknown>
  } catch {
    // plain text (/ping)
  }
  return {status: res.status, type: res.headers.get('content-type'), body, text}
}

describe('lookupd mode: a lookupd and two serve nodes', {concurrency: false}, () => {
  let lookupd: ServeChild
  let n1: ServeChild
  let n2: ServeChild
  let admin: string
  let gated: string
  let sink: HttpSink
  const orders = topicName('orders')
  const events = topicName('events')
  const node = (s: ServeChild): string => `${HOST}:${s.httpPort}`

  before(async () => {
    lookupd = await startLookupd()
    children.push(lookupd)
    for (let i = 0; i < 2; i++) {
      const s = await startServe([`--lookupd-tcp-address=${lookupd.tcpAddress}`, '--broadcast-address=127.0.0.1'])
      children.push(s)
    }
    ;[n1, n2] = children.slice(1) as [ServeChild, ServeChild]
    // as the capture's cluster: orders/billing on both (30 and 12 messages), events on the first only (5, no channel)
    await createChannel(n1.httpPort, orders, 'billing')
    await createChannel(n2.httpPort, orders, 'billing')
    await mpub(n1.httpPort, orders, Array.from({length: 30}, (_, i) => `o${i}`))
    await mpub(n2.httpPort, orders, Array.from({length: 12}, (_, i) => `o${i}`))
    await mpub(n1.httpPort, events, Array.from({length: 5}, (_, i) => `e${i}`))
    await waitFor(
      'lookupd lists both producers of orders',
      async () => {
        const r = await get(`http://${HOST}:${lookupd.httpPort}/lookup?topic=${orders}`)
        return r.status === 200 && (r.body.producers as unknown[]).length === 2 ? true : undefined
      },
      {timeoutMs: 10_000, everyMs: 50},
    )
    sink = await startSink()
    admin = (await startAdmin([`--lookupd-http-address=${HOST}:${lookupd.httpPort}`, `--notification-http-endpoint=http://${HOST}:${sink.port}/notify`])).url
    gated = (await startAdmin([`--lookupd-http-address=${HOST}:${lookupd.httpPort}`, '--admin-user=alice'])).url
  })

  after(() => sink.close())

  const act = (base: string, method: string, path: string, body: unknown, headers: Record<string, string> = {}): ReturnType<typeof get> =>
    get(`${base}${path}`, {method, body: typeof body === 'string' ? body : JSON.stringify(body), headers: {'content-type': 'application/json', ...headers}})
  /** The channel (or topic, without `channel`) as each node's /stats has it. */
  async function onNodes(topic: string, channel?: string): Promise<({paused: boolean; depth: number} | undefined)[]> {
    return Promise.all(
      [n1, n2].map(async (s) => {
        const st = await get(`http://${HOST}:${s.httpPort}/stats?format=json&topic=${topic}`)
        const t = (st.body.topics as {topic_name: string; paused: boolean; depth: number; channels: {channel_name: string; paused: boolean; depth: number}[]}[] | null)?.find((x) => x.topic_name === topic)
        return channel === undefined ? t : t?.channels.find((c) => c.channel_name === channel)
      }),
    )
  }
  const lastEvent = (): Record<string, unknown> => JSON.parse((sink.requests.at(-1)?.body ?? Buffer.from('{}')).toString('utf8')) as Record<string, unknown>

  test('pause, unpause and empty a channel and a topic on every node; each notified as nsqadmin does', T, async () => {
    const t = topicName('acts')
    await createChannel(n1.httpPort, t, 'work')
    await createChannel(n2.httpPort, t, 'work')
    await mpub(n1.httpPort, t, ['a', 'b'])
    await mpub(n2.httpPort, t, ['c'])
    await waitFor('both producers in the lookupd', async () => ((await get(`http://${HOST}:${lookupd.httpPort}/lookup?topic=${t}`)).body.producers as unknown[] | undefined)?.length === 2 || undefined, {timeoutMs: 10_000})
    const auth = `Basic ${Buffer.from('bob:secret').toString('base64')}`
    const pause = await act(admin, 'POST', `/api/topics/${t}/work`, {action: 'pause'}, {authorization: auth, 'user-agent': 'capture-agent/1'})
    assert.deepEqual([pause.status, pause.body], [200, {message: ''}])
    assert.deepEqual((await onNodes(t, 'work')).map((c) => c?.paused), [true, true])
    await waitFor('the pause notification', () => sink.requests.length >= 1 || undefined)
    const ev = lastEvent()
    const theirs = (JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'nsqadmin-1.3.0', 'actions.json'), 'utf8')) as {notifications_received: Record<string, unknown>[]}).notifications_received[0] as Record<string, unknown>
    assert.deepEqual(Object.keys(ev), Object.keys(theirs))
    assert.equal(sink.requests.at(-1)?.headers['content-type'], 'application/json')
    assert.deepEqual([ev.action, ev.topic, ev.channel, ev.user, ev.user_agent, ev.url], ['pause_channel', t, 'work', 'bob', 'capture-agent/1', `${admin}/api/topics/${t}/work`])
    assert.match(ev.remote_ip as string, /^127\.0\.0\.1:\d+$/)
    assert.ok(Math.abs((ev.timestamp as number) - Date.now() / 1000) < 60)
    assert.equal(typeof ev.via, 'string')

    assert.equal((await act(admin, 'POST', `/api/topics/${t}/work`, {action: 'unpause'})).status, 200)
    assert.deepEqual((await onNodes(t, 'work')).map((c) => c?.paused), [false, false])
    assert.equal((await act(admin, 'POST', `/api/topics/${t}/work`, {action: 'empty'})).status, 200)
    assert.deepEqual((await onNodes(t, 'work')).map((c) => c?.depth), [0, 0])
    assert.equal((await act(admin, 'POST', `/api/topics/${t}`, {action: 'pause'})).status, 200)
    assert.deepEqual((await onNodes(t)).map((x) => x?.paused), [true, true])
    const page = await get(`${admin}/api/topics/${t}`)
    assert.equal(page.body.paused, true)
    await waitFor('four notifications', () => sink.requests.length >= 4 || undefined)
    const actions = sink.requests.map((q) => (JSON.parse(q.body.toString('utf8')) as {action: string}).action)
    assert.deepEqual(actions.slice(0, 4).sort(), ['empty_channel', 'pause_channel', 'pause_topic', 'unpause_channel'])
    // no user without Basic auth: the field is left out
    assert.equal(Object.hasOwn(lastEvent(), 'user'), false)
  })

  test('bad action bodies: 400 with nsqadmin\'s codes, nothing changed', T, async () => {
    const cases: [string, string, string, unknown, string | RegExp][] = [
      ['POST', `/api/topics/${orders}/billing`, '', {action: 'bogus'}, 'INVALID_ACTION'],
      ['POST', `/api/topics/${orders}/billing`, '', 'nojson', /JSON|Unexpected token/],
      ['POST', '/api/topics', '', {topic: 'bad topic!'}, 'INVALID_TOPIC'],
      ['POST', '/api/topics', '', {topic: 'drafts', channel: 'bad ch!'}, 'INVALID_CHANNEL'],
      ['DELETE', `/api/nodes/${node(n1)}`, '', 'x', 'INVALID_BODY'],
      ['DELETE', `/api/nodes/${node(n1)}`, '', {topic: 'bad topic!'}, 'INVALID_TOPIC'],
    ]
    for (const [method, path, , body, code] of cases) {
      const r = await act(admin, method, path, body)
      assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}`)
      if (typeof code === 'string') assert.deepEqual(r.body, {message: code})
      else assert.match(r.body.message as string, code)
    }
    assert.deepEqual((await onNodes(orders, 'billing')).map((c) => c?.paused), [false, false])
  })

  test('create a topic and channel (in the lookupd), delete the channel, then the topic', T, async () => {
    const t = topicName('drafts')
    const made = await act(admin, 'POST', '/api/topics', {topic: t, channel: 'review'})
    assert.deepEqual([made.status, made.body], [200, {message: ''}])
    const look = await get(`http://${HOST}:${lookupd.httpPort}/lookup?topic=${t}`)
    assert.deepEqual(look.body, {channels: ['review'], producers: []})
    const inactive = await get(`${admin}/api/topics?inactive=true`)
    assert.deepEqual((inactive.body.topics as Record<string, string[]>)[t], ['review'])
    // no nsqd has it yet: pausing it has nothing to do, and says so without an error
    assert.deepEqual((await act(admin, 'POST', `/api/topics/${t}`, {action: 'pause'})).body, {message: ''})
    assert.equal((await act(admin, 'DELETE', `/api/topics/${t}/review`, '')).status, 200)
    assert.deepEqual((await get(`http://${HOST}:${lookupd.httpPort}/channels?topic=${t}`)).body, {channels: []})
    assert.equal((await act(admin, 'DELETE', `/api/topics/${t}`, '')).status, 200)
    assert.ok(!((await get(`http://${HOST}:${lookupd.httpPort}/topics`)).body.topics as string[]).includes(t))
  })

  test('delete a channel on both nodes; tombstone a topic on one node (the lookupd hides it, that nsqd deletes it)', T, async () => {
    const t = topicName('gone')
    await createChannel(n1.httpPort, t, 'x')
    await createChannel(n2.httpPort, t, 'x')
    await waitFor('both producers in the lookupd', async () => ((await get(`http://${HOST}:${lookupd.httpPort}/lookup?topic=${t}`)).body.producers as unknown[] | undefined)?.length === 2 || undefined, {timeoutMs: 10_000})
    assert.equal((await act(admin, 'DELETE', `/api/topics/${t}/x`, '')).status, 200)
    assert.deepEqual(await onNodes(t, 'x'), [undefined, undefined])
    const tomb = await act(admin, 'DELETE', `/api/nodes/${node(n1)}`, {topic: t})
    assert.deepEqual([tomb.status, tomb.body], [200, {message: ''}])
    const look = await get(`http://${HOST}:${lookupd.httpPort}/lookup?topic=${t}`)
    assert.deepEqual((look.body.producers as {http_port: number}[]).map((p) => p.http_port), [n2.httpPort])
    const [one, two] = await onNodes(t)
    assert.equal(one, undefined, 'the topic is deleted on the tombstoned node')
    assert.ok(two !== undefined, 'and kept on the other')
    const unknown = await act(admin, 'DELETE', '/api/nodes/1.2.3.4:5', {topic: t})
    assert.equal(unknown.status, 404)
  })

  test('an unreachable notification endpoint: the action is done and answered, one warning logged, the server goes on', T, async () => {
    const {child, url} = await startAdmin([`--lookupd-http-address=${HOST}:${lookupd.httpPort}`, `--notification-http-endpoint=http://${HOST}:${await unusedPort()}/notify`])
    const r = await act(url, 'POST', `/api/topics/${orders}`, {action: 'unpause'})
    assert.deepEqual([r.status, r.body], [200, {message: ''}])
    await waitFor(() => `a warning about the notification (stderr: ${child.stderr()})`, () => /WARNING: failed to send notification unpause_topic to http:\/\/127\.0\.0\.1:\d+\/notify - /.test(child.stderr()) || undefined, {timeoutMs: 5000})
    assert.equal((await get(`${url}/ping`)).text, 'OK')
    assert.equal(child.proc.exitCode, null)
  })

  test('publish from the UI\'s API: to a node of the cluster only, one message or one per line; admins only', T, async () => {
    const t = topicName('pubapi')
    await createChannel(n1.httpPort, t, 'c')
    await waitFor('the producer in the lookupd', async () => ((await get(`http://${HOST}:${lookupd.httpPort}/lookup?topic=${t}`)).body.producers as unknown[] | undefined)?.length === 1 || undefined, {timeoutMs: 10_000})
    const one = await act(admin, 'POST', `/api/publish/${t}`, {node: node(n1), body: 'a b'})
    assert.deepEqual([one.status, one.body], [200, {message: '', published: 1}])
    const many = await act(admin, 'POST', `/api/publish/${t}`, {node: node(n1), body: 'x\ny\nz', split_lines: true})
    assert.deepEqual([many.status, many.body], [200, {message: '', published: 3}])
    assert.deepEqual((await onNodes(t, 'c')).map((c) => c?.depth), [4, undefined])
    assert.deepEqual((await act(admin, 'POST', `/api/publish/${t}`, {node: '10.9.9.9:4151', body: 'x'})).body, {message: 'NODE_NOT_FOUND'})
    assert.deepEqual((await act(admin, 'POST', `/api/publish/${t}`, {node: node(n1), body: ''})).body, {message: 'MSG_EMPTY'})
    assert.equal((await act(gated, 'POST', `/api/publish/${t}`, {node: node(n1), body: 'x'})).status, 403)
  })

  test('a browser\'s request from another site may not act (CSRF): 403, nothing changed; scripts (no Origin) may', T, async () => {
    for (const headers of [{origin: 'http://evil.example'}, {'sec-fetch-site': 'cross-site'}, {origin: 'null'}] as Record<string, string>[]) {
      const r = await act(admin, 'POST', `/api/topics/${orders}/billing`, {action: 'pause'}, headers)
      assert.deepEqual([r.status, r.body], [403, {message: 'FORBIDDEN'}], JSON.stringify(headers))
      const d = await act(admin, 'DELETE', `/api/topics/${orders}/billing`, '', headers)
      assert.equal(d.status, 403)
    }
    assert.deepEqual((await onNodes(orders, 'billing')).map((c) => c?.paused), [false, false])
    // the page's own requests: same origin
    const same = await act(admin, 'POST', `/api/topics/${orders}/billing`, {action: 'unpause'}, {origin: admin, 'sec-fetch-site': 'same-origin'})
    assert.equal(same.status, 200)
  })

  test('a request line WHATWG cannot parse: 400, and the server goes on', T, async () => {
    const {port} = new URL(admin)
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = connect(Number(port), HOST, () => sock.write('GET //[ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'))
      let got = ''
      sock.on('data', (d: Buffer) => (got += d.toString('latin1')))
      sock.on('end', () => resolve(got))
      sock.on('error', reject)
    })
    assert.match(answer, /^HTTP\/1\.1 400 /)
    assert.equal((await get(`${admin}/ping`)).text, 'OK')
  })

  test('the live tail: a bad topic name 400 before any stream; with --admin-user, a non-admin may not read bodies', T, async () => {
    assert.deepEqual((await get(`${admin}/api/tail/bad%20name`)).body, {message: 'INVALID_TOPIC'})
    const r = await get(`${gated}/api/tail/${orders}`)
    assert.deepEqual([r.status, r.body], [403, {message: 'FORBIDDEN'}])
  })

  test('the admin gate: without the ACL header or naming another user 403 FORBIDDEN, nothing changed; the admin user may act', T, async () => {
    for (const headers of [{}, {'x-forwarded-user': 'mallory'}] as Record<string, string>[]) {
      const r = await act(gated, 'POST', `/api/topics/${orders}/billing`, {action: 'pause'}, headers)
      assert.deepEqual([r.status, r.body], [403, {message: 'FORBIDDEN'}])
    }
    assert.deepEqual((await onNodes(orders, 'billing')).map((c) => c?.paused), [false, false])
    // the read API stays open to everyone
    assert.equal((await get(`${gated}/api/topics`)).status, 200)
    const ok = await act(gated, 'POST', `/api/topics/${orders}/billing`, {action: 'pause'}, {'x-forwarded-user': 'alice'})
    assert.equal(ok.status, 200)
    assert.deepEqual((await onNodes(orders, 'billing')).map((c) => c?.paused), [true, true])
    assert.equal((await act(gated, 'POST', `/api/topics/${orders}/billing`, {action: 'unpause'}, {'x-forwarded-user': 'alice'})).status, 200)
  })

  test('/ping: OK as text', T, async () => {
    const r = await get(`${admin}/ping`)
    assert.equal(r.status, 200)
    assert.equal(r.text, 'OK')
    assert.match(r.type ?? '', /^text\/plain/)
  })

  test('/api/topics: the sorted union of the lookupd\'s topics, names only', T, async () => {
    const r = await get(`${admin}/api/topics`)
    assert.equal(r.status, 200)
    assert.equal(r.type, 'application/json; charset=utf-8')
    assertSameShape(r.body, capture('topics.json', 'GET /api/topics').body, [])
    const topics = r.body.topics as string[]
    assert.ok(topics.includes(orders) && topics.includes(events), JSON.stringify(topics))
    assert.deepEqual(topics, [...topics].sort())
    assert.equal(r.body.message, '')
    const inactive = await get(`${admin}/api/topics?inactive=true`)
    assert.deepEqual(inactive.body, {topics: {}, message: ''})
  })

  test('/api/topics/:topic on two nodes: summed, per node (sorted), and its channel summed', T, async () => {
    const r = await get(`${admin}/api/topics/${orders}`)
    assert.equal(r.status, 200)
    assertSameShape(r.body, capture('topic.json', 'GET /api/topics/orders').body, [['nodes'], ['channels'], ['channels', 'nodes']])
    const b = r.body as {node: string; depth: number; memory_depth: number; message_count: number; paused: boolean; nodes: {node: string; depth: number; message_count: number; channels: {channel_name: string; depth: number; memory_depth: number}[]}[]; channels: {node: string; channel_name: string; depth: number; message_count: number; nodes: unknown[]}[]}
    assert.equal(b.node, '*')
    // the topic has handed its messages to its channel: the topic's depth is 0, the channel's 42
    assert.equal(b.depth, 0)
    assert.equal(b.memory_depth, 0)
    assert.equal(b.message_count, 42)
    assert.equal(b.paused, false)
    assert.deepEqual(b.nodes.map((n) => n.node).sort(), [node(n1), node(n2)].sort())
    assert.deepEqual(b.nodes.map((n) => [n.node, n.message_count]).sort(), [[node(n1), 30], [node(n2), 12]].sort())
    // each node's own channel (not nsqadmin's aliased aggregate)
    for (const n of b.nodes) assert.deepEqual(n.channels.map((c) => [c.channel_name, c.depth, c.memory_depth]), [['billing', n.message_count, n.message_count]])
    assert.equal(b.channels.length, 1)
    assert.deepEqual([b.channels[0]?.node, b.channels[0]?.channel_name, b.channels[0]?.depth, b.channels[0]?.message_count, b.channels[0]?.nodes.length], ['*', 'billing', 42, 42, 2])
    assert.equal(r.body.message, '')
  })

  test('/api/topics/:topic on one node without channels: channels null at the top, [] on the node', T, async () => {
    const r = await get(`${admin}/api/topics/${events}`)
    assert.equal(r.status, 200)
    const theirs = capture('topic.json', 'GET /api/topics/events').body
    assertSameShape(r.body, theirs, [['nodes']])
    const b = r.body as {depth: number; channels: unknown; nodes: {node: string; channels: unknown[]}[]; e2e_processing_latency: unknown}
    assert.equal(b.depth, 5)
    assert.equal(b.channels, null)
    assert.deepEqual(b.nodes.map((n) => [n.node, n.channels]), [[node(n1), []]])
    assert.deepEqual(b.e2e_processing_latency, {count: 0, percentiles: null, topic: events, channel: '', host: '*'})
  })

  test('/api/topics/:topic/:channel with a consumer on both nodes: summed, per node, the clients with their node', T, async () => {
    const c = new Consumer(orders, 'billing', () => undefined, {config: {max_in_flight: 10}})
    consumers.push(c)
    await c.connectToNsqd(n1.tcpAddress, n2.tcpAddress)
    const r = await waitFor(
      'both clients and all 42 messages finished',
      async () => {
        const x = await get(`${admin}/api/topics/${orders}/billing`)
        const clients = (x.body.clients ?? []) as {finish_count: number}[]
        return clients.length === 2 && clients.reduce((s, k) => s + k.finish_count, 0) === 42 ? x : undefined
      },
      {timeoutMs: 10_000, everyMs: 100},
    )
    assert.equal(r.status, 200)
    assertSameShape(r.body, capture('channel.json', 'GET /api/topics/orders/billing').body, [['nodes'], ['clients'], ['nodes', 'clients']])
    const b = r.body as {node: string; depth: number; message_count: number; client_count: number; clients: {node: string; finish_count: number; connected: number; user_agent: string}[]; e2e_processing_latency: {topic: string; channel: string}}
    assert.deepEqual([b.node, b.depth, b.message_count, b.client_count], ['*', 0, 42, 2])
    assert.deepEqual(b.clients.map((k) => [k.node, k.finish_count]).sort(), [[node(n1), 30], [node(n2), 12]].sort())
    for (const k of b.clients) assert.ok(Number.isInteger(k.connected) && k.connected >= 0, `connected ${k.connected} ns`)
    assert.deepEqual([b.e2e_processing_latency.topic, b.e2e_processing_latency.channel], [orders, 'billing'])
  })

  test('an unknown topic: 502 UPSTREAM_ERROR from the lookupd; an unknown channel: 404 CHANNEL_NOT_FOUND', T, async () => {
    const t = await get(`${admin}/api/topics/${topicName('nope')}`)
    assert.equal(t.status, 502)
    assert.match(t.body.message as string, /^UPSTREAM_ERROR: failed to query any nsqlookupd: .*TOPIC_NOT_FOUND/)
    const c = await get(`${admin}/api/topics/${orders}/nope`)
    assert.equal(c.status, 404)
    assert.deepEqual(c.body, {message: 'CHANNEL_NOT_FOUND'})
  })

  test('/api/nodes: both nodes with their topics, seen through the lookupd', T, async () => {
    const r = await get(`${admin}/api/nodes`)
    assert.equal(r.status, 200)
    assertSameShape(r.body, capture('nodes.json', 'GET /api/nodes').body, [['nodes'], ['nodes', 'topics']])
    const ns = r.body.nodes as {remote_addresses: string[]; broadcast_address: string; http_port: number; tcp_port: number; version: string; topics: {topic: string; tombstoned: boolean}[]; out_of_date: boolean}[]
    const byPort = new Map(ns.map((n) => [n.http_port, n]))
    const one = byPort.get(n1.httpPort)
    const two = byPort.get(n2.httpPort)
    assert.ok(one && two, JSON.stringify(ns))
    assert.equal(one.tcp_port, n1.tcpPort)
    assert.equal(one.broadcast_address, '127.0.0.1')
    assert.equal(one.version, '1.3.0')
    assert.equal(one.out_of_date, false)
    assert.match(one.remote_addresses[0] ?? '', new RegExp(`^${HOST}:${lookupd.httpPort}/127\\.0\\.0\\.1:\\d+$`))
    assert.deepEqual(one.topics.filter((t) => t.topic === orders || t.topic === events).map((t) => t.topic).sort(), [events, orders].sort())
    assert.deepEqual(two.topics.filter((t) => t.topic === orders || t.topic === events), [{topic: orders, tombstoned: false}])
  })

  test('/api/nodes/:node: its topics, channels and totals; an unknown node: 404 NODE_NOT_FOUND', T, async () => {
    const r = await get(`${admin}/api/nodes/${node(n1)}`)
    assert.equal(r.status, 200)
    assertSameShape(r.body, capture('nodes.json', 'GET /api/nodes/127.0.0.1:14151').body, [['topics']])
    const ts = (r.body.topics as {topic_name: string; message_count: number}[]).filter((t) => t.topic_name === orders || t.topic_name === events)
    assert.deepEqual(ts.map((t) => [t.topic_name, t.message_count]).sort(), [[events, 5], [orders, 30]].sort())
    assert.ok((r.body.total_messages as number) >= 35)
    const none = await get(`${admin}/api/nodes/1.2.3.4:5`)
    assert.equal(none.status, 404)
    assert.deepEqual(none.body, {message: 'NODE_NOT_FOUND'})
  })

  test('/api/counter: each channel\'s message_count per node', T, async () => {
    const r = await get(`${admin}/api/counter`)
    assert.equal(r.status, 200)
    const stats = r.body.stats as Record<string, {node: string; topic_name: string; channel_name: string; message_count: number}>
    assert.deepEqual(stats[`${orders}:billing:${node(n1)}`], {node: node(n1), topic_name: orders, channel_name: 'billing', message_count: 30})
    assert.deepEqual(stats[`${orders}:billing:${node(n2)}`], {node: node(n2), topic_name: orders, channel_name: 'billing', message_count: 12})
  })

  test('the router: an unknown path 404 NOT_FOUND, a wrong method 405 METHOD_NOT_ALLOWED', T, async () => {
    const missing = await get(`${admin}/static/nope.js`)
    assert.deepEqual([missing.status, missing.text, missing.type], [404, 'NOT_FOUND', 'text/plain; charset=utf-8'])
    const a = await get(`${admin}/api/nope`)
    assert.deepEqual([a.status, a.body], [404, capture('misc.json', 'GET /api/nope').body])
    const b = await get(`${admin}/api/counter`, {method: 'POST'})
    assert.deepEqual([b.status, b.body], [405, capture('misc.json', 'POST /api/counter').body])
  })
})

describe('nsqd mode, one address dead', {concurrency: false}, () => {
  test('the live nodes\' data, and a WARNING naming the dead address', T, async () => {
    const a = await startServe()
    const b = await startServe()
    children.push(a, b)
    const t = topicName('nsqd_mode')
    await createChannel(a.httpPort, t, 'c')
    await createChannel(b.httpPort, t, 'c')
    await mpub(a.httpPort, t, ['1', '2', '3'])
    await mpub(b.httpPort, t, ['4'])
    const dead = `${HOST}:${await unusedPort()}`
    const {url} = await startAdmin([`--nsqd-http-address=${HOST}:${a.httpPort}`, `--nsqd-http-address=${HOST}:${b.httpPort}`, `--nsqd-http-address=${dead}`])
    const topics = await get(`${url}/api/topics`)
    assert.equal(topics.status, 200)
    assert.ok((topics.body.topics as string[]).includes(t))
    assert.match(topics.body.message as string, new RegExp(`^WARNING: .*${dead.replace(/\./g, '\\.')}`))
    const nodes = await get(`${url}/api/nodes`)
    assertSameShape(nodes.body, capture('nodes.json', 'GET /api/nodes  [--nsqd-http-address instance, one address dead]').body, [['nodes']])
    const ns = nodes.body.nodes as {remote_addresses: unknown; remote_address: string; http_port: number}[]
    assert.deepEqual(ns.map((n) => n.http_port).sort(), [a.httpPort, b.httpPort].sort())
    for (const n of ns) assert.deepEqual([n.remote_addresses, n.remote_address], [null, ''])
    assert.match(nodes.body.message as string, /^WARNING: /)
    const topic = await get(`${url}/api/topics/${t}`)
    assert.equal(topic.status, 200)
    assert.equal(topic.body.message_count, 4)
    assert.deepEqual((topic.body.channels as {channel_name: string; depth: number}[]).map((c) => [c.channel_name, c.depth]), [['c', 4]])
    assert.match(topic.body.message as string, /^WARNING: /)
  })
})

describe('rates without Graphite: the admin samples the nodes\' /stats', () => {
  test('a producer at work: /metrics and the Streams page show its topic\'s messages per second; the depth sparkline appears', T, async () => {
    const s = await startServe()
    children.push(s)
    const t = topicName('rates')
    await createChannel(s.httpPort, t, 'c')
    const {url} = await startAdmin([`--nsqd-http-address=${HOST}:${s.httpPort}`, '--sample-interval=300ms'])
    // ~10 messages every 100 ms for 2 s: ~100 msgs/s
    const stop = Date.now() + 2000
    while (Date.now() < stop) {
      await mpub(s.httpPort, t, Array.from({length: 10}, (_, i) => `m${i}`))
      await new Promise((r) => setTimeout(r, 100))
    }
    const metrics = await get(`${url}/metrics`)
    assert.equal(metrics.status, 200)
    assert.match(metrics.type ?? '', /^text\/plain; version=0\.0\.4/)
    assert.match(metrics.text, /^# TYPE nsq_topic_depth gauge$/m)
    const total = Number(new RegExp(`^nsq_topic_messages_total\\{topic="${t}",node="${HOST}:${s.httpPort}"\\} (\\d+)$`, 'm').exec(metrics.text)?.[1])
    assert.ok(total >= 100, `nsq_topic_messages_total ${total}`)
    const perSecond = Number(new RegExp(`^nsq_topic_messages_per_second\\{topic="${t}"\\} (\\S+)$`, 'm').exec(metrics.text)?.[1])
    assert.ok(perSecond > 20 && perSecond < 1000, `nsq_topic_messages_per_second ${perSecond}`)
    assert.match(metrics.text, new RegExp(`^nsq_channel_depth\\{topic="${t}",channel="c"\\} \\d+$`, 'm'))
    const page = await get(`${url}/`)
    const row = new RegExp(`<tr data-topic="${t}">.*?</tr>`, 's').exec(page.text)?.[0] ?? ''
    assert.match(row, /<td class="rate">\d+(\.\d)?<\/td>/)
    assert.match(row, /<svg class="spark"/)
  })
})

describe('a node that left: lookupd forgets a node that stops cleanly; the pages say so', () => {
  test('after a node stopped, every page has a banner naming it and when it was last seen', T, async () => {
    const l = await startLookupd()
    children.push(l)
    const a = await startServe([`--lookupd-tcp-address=${l.tcpAddress}`, '--broadcast-address=127.0.0.1'])
    const b = await startServe([`--lookupd-tcp-address=${l.tcpAddress}`, '--broadcast-address=127.0.0.1'])
    children.push(a, b)
    const t = topicName('left')
    await createChannel(a.httpPort, t, 'c')
    await createChannel(b.httpPort, t, 'c')
    const {url} = await startAdmin([`--lookupd-http-address=${HOST}:${l.httpPort}`, '--sample-interval=200ms'])
    await waitFor('both nodes in /api/nodes', async () => ((await get(`${url}/api/nodes`)).body.nodes as unknown[] | null)?.length === 2 || undefined, {timeoutMs: 10_000, everyMs: 100})
    await new Promise((r) => setTimeout(r, 500)) // a sample or two with both
    assert.doesNotMatch((await get(`${url}/`)).text, /node-gone/)
    await b.stop()
    const html = await waitFor('the banner', async () => {
      const x = await get(`${url}/topics/${t}`)
      return /node-gone/.test(x.text) ? x.text : undefined
    }, {timeoutMs: 10_000, everyMs: 200})
    assert.match(html, new RegExp(`Node ${HOST}:${b.httpPort} has not been seen since \\d\\d:\\d\\d:\\d\\d UTC`))
    // nsqadmin's own answer shows nothing of it: the lookupd forgot the node
    assert.equal(((await get(`${url}/api/topics/${t}`)).body.nodes as unknown[]).length, 1)
  })
})

describe('--base-path: every route under a prefix (behind a proxy)', () => {
  test('the API, the pages and their links under /nsq/; nothing at the root', T, async () => {
    const s = await startServe()
    children.push(s)
    const t = topicName('based')
    await createChannel(s.httpPort, t, 'c')
    const {url} = await startAdmin([`--nsqd-http-address=${HOST}:${s.httpPort}`, '--base-path=nsq/'])
    assert.equal((await get(`${url}/nsq/ping`)).text, 'OK')
    assert.ok(((await get(`${url}/nsq/api/topics`)).body.topics as string[]).includes(t))
    const page = await get(`${url}/nsq/`)
    assert.equal(page.status, 200)
    assert.match(page.text, new RegExp(`<a href="/nsq/topics/${t}">`))
    assert.match(page.text, /src="\/nsq\/static\/admin\.js"/)
    assert.equal((await get(`${url}/nsq/static/admin.js`)).status, 200)
    for (const outside of ['/', '/api/topics', '/ping']) assert.equal((await get(`${url}${outside}`)).status, 404, outside)
  })
})

describe('built-in login: --basic-auth-file', () => {
  test('no credentials or a wrong password 401 (the browser asks), /ping open; a read-only user reads, the admin user acts', T, async () => {
    const s = await startServe()
    children.push(s)
    const t = topicName('login')
    await createChannel(s.httpPort, t, 'c')
    const lines: string[] = []
    for (const [user, password] of [['alice', 'wonder land'], ['bob', 'builder']]) {
      const r = await runCli([...NSQKIT, 'admin', `--hash-password=${user}`], {input: `${password}\n`})
      assertExit(r, 0)
      assert.match(r.stdout, new RegExp(`^${user}:scrypt:[0-9a-f]{32}:[0-9a-f]{64}\n$`))
      lines.push(r.stdout)
    }
    const dir = mkdtempSync(join(tmpdir(), 'nsqkit-admin-login-'))
    const file = join(dir, 'users')
    writeFileSync(file, `# who may log in\n${lines.join('')}`)
    try {
      const {url, child} = await startAdmin([`--nsqd-http-address=${HOST}:${s.httpPort}`, `--basic-auth-file=${file}`, '--admin-user=alice', '--graphite-url=http://graphite.example'])
      assert.match(child.stderr(), /WARNING: --graphite-url is accepted for nsqadmin's command lines and not acted on/)
      const basic = (u: string, pw: string): Record<string, string> => ({authorization: `Basic ${Buffer.from(`${u}:${pw}`).toString('base64')}`})
      const none = await fetch(`${url}/api/topics`)
      assert.equal(none.status, 401)
      assert.match(none.headers.get('www-authenticate') ?? '', /^Basic realm="nsqadmin"/)
      assert.equal((await get(`${url}/`, {headers: basic('bob', 'wrong')})).status, 401)
      // after a failed login that peer waits 250 ms before another is even tried (guesses cannot take the loop)
      assert.equal((await get(`${url}/api/topics`, {headers: basic('bob', 'builder')})).status, 401)
      await new Promise((r) => setTimeout(r, 300))
      assert.equal((await get(`${url}/ping`)).text, 'OK')
      const bob = await get(`${url}/api/topics`, {headers: basic('bob', 'builder')})
      assert.equal(bob.status, 200)
      assert.ok((bob.body.topics as string[]).includes(t))
      const page = await get(`${url}/topics/${t}`, {headers: basic('bob', 'builder')})
      assert.doesNotMatch(page.text, /<button class="action/)
      const forbidden = await get(`${url}/api/topics/${t}`, {method: 'POST', body: JSON.stringify({action: 'pause'}), headers: basic('bob', 'builder')})
      assert.equal(forbidden.status, 403)
      const ok = await get(`${url}/api/topics/${t}`, {method: 'POST', body: JSON.stringify({action: 'pause'}), headers: basic('alice', 'wonder land')})
      assert.deepEqual([ok.status, ok.body], [200, {message: ''}])
      const alicePage = await get(`${url}/topics/${t}`, {headers: basic('alice', 'wonder land')})
      assert.match(alicePage.text, /UnPause Topic/)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  test('an unreadable or malformed --basic-auth-file: exit 2, one line naming the flag', T, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsqkit-admin-login-'))
    try {
      const bad = join(dir, 'bad')
      writeFileSync(bad, 'alice:plaintext\n')
      for (const [file, line] of [[join(dir, 'missing'), /^admin: --basic-auth-file: cannot read .*ENOENT/], [bad, /^admin: --basic-auth-file: line 1: not user:scrypt:/]] as const) {
        const r = await runCli([...NSQKIT, 'admin', '--nsqd-http-address=127.0.0.1:4151', `--basic-auth-file=${file}`])
        assertExit(r, 2)
        assertOneLine(r, line)
      }
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('serve --lookupd --admin: a one-machine cluster with its UI (what npm start runs)', () => {
  test('the broker, its lookupd and the admin in one process: the UI lists what is published there', T, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nsqkit-admin-serve-'))
    const child = spawnCli([...NSQKIT, 'serve', '--lookupd', '--admin', '--tcp-address=127.0.0.1:0', '--http-address=127.0.0.1:0', '--embedded-lookupd-tcp-address=127.0.0.1:0', '--embedded-lookupd-http-address=127.0.0.1:0', '--embedded-admin-http-address=127.0.0.1:0', `--data-path=${dir}`])
    try {
      const admin = await waitFor(() => `the admin's listening line (stderr: ${child.stderr()})`, () => /\[nsqadmin\] .*HTTP: listening on (\S+)/.exec(child.stderr())?.[1], {timeoutMs: 15_000, everyMs: 20})
      const http = /\[nsqd\] .*HTTP: listening on (\S+)/.exec(child.stderr())?.[1]
      assert.ok(http, child.stderr())
      const t = topicName('embedded')
      const res = await fetch(`http://${http}/pub?topic=${t}`, {method: 'POST', body: 'hello'})
      assert.equal(res.status, 200)
      const r = await waitFor('the topic in the UI\'s API', async () => {
        const x = await get(`http://${admin}/api/topics/${t}`)
        return x.status === 200 ? x : undefined
      }, {timeoutMs: 20_000, everyMs: 200})
      assert.deepEqual([r.body.depth, r.body.message_count, (r.body.nodes as unknown[]).length], [1, 1, 1])
      const html = await fetch(`http://${admin}/`)
      assert.match(await html.text(), new RegExp(`<a href="/topics/${t}">${t}</a>`))
    } finally {
      child.proc.kill('SIGTERM')
      await child.done
      rmSync(dir, {recursive: true, force: true})
    }
  })
})

describe('misuse', {concurrency: true}, () => {
  const cases: [string[], RegExp][] = [
    [[], /--nsqd-http-address or --lookupd-http-address required/],
    [['--nsqd-http-address=127.0.0.1:4151', '--lookupd-http-address=127.0.0.1:4161'], /use --nsqd-http-address or --lookupd-http-address not both/],
    [['--lookupd-http-address=nope'], /^admin: --lookupd-http-address: /],
  ]
  for (const [args, line] of cases) {
    test(`nsqkit admin ${args.join(' ')}: one line, exit 2`, T, async () => {
      const r = await runCli([...NSQKIT, 'admin', ...args])
      assertExit(r, 2)
      assertOneLine(r, line)
    })
  }
  test('nsqadmin -version: its version line, exit 0', T, async () => {
    const r = await runCli([...shim('nsqadmin'), '-version'])
    assertExit(r, 0)
    assert.match(r.stdout, /^nsqadmin v1\.3\.0 \(nsqkit v\S+\)\n$/)
  })
})
