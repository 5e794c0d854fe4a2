/**
 * TimerMetrics: bitly/timer_metrics v1.0.0's status lines, as nsq_to_http and nsq_to_nsq print
 * them. A ring of the last N durations: the line comes when a record wraps the ring — at
 * records N+1, 2N+1, … — each over the N latest (the line after a line counts none of its
 * durations); the percentile index int(ceil(p/100·n + 0.5)) capped at n-1; Go's ns arithmetic
 * (average truncated to the ns) and %.02f (a tie to even); N = 0 off, N < 0 a line per record;
 * the warning below 100; snapshot() over the ring.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {TimerMetrics} from '../../../src/core/tools/timer-metrics.js'

function metrics(statusEvery: number, prefix = '[aggregate]:') {
  const lines: string[] = []
  const warnings: string[] = []
  const m = new TimerMetrics(statusEvery, prefix, (l) => lines.push(l), (l) => warnings.push(l))
  return {m, lines, warnings}
}

const range = (from: number, to: number): number[] => Array.from({length: to - from + 1}, (_, i) => from + i)

test('N = 100, records of 1 … 100 ms: no line yet; the 101st wraps the ring and prints records 2 … 101', () => {
  const {m, lines} = metrics(100)
  for (const ms of range(1, 100)) m.record(ms)
  assert.deepEqual(lines, [])
  m.record(101)
  // sorted 2…101: 99th at index min(ceil(99.5), 99) = 99 → 101; 95th at ceil(95.5) = 96 → 98
  assert.deepEqual(lines, ['[aggregate]: finished 100 - 99th: 101.00ms - 95th: 98.00ms - avg: 51.50ms'])
})

test('N = 250 (the default), 1 … 251 ms: one line, over 2 … 251', () => {
  const {m, lines} = metrics(250)
  for (const ms of range(1, 250)) m.record(ms)
  assert.deepEqual(lines, [])
  m.record(251)
  // 0.99·250 + 0.5 = 248 → 250; 0.95·250 + 0.5 = 238 → 240; (2 + 251)/2
  assert.deepEqual(lines, ['[aggregate]: finished 250 - 99th: 250.00ms - 95th: 240.00ms - avg: 126.50ms'])
})

test('a line every N records after that, each over N durations no earlier line counted', () => {
  const {m, lines} = metrics(100, '[http://127.0.0.1:8080/post]:')
  for (const ms of range(1, 200)) m.record(ms)
  assert.equal(lines.length, 1)
  m.record(201)
  assert.equal(lines.length, 2)
  assert.equal(lines[1], '[http://127.0.0.1:8080/post]: finished 100 - 99th: 201.00ms - 95th: 198.00ms - avg: 151.50ms')
  for (const ms of range(202, 300)) m.record(ms)
  assert.equal(lines.length, 2)
  m.record(1) // the smallest yet, in the third window only
  assert.equal(lines[2], '[http://127.0.0.1:8080/post]: finished 100 - 99th: 300.00ms - 95th: 297.00ms - avg: 248.50ms')
})

test('large slow values first do not leak into the next line', () => {
  const {m, lines} = metrics(100)
  for (let i = 0; i < 101; i++) m.record(5_000)
  for (let i = 0; i < 100; i++) m.record(2)
  assert.equal(lines[1], '[aggregate]: finished 100 - 99th: 2.00ms - 95th: 2.00ms - avg: 2.00ms')
})

test('N = 1000: the 95th is the 952nd smallest, the 99th the 992nd', () => {
  const {m, lines} = metrics(1000)
  for (const ms of range(1, 1001)) m.record(ms)
  // sorted 2…1001: index 951 → 953, index 991 → 993
  assert.deepEqual(lines, ['[aggregate]: finished 1000 - 99th: 993.00ms - 95th: 953.00ms - avg: 501.50ms'])
})

test('two decimals as Go prints them: to nearest, an exact tie to the even digit', () => {
  for (const [ms, shown] of [
    [0.125, '0.12'],
    [0.375, '0.38'],
    [0.625, '0.62'],
    [0.875, '0.88'],
    [1.125, '1.12'],
    [2.5, '2.50'],
    [1.234567, '1.23'],
    [1.235001, '1.24'],
    [1.996, '2.00'],
    [0.004, '0.00'],
    [12_345.678, '12345.68'],
  ] as const) {
    const {m, lines} = metrics(100)
    for (let i = 0; i < 101; i++) m.record(ms)
    assert.equal(lines[0], `[aggregate]: finished 100 - 99th: ${shown}ms - 95th: ${shown}ms - avg: ${shown}ms`, String(ms))
  }
})

test('durations are whole nanoseconds and the average is truncated to one', () => {
  const {m} = metrics(100)
  m.record(0.000001) // 1 ns
  m.record(0.000001)
  m.record(0.0000024) // 2 ns (rounded)
  const s = m.snapshot()
  assert.equal(s.count, 3)
  assert.ok(Math.abs(s.avg - 0.000001) < 1e-12, `4 ns / 3 = 1 ns, not 1.33: ${s.avg}`)
  assert.ok(Math.abs(s.p99 - 0.000002) < 1e-12)
})

test('the average in the line is truncated to the ns too: 125 000.5 ns shows as 0.125 ms, a tie, so 0.12', () => {
  const {m, lines} = metrics(2)
  m.record(1) // wrapped over, never counted
  m.record(0.125) // 125 000 ns
  m.record(0.125001) // 125 001 ns: the line; the mean is 125 000.5 ns → 125 000
  assert.deepEqual(lines, ['[aggregate]: finished 2 - 99th: 0.13ms - 95th: 0.13ms - avg: 0.12ms'])
})

test('N = 0 records nothing: no line, no warning, an empty snapshot', () => {
  const {m, lines, warnings} = metrics(0)
  for (let i = 0; i < 1000; i++) m.record(i)
  assert.deepEqual(lines, [])
  assert.deepEqual(warnings, [])
  assert.deepEqual(m.snapshot(), {count: 0, p95: 0, p99: 0, avg: 0})
})

test('N below 100 warns once, at construction, through warn (not log)', () => {
  for (const n of [1, 2, 50, 99]) {
    const {m, lines, warnings} = metrics(n)
    assert.deepEqual(warnings, [`Warning: use more than 100 status values for accurate percentiles (configured with ${n})`])
    for (let i = 0; i < 3 * n + 1; i++) m.record(1)
    assert.equal(warnings.length, 1)
    assert.equal(lines.length, 3)
  }
  for (const n of [0, 100, 250, -5]) assert.deepEqual(metrics(n).warnings, [], String(n))
  assert.doesNotThrow(() => new TimerMetrics(10, 'x', () => undefined), 'no warn given: no warning')
})

test('N = 2: a line at the 3rd record, over the 2nd and 3rd; both percentiles are the largest', () => {
  const {m, lines} = metrics(2)
  m.record(10)
  m.record(20)
  assert.deepEqual(lines, [])
  m.record(30)
  assert.deepEqual(lines, ['[aggregate]: finished 2 - 99th: 30.00ms - 95th: 30.00ms - avg: 25.00ms'])
  m.record(40)
  m.record(1)
  assert.equal(lines[1], '[aggregate]: finished 2 - 99th: 40.00ms - 95th: 40.00ms - avg: 20.50ms')
})

test('N = 1: from the 2nd record on, a line per record over that record', () => {
  const {m, lines} = metrics(1, '[p]:')
  m.record(7)
  assert.deepEqual(lines, [])
  m.record(8)
  m.record(9)
  assert.deepEqual(lines, [
    '[p]: finished 1 - 99th: 8.00ms - 95th: 8.00ms - avg: 8.00ms',
    '[p]: finished 1 - 99th: 9.00ms - 95th: 9.00ms - avg: 9.00ms',
  ])
})

test('a negative N (Go takes one) wraps at every record: a line per record, from the first', () => {
  const {m, lines} = metrics(-1)
  m.record(5)
  m.record(7.5)
  assert.deepEqual(lines, [
    '[aggregate]: finished 1 - 99th: 5.00ms - 95th: 5.00ms - avg: 5.00ms',
    '[aggregate]: finished 1 - 99th: 7.50ms - 95th: 7.50ms - avg: 7.50ms',
  ])
})

test('snapshot(): the ring as it is now — the latest min(records, N) durations', () => {
  const {m} = metrics(100)
  assert.deepEqual(m.snapshot(), {count: 0, p95: 0, p99: 0, avg: 0})
  m.record(1)
  m.record(2)
  m.record(6)
  // 3 durations: ceil(0.95·3 + 0.5) = 4 and ceil(3.47 + 0.5) = 4, both past the end → the largest
  assert.deepEqual(m.snapshot(), {count: 3, p95: 6, p99: 6, avg: 3})
  for (const ms of range(4, 150)) m.record(ms)
  // 150 records: the ring holds 51 … 150
  assert.deepEqual(m.snapshot(), {count: 100, p95: 147, p99: 150, avg: 100.5})
})

test('a status every that is not an integer is an Error', () => {
  for (const n of [1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(() => new TimerMetrics(n, 'x', () => undefined), /status every must be an integer/)
  }
})
