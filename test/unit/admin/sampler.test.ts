/**
 * The admin server's own rates and history (core/admin/sampler.ts): sampleOf's sums of the nodes'
 * /stats, History's rates between the last two samples (in, out, never negative, null when a key
 * is new), its depths over the samples kept and its keep window, the depth sparkline's SVG, and
 * the Prometheus text exposition.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {History, prometheus, sampleOf, sparkline, type ChannelCounters, type Counters, type Sample} from '../../../src/core/admin/sampler.js'
import type {ChannelStats, StatsDoc, TopicStats} from '../../../src/core/protocol/stats-json.js'

/** a channel as [depth, messages, inFlight, deferred, clients]; a topic as [depth, messages, {channel: …}] */
type Ch = [depth: number, messages: number, inFlight?: number, deferred?: number, clients?: number]
type Tp = [depth: number, messages: number, channels?: Record<string, Ch>]

function doc(topics: Record<string, Tp> | null): StatsDoc {
  const channel = (name: string, [depth, messages, inFlight = 0, deferred = 0, clients = 0]: Ch): ChannelStats => ({
    channel_name: name, depth, backend_depth: 0, in_flight_count: inFlight, deferred_count: deferred, message_count: messages, requeue_count: 0,
    timeout_count: 0, client_count: clients, clients: null, paused: false, e2e_processing_latency: {count: 0, percentiles: null},
  })
  const topic = (name: string, [depth, messages, chs = {}]: Tp): TopicStats => ({
    topic_name: name, channels: Object.entries(chs).map(([c, v]) => channel(c, v)), depth, backend_depth: 0, message_count: messages,
    message_bytes: 0, paused: false, e2e_processing_latency: {count: 0, percentiles: null},
  })
  return {version: '1.3.0', health: 'OK', start_time: 1_700_000_000, topics: topics === null ? null : Object.entries(topics).map(([t, v]) => topic(t, v)), producers: null}
}

/** a sample built directly: topics {t: [depth, messages]}, channels {'t/c': [depth, messages, inFlight, deferred, clients]} */
function sample(at: number, topics: Record<string, [number, number]>, channels: Record<string, Ch> = {}): Sample {
  return {
    at,
    topics: new Map(Object.entries(topics).map(([k, [depth, messages]]): [string, Counters] => [k, {depth, messages}])),
    channels: new Map(Object.entries(channels).map(([k, [depth, messages, inFlight = 0, deferred = 0, clients = 0]]): [string, ChannelCounters] =>
      [k, {depth, messages, inFlight, deferred, clients}])),
  }
}

function history(...samples: Sample[]): History {
  const h = new History()
  for (const s of samples) h.add(s)
  return h
}

test('sampleOf: a topic\'s and a channel\'s counters are summed over the nodes; a channel on one node counts that node only', () => {
  const a = doc({t: [3, 100, {c: [2, 60, 4, 1, 2]}]})
  const b = doc({t: [4, 50, {c: [5, 40, 1, 0, 1], only: [7, 9, 3, 2, 1]}], u: [1, 8]})
  const s = sampleOf(42_000, [{node: 'a:1', doc: a}, {node: 'b:1', doc: b}, {node: 'c:1', doc: doc(null)}])
  assert.equal(s.at, 42_000)
  assert.deepEqual(s.topics, new Map([['t', {depth: 7, messages: 150}], ['u', {depth: 1, messages: 8}]]))
  assert.deepEqual(s.channels, new Map([
    ['t/c', {depth: 7, messages: 100, inFlight: 5, deferred: 1, clients: 3}],
    ['t/only', {depth: 7, messages: 9, inFlight: 3, deferred: 2, clients: 1}],
  ]))
  assert.deepEqual([sampleOf(1, []).topics.size, sampleOf(1, []).channels.size], [0, 0])
})

test('topicRate: null with one sample; messages in per second between the last two samples', () => {
  const h = history(sample(0, {t: [0, 100]}))
  assert.equal(h.topicRate('t'), null)
  h.add(sample(5000, {t: [9, 150]}))
  assert.deepEqual(h.topicRate('t'), {in: 10}) // 50 messages in 5 s
  h.add(sample(7000, {t: [9, 153]}))
  assert.deepEqual(h.topicRate('t'), {in: 1.5}) // only the last two: 3 in 2 s
})

