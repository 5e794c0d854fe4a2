/**
 * /stats (NSQ-SPEC §2.4) against the real nsqd 1.3.0 captures (test/fixtures/nsqd-1.3.0): the
 * capture scenario of stats_1topic_1channel_1client.{json,txt} is replayed on an in-process
 * broker and the answers are compared key by key (same keys, same order, same values except the
 * ones that legitimately differ between runs), plus the query parameters, sorting and producers.
 */
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'

import {fin, identify, pub, rdy, sub, type Message} from '../../src/core/protocol/index.js'
import {startBroker, type TestBroker} from '../helpers/broker.js'
import {parseHttpAnswer, readCapture as readRef} from '../helpers/nsqd-captures.js'
import {RawClient} from '../helpers/raw-client.js'

/** An answer captured with `curl -i` (an http_*.txt case, or stats_json_headers.txt). */
function refHttp(name: string): {headers: Record<string, string>; body: string} {
  const a = parseHttpAnswer(readRef(name))
  if (!a) throw new Error(`${name}: no HTTP status line`)
  return a
}

/** The JSON body of a captured answer. */
const refHttpJson = (name: string): unknown => JSON.parse(refHttp(name).body.trim())

type Json = null | boolean | number | string | Json[] | {[k: string]: Json}

const isObj = (v: unknown): v is Record<string, Json> => typeof v === 'object' && v !== null && !Array.isArray(v)
const nowS = (): number => Math.floor(Date.now() / 1000)

interface CompareOpts {
  /** the local ports of our test clients, by remote_address the broker should report */
  clientPorts?: number[]
}

/**
 * Compare `got` with the capture `exp`: same keys in the same order at every level and the
 * same values, except the ones that differ between runs (remote_address, connect_ts,
 * start_time, the top-level version, and the Go runtime figures under "memory").
 */
function compareWithCapture(got: unknown, exp: unknown, opts: CompareOpts = {}, path = '$'): void {
  if (Array.isArray(exp)) {
    assert.ok(Array.isArray(got), `${path}: expected an array, got ${JSON.stringify(got)}`)
    assert.equal(got.length, exp.length, `${path}: array length`)
    exp.forEach((e, i) => compareWithCapture(got[i], e, opts, `${path}[${i}]`))
    return
  }
  if (isObj(exp)) {
    assert.ok(isObj(got), `${path}: expected an object, got ${JSON.stringify(got)}`)
    assert.deepEqual(Object.keys(got), Object.keys(exp), `${path}: keys (and their order)`)
    for (const k of Object.keys(exp)) {
      const p = `${path}.${k}`
      const g: Json = got[k] as Json
      if (k === 'remote_address') {
        assert.ok(typeof g === 'string' && /^127\.0\.0\.1:\d+$/.test(g), `${p}: ${String(g)}`)
        if (opts.clientPorts) assert.ok(opts.clientPorts.includes(Number(g.split(':')[1])), `${p}: ${g} is not one of our clients' ports ${opts.clientPorts.join(',')}`)
      } else if (k === 'connect_ts' || (k === 'start_time' && path === '$')) {
        assert.ok(typeof g === 'number' && Number.isInteger(g) && Math.abs(g - nowS()) < 300, `${p}: ${String(g)} is not unix seconds near now`)
      } else if (k === 'version' && path === '$') {
        assert.ok(typeof g === 'string' && g.length > 0, `${p}: ${String(g)}`)
      } else if (k === 'memory' && path === '$') {
        assert.ok(isObj(g), `${p}: expected an object`)
        assert.deepEqual(Object.keys(g), Object.keys(exp[k] as object), `${p}: keys (and their order)`)
        for (const [mk, mv] of Object.entries(g)) assert.ok(typeof mv === 'number' && Number.isInteger(mv) && mv >= 0, `${p}.${mk}: ${String(mv)}`)
      } else {
        compareWithCapture(g, exp[k], opts, p)
      }
    }
    return
  }
  assert.deepEqual(got, exp, `${path}: value`)
}

async function getJson(b: TestBroker, query: string): Promise<{res: Response; doc: Record<string, Json>}> {
  const res = await b.http(`/stats?format=json${query}`)
  assert.equal(res.status, 200)
  const doc = (await res.json()) as Record<string, Json>
  return {res, doc}
}

