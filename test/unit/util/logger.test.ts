/** The injected logger: nsqd-style lines, level filtering, no output of its own. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {LOG_LEVELS, createLogger, isLogLevel, silentLogger} from '../../../src/core/util/logger.js'

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
