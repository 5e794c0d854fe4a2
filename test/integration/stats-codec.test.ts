/**
 * The broker's /stats?format=json is exactly the typed shape of protocol/stats-json.ts: a
 * document with topics, channels, a consumer and a producer (pub_counts), read back through
 * decodeStats, encodes to the same bytes, so the tools that decode it see every field the
 * broker writes, in nsqd's order.
 */
import {after, before, test} from 'node:test'
import assert from 'node:assert/strict'

import {decodeStatsBody, identify, pub, rdy, sub} from '../../src/core/protocol/index.js'
import {startBroker, type TestBroker} from '../helpers/broker.js'
import {RawClient} from '../helpers/raw-client.js'

let b: TestBroker
const clients: RawClient[] = []

before(async () => {
  b = await startBroker()
  const producer = await RawClient.connect(b.tcpPort)
  const consumer = await RawClient.connect(b.tcpPort)
  clients.push(producer, consumer)
  producer.send(pub('codec_t', Buffer.from('one')))
  assert.equal(await producer.response(), 'OK')
  consumer.send(identify({client_id: 'codec-consumer', hostname: 'codec-host', user_agent: 'codec/1.0', feature_negotiation: false}))
  assert.equal(await consumer.response(), 'OK')
  consumer.send(sub('codec_t', 'c'))
  assert.equal(await consumer.response(), 'OK')
  consumer.send(rdy(1))
  await consumer.message()
  const r = await b.http('/pub?topic=codec_t2&defer=60000', {method: 'POST', body: 'later'})
  assert.equal(r.status, 200)
  await r.arrayBuffer()
})

after(async () => {
  for (const c of clients) c.close()
  await b?.close()
})

test('/stats?format=json decodes and encodes back to the same bytes, for every query form', async () => {
  for (const q of ['', '&include_clients=false', '&include_mem=false', '&topic=codec_t', '&topic=codec_t&channel=c', '&topic=nope']) {
    const res = await b.http(`/stats?format=json${q}`)
    const text = await res.text()
    const doc = decodeStatsBody(text)
    assert.equal(JSON.stringify(doc), text, q)
  }
})

test('the decoded document has the consumer, the producer and its pub_counts', async () => {
  const doc = decodeStatsBody(await (await b.http('/stats?format=json')).text())
  const t = doc.topics?.find((x) => x.topic_name === 'codec_t')
  const c = t?.channels[0]?.clients?.[0]
  assert.equal(c?.client_id, 'codec-consumer')
  assert.equal(c?.in_flight_count, 1)
  assert.deepEqual(doc.producers?.map((p) => p.pub_counts), [[{topic: 'codec_t', count: 1}]])
  assert.equal(doc.topics?.find((x) => x.topic_name === 'codec_t2')?.message_count, 1)
})
