/**
 * nsqd's HTTP API (NSQ-SPEC §2.3) against an in-process broker, over real HTTP (fetch):
 * every route, its status codes and `{"message":"CODE"}` bodies, the V1 header, and that
 * what /pub and /mpub accept really arrives at a TCP subscriber intact.
 */
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'

import {encodeMpubBody, fin, identify, rdy, sub} from '../../src/core/protocol/index.js'
import {startBroker, type TestBroker} from '../helpers/broker.js'
import {topicNames} from '../helpers/names.js'
import {RawClient} from '../helpers/raw-client.js'
import {sleep} from '../helpers/wait.js'

const V1 = 'nsq; version=1.0'
const JSON_CT = 'application/json; charset=utf-8'
const TEXT_CT = 'text/plain; charset=utf-8'
const MAX_MSG_SIZE = 1048576 // nsqd default --max-msg-size
const MAX_BODY_SIZE = 5242880 // nsqd default --max-body-size

let b: TestBroker
const clients: RawClient[] = []
/** a fresh topic name per test */
const topicName = topicNames('http')

before(async () => {
  b = await startBroker()
})

after(async () => {
  for (const c of clients) c.close()
  await b.close()
})

const post = (path: string, body?: Buffer | string): Promise<Response> => b.http(path, {method: 'POST', ...(body === undefined ? {} : {body})})

interface Answer {
  status: number
  headers: Headers
  text: string
}

async function answer(res: Response | Promise<Response>): Promise<Answer> {
  const r = await res
  return {status: r.status, headers: r.headers, text: await r.text()}
}

/** an error answer: status, V1 header, JSON content type, `{"message":"CODE"}` */
async function expectError(res: Response | Promise<Response>, status: number, code: string): Promise<Answer> {
  const a = await answer(res)
  assert.equal(a.status, status, `status (body ${a.text})`)
  assert.equal(a.text, `{"message":"${code}"}`)
  assert.equal(a.headers.get('x-nsq-content-type'), V1)
  assert.equal(a.headers.get('content-type'), JSON_CT)
  return a
}

/** a V1 "OK" text answer */
async function expectOK(res: Response | Promise<Response>): Promise<void> {
  const a = await answer(res)
  assert.equal(a.status, 200, `status (body ${a.text})`)
  assert.equal(a.text, 'OK')
  assert.equal(a.headers.get('x-nsq-content-type'), V1)
  assert.equal(a.headers.get('content-type'), TEXT_CT)
}

/** a V1 empty 200 (a nil result) */
async function expectEmpty200(res: Response | Promise<Response>): Promise<void> {
  const a = await answer(res)
  assert.equal(a.status, 200, `status (body ${a.text})`)
  assert.equal(a.text, '')
  assert.equal(a.headers.get('x-nsq-content-type'), V1)
}

async function topicStats(name: string): Promise<NonNullable<Awaited<ReturnType<TestBroker['stats']>>['topics']>[number] | undefined> {
  const s = await b.stats(`&topic=${encodeURIComponent(name)}`)
  return s.topics?.find((t) => t.topic_name === name)
}

async function subscriber(topic: string, channel: string, ready = 10): Promise<RawClient> {
  const c = await RawClient.connect(b.tcpPort)
  clients.push(c)
  c.send(identify({client_id: 'http-test', hostname: 'http-test', feature_negotiation: false}))
  assert.equal(await c.response(), 'OK')
  c.send(sub(topic, channel))
  assert.equal(await c.response(), 'OK')
  c.send(rdy(ready))
  return c
}

describe('GET /ping', () => {
  test('plain text OK without the V1 header', async () => {
    const a = await answer(b.http('/ping'))
    assert.equal(a.status, 200)
    assert.equal(a.text, 'OK')
    assert.equal(a.headers.get('content-type'), TEXT_CT)
    assert.equal(a.headers.get('x-nsq-content-type'), null)
  })
})