/** Wait until `fn` is true (the broker's state is updated asynchronously to the wire). */
async function until(what: string, fn: () => Promise<boolean>, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms
  for (;;) {
    if (await fn()) return
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('/stats: the capture scenario (1 topic, 1 channel, 1 client)', () => {
  let b: TestBroker
  let consumer: RawClient

  before(async () => {
    b = await startBroker()
    // 4 messages of 5 bytes over HTTP (message_bytes 20), before any channel exists
    for (let i = 1; i <= 4; i++) {
      const r = await b.http('/pub?topic=ref_topic', {method: 'POST', body: `msg-${i}`})
      assert.equal(r.status, 200)
      await r.arrayBuffer()
    }
    consumer = await RawClient.connect(b.tcpPort)
    consumer.send(identify({client_id: 'ref-consumer', hostname: 'ref-host', user_agent: 'anchors-hold-consumer/1.0', feature_negotiation: false}))
    assert.equal(await consumer.response(), 'OK')
    consumer.send(sub('ref_topic', 'ref_channel'))
    assert.equal(await consumer.response(), 'OK')
    consumer.send(rdy(2))
    const m1: Message = await consumer.message()
    await consumer.message()
    consumer.send(fin(m1.id))
    await consumer.message()
    // in flight 2, depth 1, fin 1, msgs 3
    await until('the capture state', async () => {
      const s = await b.stats()
      const c = s.topics?.[0]?.channels[0]
      return c?.in_flight_count === 2 && c.depth === 1 && c.clients?.[0]?.finish_count === 1
    })
  })

  after(async () => {
    consumer?.close()
    await b?.close()
  })

  test('JSON: same structure and values as stats_1topic_1channel_1client.json', async () => {
    const {res, doc} = await getJson(b, '')
    const captured = refHttp('stats_json_headers.txt').headers
    assert.equal(res.headers.get('content-type'), captured['content-type'])
    assert.equal(res.headers.get('x-nsq-content-type'), captured['x-nsq-content-type'])
    compareWithCapture(doc, JSON.parse(readRef('stats_1topic_1channel_1client.json')), {clientPorts: [consumer.socket.localPort as number]})
  })

  test('JSON: include_clients=false matches stats_include_clients_false.json (clients null, producers null, client_count kept)', async () => {
    const {doc} = await getJson(b, '&include_clients=false')
    compareWithCapture(doc, JSON.parse(readRef('stats_include_clients_false.json')))
    const ch = (doc.topics as {channels: {clients: unknown; client_count: number}[]}[])[0]?.channels[0]
    assert.equal(ch?.clients, null)
    assert.equal(ch?.client_count, 1)
    assert.equal(doc.producers, null)
    // "0" means false as well
    compareWithCapture((await getJson(b, '&include_clients=0')).doc, JSON.parse(readRef('stats_include_clients_false.json')))
  })

  test('JSON: topic + channel filter matches stats_topic_channel_filter.json', async () => {
    const {doc} = await getJson(b, '&topic=ref_topic&channel=ref_channel')
    compareWithCapture(doc, JSON.parse(readRef('stats_topic_channel_filter.json')), {clientPorts: [consumer.socket.localPort as number]})
  })

  test('JSON: a missing topic gives "topics":null, as in http_stats_missing_topic.txt', async () => {
    const {doc} = await getJson(b, '&topic=missing_topic')
    compareWithCapture(doc, refHttpJson('http_stats_missing_topic.txt'))
    assert.equal(doc.topics, null)
  })

  test('JSON: include_mem=false drops the "memory" key', async () => {
    const {doc} = await getJson(b, '&include_mem=false')
    assert.deepEqual(Object.keys(doc), ['version', 'health', 'start_time', 'topics', 'producers'])
    const withMem = (await getJson(b, '&include_mem=true')).doc
    assert.deepEqual(Object.keys(withMem), ['version', 'health', 'start_time', 'topics', 'memory', 'producers'])
  })

  test('text (the default format): matches stats_1topic_1channel_1client.txt line by line', async () => {
    const res = await b.http('/stats')
    assert.equal(res.status, 200)
    assert.equal(res.headers.get('x-nsq-content-type'), 'nsq; version=1.0')
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/)
    const got = await res.text()
    const exp = readRef('stats_1topic_1channel_1client.txt')
    const gotLines = normaliseText(got)
    const expLines = normaliseText(exp)
    // the weak form first (clearer failure): same line count and same prefixes up to the first digit
    assert.equal(gotLines.length, expLines.length, `line count\n--- got\n${got}\n--- expected\n${exp}`)
    const prefix = (l: string): string => l.replace(/\d.*$/s, '')
    assert.deepEqual(gotLines.map(prefix), expLines.map(prefix))
    // then the whole normalised text
    assert.deepEqual(gotLines, expLines)
  })
})

/**
 * Normalise nsqd's text stats: the build line, dates, Go durations, client ports and the
 * Go runtime figures differ between runs; everything else (padding included) must not.
 */
function normaliseText(text: string): string[] {
  const DUR = '(?:\\d+(?:\\.\\d+)?(?:h|m|s|ms|µs|us|ns))+'
  return text
    .replace(/\r\n/g, '\n')
    .split('\n')
    .map((l) =>
      l
        .replace(/^nsqd v(\S+) \(built w\/.*\)$/, 'nsqd v$1 (built w/X)')
        .replace(/^start_time .*$/, 'start_time <date>')
        .replace(new RegExp(`^uptime ${DUR}$`), 'uptime <dur>')
        .replace(new RegExp(`connected: ${DUR}$`), 'connected: <dur>')
        .replace(/^( {3}\S+\s*\t)\d+$/, '$1<n>')
        .replace(/(\[V2 [^\]:]*):\d+ /, '$1:<port> '),
    )
}

describe('/stats: filters, sorting, producers', () => {
  let b: TestBroker
  const clients: RawClient[] = []

  before(async () => {
    b = await startBroker()
  })

  after(async () => {
    for (const c of clients) c.close()
    await b.close()
  })

  const post = async (path: string, body?: string): Promise<void> => {
    const r = await b.http(path, {method: 'POST', ...(body === undefined ? {} : {body})})
    assert.equal(r.status, 200, `${path}: ${await r.text()}`)
  }

  test('no topics: "topics":[] and "producers":null; text says "Topics: None" / "Producers: None"', async () => {
    const {doc} = await getJson(b, '')
    assert.deepEqual(doc.topics, [])
    assert.equal(doc.producers, null)
    const text = await (await b.http('/stats')).text()
    assert.match(text, /\nTopics: None\n/)
    assert.match(text, /\nProducers: None\n$/)
  })

  test('topics and channels are sorted by name', async () => {
    for (const t of ['zeta', 'alpha', 'mid', 'Beta']) await post(`/topic/create?topic=${t}`)
    for (const c of ['zz', 'aa', 'mm', 'AA']) await post(`/channel/create?topic=mid&channel=${c}`)
    const {doc} = await getJson(b, '')
    const topics = doc.topics as {topic_name: string; channels: {channel_name: string}[]}[]
    // byte order, as Go's string comparison
    assert.deepEqual(
      topics.map((t) => t.topic_name),
      ['Beta', 'alpha', 'mid', 'zeta'],
    )
    assert.deepEqual(
      topics.find((t) => t.topic_name === 'mid')?.channels.map((c) => c.channel_name),
      ['AA', 'aa', 'mm', 'zz'],
    )
    // text: the same order
    const text = await (await b.http('/stats')).text()
    const order = [...text.matchAll(/^ {3}\[(\S+)\s*\]/gm)].map((m) => m[1])
    assert.deepEqual(order, ['Beta', 'alpha', 'mid', 'zeta'])
  })

  test('channel filter: only that channel; topics without it are left out', async () => {
    await post('/topic/create?topic=cf_one')
    await post('/channel/create?topic=cf_one&channel=wanted')
    await post('/channel/create?topic=cf_one&channel=other')
    await post('/topic/create?topic=cf_two')
    await post('/channel/create?topic=cf_two&channel=other')
    const one = (await getJson(b, '&topic=cf_one&channel=wanted')).doc.topics as {topic_name: string; channels: {channel_name: string}[]}[]
    assert.deepEqual(
      one.map((t) => [t.topic_name, t.channels.map((c) => c.channel_name)]),
      [['cf_one', ['wanted']]],
    )
    // channel filter alone: every topic that has the channel
    const all = (await getJson(b, '&channel=wanted')).doc.topics as {topic_name: string; channels: {channel_name: string}[]}[]
    assert.deepEqual(
      all.map((t) => [t.topic_name, t.channels.map((c) => c.channel_name)]),
      [['cf_one', ['wanted']]],
    )
    // a channel nobody has: an empty list, not null
    assert.deepEqual((await getJson(b, '&topic=cf_two&channel=wanted')).doc.topics, [])
  })

  test('a TCP producer appears in "producers" with one pub_counts entry', async () => {
    const p = await RawClient.connect(b.tcpPort)
    clients.push(p)
    p.send(identify({client_id: 'prod', hostname: 'prod-host', user_agent: 'prod-agent/1.0', feature_negotiation: false}))
    assert.equal(await p.response(), 'OK')
    p.send(pub('prod_b', 'x'), pub('prod_b', 'y'), pub('prod_a', 'z'))
    for (let i = 0; i < 3; i++) assert.equal(await p.response(), 'OK')
    // a consumer that never published is not a producer
    const c = await RawClient.connect(b.tcpPort)
    clients.push(c)
    c.send(sub('prod_a', 'ch'))
    assert.equal(await c.response(), 'OK')

    const {doc} = await getJson(b, '')
    const producers = doc.producers as Record<string, Json>[]
    assert.ok(Array.isArray(producers), `producers: ${JSON.stringify(doc.producers)}`)
    assert.equal(producers.length, 1)
    const pr = producers[0] as Record<string, Json>
    assert.equal(pr.client_id, 'prod')
    assert.equal(pr.hostname, 'prod-host')
    assert.equal(pr.user_agent, 'prod-agent/1.0')
    assert.equal(pr.remote_address, `127.0.0.1:${p.socket.localPort}`)
    // pub_counts: one entry (nsqd's `break`), between user_agent and tls
    const pc = pr.pub_counts as {topic: string; count: number}[]
    assert.equal(pc.length, 1)
    assert.ok((pc[0]?.topic === 'prod_b' && pc[0].count === 2) || (pc[0]?.topic === 'prod_a' && pc[0].count === 1), JSON.stringify(pc))
    const keys = Object.keys(pr)
    assert.equal(keys.indexOf('pub_counts'), keys.indexOf('user_agent') + 1)
    assert.equal(keys[keys.indexOf('pub_counts') + 1], 'tls')
    // consumers never carry pub_counts
    const chClients = (doc.topics as {topic_name: string; channels: {clients: Record<string, Json>[]}[]}[]).find((t) => t.topic_name === 'prod_a')?.channels[0]?.clients
    assert.equal(chClients?.length, 1)
    assert.equal('pub_counts' in (chClients?.[0] ?? {}), false)
    // include_clients=false: producers null
    assert.equal((await getJson(b, '&include_clients=false')).doc.producers, null)
  })

  test('producers with a topic filter: pub_counts only for that topic (client.Stats(topic))', async () => {
    // the producer of the previous test published prod_b first, then prod_a
    const a = (await getJson(b, '&topic=prod_a')).doc.producers as Record<string, Json>[]
    assert.equal(a?.length, 1)
    assert.deepEqual(a[0]?.pub_counts, [{topic: 'prod_a', count: 1}])
    const bb = (await getJson(b, '&topic=prod_b')).doc.producers as Record<string, Json>[]
    assert.deepEqual(bb?.[0]?.pub_counts, [{topic: 'prod_b', count: 2}])
    // a topic it never published to: still listed (it is a producer), without pub_counts
    await post('/topic/create?topic=prod_none')
    const none = (await getJson(b, '&topic=prod_none')).doc.producers as Record<string, Json>[]
    assert.equal(none?.length, 1)
    assert.equal('pub_counts' in (none[0] ?? {}), false, JSON.stringify(none[0]))
  })

  test('a missing topic filter gives "producers":null too (nsqd returns before collecting them)', async () => {
    const {doc} = await getJson(b, '&topic=no_such_topic')
    assert.equal(doc.topics, null)
    assert.equal(doc.producers, null)
  })

  test('text: producers as nsqd prints them ("msgs: N topics: t=n connected: D")', async () => {
    // no topic filter, so this does not depend on the filter: either pub_counts entry may show
    const text = await (await b.http('/stats')).text()
    const at = text.indexOf('\nProducers:\n')
    assert.ok(at >= 0, `no "Producers:" section:\n${text}`)
    const lines = text.slice(at + '\nProducers:\n'.length).split('\n')
    const p = clients[0] as RawClient
    // "   [%s %-21s] msgs: %-8d topics: %s connected: %s" (ClientV2Stats.String)
    assert.match(
      lines[0] as string,
      new RegExp(`^ {3}\\[V2 prod-host:${p.socket.localPort} prod-agent/1\\.0\\] msgs: (?:2 {8}topics: prod_b=2|1 {8}topics: prod_a=1) connected: \\d+s$`),
      text.slice(at),
    )
    assert.deepEqual(lines.slice(1), [''], `one line per producer, nothing after it:\n${text.slice(at)}`)
  })
})
