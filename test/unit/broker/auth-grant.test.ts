/**
 * An auth server's answer as nsqd reads and applies it (src/core/broker/auth/grant.ts and the
 * query URL of authd.ts): which answers are refused and with what text, which commands a grant
 * allows (publish needs a channel regex matching ""), expiry, Go regex syntax, and the query
 * string as Go's url.Values.Encode writes it.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {AuthError, parseAuthGrant} from '../../../src/core/broker/auth/grant.js'
import {authUrl, goQueryEscape} from '../../../src/core/broker/auth/authd.js'

const NOW = 1_700_000_000_000

test('an answer nsqd refuses is an AuthError with its text', () => {
  const cases: [unknown, RegExp][] = [
    [{ttl: 0, authorizations: []}, /^invalid TTL 0 \(must be >0\)$/],
    [{authorizations: []}, /^invalid TTL 0 \(must be >0\)$/],
    [{ttl: -5}, /^invalid TTL -5 \(must be >0\)$/],
    [{ttl: 60, authorizations: [{topic: '.*', channels: ['.*'], permissions: ['subscribe', 'admin']}]}, /^unknown permission admin$/],
    [{ttl: 60, authorizations: [{topic: '(', channels: []}]}, /^unable to compile topic "\(" /],
    [{ttl: 60, authorizations: [{topic: 'ok', channels: ['[z-a]']}]}, /^unable to compile channel "\[z-a\]" /],
    [{ttl: 60, authorizations: [{topic: '(?U)x', channels: []}]}, /^unable to compile topic .*ungreedy/],
    [{ttl: '60'}, /cannot unmarshal string into field ttl/],
    [[], /not an object/],
    [null, /not an object/],
  ]
  for (const [json, err] of cases) {
    assert.throws(() => parseAuthGrant(json, NOW), (e: unknown) => e instanceof AuthError && err.test(e.message), JSON.stringify(json))
  }
})

test('a grant: identity, count, expiry after ttl seconds', () => {
  const g = parseAuthGrant({ttl: 2, identity: 'me', identity_url: 'u', authorizations: [{topic: 't', channels: ['.*'], permissions: ['publish']}]}, NOW)
  assert.deepEqual([g.identity, g.identityUrl, g.authorizations.length, g.hasAuthorizations], ['me', 'u', 1, true])
  assert.equal(g.expired(NOW + 2000), false)
  assert.equal(g.expired(NOW + 2001), true)
  const none = parseAuthGrant({ttl: 1, authorizations: null}, NOW)
  assert.equal(none.hasAuthorizations, false)
})

test('what a grant allows: permission by verb, topic and channel regexes unanchored, publish needs a channel regex matching ""', () => {
  const g = parseAuthGrant(
    {
      ttl: 60,
      authorizations: [
        {topic: '^orders$', channels: ['.*'], permissions: ['publish']},
        {topic: '^orders$', channels: ['^archive$', 'audit'], permissions: ['subscribe']},
        {topic: 'metrics', channels: ['^x$'], permissions: ['publish', 'subscribe']},
      ],
    },
    NOW,
  )
  const cases: [string, string, boolean][] = [
    ['orders', '', true],
    ['orders2', '', false],
    ['orders', 'archive', true],
    ['orders', 'archive2', false],
    ['orders', 'my-audit-channel', true],
    ['metrics', 'x', true],
    ['app.metrics.cpu', 'x', true],
    // publish on metrics: no channel regex of that authorization matches ""
    ['metrics', '', false],
    ['other', '', false],
    ['other', 'archive', false],
  ]
  for (const [topic, channel, want] of cases) assert.equal(g.isAllowed(topic, channel), want, `${topic} / ${JSON.stringify(channel)}`)
  // asked again (memoised): same answers
  for (const [topic, channel, want] of cases) assert.equal(g.isAllowed(topic, channel), want)
})

test("the regexes are Go's: (?i), \\A \\z, (?P<name>); an empty one matches everything", () => {
  const g = parseAuthGrant(
    {
      ttl: 60,
      authorizations: [
        {topic: '(?i)^ORDERS$', channels: ['\\Aarchive\\z'], permissions: ['subscribe']},
        {topic: '^(?P<env>prod|dev)\\.', channels: [''], permissions: ['publish']},
      ],
    },
    NOW,
  )
  assert.equal(g.isAllowed('orders', 'archive'), true)
  assert.equal(g.isAllowed('orders', 'archive2'), false)
  assert.equal(g.isAllowed('prod.events', ''), true)
  assert.equal(g.isAllowed('test.events', ''), false)
})

test("the query: keys sorted, values escaped as Go's QueryEscape; a URL address is used as it is", () => {
  const req = {remoteIp: '::1', tls: true, secret: "a b&c=d+e/f~g*h!i'(j)", commonName: 'client one'}
  assert.equal(goQueryEscape("a b&c=d+e/f~g*h!i'(j)"), 'a+b%26c%3Dd%2Be%2Ff~g%2Ah%21i%27%28j%29')
  assert.equal(
    authUrl('auth.example:4181', req).toString(),
    'http://auth.example:4181/auth?common_name=client+one&remote_ip=%3A%3A1&secret=a+b%26c%3Dd%2Be%2Ff~g%2Ah%21i%27%28j%29&tls=true',
  )
  // the secret is the AUTH body's bytes (a byte string); the CN is text: both go as UTF-8 %XX, as Go's
  const utf8Secret = Buffer.from('pässword', 'utf8').toString('latin1')
  assert.equal(authUrl('h:1', {remoteIp: '127.0.0.1', tls: false, secret: utf8Secret, commonName: 'Zoë'}).search, '?common_name=Zo%C3%AB&remote_ip=127.0.0.1&secret=p%C3%A4ssword&tls=false')
  assert.equal(goQueryEscape('\xff', 'latin1'), '%FF')
  assert.equal(authUrl('https://auth.example/v1/check', {...req, secret: 's', commonName: ''}).toString(), 'https://auth.example/v1/check?common_name=&remote_ip=%3A%3A1&secret=s&tls=true')
})