describe('GET /info', () => {
  test('fields in nsqd order, durations in ns, the real ports', async () => {
    const a = await answer(b.http('/info'))
    assert.equal(a.status, 200)
    assert.equal(a.headers.get('x-nsq-content-type'), V1)
    assert.equal(a.headers.get('content-type'), JSON_CT)
    const info = JSON.parse(a.text) as Record<string, unknown>
    assert.deepEqual(Object.keys(info), [
      'version',
      'broadcast_address',
      'hostname',
      'http_port',
      'tcp_port',
      'start_time',
      'max_heartbeat_interval',
      'max_output_buffer_size',
      'max_output_buffer_timeout',
      'max_deflate_level',
    ])
    assert.equal(info.version, '1.3.0')
    assert.equal(typeof info.broadcast_address, 'string')
    assert.equal(typeof info.hostname, 'string')
    assert.equal(info.http_port, b.httpPort)
    assert.equal(info.tcp_port, b.tcpPort)
    // unix seconds, not ms
    const now = Math.floor(Date.now() / 1000)
    assert.ok(typeof info.start_time === 'number' && Math.abs(info.start_time - now) < 120, `start_time ${String(info.start_time)} vs now ${now}`)
    assert.equal(info.max_heartbeat_interval, 60_000_000_000)
    assert.equal(info.max_output_buffer_size, 65536)
    assert.equal(info.max_output_buffer_timeout, 30_000_000_000)
    assert.equal(info.max_deflate_level, 6)
  })
})

describe('POST /pub', () => {
  test('OK, creates the topic, counts the message', async () => {
    const t = topicName('pub')
    await expectOK(post(`/pub?topic=${t}`, 'hello'))
    const ts = await topicStats(t)
    assert.ok(ts, 'topic created')
    assert.equal(ts.message_count, 1)
    assert.equal(ts.depth, 1)
  })

  test('a body of exactly --max-msg-size is accepted', async () => {
    const t = topicName('pubexact')
    await expectOK(post(`/pub?topic=${t}`, Buffer.alloc(MAX_MSG_SIZE, 0x61)))
  })

  test('defer=N is accepted and the message is deferred', async () => {
    const t = topicName('pubdefer')
    await expectOK(post(`/pub?topic=${t}&defer=60000`, 'later'))
    await expectOK(post(`/pub?topic=${t}&defer=0`, 'now'))
    await expectOK(post(`/pub?topic=${t}&defer=3600000`, 'max'))
  })

  test('empty body → 400 MSG_EMPTY', async () => {
    await expectError(post(`/pub?topic=${topicName('empty')}`, ''), 400, 'MSG_EMPTY')
    await expectError(post(`/pub?topic=${topicName('empty')}`), 400, 'MSG_EMPTY')
  })

  test('no topic param → 400 MISSING_ARG_TOPIC', async () => {
    await expectError(post('/pub', 'x'), 400, 'MISSING_ARG_TOPIC')
  })

  test('invalid topic → 400 INVALID_TOPIC', async () => {
    await expectError(post('/pub?topic=bad!topic', 'x'), 400, 'INVALID_TOPIC')
    await expectError(post(`/pub?topic=${'a'.repeat(65)}`, 'x'), 400, 'INVALID_TOPIC')
    await expectError(post('/pub?topic=', 'x'), 400, 'INVALID_TOPIC')
  })

  test('bad defer → 400 INVALID_DEFER', async () => {
    const t = topicName('baddefer')
    for (const d of ['-1', '3600001', 'abc', '1.5', '']) {
      await expectError(post(`/pub?topic=${t}&defer=${d}`, 'x'), 400, 'INVALID_DEFER')
    }
  })

  test('body over --max-msg-size → 413 MSG_TOO_BIG', async () => {
    const t = topicName('toobig')
    await expectError(post(`/pub?topic=${t}`, Buffer.alloc(MAX_MSG_SIZE + 1, 0x61)), 413, 'MSG_TOO_BIG')
    // and the broker is still fine afterwards
    await expectOK(post(`/pub?topic=${t}`, 'small'))
  })

  test('GET → 405 METHOD_NOT_ALLOWED with an Allow header', async () => {
    const a = await expectError(b.http(`/pub?topic=${topicName('get')}`), 405, 'METHOD_NOT_ALLOWED')
    assert.equal(a.headers.get('allow'), 'OPTIONS, POST')
  })

  test('defer=500: delivered to a subscriber only after ~500 ms', async () => {
    const t = topicName('deferdelivery')
    const c = await subscriber(t, 'ch')
    const t0 = Date.now()
    await expectOK(post(`/pub?topic=${t}&defer=500`, 'deferred-body'))
    const m = await c.message(5000)
    const elapsed = Date.now() - t0
    assert.equal(m.body.toString(), 'deferred-body')
    assert.equal(m.attempts, 1)
    assert.ok(elapsed >= 400, `delivered after ${elapsed} ms, expected >= ~500`)
    assert.ok(elapsed < 3000, `delivered after ${elapsed} ms`)
    c.send(fin(m.id))
  })
})

