/**
 * --mode=round-robin: nsq_to_http's and nsq_to_nsq's counter, atomic.AddUint64(&counter, 1) %
 * len(addresses) — the first message goes to hosts[1] — and an exact spread; marks change
 * nothing (a failing host is not skipped).
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {RoundRobinPool} from '../../../../src/core/tools/host-pool/round-robin.js'
import type {HostPool} from '../../../../src/core/tools/host-pool/types.js'

function picks(pool: HostPool, n: number, err: unknown = null): string[] {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const p = pool.pick()
    assert.equal(p.host, pool.hosts[p.index], 'host and index agree')
    p.mark(err)
    out.push(p.host)
  }
  return out
}

test('the first pick is hosts[1] (the counter after its increment), then in order, wrapping', () => {
  const pool = new RoundRobinPool(['a', 'b', 'c'])
  assert.deepEqual(picks(pool, 9), ['b', 'c', 'a', 'b', 'c', 'a', 'b', 'c', 'a'])
})

test('two hosts alternate from the second', () => {
  assert.deepEqual(picks(new RoundRobinPool(['a', 'b']), 5), ['b', 'a', 'b', 'a', 'b'])
})

test('one host is every pick, index 0', () => {
  const pool = new RoundRobinPool(['only'])
  for (let i = 0; i < 5; i++) {
    const p = pool.pick()
    assert.equal(p.index, 0)
    assert.equal(p.host, 'only')
    p.mark(null)
  }
})

test('an exact spread: 7 hosts × 1000 picks each, never the same host twice in a row', () => {
  const hosts = ['h0', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6']
  const pool = new RoundRobinPool(hosts)
  const seen = new Map<number, number>()
  let prev = -1
  for (let i = 0; i < 7000; i++) {
    const p = pool.pick()
    assert.notEqual(p.index, prev)
    assert.equal(p.index, (i + 1) % 7, `pick ${i}`)
    prev = p.index
    seen.set(p.index, (seen.get(p.index) ?? 0) + 1)
    p.mark(null)
  }
  assert.deepEqual([...seen.values()], [1000, 1000, 1000, 1000, 1000, 1000, 1000])
})

test('failures are not remembered: a failing host keeps its turn', () => {
  const failing = new RoundRobinPool(['a', 'b', 'c'])
  const ok = new RoundRobinPool(['a', 'b', 'c'])
  assert.deepEqual(picks(failing, 12, new Error('refused')), picks(ok, 12))
})

test('marking twice, or not at all, changes nothing', () => {
  const pool = new RoundRobinPool(['a', 'b'])
  const p = pool.pick()
  p.mark(new Error('x'))
  p.mark(null)
  pool.pick()
  assert.equal(pool.pick().host, 'b')
})

test('hosts is the list it was given', () => {
  assert.deepEqual(new RoundRobinPool(['x', 'y']).hosts, ['x', 'y'])
})
