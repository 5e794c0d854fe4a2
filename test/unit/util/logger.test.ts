/** The injected logger: nsqd-style lines with real microseconds, level filtering and parsing, no output of its own. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {LOG_LEVELS, LOG_LEVEL_NUMBER, createLogger, isLogLevel, logStamp, parseLogLevel, silentLogger, withLevel} from '../../../src/core/util/logger.js'

const LINE = /^\[nsqd\] \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{6} (DEBUG|INFO|WARNING|ERROR): (.*)\n$/

test('createLogger: nsqd line format, one write per line', () => {
  const lines: string[] = []
  const log = createLogger({prefix: '[nsqd] ', write: (l) => lines.push(l)})
  assert.equal(log.level, 'info')
  log.info('TCP: listening on [::]:4150')
  assert.equal(lines.length, 1)
  const m = LINE.exec(lines[0] as string)
  assert.ok(m, lines[0])
  assert.equal(m[1], 'INFO')
  assert.equal(m[2], 'TCP: listening on [::]:4150')
})

test('createLogger: levels filter and tags', () => {
  const lines: string[] = []
  const log = createLogger({level: 'warn', prefix: '[nsqd] ', write: (l) => lines.push(l)})
  log.debug('d')
  log.info('i')
  log.warn('w')
  log.error('e')
  assert.deepEqual(
    lines.map((l) => LINE.exec(l)?.slice(1)),
    [
      ['WARNING', 'w'],
      ['ERROR', 'e'],
    ],
  )
  const all: string[] = []
  const dbg = createLogger({level: 'debug', write: (l) => all.push(l)})
  dbg.debug('x')
  dbg.info('x')
  assert.equal(all.length, 2)
  assert.match(all[0] as string, / DEBUG: x\n$/)
  const none: string[] = []
  const fatal = createLogger({level: 'fatal', write: (l) => none.push(l)})
  fatal.error('x')
  assert.deepEqual(none, [])
})

test('silentLogger and isLogLevel', () => {
  assert.doesNotThrow(() => {
    silentLogger.debug('x')
    silentLogger.info('x')
    silentLogger.warn('x')
    silentLogger.error('x')
  })
  assert.deepEqual([...LOG_LEVELS], ['debug', 'info', 'warn', 'error', 'fatal'])
  for (const l of LOG_LEVELS) assert.equal(isLogLevel(l), true)
  for (const s of ['', 'INFO', 'warning', 'trace']) assert.equal(isLogLevel(s), false)
})

test('parseLogLevel: nsqd\'s lg.ParseLogLevel accepts any case, nothing else', () => {
  const ok: [string, string][] = [
    ['debug', 'debug'],
    ['WARN', 'warn'],
    ['Info', 'info'],
    ['ERROR', 'error'],
    ['fAtAl', 'fatal'],
  ]
  for (const [s, want] of ok) assert.equal(parseLogLevel(s), want, s)
  for (const s of ['', 'warning', 'trace', ' info', 'info\n', 'debug1']) assert.equal(parseLogLevel(s), null, JSON.stringify(s))
})

test('LOG_LEVEL_NUMBER: nsqd\'s lg.LogLevel values (what /config/log_level answers)', () => {
  assert.deepEqual(LOG_LEVEL_NUMBER, {debug: 1, info: 2, warn: 3, error: 4, fatal: 5})
})

test('logStamp: Go\'s log.Ldate|Ltime|Lmicroseconds in local time, all six digits', () => {
  const ms = new Date(2026, 10, 21, 3, 10, 49, 123).getTime()
  assert.equal(logStamp(ms * 1000 + 456), '2026/11/21 03:10:49.123456')
  assert.equal(logStamp(ms * 1000), '2026/11/21 03:10:49.123000')
  assert.equal(logStamp(new Date(2026, 0, 2, 4, 5, 6, 0).getTime() * 1000 + 7), '2026/01/02 04:05:06.000007')
})

test('createLogger: the microseconds are real, not milliseconds padded with zeros', () => {
  const lines: string[] = []
  const log = createLogger({prefix: '[nsqd] ', write: (l) => lines.push(l)})
  for (let i = 0; i < 200; i++) log.info(`line ${i}`)
  const micros = lines.map((l) => Number(/\.(\d{6}) /.exec(l)?.[1]))
  // a real stamp ends in 000 one time in a thousand; a millisecond clock always does
  const real = micros.filter((u) => u % 1000 !== 0).length
  assert.ok(real >= 150, `only ${real} of 200 stamps have sub-millisecond digits: ${lines.slice(0, 3).join('')}`)
  // and they follow the wall clock: the stamp of a line just written is within a few ms of now
  const last = lines.at(-1) as string
  const stamp = /\] (\d{4})\/(\d{2})\/(\d{2}) (\d{2}):(\d{2}):(\d{2})\.(\d{6}) /.exec(last)
  assert.ok(stamp)
  const [, y, mo, d, h, mi, sec, us] = stamp.map(Number) as number[]
  const at = new Date(y as number, (mo as number) - 1, d, h, mi, sec).getTime() + (us as number) / 1000
  assert.ok(Math.abs(at - Date.now()) < 50, `stamp ${at} vs now ${Date.now()}`)
})

test('createLogger: setLevel changes the level while it runs', () => {
  const lines: string[] = []
  const log = createLogger({level: 'info', write: (l) => lines.push(l)})
  log.debug('hidden')
  log.setLevel('debug')
  assert.equal(log.level, 'debug')
  log.debug('shown')
  log.setLevel('error')
  log.warn('hidden')
  log.error('shown')
  assert.deepEqual(
    lines.map((l) => / (DEBUG|INFO|WARNING|ERROR): (.*)\n$/.exec(l)?.slice(1).join(' ')),
    ['DEBUG shown', 'ERROR shown'],
  )
})

test('withLevel: its own level filters in front of the inner logger, which keeps its level', () => {
  const lines: string[] = []
  const inner = createLogger({level: 'debug', write: (l) => lines.push(l)})
  const log = withLevel(inner, 'warn')
  assert.equal(log.level, 'warn')
  log.info('dropped')
  log.warn('kept')
  log.setLevel('debug')
  assert.equal(log.level, 'debug')
  log.debug('now kept')
  assert.equal(inner.level, 'debug', 'the inner logger is not changed')
  assert.deepEqual(
    lines.map((l) => / (\w+): (.*)\n$/.exec(l)?.slice(1)),
    [
      ['WARNING', 'kept'],
      ['DEBUG', 'now kept'],
    ],
  )
})

test('withLevel: reports the stricter level, and the inner logger still drops what is below its own', () => {
  const lines: string[] = []
  const inner = createLogger({level: 'error', write: (l) => lines.push(l)})
  const log = withLevel(inner, 'debug')
  assert.equal(log.level, 'error', 'callers need not build lines that will not be written')
  log.info('i')
  log.error('e')
  assert.equal(lines.length, 1)
  assert.equal(withLevel(silentLogger, 'info').level, 'fatal')
})
