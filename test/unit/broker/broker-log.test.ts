/**
 * The broker's log level (nsqd's --log-level and PUT /config/log_level) applies to the lines
 * the broker writes, through the logger it was given: that logger is neither replaced (an
 * embedder's lines stay where the embedder sends them) nor changed.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {Broker} from '../../../src/core/broker/index.js'
import {createLogger, type Logger} from '../../../src/core/util/logger.js'

test('setOption(logLevel) filters the broker\'s lines on the injected logger and leaves that logger as it was', async () => {
  const lines: string[] = []
  const injected = createLogger({level: 'debug', prefix: '[embedder] ', write: (l) => lines.push(l)})
  const broker = new Broker({logLevel: 'info'}, {logger: injected})
  try {
    broker.getTopic('a')
    broker.setOption('logLevel', 'warn')
    broker.getTopic('b')
    broker.setOption('logLevel', 'info')
    broker.getTopic('c')
    const created = lines.filter((l) => l.includes('): created')).map((l) => /TOPIC\((\w)\)/.exec(l)?.[1])
    assert.deepEqual(created, ['a', 'c'], 'no TOPIC(b) line at warn')
    assert.ok(lines.every((l) => l.startsWith('[embedder] ')), 'every line went through the injected logger')
    assert.equal(injected.level, 'debug', "the embedder's logger keeps its own level")
    assert.equal(broker.opts.logLevel, 'info')
  } finally {
    await broker.close()
  }
})

test('a plain injected logger (no setLevel) is filtered too: PUT /config/log_level is not a no-op for it', async () => {
  const lines: string[] = []
  const plain: Logger = {
    level: 'debug',
    debug: (m) => lines.push(`D ${m}`),
    info: (m) => lines.push(`I ${m}`),
    warn: (m) => lines.push(`W ${m}`),
    error: (m) => lines.push(`E ${m}`),
  }
  const broker = new Broker({}, {logger: plain})
  try {
    broker.setOption('logLevel', 'error')
    broker.getTopic('quiet')
    assert.ok(!lines.some((l) => l.includes('TOPIC(quiet)')), lines.join('\n'))
  } finally {
    await broker.close()
  }
})
