/**
 * The admin API's merge of nsqd /stats (core/admin/stats.ts) into nsqadmin 1.3.0's topic, channel
 * and client objects: per-node fields, sums over nodes, paused, sort orders, e2e merging, key
 * order; and compareVersions (core/admin/api.ts), which picks the newest nsqd for out_of_date.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {adminClient, aggregateChannel, aggregateTopic, mergeE2e, nodeChannel, nodeTopic, sortByHostname, type AdminE2e, type NodeRef} from '../../../src/core/admin/stats.js'
import {compareVersions} from '../../../src/core/admin/api.js'
import type {ChannelStats, ClientStats, E2eLatency, TopicStats} from '../../../src/core/protocol/stats-json.js'

const NOW = 1_700_000_123_999 // ms: truncated to the second, 1_700_000_123
const A: NodeRef = {node: '10.0.0.1:4151', hostname: 'alpha'}
const B: NodeRef = {node: '10.0.0.2:4151', hostname: 'bravo'}

function client(o: Partial<ClientStats> = {}): ClientStats {
  return {
    client_id: 'c', hostname: 'h', version: 'V2', remote_address: '1.2.3.4:5000', state: 3, ready_count: 1, in_flight_count: 0, message_count: 0,
    finish_count: 0, requeue_count: 0, connect_ts: 1_700_000_000, sample_rate: 0, deflate: false, snappy: false, user_agent: 'ua',
    tls: false, tls_cipher_suite: '', tls_version: '', tls_negotiated_protocol: '', tls_negotiated_protocol_is_mutual: false, ...o,
  }
}
const noE2e = (): E2eLatency => ({count: 0, percentiles: null})
function channel(o: Partial<ChannelStats> = {}): ChannelStats {
  return {channel_name: 'ch', depth: 0, backend_depth: 0, in_flight_count: 0, deferred_count: 0, message_count: 0, requeue_count: 0,
    timeout_count: 0, client_count: 0, clients: null, paused: false, e2e_processing_latency: noE2e(), ...o}
}
function topic(o: Partial<TopicStats> = {}): TopicStats {
  return {topic_name: 't', channels: [], depth: 0, backend_depth: 0, message_count: 0, message_bytes: 0, paused: false, e2e_processing_latency: noE2e(), ...o}
}
const e2e = (count: number, percentiles: {quantile: number; value: number}[] | null): AdminE2e => ({count, percentiles, topic: '', channel: '', host: ''})

test('nodeTopic: node and hostname come from the NodeRef, memory_depth is depth − backend_depth, channels are this node\'s', () => {
  const t = nodeTopic(A, topic({depth: 10, backend_depth: 3, message_count: 42, channels: [channel({channel_name: 'x', depth: 7, backend_depth: 2})]}), NOW)
  assert.deepEqual([t.node, t.hostname, t.topic_name, t.depth, t.memory_depth, t.backend_depth, t.message_count, t.nodes, t.paused], ['10.0.0.1:4151', 'alpha', 't', 10, 7, 3, 42, null, false])
  assert.equal(t.channels?.length, 1)
  const c = t.channels![0]!
  assert.deepEqual([c.node, c.hostname, c.topic_name, c.channel_name, c.depth, c.memory_depth, c.backend_depth], ['10.0.0.1:4151', 'alpha', 't', 'x', 7, 5, 2])
  assert.deepEqual(t.e2e_processing_latency, {count: 0, percentiles: null, topic: '', channel: '', host: ''})
})

test('nodeChannel: counters pass through; clients get the node name and are sorted by hostname; null clients stay null', () => {
  const cs = channel({in_flight_count: 1, deferred_count: 2, requeue_count: 3, timeout_count: 4, message_count: 5, client_count: 2, paused: true,
    clients: [client({hostname: 'zed', client_id: 'z'}), client({hostname: 'amy', client_id: 'a'})],
    e2e_processing_latency: {count: 9, percentiles: [{quantile: 0.99, value: 1500}]}})
  const c = nodeChannel(B, 'orders', cs, NOW)
  assert.deepEqual([c.in_flight_count, c.deferred_count, c.requeue_count, c.timeout_count, c.message_count, c.client_count, c.paused, c.nodes], [1, 2, 3, 4, 5, 2, true, null])
  assert.deepEqual(c.clients?.map((x) => [x.client_id, x.node]), [['a', '10.0.0.2:4151'], ['z', '10.0.0.2:4151']])
  assert.deepEqual(c.e2e_processing_latency, {count: 9, percentiles: [{quantile: 0.99, value: 1500}], topic: '', channel: '', host: ''})
  assert.equal(nodeChannel(B, 'orders', channel({clients: null}), NOW).clients, null)
  assert.deepEqual(nodeChannel(B, 'orders', channel({clients: []}), NOW).clients, [])
})

test('adminClient: connected is ns since connect_ts with now truncated to the second; fields pass through', () => {
  const c = adminClient('n:4151', client({connect_ts: 1_700_000_000, client_id: 'id1', hostname: 'host1', ready_count: 7, finish_count: 8, sample_rate: 25, deflate: true, tls: true, tls_version: 'TLS1.3'}), NOW)
  assert.equal(c.connected, 123_000_000_000)
  assert.equal(adminClient('n', client({connect_ts: 1_700_000_123}), NOW).connected, 0)
  assert.deepEqual([c.node, c.client_id, c.hostname, c.ready_count, c.finish_count, c.sample_rate, c.deflate, c.snappy, c.tls, c.tls_version], ['n:4151', 'id1', 'host1', 7, 8, 25, true, false, true, 'TLS1.3'])
})

test('adminClient: the omitempty auth fields default to false and \'\', and pass through when sent', () => {
  const none = adminClient('n', client(), NOW)
  assert.deepEqual([none.authed, none.auth_identity, none.auth_identity_url], [false, '', ''])
  const some = adminClient('n', client({authed: true, auth_identity: 'bob', auth_identity_url: 'http://auth/bob'}), NOW)
  assert.deepEqual([some.authed, some.auth_identity, some.auth_identity_url], [true, 'bob', 'http://auth/bob'])
})

function twoNodeTopic() {
  // given bravo first: the aggregate sorts its nodes by hostname; bravo has an extra channel 'b', listed before 'a'
  const tb = nodeTopic(B, topic({depth: 20, backend_depth: 5, message_count: 200, channels: [
    channel({channel_name: 'b', depth: 4, backend_depth: 1, message_count: 40}),
    channel({channel_name: 'a', depth: 6, backend_depth: 2, in_flight_count: 3, deferred_count: 1, requeue_count: 2, timeout_count: 1, message_count: 60, client_count: 2}),
  ]}), NOW)
  const ta = nodeTopic(A, topic({depth: 10, backend_depth: 3, message_count: 100, channels: [
    channel({channel_name: 'a', depth: 5, backend_depth: 0, in_flight_count: 4, deferred_count: 2, requeue_count: 5, timeout_count: 3, message_count: 50, client_count: 1}),
  ]}), NOW)
  return aggregateTopic('t', [tb, ta])
}

test('aggregateTopic: node "*", sums of depth, memory_depth, backend_depth and message_count; nodes sorted by hostname', () => {
  const t = twoNodeTopic()
  assert.deepEqual([t.node, t.hostname, t.topic_name, t.depth, t.memory_depth, t.backend_depth, t.message_count, t.paused], ['*', '', 't', 30, 22, 8, 300, false])
  assert.deepEqual(t.nodes?.map((n) => n.hostname), ['alpha', 'bravo'])
})

test('aggregateTopic: channels are summed by name and sorted by name; a channel on one node has that node only', () => {
  const [a, b, ...rest] = twoNodeTopic().channels!
  assert.equal(rest.length, 0)
  assert.deepEqual([a!.node, a!.channel_name, a!.topic_name, a!.hostname, a!.depth, a!.memory_depth, a!.backend_depth], ['*', 'a', 't', 'alpha', 11, 9, 2])
  assert.deepEqual([a!.in_flight_count, a!.deferred_count, a!.requeue_count, a!.timeout_count, a!.message_count, a!.client_count], [7, 3, 7, 4, 110, 3])
  assert.deepEqual(a!.nodes?.map((n) => n.node), ['10.0.0.1:4151', '10.0.0.2:4151'])
  assert.deepEqual([b!.channel_name, b!.hostname, b!.depth, b!.memory_depth, b!.message_count], ['b', 'bravo', 4, 3, 40])
  assert.deepEqual(b!.nodes?.map((n) => n.node), ['10.0.0.2:4151'])
})

test('aggregateTopic: paused when any node is paused, not otherwise', () => {
  const on = aggregateTopic('t', [nodeTopic(A, topic(), NOW), nodeTopic(B, topic({paused: true}), NOW)])
  assert.equal(on.paused, true)
  assert.equal(aggregateTopic('t', [nodeTopic(A, topic(), NOW), nodeTopic(B, topic(), NOW)]).paused, false)
})

test('aggregateTopic: channels is null when no node has a channel; no nodes sums to 0', () => {
  assert.equal(aggregateTopic('t', [nodeTopic(A, topic({depth: 1}), NOW)]).channels, null)
  const empty = aggregateTopic('t', [])
  assert.deepEqual([empty.depth, empty.memory_depth, empty.message_count, empty.nodes, empty.channels, empty.paused], [0, 0, 0, [], null, false])
  assert.deepEqual(empty.e2e_processing_latency, {count: 0, percentiles: null, topic: 't', channel: '', host: '*'})
})

test('aggregateChannel: clients of every node concatenated and sorted by hostname; paused if any node is', () => {
  const n1 = nodeChannel(B, 't', channel({paused: true, clients: [client({hostname: 'mike', client_id: 'm'}), client({hostname: 'carl', client_id: 'c'})]}), NOW)
  const n2 = nodeChannel(A, 't', channel({clients: [client({hostname: 'yuri', client_id: 'y'}), client({hostname: 'dana', client_id: 'd'})]}), NOW)
  const agg = aggregateChannel('t', 'ch', [n1, n2])
  assert.deepEqual([agg.node, agg.hostname, agg.topic_name, agg.channel_name, agg.paused], ['*', '', 't', 'ch', true])
  assert.deepEqual(agg.clients?.map((c) => `${c.hostname}@${c.node}`), ['carl@10.0.0.2:4151', 'dana@10.0.0.1:4151', 'mike@10.0.0.2:4151', 'yuri@10.0.0.1:4151'])
  assert.equal(aggregateChannel('t', 'ch', [n1], 'given').hostname, 'given')
})

test('aggregateChannel: clients is null only when every node\'s clients is null', () => {
  const nul = nodeChannel(A, 't', channel({clients: null}), NOW)
  const one = nodeChannel(B, 't', channel({clients: [client({client_id: 'only'})]}), NOW)
  assert.equal(aggregateChannel('t', 'ch', [nul, nodeChannel(B, 't', channel({clients: null}), NOW)]).clients, null)
  assert.deepEqual(aggregateChannel('t', 'ch', [nul, one]).clients?.map((c) => c.client_id), ['only'])
  assert.deepEqual(aggregateChannel('t', 'ch', [nul, nodeChannel(B, 't', channel({clients: []}), NOW)]).clients, [])
})

test('sortByHostname: equal hostnames keep their input order, in nodes and in clients', () => {
  const xs = [{hostname: 'b', i: 1}, {hostname: 'a', i: 2}, {hostname: 'b', i: 3}, {hostname: 'a', i: 4}]
  assert.deepEqual(sortByHostname(xs).map((x) => x.i), [2, 4, 1, 3])
  assert.deepEqual(xs.map((x) => x.i), [1, 2, 3, 4]) // input not reordered
  const same1: NodeRef = {node: 'n1:4151', hostname: 'same'}
  const same2: NodeRef = {node: 'n2:4151', hostname: 'same'}
  const t = aggregateTopic('t', [nodeTopic(same2, topic(), NOW), nodeTopic(same1, topic(), NOW)])
  assert.deepEqual(t.nodes?.map((n) => n.node), ['n2:4151', 'n1:4151'])
  const c = nodeChannel(A, 't', channel({clients: [client({hostname: 'h', client_id: '1'}), client({hostname: 'g', client_id: '2'}), client({hostname: 'h', client_id: '3'})]}), NOW)
  assert.deepEqual(c.clients?.map((x) => x.client_id), ['2', '1', '3'])
})

test('mergeE2e: counts added, each quantile the count-weighted mean, quantiles ascending', () => {
  const m = mergeE2e([e2e(1, [{quantile: 0.99, value: 100}, {quantile: 0.5, value: 10}]), e2e(3, [{quantile: 0.5, value: 30}, {quantile: 0.99, value: 500}])], 'tp', 'cp', 'hp')
  assert.deepEqual(m, {count: 4, percentiles: [{quantile: 0.5, value: 25}, {quantile: 0.99, value: 400}], topic: 'tp', channel: 'cp', host: 'hp'})
})

test('mergeE2e: plain mean when every count is 0; a quantile only one node has is that node\'s; null when none has any', () => {
  assert.deepEqual(mergeE2e([e2e(0, [{quantile: 0.9, value: 100}]), e2e(0, [{quantile: 0.9, value: 200}])], '', '', '').percentiles, [{quantile: 0.9, value: 150}])
  assert.deepEqual(mergeE2e([e2e(2, [{quantile: 0.9, value: 80}]), e2e(5, null)], '', '', '').percentiles, [{quantile: 0.9, value: 80}])
  const none = mergeE2e([e2e(2, null), e2e(3, null)], 't', '', '*')
  assert.deepEqual([none.count, none.percentiles], [5, null])
})

test('aggregates: the topic\'s e2e carries the topic name and host "*", a channel aggregate\'s host "*"', () => {
  const p = (v: number) => ({count: 2, percentiles: [{quantile: 0.95, value: v}]})
  const t = aggregateTopic('orders', [nodeTopic(A, topic({e2e_processing_latency: p(10), channels: [channel({e2e_processing_latency: p(4)})]}), NOW),
    nodeTopic(B, topic({e2e_processing_latency: p(30), channels: [channel({e2e_processing_latency: p(8)})]}), NOW)])
  assert.deepEqual(t.e2e_processing_latency, {count: 4, percentiles: [{quantile: 0.95, value: 20}], topic: 'orders', channel: '', host: '*'})
  assert.deepEqual(t.channels?.[0]?.e2e_processing_latency, {count: 4, percentiles: [{quantile: 0.95, value: 6}], topic: '', channel: '', host: '*'})
  assert.deepEqual(t.nodes?.[0]?.e2e_processing_latency, {count: 2, percentiles: [{quantile: 0.95, value: 10}], topic: '', channel: '', host: ''})
})

test('key order: topic, channel and client objects list their keys in nsqadmin\'s JSON order', () => {
  const t = twoNodeTopic()
  assert.deepEqual(Object.keys(t), ['node', 'hostname', 'topic_name', 'depth', 'memory_depth', 'backend_depth', 'message_count', 'nodes', 'channels', 'paused', 'e2e_processing_latency'])
  assert.deepEqual(Object.keys(t.nodes![0]!), Object.keys(t))
  const channelKeys = ['node', 'hostname', 'topic_name', 'channel_name', 'depth', 'memory_depth', 'backend_depth', 'in_flight_count', 'deferred_count', 'requeue_count',
    'timeout_count', 'message_count', 'client_count', 'nodes', 'clients', 'paused', 'e2e_processing_latency']
  assert.deepEqual(Object.keys(t.channels![0]!), channelKeys)
  assert.deepEqual(Object.keys(t.channels![0]!.nodes![0]!), channelKeys)
  assert.deepEqual(Object.keys(t.e2e_processing_latency), ['count', 'percentiles', 'topic', 'channel', 'host'])
  assert.deepEqual(Object.keys(adminClient('n', client(), NOW)), ['node', 'remote_address', 'version', 'client_id', 'hostname', 'user_agent', 'connect_ts', 'connected',
    'in_flight_count', 'ready_count', 'finish_count', 'requeue_count', 'message_count', 'sample_rate', 'deflate', 'snappy', 'authed', 'auth_identity',
    'auth_identity_url', 'tls', 'tls_cipher_suite', 'tls_version', 'tls_negotiated_protocol', 'tls_negotiated_protocol_is_mutual'])
})

test('compareVersions: numeric part by part, missing parts are 0, answers -1, 0 or 1', () => {
  assert.equal(compareVersions('1.3.0', '1.2.1'), 1)
  assert.equal(compareVersions('1.2.1', '1.3.0'), -1)
  assert.equal(compareVersions('1.3.0', '1.3.0'), 0)
  assert.equal(compareVersions('1.3', '1.3.0'), 0)
  assert.equal(compareVersions('1.3.0', '1.3'), 0)
  assert.equal(compareVersions('1.10.0', '1.9.0'), 1) // not string order
  assert.equal(compareVersions('2.0.0', '1.99.99'), 1)
  assert.equal(compareVersions('1.3.1', '1.3'), 1)
})

test('compareVersions: a pre-release ranks below its release, and pre-releases compare as semver orders them', () => {
  assert.equal(compareVersions('1.3.0-alpha', '1.3.0-beta'), -1)
  assert.equal(compareVersions('1.3.0-rc.2', '1.3.0-rc.1'), 1)
  assert.equal(compareVersions('1.3.0-rc.10', '1.3.0-rc.9'), 1) // numbers as numbers
  assert.equal(compareVersions('1.3.0-rc1', '1.3.0-rc1'), 0)
  assert.equal(compareVersions('1.2.0-rc1', '1.3.0'), -1) // decided before the suffix
  assert.equal(compareVersions('1.3.0-rc1', '1.3.0'), -1)
  assert.equal(compareVersions('1.3.0', '1.3.0-rc1'), 1)
  assert.equal(compareVersions('1.3.0-rc', '1.3.0-rc.1'), -1) // fewer parts first
  assert.equal(compareVersions('1.3.0-1', '1.3.0-alpha'), -1) // numbers before text
})