describe('POST /mpub', () => {
  test('text mode: one message per line', async () => {
    const t = topicName('mpub')
    await expectOK(post(`/mpub?topic=${t}`, 'a\nb\nc'))
    assert.equal((await topicStats(t))?.message_count, 3)
  })

  test('text mode: empty lines are skipped', async () => {
    const t = topicName('mpubempty')
    await expectOK(post(`/mpub?topic=${t}`, 'a\n\nb\n'))
    const ts = await topicStats(t)
    assert.equal(ts?.message_count, 2)
    assert.equal(ts?.depth, 2)
  })

  test('text mode: the messages arrive with the line bodies', async () => {
    const t = topicName('mpubtext')
    const c = await subscriber(t, 'ch')
    await expectOK(post(`/mpub?topic=${t}`, 'first line\n\nsecond line'))
    const got = [(await c.message()).body.toString(), (await c.message()).body.toString()]
    assert.deepEqual(got, ['first line', 'second line'])
    assert.ok(await c.silentFor(150), 'no third message')
  })

  test('text mode: a line over --max-msg-size → 413 MSG_TOO_BIG', async () => {
    const t = topicName('mpubline')
    await expectError(post(`/mpub?topic=${t}`, Buffer.concat([Buffer.from('ok\n'), Buffer.alloc(MAX_MSG_SIZE + 1, 0x61)])), 413, 'MSG_TOO_BIG')
  })

  test('binary=true: [count][len][body]... without a leading size; bodies arrive intact', async () => {
    const t = topicName('mpubbin')
    const c = await subscriber(t, 'ch')
    const bodies = [Buffer.from('line one\nline two\n'), Buffer.from([0x00, 0x0a, 0xff, 0x0a, 0x0a, 0x80, 0x01])]
    const payload = encodeMpubBody(bodies)
    // no leading total size: the first int32 is the message count
    assert.equal(payload.readInt32BE(0), 2)
    await expectOK(post(`/mpub?topic=${t}&binary=true`, payload))
    const m1 = await c.message()
    const m2 = await c.message()
    assert.deepEqual([m1.body, m2.body], bodies)
    assert.equal((await topicStats(t))?.message_count, 2)
  })

  test('binary=1 is binary too; binary=false and binary=0 are text', async () => {
    const t1 = topicName('mpubbin1')
    await expectOK(post(`/mpub?topic=${t1}&binary=1`, encodeMpubBody([Buffer.from('x'), Buffer.from('y'), Buffer.from('z')])))
    assert.equal((await topicStats(t1))?.message_count, 3)
    const t2 = topicName('mpubbin0')
    await expectOK(post(`/mpub?topic=${t2}&binary=false`, 'a\nb'))
    await expectOK(post(`/mpub?topic=${t2}&binary=0`, 'c'))
    assert.equal((await topicStats(t2))?.message_count, 3)
  })

  test('binary errors: 413 BAD_BODY / BAD_MESSAGE (the TCP code minus E_)', async () => {
    const t = topicName('mpubbinerr')
    const i32 = (...ns: number[]): Buffer => {
      const out = Buffer.alloc(4 * ns.length)
      ns.forEach((n, i) => out.writeInt32BE(n, 4 * i))
      return out
    }
    // count cannot be read
    await expectError(post(`/mpub?topic=${t}&binary=true`, Buffer.from([0, 0])), 413, 'BAD_BODY')
    // count 0 and negative
    await expectError(post(`/mpub?topic=${t}&binary=true`, i32(0)), 413, 'BAD_BODY')
    await expectError(post(`/mpub?topic=${t}&binary=true`, i32(-1)), 413, 'BAD_BODY')
    // count says 2, only one message
    await expectError(post(`/mpub?topic=${t}&binary=true`, Buffer.concat([i32(2, 1), Buffer.from('a')])), 413, 'BAD_MESSAGE')
    // a zero-length message
    await expectError(post(`/mpub?topic=${t}&binary=true`, i32(1, 0)), 413, 'BAD_MESSAGE')
    // a message size over --max-msg-size
    await expectError(post(`/mpub?topic=${t}&binary=true`, i32(1, MAX_MSG_SIZE + 1)), 413, 'BAD_MESSAGE')
    // the body is shorter than the size says
    await expectError(post(`/mpub?topic=${t}&binary=true`, Buffer.concat([i32(1, 10), Buffer.from('abc')])), 413, 'BAD_MESSAGE')
    // nothing was published by the failed requests
    assert.equal((await topicStats(t))?.message_count ?? 0, 0)
  })

  test('body over --max-body-size → 413 BODY_TOO_BIG', async () => {
    const t = topicName('mpubbody')
    await expectError(post(`/mpub?topic=${t}`, Buffer.alloc(MAX_BODY_SIZE + 1, 0x0a)), 413, 'BODY_TOO_BIG')
  })

  test('topic errors: 400 MISSING_ARG_TOPIC / INVALID_TOPIC', async () => {
    await expectError(post('/mpub', 'a\nb'), 400, 'MISSING_ARG_TOPIC')
    await expectError(post('/mpub?topic=bad!topic', 'a\nb'), 400, 'INVALID_TOPIC')
  })

  test('GET → 405', async () => {
    const a = await expectError(b.http(`/mpub?topic=${topicName('mget')}`), 405, 'METHOD_NOT_ALLOWED')
    assert.equal(a.headers.get('allow'), 'OPTIONS, POST')
  })
})

