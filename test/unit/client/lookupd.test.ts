/**
 * The pure parts of client/lookupd.ts: the /lookup and /topics URLs made from a host:port or a
 * URL address, and the /topics answer read in both shapes (errors as LookupdError); the nsqd
 * /stats URL of nsqd-http.ts beside them.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {LookupdError} from '../../../src/core/client/errors.js'
import {lookupUrl, parseTopics, topicsUrl} from '../../../src/core/client/lookupd.js'
import {statsUrl} from '../../../src/core/client/nsqd-http.js'

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

test('statsUrl (nsqd-http.ts): /stats?format=json, topic and channel only when given, include_clients=false by default', () => {
  assert.equal(statsUrl('127.0.0.1:4151').href, 'http://127.0.0.1:4151/stats?format=json&include_clients=false')
  assert.equal(statsUrl('127.0.0.1:4151', {topic: 't'}).href, 'http://127.0.0.1:4151/stats?format=json&topic=t&include_clients=false')
  assert.equal(statsUrl('h:4151', {topic: 't', channel: 'c#ephemeral'}).href, 'http://h:4151/stats?format=json&topic=t&channel=c%23ephemeral&include_clients=false')
  assert.equal(statsUrl('http://h:4151/x', {includeClients: true}).href, 'http://h:4151/stats?format=json&include_clients=true')
  assert.equal(statsUrl('[::1]:4151').host, '[::1]:4151')
})
