/**
 * nsqlookupd's HTTP API (NSQ-SPEC §3.3) against an in-process Lookupd, over real HTTP (fetch):
 * every route's status, exact body and headers — `X-NSQ-Content-Type: nsq; version=1.0` on the
 * V1 routes (go-nsq reads a bare JSON body only with it), `{"message":"CODE"}` errors, 405 with
 * Allow, Go's key order — and /debug's int64 nanoseconds, read from the raw text.
 */
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'

import {withLookupd, type TestLookupd} from '../helpers/lookupd-wire.js'

const T = {timeout: 15_000}
const V1 = 'nsq; version=1.0'
const JSON_CT = 'application/json; charset=utf-8'
const TEXT_CT = 'text/plain; charset=utf-8'
const GO_ZERO_TIME_NS = '-6795364578871345152'
const esc = (t: string): string => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

interface Answer {
  status: number
  headers: Headers
  text: string
}

async function answer(l: TestLookupd, path: string, method = 'GET'): Promise<Answer> {
  const r = await l.http(path, {method})
  return {status: r.status, headers: r.headers, text: await r.text()}
}

/** 200, V1, JSON: the exact body text */
async function expectJson(l: TestLookupd, path: string, body: string): Promise<void> {
  const a = await answer(l, path)
  assert.equal(a.status, 200, `GET ${path}: ${a.text}`)
  assert.equal(a.headers.get('x-nsq-content-type'), V1, path)
  assert.equal(a.headers.get('content-type'), JSON_CT, path)
  assert.equal(a.text, body, path)
}

/** an error: its status, V1, JSON, `{"message":"CODE"}` */
async function expectError(l: TestLookupd, path: string, method: string, status: number, code: string): Promise<Answer> {
  const a = await answer(l, path, method)
  assert.equal(a.status, status, `${method} ${path}: ${a.text}`)
  assert.equal(a.text, `{"message":"${code}"}`, `${method} ${path}`)
  assert.equal(a.headers.get('x-nsq-content-type'), V1, `${method} ${path}`)
  assert.equal(a.headers.get('content-type'), JSON_CT, `${method} ${path}`)
  return a
}

/** a POST that succeeds: 200, V1, an empty body with no content type (Go's nil result) */
async function expectPostOk(l: TestLookupd, path: string): Promise<void> {
  const a = await answer(l, path, 'POST')
  assert.equal(a.status, 200, `POST ${path}: ${a.text}`)
  assert.equal(a.text, '')
  assert.equal(a.headers.get('x-nsq-content-type'), V1)
  assert.equal(a.headers.get('content-type'), null)
}

describe('GET /ping and /info', () => {
  test('/ping: text "OK", no X-NSQ-Content-Type', T, async () => {
    await withLookupd({}, async (l) => {
      const a = await answer(l, '/ping')
      assert.equal(a.status, 200)
      assert.equal(a.text, 'OK')
      assert.equal(a.headers.get('content-type'), TEXT_CT)
      assert.equal(a.headers.get('x-nsq-content-type'), null)
    })
  })

  test('/info: {"version":"1.3.0"}, V1 JSON', T, async () => {
    await withLookupd({}, async (l) => {
      await expectJson(l, '/info', '{"version":"1.3.0"}')
    })
  })

  test('each request is logged as nsqlookupd does: status, method, path, remote, duration', T, async () => {
    await withLookupd({}, async (l) => {
      await answer(l, '/lookup?topic=nope')
      assert.ok(l.lines.some((x) => / INFO: 404 GET \/lookup\?topic=nope \(127\.0\.0\.1:\d+\) \d/.test(x)), l.lines.join(''))
    })
  })
})

