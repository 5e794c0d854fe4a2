/** Topic and channel names: ^[.a-zA-Z0-9_-]+(#ephemeral)?$, 1..64 characters. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {
  EPHEMERAL_SUFFIX,
  MAX_NAME_LENGTH,
  isEphemeral,
  isValidChannelName,
  isValidName,
  isValidTopicName,
} from '../../../src/core/protocol/index.js'

test('names: valid', () => {
  for (const n of ['t', 'ref_tcp', 'a.b-c_d', 'ABC123', '...', '-', '_', 'x#ephemeral', 'ch.1#ephemeral', '0']) {
    assert.equal(isValidName(n), true, n)
    assert.equal(isValidTopicName(n), true, n)
    assert.equal(isValidChannelName(n), true, n)
  }
})

test('names: invalid', () => {
  for (const n of [
    '',
    'bad!topic',
    'ch!bad',
    'a b',
    'a/b',
    'a:b',
    'é',
    '#ephemeral',
    'x#ephemeral#ephemeral',
    'x#Ephemeral',
    'x#ephemera',
    'x#',
    'x#ephemeralx',
    'a\n',
    '\na',
    'a\u0000',
    ' a',
  ]) {
    assert.equal(isValidName(n), false, JSON.stringify(n))
    assert.equal(isValidTopicName(n), false)
    assert.equal(isValidChannelName(n), false)
  }
})

test('names: 64 characters is the limit, suffix included', () => {
  assert.equal(MAX_NAME_LENGTH, 64)
  assert.equal(isValidName('a'.repeat(64)), true)
  assert.equal(isValidName('a'.repeat(65)), false)
  const eph = 'a'.repeat(64 - EPHEMERAL_SUFFIX.length) + EPHEMERAL_SUFFIX
  assert.equal(eph.length, 64)
  assert.equal(isValidName(eph), true)
  assert.equal(isValidName('a' + eph), false)
})

test('names: isEphemeral', () => {
  assert.equal(EPHEMERAL_SUFFIX, '#ephemeral')
  assert.equal(isEphemeral('ch#ephemeral'), true)
  assert.equal(isEphemeral('ch'), false)
  assert.equal(isEphemeral('ephemeral'), false)
  assert.equal(isEphemeral('ch#ephemeral.x'), false)
})