describe('/topic/*', () => {
  test('create: 200 empty, idempotent; 400 MISSING_ARG_TOPIC / INVALID_TOPIC', async () => {
    const t = topicName('create')
    await expectEmpty200(post(`/topic/create?topic=${t}`))
    await expectEmpty200(post(`/topic/create?topic=${t}`))
    assert.ok(await topicStats(t))
    await expectError(post('/topic/create'), 400, 'MISSING_ARG_TOPIC')
    await expectError(post('/topic/create?topic=bad!topic'), 400, 'INVALID_TOPIC')
  })

  test('delete: 200 empty then 404 TOPIC_NOT_FOUND; 400 MISSING_ARG_TOPIC', async () => {
    const t = topicName('delete')
    await expectOK(post(`/pub?topic=${t}`, 'x'))
    await expectEmpty200(post(`/topic/delete?topic=${t}`))
    assert.equal(await topicStats(t), undefined)
    await expectError(post(`/topic/delete?topic=${t}`), 404, 'TOPIC_NOT_FOUND')
    await expectError(post('/topic/delete'), 400, 'MISSING_ARG_TOPIC')
  })

  test('empty: clears the topic; 404 / 400 codes', async () => {
    const t = topicName('empty')
    await expectOK(post(`/mpub?topic=${t}`, 'a\nb\nc'))
    assert.equal((await topicStats(t))?.depth, 3)
    await expectEmpty200(post(`/topic/empty?topic=${t}`))
    assert.equal((await topicStats(t))?.depth, 0)
    await expectError(post(`/topic/empty?topic=${topicName('nosuch')}`), 404, 'TOPIC_NOT_FOUND')
    await expectError(post('/topic/empty'), 400, 'MISSING_ARG_TOPIC')
    await expectError(post('/topic/empty?topic=bad!topic'), 400, 'INVALID_TOPIC')
  })

  test('pause / unpause: flips "paused"; 404 TOPIC_NOT_FOUND; 400 MISSING_ARG_TOPIC', async () => {
    const t = topicName('pause')
    await expectEmpty200(post(`/topic/create?topic=${t}`))
    await expectEmpty200(post(`/topic/pause?topic=${t}`))
    assert.equal((await topicStats(t))?.paused, true)
    await expectEmpty200(post(`/topic/unpause?topic=${t}`))
    assert.equal((await topicStats(t))?.paused, false)
    for (const op of ['pause', 'unpause']) {
      await expectError(post(`/topic/${op}?topic=${topicName('missing')}`), 404, 'TOPIC_NOT_FOUND')
      await expectError(post(`/topic/${op}`), 400, 'MISSING_ARG_TOPIC')
    }
  })

  test('GET on a topic route → 405', async () => {
    for (const op of ['create', 'delete', 'empty', 'pause', 'unpause']) {
      const a = await expectError(b.http(`/topic/${op}?topic=x`), 405, 'METHOD_NOT_ALLOWED')
      assert.equal(a.headers.get('allow'), 'OPTIONS, POST')
    }
  })
})