describe('GET /lookup', () => {
  test('without topic → 400 MISSING_ARG_TOPIC; an unknown topic → 404 TOPIC_NOT_FOUND (an empty topic= too)', T, async () => {
    await withLookupd({}, async (l) => {
      await expectError(l, '/lookup', 'GET', 400, 'MISSING_ARG_TOPIC')
      await expectError(l, '/lookup?topic=nope', 'GET', 404, 'TOPIC_NOT_FOUND')
      await expectError(l, '/lookup?topic=', 'GET', 404, 'TOPIC_NOT_FOUND')
    })
  })

  test('a topic created over HTTP with no producer: {"channels":[],"producers":[]}', T, async () => {
    await withLookupd({}, async (l) => {
      await l.post('/topic/create?topic=t')
      await expectJson(l, '/lookup?topic=t', '{"channels":[],"producers":[]}')
    })
  })

  test('a registered producer, in Go\'s key order (channels, producers; remote_address … version)', T, async () => {
    await withLookupd({}, async (l) => {
      const c = await l.peer({broadcast_address: 'b.example', tcp_port: 4150, http_port: 4151, version: '1.3.0', hostname: 'h1'})
      assert.equal(await c.command('REGISTER t c'), 'OK')
      await expectJson(
        l,
        '/lookup?topic=t',
        `{"channels":["c"],"producers":[{"remote_address":"${c.localAddress}","hostname":"h1","broadcast_address":"b.example","tcp_port":4150,"http_port":4151,"version":"1.3.0"}]}`,
      )
    })
  })
})

describe('GET /topics, /channels, /nodes', () => {
  test('/topics: [] at first, then every topic, those without producers included', T, async () => {
    await withLookupd({}, async (l) => {
      await expectJson(l, '/topics', '{"topics":[]}')
      await l.post('/topic/create?topic=a')
      const c = await l.peer()
      assert.equal(await c.command('REGISTER b'), 'OK')
      const {topics} = await l.get<{topics: string[]}>('/topics')
      assert.deepEqual(topics.sort(), ['a', 'b'])
    })
  })

  test('/channels: missing topic → 400; an unknown topic → {"channels":[]} (no 404); then its channels', T, async () => {
    await withLookupd({}, async (l) => {
      await expectError(l, '/channels', 'GET', 400, 'MISSING_ARG_TOPIC')
      await expectJson(l, '/channels?topic=nope', '{"channels":[]}')
      await l.post('/channel/create?topic=t&channel=c1')
      await l.post('/channel/create?topic=t&channel=c2')
      await l.post('/channel/create?topic=other&channel=x')
      const {channels} = await l.get<{channels: string[]}>('/channels?topic=t')
      assert.deepEqual(channels.sort(), ['c1', 'c2'])
    })
  })

  test('/nodes: [] with no peer; a peer with its topics and tombstones in Go\'s key order', T, async () => {
    await withLookupd({}, async (l) => {
      await expectJson(l, '/nodes', '{"producers":[]}')
      const c = await l.peer({broadcast_address: 'b.example', tcp_port: 4150, http_port: 4151, version: '1.3.0', hostname: 'h1'})
      await expectJson(l, '/nodes', `{"producers":[{"remote_address":"${c.localAddress}","hostname":"h1","broadcast_address":"b.example","tcp_port":4150,"http_port":4151,"version":"1.3.0","tombstones":[],"topics":[]}]}`)
      assert.equal(await c.command('REGISTER t c'), 'OK')
      await expectJson(l, '/nodes', `{"producers":[{"remote_address":"${c.localAddress}","hostname":"h1","broadcast_address":"b.example","tcp_port":4150,"http_port":4151,"version":"1.3.0","tombstones":[false],"topics":["t"]}]}`)
    })
  })
})

