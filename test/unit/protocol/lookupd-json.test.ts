/** nsqlookupd's HTTP answers (NSQ-SPEC §3.3) as typed values, bare or in the pre-1.0 envelope. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {decodeChannels, decodeLookup, decodeLookupdInfo, decodeNodes, decodeTopics, JsonShapeError, parseJsonBody} from '../../../src/core/protocol/index.js'

const PRODUCER = {remote_address: '127.0.0.1:51234', hostname: 'h1', broadcast_address: 'nsqd-1', tcp_port: 4150, http_port: 4151, version: '1.3.0'}
const wrap = (data: unknown): unknown => ({status_code: 200, status_txt: 'OK', data})

test('/lookup: channels and producers, bare and wrapped', () => {
  const body = {channels: ['c1', 'c2'], producers: [PRODUCER]}
  for (const doc of [body, wrap(body)]) assert.deepEqual(decodeLookup(doc), body)
  assert.deepEqual(decodeLookup(parseJsonBody(JSON.stringify(body))), body)
})

test("/lookup as go-nsq reads it: missing fields are Go's zero values, unknown ones left out", () => {
  assert.deepEqual(decodeLookup({}), {channels: [], producers: []})
  assert.deepEqual(decodeLookup(parseJsonBody('')), {channels: [], producers: []}, 'an empty body is {}')
  assert.deepEqual(decodeLookup({channels: null, producers: null}), {channels: [], producers: []}, "Go's nil slices")
  assert.deepEqual(decodeLookup({producers: [{broadcast_address: 'a', tcp_port: 1, timestamp: 5}]}).producers, [
    {remote_address: '', hostname: '', broadcast_address: 'a', tcp_port: 1, http_port: 0, version: ''},
  ])
})

test('/nodes: producers with their topics and tombstones', () => {
  const node = {...PRODUCER, tombstones: [false, true], topics: ['a', 'b']}
  assert.deepEqual(decodeNodes({producers: [node]}), {producers: [node]})
  assert.deepEqual(decodeNodes(wrap({producers: [PRODUCER]})), {producers: [{...PRODUCER, tombstones: [], topics: []}]})
})

test('/topics, /channels, /info', () => {
  assert.deepEqual(decodeTopics({topics: ['a', 'b']}), {topics: ['a', 'b']})
  assert.deepEqual(decodeTopics(wrap({topics: []})), {topics: []})
  assert.deepEqual(decodeChannels({channels: ['c']}), {channels: ['c']})
  assert.deepEqual(decodeLookupdInfo({version: '1.3.0'}), {version: '1.3.0'})
})

test('a field of the wrong type is refused naming its path; so is a failed envelope', () => {
  const cases: [() => unknown, string, RegExp][] = [
    [() => decodeLookup({producers: [{tcp_port: '4150'}]}), 'producers[0].tcp_port', /expected a number, got "4150"/],
    [() => decodeLookup({channels: [1]}), 'channels[0]', /expected a string, got 1/],
    [() => decodeLookup({producers: {}}), 'producers', /expected an array or null/],
    [() => decodeNodes({producers: [{...PRODUCER, tombstones: ['no']}]}), 'producers[0].tombstones[0]', /expected true or false/],
    [() => decodeTopics({topics: 'a'}), 'topics', /expected an array/],
    [() => decodeLookup('x'), '$', /expected an object, got "x"/],
    [() => decodeLookup({status_code: 404, status_txt: 'TOPIC_NOT_FOUND', data: null}), '$', /^status_code 404 TOPIC_NOT_FOUND$/],
  ]
  for (const [fn, path, why] of cases) {
    assert.throws(fn, (e: unknown) => {
      assert.ok(e instanceof JsonShapeError, String(e))
      assert.equal(e.path, path)
      assert.match(e.message, why)
      return true
    }, path)
  }
})