test('channelRate: in is Δmessages/s, out is Δ(messages − depth − in flight − deferred)/s', () => {
  // done: 100 − 10 − 5 − 5 = 80, then 140 − 4 − 6 − 2 = 128
  const h = history(sample(0, {}, {'t/c': [10, 100, 5, 5]}), sample(4000, {}, {'t/c': [4, 140, 6, 2]}))
  assert.deepEqual(h.channelRate('t', 'c'), {in: 10, out: 12})
})

test('rates: a counter that went down gives 0, never a negative rate', () => {
  const h = history(sample(0, {t: [0, 100]}, {'t/c': [0, 100]}), sample(4000, {t: [0, 40]}, {'t/c': [50, 120]}))
  assert.deepEqual(h.topicRate('t'), {in: 0}) // a node restarted: 100 → 40
  assert.deepEqual(h.channelRate('t', 'c'), {in: 5, out: 0}) // done 100 → 70
})

test('rates: two samples at the same time (or out of order) give 0, not Infinity', () => {
  assert.deepEqual(history(sample(1000, {t: [0, 1]}, {'t/c': [0, 1]}), sample(1000, {t: [0, 9]}, {'t/c': [0, 9]})).topicRate('t'), {in: 0})
  assert.deepEqual(history(sample(1000, {}, {'t/c': [0, 1]}), sample(1000, {}, {'t/c': [0, 9]})).channelRate('t', 'c'), {in: 0, out: 0})
  assert.deepEqual(history(sample(2000, {t: [0, 1]}), sample(1000, {t: [0, 9]})).topicRate('t'), {in: 0})
})

test('rates: a topic or channel absent from either of the last two samples has no rate (null)', () => {
  const h = history(sample(0, {old: [0, 1]}, {'old/c': [0, 1]}), sample(1000, {new: [0, 5]}, {'new/c': [0, 5]}))
  assert.equal(h.topicRate('new'), null)
  assert.equal(h.topicRate('old'), null)
  assert.equal(h.topicRate('never'), null)
  assert.equal(h.channelRate('new', 'c'), null)
  assert.equal(h.channelRate('old', 'c'), null)
})

test('depths: a topic\'s or a channel\'s depth over the samples, oldest first, 0 where it is missing', () => {
  const h = history(sample(0, {t: [5, 0]}, {'t/c': [1, 0]}), sample(1000, {}, {'t/c': [2, 0]}), sample(2000, {t: [9, 0]}))
  assert.deepEqual(h.depths('t'), [5, 0, 9])
  assert.deepEqual(h.depths('t', 'c'), [1, 2, 0])
  assert.deepEqual(h.depths('nope'), [0, 0, 0])
  assert.deepEqual(history().depths('t'), [])
})

test('keep window: samples older than keepMs are dropped, but the last two are always kept', () => {
  const h = new History(1000)
  for (const at of [0, 500, 1000]) h.add(sample(at, {t: [at, 0]}))
  assert.equal(h.size, 3) // 0 is exactly keepMs old: kept
  h.add(sample(1500, {t: [1500, 0]}))
  assert.deepEqual(h.depths('t'), [500, 1000, 1500])
  h.add(sample(9000, {t: [9000, 0]}))
  assert.deepEqual(h.depths('t'), [1500, 9000]) // 1500 is too old, but a rate needs two
  assert.equal(h.latest?.at, 9000)
  assert.deepEqual(h.topicRate('t'), {in: 0})
  const d = history(sample(0, {}), sample(1, {}), sample(2, {}), sample(3_600_001, {}))
  assert.equal(d.size, 3) // the default keeps an hour
})

function points(svg: string): [number, number][] {
  const m = /<polyline [^>]*points="([^"]*)"/.exec(svg)
  assert.ok(m, `no polyline in ${svg}`)
  return m[1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number])
}

test('sparkline: nothing to draw for fewer than 2 values', () => {
  assert.equal(sparkline([]), '')
  assert.equal(sparkline([5]), '')
})