describe('POST /topic/create, /topic/delete', () => {
  test('/topic/create: 400 MISSING_ARG_TOPIC / INVALID_ARG_TOPIC; 200 empty and the topic is listed; twice is fine', T, async () => {
    await withLookupd({}, async (l) => {
      await expectError(l, '/topic/create', 'POST', 400, 'MISSING_ARG_TOPIC')
      await expectError(l, '/topic/create?topic=a/b', 'POST', 400, 'INVALID_ARG_TOPIC')
      await expectError(l, '/topic/create?topic=', 'POST', 400, 'INVALID_ARG_TOPIC')
      await expectError(l, `/topic/create?topic=${'x'.repeat(65)}`, 'POST', 400, 'INVALID_ARG_TOPIC')
      await expectPostOk(l, '/topic/create?topic=t')
      await expectPostOk(l, '/topic/create?topic=t')
      await expectJson(l, '/topics', '{"topics":["t"]}')
    })
  })

  test('/topic/create of a topic a peer serves keeps the peer', T, async () => {
    await withLookupd({}, async (l) => {
      const c = await l.peer()
      assert.equal(await c.command('REGISTER t'), 'OK')
      await expectPostOk(l, '/topic/create?topic=t')
      const r = await l.get<{producers: unknown[]}>('/lookup?topic=t')
      assert.equal(r.producers.length, 1)
    })
  })

  test('/topic/delete removes the topic and all its channels (producers too); 200 when absent; 400 without topic', T, async () => {
    await withLookupd({}, async (l) => {
      await expectError(l, '/topic/delete', 'POST', 400, 'MISSING_ARG_TOPIC')
      await expectPostOk(l, '/topic/delete?topic=absent')
      const c = await l.peer()
      assert.equal(await c.command('REGISTER t c1'), 'OK')
      await l.post('/channel/create?topic=t&channel=c2')
      await l.post('/channel/create?topic=keep&channel=c1')
      await expectPostOk(l, '/topic/delete?topic=t')
      await expectError(l, '/lookup?topic=t', 'GET', 404, 'TOPIC_NOT_FOUND')
      await expectJson(l, '/channels?topic=t', '{"channels":[]}')
      await expectJson(l, '/topics', '{"topics":["keep"]}')
      await expectJson(l, '/channels?topic=keep', '{"channels":["c1"]}')
      const debug = await l.get<Record<string, unknown>>('/debug')
      assert.deepEqual(Object.keys(debug), ['client::'], 'the peer is still identified, in no topic')
      // the peer's next REGISTER brings it back
      assert.equal(await c.command('REGISTER t'), 'OK')
      assert.equal((await l.get<{producers: unknown[]}>('/lookup?topic=t')).producers.length, 1)
    })
  })
})

describe('POST /channel/create, /channel/delete', () => {
  test('/channel/create: the argument errors, topic checked before channel', T, async () => {
    await withLookupd({}, async (l) => {
      await expectError(l, '/channel/create', 'POST', 400, 'MISSING_ARG_TOPIC')
      await expectError(l, '/channel/create?channel=c', 'POST', 400, 'MISSING_ARG_TOPIC')
      await expectError(l, '/channel/create?topic=a/b', 'POST', 400, 'INVALID_ARG_TOPIC')
      await expectError(l, '/channel/create?topic=t', 'POST', 400, 'MISSING_ARG_CHANNEL')
      await expectError(l, '/channel/create?topic=t&channel=c!', 'POST', 400, 'INVALID_ARG_CHANNEL')
      await expectJson(l, '/topics', '{"topics":[]}')
    })
  })

  test('/channel/create adds the channel and its topic', T, async () => {
    await withLookupd({}, async (l) => {
      await expectPostOk(l, '/channel/create?topic=t&channel=c%23ephemeral')
      await expectJson(l, '/topics', '{"topics":["t"]}')
      await expectJson(l, '/channels?topic=t', '{"channels":["c#ephemeral"]}')
      await expectJson(l, '/lookup?topic=t', '{"channels":["c#ephemeral"],"producers":[]}')
    })
  })

  test('/channel/delete: 404 CHANNEL_NOT_FOUND when absent; removes it (with its producers), the topic stays', T, async () => {
    await withLookupd({}, async (l) => {
      await expectError(l, '/channel/delete?topic=t&channel=c', 'POST', 404, 'CHANNEL_NOT_FOUND')
      await expectError(l, '/channel/delete?topic=t', 'POST', 400, 'MISSING_ARG_CHANNEL')
      await expectError(l, '/channel/delete?channel=c', 'POST', 400, 'MISSING_ARG_TOPIC')
      const c = await l.peer()
      assert.equal(await c.command('REGISTER t c'), 'OK')
      await l.post('/channel/create?topic=t&channel=d')
      await expectPostOk(l, '/channel/delete?topic=t&channel=c')
      await expectJson(l, '/channels?topic=t', '{"channels":["d"]}')
      assert.equal((await l.get<{producers: unknown[]}>('/lookup?topic=t')).producers.length, 1, 'the topic keeps its producer')
      await expectError(l, '/channel/delete?topic=t&channel=c', 'POST', 404, 'CHANNEL_NOT_FOUND')
    })
  })
})

