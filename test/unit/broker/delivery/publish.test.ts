/** The publish rules both transports share (broker/publish.ts): each edge, and the fault named. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {bodySizeFault, deferFault, messageSizeFault, topicNameFault, type PublishError} from '../../../../src/core/broker/delivery/publish.js'

const LIMITS = {maxMsgSize: 10, maxBodySize: 40, maxReqTimeout: 1000}
const fault = (f: PublishError | null): [string, string | number, number] | null => (f === null ? null : [f.fault, f.value, f.max])

test('topic names: nsqd\'s rule', () => {
  for (const ok of ['t', 'a.b_c-d', 'x'.repeat(64), 't#ephemeral']) assert.equal(topicNameFault(ok), null, ok)
  for (const bad of ['', 'bad!name', 'x'.repeat(65), 'a b']) assert.deepEqual(fault(topicNameFault(bad)), ['BAD_TOPIC', bad, 0], bad)
})

test('message size: 1 to --max-msg-size', () => {
  assert.deepEqual(fault(messageSizeFault(0, LIMITS)), ['EMPTY_MESSAGE', 0, 0])
  assert.deepEqual(fault(messageSizeFault(-1, LIMITS)), ['EMPTY_MESSAGE', -1, 0])
  assert.equal(messageSizeFault(1, LIMITS), null)
  assert.equal(messageSizeFault(10, LIMITS), null)
  assert.deepEqual(fault(messageSizeFault(11, LIMITS)), ['MESSAGE_SIZE', 11, 10])
})

test('MPUB body size: 1 to --max-body-size', () => {
  assert.deepEqual(fault(bodySizeFault(0, LIMITS)), ['EMPTY_BODY', 0, 0])
  assert.equal(bodySizeFault(40, LIMITS), null)
  assert.deepEqual(fault(bodySizeFault(41, LIMITS)), ['BODY_SIZE', 41, 40])
})

test('defer: 0 to --max-req-timeout ms', () => {
  assert.equal(deferFault(0, LIMITS), null)
  assert.equal(deferFault(1000, LIMITS), null)
  assert.deepEqual(fault(deferFault(1001, LIMITS)), ['DEFER_RANGE', 1001, 1000])
  assert.deepEqual(fault(deferFault(-1, LIMITS)), ['DEFER_RANGE', -1, 1000])
})
