/** host:port parsing, IPv6 in brackets. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {AddressError, formatHostPort, parseHostPort, splitHostPort} from '../../../src/core/util/hostport.js'

test('parseHostPort: host and port', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:4150'), {host: '127.0.0.1', port: 4150})
  assert.deepEqual(parseHostPort('localhost:4161'), {host: 'localhost', port: 4161})
  assert.deepEqual(parseHostPort('nsqd-1.example.com:4151'), {host: 'nsqd-1.example.com', port: 4151})
  assert.deepEqual(parseHostPort(' 127.0.0.1:4150 '), {host: '127.0.0.1', port: 4150})
})

test('parseHostPort: IPv6 in brackets', () => {
  assert.deepEqual(parseHostPort('[::1]:4150'), {host: '::1', port: 4150})
  assert.deepEqual(parseHostPort('[::]:4151'), {host: '::', port: 4151})
  assert.deepEqual(parseHostPort('[fe80::1%eth0]:80'), {host: 'fe80::1%eth0', port: 80})
})

test('parseHostPort: an empty host means all interfaces', () => {
  assert.deepEqual(parseHostPort(':4150'), {host: '0.0.0.0', port: 4150})
})

test('parseHostPort: port range 0-65535', () => {
  assert.equal(parseHostPort('h:0').port, 0)
  assert.equal(parseHostPort('h:65535').port, 65535)
  assert.equal(parseHostPort('h:080').port, 80)
})

function rejects(input: string, why: RegExp): void {
  assert.throws(
    () => parseHostPort(input),
    (err: unknown) => {
      assert.ok(err instanceof AddressError, `${input}: ${String(err)}`)
      assert.equal(err.code, 'ERR_INVALID_ADDRESS')
      assert.equal(err.input, input)
      assert.equal(err.name, 'AddressError')
      assert.match(err.message, why)
      assert.ok(err.message.includes(`"${input}"`), 'the message names the input')
      return true
    },
    input,
  )
}

test('parseHostPort: errors', () => {
  rejects('localhost', /missing port/)
  rejects('', /missing port/)
  rejects('127.0.0.1', /missing port/)
  rejects('host:', /port is not a number/)
  rejects('host:abc', /port is not a number/)
  rejects('host:-1', /port is not a number/)
  rejects('host:41 50', /port is not a number/)
  rejects('host:1.5', /port is not a number/)
  rejects('host:65536', /port out of range 0-65535/)
  rejects('host:99999999999', /out of range/)
  rejects('[::1]', /expected \[host\]:port/)
  rejects('[::1]4150', /expected \[host\]:port/)
  rejects('[::1:4150', /expected \[host\]:port/)
  rejects('[::1]:', /port is not a number/)
})

test('formatHostPort: brackets for IPv6, round-trips with parseHostPort', () => {
  assert.equal(formatHostPort({host: '127.0.0.1', port: 4150}), '127.0.0.1:4150')
  assert.equal(formatHostPort({host: '::1', port: 4150}), '[::1]:4150')
  for (const s of ['127.0.0.1:4150', '[::1]:4150', 'localhost:0', '[fe80::1]:65535', 'a.b:1']) {
    assert.equal(formatHostPort(parseHostPort(s)), s)
  }
})

test("splitHostPort: Go's net.SplitHostPort parts (host without brackets, port as text)", () => {
  assert.deepEqual(splitHostPort('127.0.0.1:5555'), {host: '127.0.0.1', port: '5555'})
  assert.deepEqual(splitHostPort('[::1]:5555'), {host: '::1', port: '5555'})
  assert.deepEqual(splitHostPort('[fe80::1%eth0]:80'), {host: 'fe80::1%eth0', port: '80'})
  assert.deepEqual(splitHostPort(':4150'), {host: '', port: '4150'})
  assert.deepEqual(splitHostPort('host:http'), {host: 'host', port: 'http'}, 'the port is not checked')
  assert.deepEqual(splitHostPort('host:'), {host: 'host', port: ''})
  assert.deepEqual(splitHostPort('::1:4150'), {host: '::1', port: '4150'}, 'a bare IPv6 address splits at the last colon')
  assert.throws(() => splitHostPort('localhost'), (e: unknown) => e instanceof AddressError && e.reason === 'missing port (expected host:port)')
  assert.throws(() => splitHostPort('[::1]'), (e: unknown) => e instanceof AddressError && e.reason === 'expected [host]:port')
})