describe('POST /topic/tombstone', () => {
  test('400 MISSING_ARG_TOPIC / MISSING_ARG_NODE; 200 even when nothing matches', T, async () => {
    await withLookupd({}, async (l) => {
      await expectError(l, '/topic/tombstone', 'POST', 400, 'MISSING_ARG_TOPIC')
      await expectError(l, '/topic/tombstone?node=h:1', 'POST', 400, 'MISSING_ARG_TOPIC')
      await expectError(l, '/topic/tombstone?topic=t', 'POST', 400, 'MISSING_ARG_NODE')
      await expectPostOk(l, '/topic/tombstone?topic=t&node=nobody:1')
      const c = await l.peer({broadcast_address: 'n', http_port: 7})
      assert.equal(await c.command('REGISTER t'), 'OK')
      await expectPostOk(l, '/topic/tombstone?topic=t&node=n:8')
      assert.equal((await l.get<{producers: unknown[]}>('/lookup?topic=t')).producers.length, 1)
      await expectPostOk(l, '/topic/tombstone?topic=t&node=n:7')
      assert.equal((await l.get<{producers: unknown[]}>('/lookup?topic=t')).producers.length, 0)
    })
  })
})

describe('methods and paths', () => {
  test('GET on a POST route → 405 METHOD_NOT_ALLOWED with Allow', T, async () => {
    await withLookupd({}, async (l) => {
      for (const path of ['/topic/create', '/topic/delete', '/channel/create', '/channel/delete', '/topic/tombstone']) {
        const a = await expectError(l, `${path}?topic=t&channel=c&node=n:1`, 'GET', 405, 'METHOD_NOT_ALLOWED')
        const allow = (a.headers.get('allow') ?? '').split(/,\s*/)
        assert.ok(allow.includes('POST') && !allow.includes('GET'), `${path} Allow: ${a.headers.get('allow')}`)
      }
      await expectJson(l, '/topics', '{"topics":[]}')
    })
  })

  test('POST on a GET route → 405 with Allow: GET', T, async () => {
    await withLookupd({}, async (l) => {
      for (const path of ['/lookup?topic=t', '/topics', '/channels?topic=t', '/nodes', '/debug', '/info', '/ping']) {
        const a = await expectError(l, path, 'POST', 405, 'METHOD_NOT_ALLOWED')
        const allow = (a.headers.get('allow') ?? '').split(/,\s*/)
        assert.ok(allow.includes('GET') && !allow.includes('POST'), `${path} Allow: ${a.headers.get('allow')}`)
      }
    })
  })

  test('an unknown path → 404 NOT_FOUND (nsqd\'s routes are not lookupd\'s)', T, async () => {
    await withLookupd({}, async (l) => {
      for (const path of ['/nope', '/stats', '/pub?topic=t', '/topic/create/x']) await expectError(l, path, 'GET', 404, 'NOT_FOUND')
    })
  })
})

