/**
 * The /stats?format=json codec against the real nsqd 1.3.0 captures (test/fixtures/nsqd-1.3.0):
 * each decodes to typed values that encode back to the captured bytes (same fields, same key
 * order, same nulls), the pre-1.0 envelope and older shapes are read, and a wrong field is
 * refused naming its path.
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {decodeStats, decodeStatsBody, JsonShapeError, type StatsDoc} from '../../../src/core/protocol/index.js'
import {REPO_ROOT} from '../../helpers/serve.js'

const capture = (name: string): string => readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'nsqd-1.3.0', name), 'utf8').trim()

const CAPTURES = ['stats_1topic_1channel_1client.json', 'stats_include_clients_false.json', 'stats_topic_channel_filter.json']

test('each capture decodes, and the typed value encodes back to the captured bytes', () => {
  for (const name of CAPTURES) {
    const text = capture(name)
    const doc = decodeStatsBody(text)
    assert.equal(JSON.stringify(doc), text, name)
    assert.deepEqual(decodeStatsBody(Buffer.from(text)), doc, `${name} as bytes`)
  }
})

test('the typed values of stats_1topic_1channel_1client.json', () => {
  const doc = decodeStatsBody(capture('stats_1topic_1channel_1client.json'))
  assert.equal(doc.version, '1.3.0')
  assert.equal(doc.health, 'OK')
  assert.equal(doc.start_time, 1795226874)
  assert.equal(doc.producers, null)
  assert.equal(doc.memory?.gc_total_runs, 3)
  const t = doc.topics?.[0]
  assert.equal(t?.topic_name, 'ref_topic')
  assert.equal(t?.message_count, 4)
  assert.equal(t?.message_bytes, 20)
  assert.deepEqual(t?.e2e_processing_latency, {count: 0, percentiles: null})
  const ch = t?.channels[0]
  assert.equal(ch?.channel_name, 'ref_channel')
  assert.deepEqual([ch?.depth, ch?.in_flight_count, ch?.message_count, ch?.client_count], [1, 2, 4, 1])
  const c = ch?.clients?.[0]
  assert.equal(c?.client_id, 'ref-consumer')
  assert.equal(c?.state, 3)
  assert.equal(c?.user_agent, 'anchors-hold-consumer/1.0')
  assert.equal(c?.pub_counts, undefined, 'omitempty: absent, not []')
  assert.equal('authed' in (c ?? {}), false)
})

test('include_clients=false: clients null and client_count kept', () => {
  const ch = decodeStatsBody(capture('stats_include_clients_false.json')).topics?.[0]?.channels[0]
  assert.equal(ch?.clients, null)
  assert.equal(ch?.client_count, 1)
})

test('null topics (a topic filter naming none), producers with pub_counts, e2e percentiles', () => {
  const doc = decodeStats({version: '1.3.0', health: 'OK', start_time: 1, topics: null, producers: null})
  assert.equal(doc.topics, null)
  assert.deepEqual(Object.keys(doc), ['version', 'health', 'start_time', 'topics', 'producers'], 'no memory key when there was none')
  const base = JSON.parse(capture('stats_1topic_1channel_1client.json')) as StatsDoc
  const client = base.topics?.[0]?.channels[0]?.clients?.[0]
  assert.ok(client)
  const {tls, tls_cipher_suite, tls_version, tls_negotiated_protocol, tls_negotiated_protocol_is_mutual, ...head} = client
  const producer = {...head, authed: true, auth_identity: 'me', auth_identity_url: 'http://auth', pub_counts: [{topic: 't', count: 2}], tls, tls_cipher_suite, tls_version, tls_negotiated_protocol, tls_negotiated_protocol_is_mutual}
  const withProducers = {...base, producers: [producer]}
  const d = decodeStats(withProducers)
  assert.deepEqual(d.producers?.[0]?.pub_counts, [{topic: 't', count: 2}])
  assert.equal(JSON.stringify(d), JSON.stringify(withProducers), 'the omitempty fields keep their place')
  const e2e = {count: 10, percentiles: [{quantile: 0.99, value: 1500}]}
  const t = decodeStats({...base, topics: [{...base.topics?.[0], e2e_processing_latency: e2e}]}).topics?.[0]
  assert.deepEqual(t?.e2e_processing_latency, e2e)
})

test('the pre-1.0 envelope {status_code, status_txt, data}; an empty body is {} (and needs a version)', () => {
  const text = capture('stats_topic_channel_filter.json')
  const wrapped = `{"status_code":200,"status_txt":"OK","data":${text}}`
  assert.equal(JSON.stringify(decodeStatsBody(wrapped)), text)
  assert.throws(() => decodeStatsBody('{"status_code":500,"status_txt":"INTERNAL_ERROR","data":null}'), (e: unknown) => e instanceof JsonShapeError && e.message === 'status_code 500 INTERNAL_ERROR')
  assert.throws(() => decodeStatsBody(''), (e: unknown) => e instanceof JsonShapeError && e.path === 'version' && /expected a string, got nothing/.test(e.message))
})

test('an older nsqd that does not send the later fields: their zero values', () => {
  const old = {
    version: '0.3.8',
    topics: [
      {
        topic_name: 't',
        depth: 0,
        message_count: 3,
        channels: [
          {
            channel_name: 'c',
            depth: 1,
            in_flight_count: 0,
            deferred_count: 0,
            message_count: 3,
            requeue_count: 0,
            timeout_count: 0,
            clients: [{client_id: 'x', hostname: 'h', remote_address: '1.2.3.4:5', state: 3, ready_count: 1, in_flight_count: 0, message_count: 3, finish_count: 3, requeue_count: 0, connect_ts: 9}],
          },
        ],
      },
    ],
  }
  const d = decodeStats(old)
  assert.equal(d.health, 'OK')
  assert.equal(d.start_time, 0)
  assert.equal(d.producers, null)
  assert.equal(d.memory, undefined)
  const t = d.topics?.[0]
  assert.equal(t?.message_bytes, 0)
  assert.equal(t?.paused, false)
  const ch = t?.channels[0]
  assert.equal(ch?.client_count, 1, 'counted from the clients')
  assert.equal(ch?.backend_depth, 0)
  const c = ch?.clients?.[0]
  assert.equal(c?.version, 'V2')
  assert.equal(c?.user_agent, '')
  assert.equal(c?.tls, false)
  assert.equal(c?.tls_version, '')
})

test('a field of the wrong type, or a missing required one, is refused naming its path', () => {
  const base = JSON.parse(capture('stats_1topic_1channel_1client.json')) as Record<string, unknown>
  const bad = (mutate: (d: StatsDoc) => void): unknown => {
    const d = structuredClone(base) as unknown as StatsDoc
    mutate(d)
    return d
  }
  const cases: [unknown, string, RegExp][] = [
    [bad((d) => ((d.topics as unknown[])[0] = 5)), 'topics[0]', /expected an object, got 5/],
    [bad((d) => ((d.topics?.[0] as unknown as Record<string, unknown>).depth = '1')), 'topics[0].depth', /expected a number, got "1"/],
    [bad((d) => delete (d.topics?.[0] as unknown as Record<string, unknown>).topic_name), 'topics[0].topic_name', /expected a string, got nothing/],
    [bad((d) => ((d.topics?.[0]?.channels[0] as unknown as Record<string, unknown>).paused = 'no')), 'topics[0].channels[0].paused', /expected true or false/],
    [bad((d) => ((d.topics?.[0]?.channels[0]?.clients?.[0] as unknown as Record<string, unknown>).state = null)), 'topics[0].channels[0].clients[0].state', /expected a number, got null/],
    [bad((d) => ((d as unknown as Record<string, unknown>).topics = {})), 'topics', /expected an array or null/],
    [bad((d) => ((d as unknown as Record<string, unknown>).producers = 'x')), 'producers', /expected an array or null/],
    [bad((d) => ((d.memory as unknown as Record<string, unknown>).heap_objects = 'many')), 'memory.heap_objects', /expected a number/],
    [bad((d) => ((d.topics?.[0] as unknown as Record<string, unknown>).e2e_processing_latency = {count: 0, percentiles: [{quantile: 'x'}]})), 'topics[0].e2e_processing_latency.percentiles[0].quantile', /expected a number/],
    [[], '$', /expected an object, got an array/],
  ]
  for (const [doc, path, why] of cases) {
    assert.throws(
      () => decodeStats(doc),
      (e: unknown) => {
        assert.ok(e instanceof JsonShapeError, String(e))
        assert.equal(e.code, 'ERR_JSON_SHAPE')
        assert.equal(e.path, path)
        assert.match(e.message, why)
        if (path !== '$') assert.ok(e.message.startsWith(`${path}: `), e.message)
        return true
      },
      path,
    )
  }
  assert.throws(() => decodeStatsBody('{"version":'), (e: unknown) => e instanceof JsonShapeError && /^not JSON/.test(e.message))
})

test('fields it does not know are left out (the typed shape is what tools get)', () => {
  const base = JSON.parse(capture('stats_topic_channel_filter.json')) as Record<string, unknown>
  const d = decodeStats({...base, future_field: 1})
  assert.equal('future_field' in d, false)
})
