/**
 * The pure parts of client/lookupd.ts: the /lookup and /topics URLs made from a host:port or a
 * URL address, and the /topics answer read in both shapes (errors as LookupdError).
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {LookupdError} from '../../../src/core/client/errors.js'
import {lookupUrl, parseTopics, topicsUrl} from '../../../src/core/client/lookupd.js'

test('lookupUrl: /lookup for a bare address or URL, a URL path and query kept, topic set', () => {
  assert.equal(lookupUrl('127.0.0.1:4161', 't').href, 'http://127.0.0.1:4161/lookup?topic=t')
  assert.equal(lookupUrl('http://h:4161/', 't').href, 'http://h:4161/lookup?topic=t')
  assert.equal(lookupUrl('https://h/nsq/lookup?dc=eu', 't').href, 'https://h/nsq/lookup?dc=eu&topic=t')
  assert.equal(lookupUrl('[::1]:4161', 't').href, 'http://[::1]:4161/lookup?topic=t')
})

test('topicsUrl: the path is /topics whatever it was; scheme and query kept', () => {
  assert.equal(topicsUrl('127.0.0.1:4161').href, 'http://127.0.0.1:4161/topics')
  assert.equal(topicsUrl('http://h:4161').href, 'http://h:4161/topics')
  assert.equal(topicsUrl('http://h:4161/').href, 'http://h:4161/topics')
  assert.equal(topicsUrl('https://h/nsq/lookup?dc=eu&x=1').href, 'https://h/topics?dc=eu&x=1')
  assert.equal(topicsUrl('[::1]:4161').href, 'http://[::1]:4161/topics')
})

test('parseTopics: bare and pre-1.0 wrapped; null is []; a wrong shape is a LookupdError naming the lookupd', () => {
  assert.deepEqual(parseTopics({topics: ['b', 'a']}), ['b', 'a'])
  assert.deepEqual(parseTopics({status_code: 200, status_txt: 'OK', data: {topics: ['w']}}), ['w'])
  assert.deepEqual(parseTopics({topics: null}), [])
  assert.deepEqual(parseTopics({}), [])
  assert.throws(
    () => parseTopics({topics: [1]}, 'h:4161'),
    (err: unknown) => err instanceof LookupdError && /^lookupd h:4161: unexpected \/topics answer: /.test(err.message),
  )
  assert.throws(() => parseTopics('x', 'h:4161'), LookupdError)
})