describe('/channel/*', () => {
  test('create / delete: 200 empty; 404 TOPIC_NOT_FOUND / CHANNEL_NOT_FOUND', async () => {
    const t = topicName('chan')
    await expectError(post(`/channel/create?topic=${t}&channel=ch`), 404, 'TOPIC_NOT_FOUND')
    await expectEmpty200(post(`/topic/create?topic=${t}`))
    await expectEmpty200(post(`/channel/create?topic=${t}&channel=ch`))
    assert.deepEqual((await topicStats(t))?.channels.map((c) => c.channel_name), ['ch'])
    await expectEmpty200(post(`/channel/delete?topic=${t}&channel=ch`))
    assert.deepEqual((await topicStats(t))?.channels, [])
    await expectError(post(`/channel/delete?topic=${t}&channel=ch`), 404, 'CHANNEL_NOT_FOUND')
    await expectError(post(`/channel/delete?topic=${topicName('nosuch')}&channel=ch`), 404, 'TOPIC_NOT_FOUND')
  })

  test('argument errors: MISSING_ARG_TOPIC, INVALID_ARG_TOPIC, MISSING_ARG_CHANNEL, INVALID_ARG_CHANNEL', async () => {
    const t = topicName('chanargs')
    await expectEmpty200(post(`/topic/create?topic=${t}`))
    for (const op of ['create', 'delete', 'empty', 'pause', 'unpause']) {
      await expectError(post(`/channel/${op}?channel=ch`), 400, 'MISSING_ARG_TOPIC')
      await expectError(post(`/channel/${op}?topic=bad!topic&channel=ch`), 400, 'INVALID_ARG_TOPIC')
      await expectError(post(`/channel/${op}?topic=${t}`), 400, 'MISSING_ARG_CHANNEL')
      await expectError(post(`/channel/${op}?topic=${t}&channel=bad!ch`), 400, 'INVALID_ARG_CHANNEL')
    }
  })

  test('empty: clears the channel depth; 404 CHANNEL_NOT_FOUND / TOPIC_NOT_FOUND', async () => {
    const t = topicName('chanempty')
    await expectEmpty200(post(`/topic/create?topic=${t}`))
    await expectEmpty200(post(`/channel/create?topic=${t}&channel=ch`))
    await expectOK(post(`/mpub?topic=${t}`, 'a\nb'))
    // the topic pump moves the messages into the channel
    let depth = -1
    for (let i = 0; i < 50 && depth !== 2; i++) {
      depth = (await topicStats(t))?.channels[0]?.depth ?? -1
      if (depth !== 2) await sleep(20)
    }
    assert.equal(depth, 2)
    await expectEmpty200(post(`/channel/empty?topic=${t}&channel=ch`))
    assert.equal((await topicStats(t))?.channels[0]?.depth, 0)
    await expectError(post(`/channel/empty?topic=${t}&channel=nope`), 404, 'CHANNEL_NOT_FOUND')
    await expectError(post(`/channel/empty?topic=${topicName('nosuch')}&channel=ch`), 404, 'TOPIC_NOT_FOUND')
  })

  test('pause / unpause: flips "paused"; 404 codes', async () => {
    const t = topicName('chanpause')
    await expectEmpty200(post(`/topic/create?topic=${t}`))
    await expectEmpty200(post(`/channel/create?topic=${t}&channel=ch`))
    await expectEmpty200(post(`/channel/pause?topic=${t}&channel=ch`))
    assert.equal((await topicStats(t))?.channels[0]?.paused, true)
    await expectEmpty200(post(`/channel/unpause?topic=${t}&channel=ch`))
    assert.equal((await topicStats(t))?.channels[0]?.paused, false)
    for (const op of ['pause', 'unpause']) {
      await expectError(post(`/channel/${op}?topic=${t}&channel=nope`), 404, 'CHANNEL_NOT_FOUND')
      await expectError(post(`/channel/${op}?topic=${topicName('nosuch')}&channel=ch`), 404, 'TOPIC_NOT_FOUND')
    }
  })

  test('GET on a channel route → 405', async () => {
    for (const op of ['create', 'delete', 'empty', 'pause', 'unpause']) {
      const a = await expectError(b.http(`/channel/${op}?topic=x&channel=y`), 405, 'METHOD_NOT_ALLOWED')
      assert.equal(a.headers.get('allow'), 'OPTIONS, POST')
    }
  })
})

