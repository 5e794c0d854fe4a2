/** Go time.Duration strings: parseDuration -> milliseconds, formatDuration -> Duration.String(). */
import test from 'node:test'
import assert from 'node:assert/strict'

import {DurationError, formatDuration, parseDuration} from '../../../src/core/util/duration.js'

test('parseDuration: Go duration strings to milliseconds', () => {
  const cases: [string, number][] = [
    ['60s', 60000],
    ['250ms', 250],
    ['1m30s', 90000],
    ['1.5h', 5400000],
    ['0', 0],
    ['-2s', -2000],
    ['+5s', 5000],
    ['1us', 0.001],
    ['1µs', 0.001], // U+00B5 micro sign
    ['1μs', 0.001], // U+03BC greek mu
    ['1h2m3s4ms', 3723004],
    ['2h45m', 9900000],
    ['.5s', 500],
    ['1.s', 1000],
    ['0s', 0],
    ['-1.5h', -5400000],
    ['90000ms', 90000],
  ]
  for (const [s, ms] of cases) assert.equal(parseDuration(s), ms, s)
})

test('parseDuration: nanoseconds are kept as a fraction of a millisecond', () => {
  assert.ok(Math.abs(parseDuration('100ns') - 0.0001) < 1e-15)
  assert.ok(Math.abs(parseDuration('1ns') - 0.000001) < 1e-15)
})

test('parseDuration: -0 is 0', () => {
  assert.ok(Object.is(parseDuration('-0'), 0))
})

test('parseDuration: errors', () => {
  for (const s of ['', '10', 'abc', '1x', '-', '+', 's', '1s2', '1.2.3s', '1 s', '--1s', '.s', 'ms', '1S', '1sec', '1d', '1h-2m']) {
    assert.throws(
      () => parseDuration(s),
      (err: unknown) => {
        assert.ok(err instanceof DurationError, `${JSON.stringify(s)}: ${String(err)}`)
        assert.equal(err.code, 'ERR_INVALID_DURATION')
        assert.equal(err.input, s)
        assert.equal(err.name, 'DurationError')
        assert.match(err.message, /use a Go duration such as 60s/)
        return true
      },
      JSON.stringify(s),
    )
  }
})

test('formatDuration: like Go Duration.String()', () => {
  const cases: [number, string][] = [
    [60000, '1m0s'],
    [250, '250ms'],
    [3600000, '1h0m0s'],
    [2000, '2s'],
    [1500, '1.5s'],
    [0, '0s'],
    [-2000, '-2s'],
    [90000, '1m30s'],
    [5400000, '1h30m0s'],
    [86400000, '24h0m0s'],
    [61001, '1m1.001s'],
    [3723004, '1h2m3.004s'],
    [1.5, '1.5ms'],
    [100.5, '100.5ms'],
    [0.001, '1µs'],
    [0.1234567, '123.457µs'],
    [0.0005, '500ns'],
    [0.000001, '1ns'],
  ]
  for (const [ms, s] of cases) assert.equal(formatDuration(ms), s, String(ms))
})

test('formatDuration -> parseDuration round-trips', () => {
  for (const ms of [0, 1, 250, 999, 1000, 1500, 59999, 60000, 61001, 3599999, 3600000, 5400000, 86400000, -2000, 0.5]) {
    assert.equal(parseDuration(formatDuration(ms)), ms, String(ms))
  }
})

test('parseDuration throws only DurationError on random input (seeded)', () => {
  let seed = 12345
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff
    return seed / 0x80000000
  }
  const alphabet = '0123456789.+-nsuµmh x'
  for (let i = 0; i < 2000; i++) {
    let s = ''
    const n = Math.floor(rnd() * 8)
    for (let j = 0; j < n; j++) s += alphabet[Math.floor(rnd() * alphabet.length)]
    try {
      assert.equal(typeof parseDuration(s), 'number')
    } catch (err) {
      assert.ok(err instanceof DurationError, `${JSON.stringify(s)}: ${String(err)}`)
    }
  }
})
