import assert from 'node:assert/strict'
import {test} from 'node:test'
import {MulticastLedger} from '../../../../src/core/tools/to-http/multicast-ledger.js'

test('a new id is owed every endpoint; delivered ones are no longer owed; forget starts over', () => {
  const l = new MulticastLedger(3)
  assert.deepEqual(l.owed('a'), [0, 1, 2])
  l.delivered('a', 1)
  assert.deepEqual(l.owed('a'), [0, 2])
  l.delivered('a', 0)
  l.delivered('a', 0)
  assert.deepEqual(l.owed('a'), [2])
  assert.deepEqual(l.owed('b'), [0, 1, 2], 'ids are apart')
  l.forget('a')
  assert.deepEqual(l.owed('a'), [0, 1, 2])
  assert.equal(l.size, 0)
})

test('bounded: past the capacity the oldest id is forgotten first', () => {
  const l = new MulticastLedger(2, 3)
  for (const id of ['a', 'b', 'c', 'd']) l.delivered(id, 0)
  assert.equal(l.size, 3)
  assert.deepEqual(l.owed('a'), [0, 1], 'the oldest went')
  assert.deepEqual(l.owed('d'), [1])
  assert.deepEqual(l.owed('b'), [1])
})