describe('/config/:opt', () => {
  test('GET /config/mem_queue_size → JSON 10000', async () => {
    const a = await answer(b.http('/config/mem_queue_size'))
    assert.equal(a.status, 200)
    assert.equal(a.headers.get('x-nsq-content-type'), V1)
    assert.equal(a.headers.get('content-type'), JSON_CT)
    assert.equal(JSON.parse(a.text), 10000)
  })

  test('GET /config/msg_timeout is in ns', async () => {
    const a = await answer(b.http('/config/msg_timeout'))
    assert.equal(a.status, 200)
    assert.equal(JSON.parse(a.text), 60_000_000_000)
  })

  test('GET /config/nope → 400 INVALID_OPTION', async () => {
    await expectError(b.http('/config/nope'), 400, 'INVALID_OPTION')
  })

  const json = async (path: string, init?: RequestInit): Promise<unknown> => {
    const a = await answer(b.http(path, init))
    assert.equal(a.status, 200, `${path}: ${a.text}`)
    assert.equal(a.headers.get('content-type'), JSON_CT, path)
    return JSON.parse(a.text) as unknown
  }
  const put = (opt: string, body: string): Promise<Response> => b.http(`/config/${opt}`, {method: 'PUT', body})

  test('log_level is nsqd\'s lg.LogLevel number: GET → 2 (info), PUT debug → 1', async () => {
    try {
      assert.equal(await json('/config/log_level'), 2)
      assert.equal(await json('/config/log_level', {method: 'PUT', body: 'debug'}), 1)
      assert.equal(await json('/config/log_level'), 1)
      assert.equal(b.broker.opts.logLevel, 'debug')
    } finally {
      await (await put('log_level', 'info')).arrayBuffer()
    }
  })

  test('PUT /config/log_level takes any case, as nsqd\'s ParseLogLevel; anything else is 400 INVALID_VALUE', async () => {
    try {
      assert.equal(await json('/config/log_level', {method: 'PUT', body: 'WARN'}), 3)
      assert.equal(await json('/config/log_level', {method: 'PUT', body: 'Error'}), 4)
      assert.equal(await json('/config/log_level', {method: 'PUT', body: 'FATAL'}), 5)
      // nsqd parses the body as sent: no trimming, no synonyms
      for (const bad of ['warning', 'loud', 'info\n', ' debug']) await expectError(put('log_level', bad), 400, 'INVALID_VALUE')
      assert.equal(await json('/config/log_level'), 5, 'a refused value changes nothing')
      await expectError(put('log_level', ''), 413, 'INVALID_VALUE')
    } finally {
      await (await put('log_level', 'info')).arrayBuffer()
    }
  })

  test('PUT /config reads at most --max-msg-size bytes (413 INVALID_VALUE beyond), and only two options are writable', async () => {
    await expectError(put('log_level', 'x'.repeat(MAX_MSG_SIZE + 1)), 413, 'INVALID_VALUE')
    await expectError(put('mem_queue_size', '5'), 400, 'INVALID_OPTION')
    await expectError(put('nsqlookupd_tcp_addresses', 'not json'), 400, 'INVALID_VALUE')
    try {
      assert.deepEqual(await json('/config/nsqlookupd_tcp_addresses', {method: 'PUT', body: '["127.0.0.1:4160"]'}), ['127.0.0.1:4160'])
      assert.deepEqual(await json('/config/nsqlookupd_tcp_addresses'), ['127.0.0.1:4160'])
    } finally {
      await (await put('nsqlookupd_tcp_addresses', '[]')).arrayBuffer()
    }
  })

  test('the node id is /config/id (nsqd\'s cfg name), not node_id', async () => {
    assert.equal(await json('/config/id'), b.broker.opts.nodeId)
    await expectError(b.http('/config/node_id'), 400, 'INVALID_OPTION')
  })

  test('broadcast ports: the listening ports when not set, as nsqd fills them in', async () => {
    assert.equal(await json('/config/broadcast_tcp_port'), b.tcpPort)
    assert.equal(await json('/config/broadcast_http_port'), b.httpPort)
  })

  test('the options serve accepts but does not act on answer nsqd\'s defaults, not INVALID_OPTION', async () => {
    const want: [string, unknown][] = [
      ['auth_http_addresses', []],
      ['http_client_connect_timeout', 2_000_000_000],
      ['http_client_request_timeout', 5_000_000_000],
      ['queue_scan_selection_count', 20],
      ['queue_scan_worker_pool_max', 4],
      ['statsd_interval', 60_000_000_000],
      ['statsd_mem_stats', true],
      ['statsd_udp_packet_size', 508],
      ['statsd_exclude_ephemeral', false],
      ['e2e_processing_latency_window_time', 600_000_000_000],
      ['e2e_processing_latency_percentiles', []],
      ['tls_required', 0],
      ['tls_min_version', 769],
    ]
    for (const [opt, v] of want) assert.deepEqual(await json(`/config/${opt}`), v, opt)
    // strings are sent as text, as nsqd's RespondV1 does
    for (const [opt, v] of [
      ['log_prefix', '[nsqd] '],
      ['statsd_address', ''],
      ['tls_cert', ''],
      ['statsd_prefix', `nsq.${b.broker.opts.broadcastAddress.replace(/[.:]/g, '_')}_${b.httpPort}.`],
    ] as const) {
      const a = await answer(b.http(`/config/${opt}`))
      assert.equal(a.status, 200, opt)
      assert.equal(a.text, v, opt)
    }
  })
})

