import assert from 'node:assert/strict'
import {test} from 'node:test'
import {checkGetTemplate, fillTemplate, goQueryEscape} from '../../../../src/core/tools/to-http/query-escape.js'

test('goQueryEscape: the unreserved bytes stay, a space is +, every other byte %XX upper-case (Go url.QueryEscape)', () => {
  assert.equal(goQueryEscape(Buffer.from('AZaz09-_.~')), 'AZaz09-_.~')
  assert.equal(goQueryEscape(Buffer.from('a b')), 'a+b')
  assert.equal(goQueryEscape(Buffer.from('a+b&c=d/e?f#g%h')), 'a%2Bb%26c%3Dd%2Fe%3Ff%23g%25h')
  assert.equal(goQueryEscape(Buffer.from('{"k":"v"}')), '%7B%22k%22%3A%22v%22%7D')
  // UTF-8 bytes one by one, as Go escapes the string's bytes
  assert.equal(goQueryEscape(Buffer.from('é€')), '%C3%A9%E2%82%AC')
  assert.equal(goQueryEscape(Buffer.alloc(0)), '')
})

test('goQueryEscape: every one of the 256 byte values, binary bodies included', () => {
  const all = Buffer.from(Array.from({length: 256}, (_, i) => i))
  const out = goQueryEscape(all)
  // back to the same bytes (+ is a space in a query)
  assert.deepEqual(unescapeBytes(out), [...all])
  for (const m of out.matchAll(/%([0-9A-Fa-f]{2})/g)) assert.equal(m[1], (m[1] as string).toUpperCase())
  assert.equal(out.match(/[^%0-9A-Za-z+\-_.~]/), null, 'only escapes and unreserved characters')
})

/** %XX and + back to bytes, without a text decoder (the body may not be UTF-8) */
function unescapeBytes(s: string): number[] {
  const out: number[] = []
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string
    if (c === '%') {
      out.push(parseInt(s.slice(i + 1, i + 3), 16))
      i += 2
    } else out.push(c === '+' ? 0x20 : c.charCodeAt(0))
  }
  return out
}

test('fillTemplate: only the one %s is replaced; the rest of the URL is sent as written (Go would mangle a %20 in it)', () => {
  assert.equal(fillTemplate('http://h/p?x=%s', Buffer.from('a b')), 'http://h/p?x=a+b')
  assert.equal(fillTemplate('http://h/%s/x?y=%20', Buffer.from('/')), 'http://h/%2F/x?y=%20')
})

test('checkGetTemplate: exactly one %s, else nsq_to_http\'s error', () => {
  assert.equal(checkGetTemplate('http://h/?d=%s'), null)
  for (const bad of ['http://h/', 'http://h/?a=%s&b=%s', '%s%s']) assert.match(checkGetTemplate(bad) ?? '', /^invalid GET address - must be a printf string/)
})
