/** IDENTIFY bodies, decoded the way nsqd's encoding/json would. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {ProtocolError, decodeIdentify, decodeIdentifyResponse, identify} from '../../../src/core/protocol/index.js'

const dec = (s: string) => decodeIdentify(Buffer.from(s, 'utf8'))

const isDecodeError = (err: unknown): boolean =>
  err instanceof ProtocolError &&
  err.code === 'E_BAD_BODY' &&
  err.frameText() === 'E_BAD_BODY IDENTIFY failed to decode JSON body' &&
  err.fatal

test('decodeIdentify: every known field', () => {
  const req = {
    client_id: 'c',
    hostname: 'h',
    user_agent: 'go-nsq/1.1.0',
    feature_negotiation: true,
    heartbeat_interval: 30000,
    output_buffer_size: 16384,
    output_buffer_timeout: 250,
    tls_v1: false,
    snappy: false,
    deflate: true,
    deflate_level: 6,
    sample_rate: 0,
    msg_timeout: 60000,
    short_id: 's',
    long_id: 'l',
  }
  assert.deepEqual(decodeIdentify(identify(req).body as Buffer), req)
})

test('decodeIdentify: unknown fields are ignored, null fields are skipped', () => {
  assert.deepEqual(dec('{"client_id":"x","whatever":[1,{"a":2}],"heartbeat_interval":null}'), {client_id: 'x'})
  assert.deepEqual(dec('{}'), {})
})

test('decodeIdentify: a null body is an empty request', () => {
  assert.deepEqual(dec('null'), {})
  assert.deepEqual(dec(' null '), {})
})

test('decodeIdentify: keys match case-insensitively, as Go does', () => {
  assert.deepEqual(dec('{"Client_ID":"x","HEARTBEAT_INTERVAL":1000,"Feature_Negotiation":true}'), {
    client_id: 'x',
    heartbeat_interval: 1000,
    feature_negotiation: true,
  })
})

test('decodeIdentify: negative integers pass (range checks are the broker\'s)', () => {
  assert.deepEqual(dec('{"heartbeat_interval":-1,"output_buffer_size":-1}'), {heartbeat_interval: -1, output_buffer_size: -1})
})

test('decodeIdentify: malformed JSON fails with nsqd\'s text', () => {
  for (const s of ['', '{', '{"client_id":}', 'nul', '{"a":1}x', '\u0000', "{'client_id':'x'}"]) {
    assert.throws(() => dec(s), isDecodeError, JSON.stringify(s))
  }
})

test('decodeIdentify: a non-object body fails', () => {
  for (const s of ['[]', '[1]', '"str"', '1', 'true', 'false']) assert.throws(() => dec(s), isDecodeError, s)
})

test('decodeIdentify: a field of the wrong type fails the whole body', () => {
  for (const s of [
    '{"client_id":5}',
    '{"hostname":true}',
    '{"user_agent":{}}',
    '{"feature_negotiation":"true"}',
    '{"tls_v1":1}',
    '{"snappy":[]}',
    '{"heartbeat_interval":"1000"}',
    '{"heartbeat_interval":1.5}',
    '{"sample_rate":true}',
    '{"msg_timeout":{}}',
    '{"short_id":1}',
  ]) {
    assert.throws(() => dec(s), isDecodeError, s)
  }
})

test('decodeIdentifyResponse: parses the JSON nsqd sends', () => {
  const r = decodeIdentifyResponse(Buffer.from('{"max_rdy_count":2500,"version":"1.3.0","auth_required":true}'))
  assert.equal(r.max_rdy_count, 2500)
  assert.equal(r.version, '1.3.0')
  assert.equal(r.auth_required, true)
})