test('sparkline: an <svg> with one point per value, the max at y = 1 and 0 at y = h − 1', () => {
  const svg = sparkline([0, 5, 10], 100, 24)
  assert.match(svg, /^<svg [^>]*width="100" height="24"[^>]*>.*<\/svg>$/)
  assert.deepEqual(points(svg), [[0, 23], [50, 12], [100, 1]])
  const p = points(sparkline([3, 0, 8, 8, 1, 0, 2], 60, 40))
  assert.equal(p.length, 7)
  assert.deepEqual(p.map(([, y]) => y), [24.8, 39, 1, 1, 34.3, 39, 29.5]) // 39 − v/8·38, to 1 decimal
  assert.deepEqual(p.map(([x]) => x), [0, 10, 20, 30, 40, 50, 60])
  assert.match(sparkline([1, 2]), /width="120" height="24"/) // the defaults
  assert.deepEqual(points(sparkline([0, 0, 0], 10, 24)).map(([, y]) => y), [23, 23, 23]) // all zero: flat, no NaN
})

test('prometheus: empty with no sample; with samples, typed gauges and counters with the latest values and rates', () => {
  assert.equal(prometheus(new History()), '')
  const h = history(sampleOf(0, [{node: 'n:1', doc: doc({t: [3, 100, {c: [10, 100, 5, 5, 2]}]})}]), sampleOf(4000, [{node: 'n:1', doc: doc({t: [7, 140, {c: [4, 140, 6, 2, 3]}]})}]))
  const text = prometheus(h)
  const lines = text.split('\n')
  assert.ok(text.endsWith('\n') && !text.endsWith('\n\n'))
  assert.ok(lines.includes('# TYPE nsq_topic_depth gauge'))
  assert.ok(lines.includes('# TYPE nsq_topic_messages_total counter'))
  assert.ok(lines.includes('nsq_topic_depth{topic="t"} 7'))
  // the counters node by node: a sum over whichever nodes answered would be no counter
  assert.ok(lines.includes('nsq_topic_messages_total{topic="t",node="n:1"} 140'))
  assert.ok(lines.includes('nsq_channel_messages_total{topic="t",channel="c",node="n:1"} 140'))
  assert.ok(lines.includes('nsq_topic_messages_per_second{topic="t"} 10'))
  assert.ok(lines.includes('nsq_channel_depth{topic="t",channel="c"} 4'))
  assert.ok(lines.includes('nsq_channel_clients{topic="t",channel="c"} 3'))
  assert.ok(lines.includes('nsq_channel_messages_out_per_second{topic="t",channel="c"} 12'))
  // one sample: no rate yet, so no rate line (0 would read as idle)
  assert.ok(!prometheus(history(sample(0, {t: [1, 5]}))).includes('nsq_topic_messages_per_second{'))
})

test('rates node by node: a node missing a round neither dips nor spikes the rate; a node restarted counts 0', () => {
  const two = (at: number, a: number | null, b: number | null): Sample =>
    sampleOf(at, [...(a === null ? [] : [{node: 'a:1', doc: doc({t: [0, a]})}]), ...(b === null ? [] : [{node: 'b:1', doc: doc({t: [0, b]})}])])
  // b misses the middle round: a alone, then both again — no spike from b's whole count
  const h = history(two(0, 100, 1000), two(1000, 110, null))
  assert.deepEqual(h.topicRate('t'), {in: 10})
  h.add(two(2000, 120, 1020))
  assert.deepEqual(h.topicRate('t'), {in: 10}, 'b counts only from the next pair it is in')
  h.add(two(3000, 130, 1030))
  assert.deepEqual(h.topicRate('t'), {in: 20})
  // b restarted (its counter back near 0): b adds 0, a its own
  h.add(two(4000, 140, 3))
  assert.deepEqual(h.topicRate('t'), {in: 10})
})

test('prometheus: a quote, a backslash and a newline in a label value are escaped', () => {
  const text = prometheus(history(sample(0, {'a"b\\c': [7, 0]}, {'x\\y/c"h\nz': [1, 0]})))
  const lines = text.split('\n')
  assert.ok(lines.includes('nsq_topic_depth{topic="a\\"b\\\\c"} 7'), text)
  assert.ok(lines.includes('nsq_channel_depth{topic="x\\\\y",channel="c\\"h\\nz"} 1'), text)
})