describe('GET /debug', () => {
  test('no producer: {}; a registration without producers is left out', T, async () => {
    await withLookupd({}, async (l) => {
      await expectJson(l, '/debug', '{}')
      await l.post('/channel/create?topic=t&channel=c')
      await expectJson(l, '/debug', '{}')
    })
  })

  test('keys "category:key:subkey" sorted, each entry\'s keys sorted, last_update in int64 ns, tombstoned_at Go\'s zero time', T, async () => {
    await withLookupd({}, async (l) => {
      const before = BigInt(Date.now()) * 1_000_000n
      const a = await l.peer({broadcast_address: 'nsqd-a', tcp_port: 1001, http_port: 2001, version: '1.3.0', hostname: 'ha'})
      const b = await l.peer({broadcast_address: 'nsqd-b', tcp_port: 1002, http_port: 2002, version: '1.2.1', hostname: 'hb'})
      for (const line of ['REGISTER zeta', 'REGISTER alpha c2', 'REGISTER alpha c1']) assert.equal(await a.command(line), 'OK')
      assert.equal(await b.command('REGISTER alpha c1'), 'OK')
      const after = BigInt(Date.now()) * 1_000_000n
      const res = await l.http('/debug')
      assert.equal(res.headers.get('x-nsq-content-type'), V1)
      assert.equal(res.headers.get('content-type'), JSON_CT)
      const text = await res.text()

      const entry = (p: {bc: string; host: string; http: number; id: string; tcp: number; version: string}): string =>
        `\\{"broadcast_address":"${p.bc}","hostname":"${p.host}","http_port":${p.http},"id":"${esc(p.id)}","last_update":(\\d+),"tcp_port":${p.tcp},"tombstoned":false,"tombstoned_at":${GO_ZERO_TIME_NS},"version":"${p.version}"\\}`
      const ea = entry({bc: 'nsqd-a', host: 'ha', http: 2001, id: a.localAddress, tcp: 1001, version: '1.3.0'})
      const eb = entry({bc: 'nsqd-b', host: 'hb', http: 2002, id: b.localAddress, tcp: 1002, version: '1.2.1'})
      const re = new RegExp(
        `^\\{"channel:alpha:c1":\\[(?:${ea},${eb}|${eb},${ea})\\],"channel:alpha:c2":\\[${ea}\\],"client::":\\[(?:${ea},${eb}|${eb},${ea})\\],"topic:alpha:":\\[(?:${ea},${eb}|${eb},${ea})\\],"topic:zeta:":\\[${ea}\\]\\}$`,
      )
      assert.match(text, re)
      // last_update is the IDENTIFY time in ns: beyond a double's exact range, so read as text
      const stamps = [...text.matchAll(/"last_update":(-?\d+)/g)].map((m) => BigInt(m[1] as string))
      assert.equal(stamps.length, 8)
      for (const s of stamps) assert.ok(s >= before - 1_000_000_000n && s <= after + 1_000_000_000n, `last_update ${s} not within [${before}, ${after}]`)
      // the same PeerInfo in every registration: one last_update per peer
      assert.equal(new Set(stamps).size, 2)
    })
  })

  test('a PING moves last_update; a tombstone sets tombstoned and tombstoned_at (ns) on that topic\'s entry only', T, async () => {
    await withLookupd({}, async (l) => {
      const a = await l.peer({broadcast_address: 'nsqd-a', http_port: 2001})
      assert.equal(await a.command('REGISTER t'), 'OK')
      const stamp = async (): Promise<bigint> => BigInt(/"client::":\[\{[^}]*"last_update":(\d+)/.exec(await (await l.http('/debug')).text())?.[1] ?? '0')
      const first = await stamp()
      await new Promise((r) => setTimeout(r, 5))
      assert.equal(await a.command('PING'), 'OK')
      const second = await stamp()
      assert.ok(second > first, `last_update ${second} after a PING, was ${first}`)

      await l.post('/topic/tombstone?topic=t&node=nsqd-a:2001')
      const text = await (await l.http('/debug')).text()
      const topicEntry = /"topic:t:":\[(\{[^}]*\})\]/.exec(text)?.[1] ?? ''
      const m = /"tombstoned":true,"tombstoned_at":(\d+),/.exec(topicEntry)
      assert.ok(m, `tombstoned topic entry: ${topicEntry}`)
      assert.ok(BigInt(m[1] as string) >= second, 'tombstoned_at is a time in ns, after the last update')
      assert.match(/"client::":\[(\{[^}]*\})\]/.exec(text)?.[1] ?? '', new RegExp(`"tombstoned":false,"tombstoned_at":${GO_ZERO_TIME_NS},`))
    })
  })
})