describe('unknown routes and the V1 header', () => {
  test('404 NOT_FOUND with X-NSQ-Content-Type', async () => {
    await expectError(b.http('/no/such/path'), 404, 'NOT_FOUND')
    await expectError(b.http('/put?topic=x', {method: 'POST', body: 'x'}), 404, 'NOT_FOUND')
    await expectError(b.http('/create_topic?topic=x'), 404, 'NOT_FOUND')
  })

  test('V1 routes carry the header, /ping does not', async () => {
    const t = topicName('v1')
    await expectOK(post(`/pub?topic=${t}`, 'x'))
    const v1: [string, RequestInit?][] = [
      ['/info'],
      ['/stats'],
      ['/stats?format=json'],
      ['/config/log_level'],
      [`/topic/create?topic=${t}`, {method: 'POST'}],
      [`/channel/create?topic=${t}&channel=c`, {method: 'POST'}],
      [`/mpub?topic=${t}`, {method: 'POST', body: 'a'}],
    ]
    for (const [path, init] of v1) {
      const r = await b.http(path, init)
      await r.arrayBuffer()
      assert.equal(r.status, 200, path)
      assert.equal(r.headers.get('x-nsq-content-type'), V1, path)
    }
    const ping = await b.http('/ping')
    await ping.arrayBuffer()
    assert.equal(ping.headers.get('x-nsq-content-type'), null)
  })
})
