/**
 * core/tools/stat/rows.ts: a channel summed over nodes and the line of an interval
 * (NSQ-SPEC §1.6): ingress as nsq_stat, egress as messages finished per second and never
 * negative (#1392, #1399), truncation toward zero, the configured interval, and the per-node
 * deltas (a node new this interval or restarted adds nothing to the rates).
 */
import assert from 'node:assert/strict'
import test from 'node:test'
import {finished, rates, statRow, sumCounters, totalsColumns, type ChannelCounters} from '../../../../src/core/tools/stat/rows.js'

const c = (over: Partial<ChannelCounters> = {}): ChannelCounters => ({
  depth: 0,
  backend_depth: 0,
  in_flight_count: 0,
  deferred_count: 0,
  message_count: 0,
  requeue_count: 0,
  timeout_count: 0,
  client_count: 0,
  paused: false,
  ...over,
})
const nodes = (...list: [string, ChannelCounters][]): Map<string, ChannelCounters> => new Map(list)

test('sumCounters: every counter summed, nodes and paused nodes counted', () => {
  const t = sumCounters([
    c({depth: 10, backend_depth: 4, in_flight_count: 1, deferred_count: 2, message_count: 100, requeue_count: 3, timeout_count: 4, client_count: 1}),
    c({depth: 5, backend_depth: 1, in_flight_count: 2, deferred_count: 1, message_count: 50, requeue_count: 1, timeout_count: 0, client_count: 2, paused: true}),
  ])
  assert.deepEqual(t, {depth: 15, backend_depth: 5, in_flight_count: 3, deferred_count: 3, message_count: 150, requeue_count: 4, timeout_count: 4, client_count: 3, nodes: 2, pausedNodes: 1})
  assert.deepEqual(sumCounters([]), {depth: 0, backend_depth: 0, in_flight_count: 0, deferred_count: 0, message_count: 0, requeue_count: 0, timeout_count: 0, client_count: 0, nodes: 0, pausedNodes: 0})
})

test('totalsColumns: total = depth, mem = depth − backend_depth, disk = backend_depth, the rest as summed', () => {
  const t = sumCounters([c({depth: 10, backend_depth: 4, in_flight_count: 1, deferred_count: 2, message_count: 100, requeue_count: 3, timeout_count: 4, client_count: 5})])
  assert.deepEqual(totalsColumns(t), {total: 10, mem: 6, disk: 4, inflt: 1, def: 2, req: 3, 't-o': 4, msgs: 100, clients: 5})
})

test('finished: message_count − depth − in_flight − deferred', () => {
  assert.equal(finished(c({message_count: 100, depth: 10, in_flight_count: 5, deferred_count: 3})), 82)
})

test('ingress = Δmessage_count / interval; egress = Δfinished / interval', () => {
  const prev = nodes(['a', c({message_count: 100, depth: 10})])
  const cur = nodes(['a', c({message_count: 300, depth: 50, in_flight_count: 10})])
  // 2 s: 200 in → 100/s; finished 90 → 240: 150 → 75/s
  assert.deepEqual(rates(prev, cur, 2000), {ingress: 100, egress: 75})
  // the configured interval, not 1 s: 200 ms → ×5
  assert.deepEqual(rates(prev, cur, 200), {ingress: 1000, egress: 750})
})

test('rates truncate toward zero (Go\'s int64())', () => {
  const prev = nodes(['a', c({message_count: 0})])
  assert.deepEqual(rates(prev, nodes(['a', c({message_count: 7})]), 2000), {ingress: 3, egress: 3})
  assert.deepEqual(rates(prev, nodes(['a', c({message_count: 1})]), 3000), {ingress: 0, egress: 0})
})

test('egress is never negative: what nsq_stat shows as negative (messages in flight or deferred) is 0', () => {
  // nsq_stat: Δmsg − Δdepth = 0 − (−10) = 10/s although nothing finished: 10 went in flight
  const prev = nodes(['a', c({message_count: 100, depth: 20})])
  const cur = nodes(['a', c({message_count: 100, depth: 10, in_flight_count: 10})])
  assert.deepEqual(rates(prev, cur, 1000), {ingress: 0, egress: 0})
  // requeued back from in flight: finished goes down, egress stays 0
  const back = nodes(['a', c({message_count: 100, depth: 20, in_flight_count: 0})])
  assert.deepEqual(rates(cur, back, 1000), {ingress: 0, egress: 0})
  // timed out messages deferred: unchanged
  const deferred = nodes(['a', c({message_count: 100, depth: 10, deferred_count: 10})])
  assert.deepEqual(rates(cur, deferred, 1000), {ingress: 0, egress: 0})
})

test('two nodes: the deltas summed', () => {
  const prev = nodes(['a', c({message_count: 10})], ['b', c({message_count: 20, depth: 20})])
  const cur = nodes(['a', c({message_count: 30})], ['b', c({message_count: 40, depth: 10})])
  assert.deepEqual(rates(prev, cur, 1000), {ingress: 40, egress: 50})
})

test('a node new this interval (or back after a failure) adds nothing to the rates, its counters to the sums', () => {
  const prev = nodes(['a', c({message_count: 10})])
  const cur = nodes(['a', c({message_count: 20})], ['b', c({message_count: 1000, depth: 7})])
  const r = statRow(prev, cur, 1000)
  assert.equal(r.ingress, 10)
  assert.equal(r.egress, 10)
  assert.equal(r.msgs, 1020)
  assert.equal(r.total, 7)
})

test('a node gone this interval: its counters leave the sums, the rates do not go negative', () => {
  const prev = nodes(['a', c({message_count: 10})], ['b', c({message_count: 1000})])
  const r = statRow(prev, nodes(['a', c({message_count: 15})]), 1000)
  assert.equal(r.ingress, 5)
  assert.equal(r.msgs, 15)
})

test('a node whose message_count went back (restarted) counts from its new values', () => {
  const prev = nodes(['a', c({message_count: 500})], ['b', c({message_count: 10})])
  const cur = nodes(['a', c({message_count: 3})], ['b', c({message_count: 12})])
  assert.deepEqual(rates(prev, cur, 1000), {ingress: 2, egress: 2})
})

test('statRow: the rates and the summed columns in one line', () => {
  const prev = nodes(['a', c({message_count: 0})])
  const cur = nodes(['a', c({message_count: 4, depth: 2, backend_depth: 1, in_flight_count: 1, requeue_count: 1, client_count: 1})])
  assert.deepEqual(statRow(prev, cur, 1000), {ingress: 4, egress: 1, total: 2, mem: 1, disk: 1, inflt: 1, def: 0, req: 1, 't-o': 0, msgs: 4, clients: 1})
})
