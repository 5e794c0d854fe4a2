/** BrokerMessage.copy(): one record per channel, sharing the body. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {BrokerMessage} from '../../../../src/core/broker/delivery/message.js'

test('a new message starts with no attempts and no in-flight state', () => {
  const m = BrokerMessage.withId('0123456789abcdef', Buffer.from('hi'), 1, 2)
  assert.equal(m.attempts, 0)
  assert.equal(m.deferMs, 0)
  assert.equal(m.clientId, 0)
  // -0: a double from the start (message.ts); == 0 to every comparison the broker makes
  assert.ok(m.deadline === 0 && Object.is(m.deadline, -0))
  assert.ok(m.delivered === 0 && Object.is(m.delivered, -0))
  assert.equal(m.slot, null)
})

test('copy() keeps id, body, timestamp and deferMs; attempts start at 0', () => {
  const body = Buffer.from('payload')
  const m = BrokerMessage.withId('0123456789abcdef', body, 395812345, 4000000001)
  m.deferMs = 2500
  m.attempts = 7
  m.clientId = 12
  m.deadline = 1700000000000
  m.delivered = 1699999999000
  m.slot = new Set()
  const c = m.copy()
  assert.ok(c instanceof BrokerMessage)
  assert.notEqual(c, m)
  assert.equal(c.id, m.id)
  assert.equal(c.body, body, 'the body bytes are shared, not copied')
  assert.equal(c.tsHigh, 395812345)
  assert.equal(c.tsLow, 4000000001)
  assert.equal(c.deferMs, 2500)
  assert.equal(c.attempts, 0)
  assert.equal(c.clientId, 0)
  assert.ok(c.deadline === 0 && c.delivered === 0)
  assert.equal(c.slot, null)
  // the copy is independent
  c.attempts = 3
  assert.equal(m.attempts, 7)
})
