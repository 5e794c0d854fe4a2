/**
 * The IDENTIFY body an nsqd sends nsqlookupd (NSQ-SPEC §3.2), read as Go's json.Unmarshal fills
 * PeerInfo: keys match in any case and the last matching key wins, unknown keys are ignored,
 * null leaves the zero value, a wrong type or a body that is not a JSON object → 'decode'
 * (E_BAD_BODY "IDENTIFY failed to decode JSON body"), and an empty broadcast_address/version or
 * a 0 tcp_port/http_port → 'missing' (E_BAD_BODY "IDENTIFY missing fields").
 */
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'

import {decodeIdentify, type IdentifyDecoded} from '../../../src/core/lookupd/identify.js'

const FULL = {broadcast_address: 'nsqd1.example.com', tcp_port: 4150, http_port: 4151, version: '1.3.0', hostname: 'nsqd1'}

const decode = (body: unknown): IdentifyDecoded => decodeIdentify(Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8'))

describe('decodeIdentify: bodies that identify', () => {
  test('what nsqd sends', () => {
    assert.deepEqual(decode(FULL), {ok: true, fields: {hostname: 'nsqd1', broadcastAddress: 'nsqd1.example.com', tcpPort: 4150, httpPort: 4151, version: '1.3.0'}})
  })

  test('hostname is optional (empty when absent or null)', () => {
    const noHost: Record<string, unknown> = {...FULL}
    delete noHost.hostname
    assert.deepEqual(decode(noHost), {ok: true, fields: {hostname: '', broadcastAddress: 'nsqd1.example.com', tcpPort: 4150, httpPort: 4151, version: '1.3.0'}})
    const r = decode({...FULL, hostname: null})
    assert.ok(r.ok)
    assert.equal(r.fields.hostname, '')
  })

  test('keys match in any case', () => {
    const r = decode({Broadcast_Address: 'b', TCP_PORT: 1, Http_Port: 2, VERSION: 'v', HostName: 'h'})
    assert.deepEqual(r, {ok: true, fields: {hostname: 'h', broadcastAddress: 'b', tcpPort: 1, httpPort: 2, version: 'v'}})
  })

  test('of two keys for one field, the last in the body wins (whatever their case)', () => {
    const body = '{"broadcast_address":"first","tcp_port":1,"http_port":2,"version":"v","BROADCAST_ADDRESS":"second","tcp_port":9}'
    const r = decode(body)
    assert.ok(r.ok)
    assert.equal(r.fields.broadcastAddress, 'second')
    assert.equal(r.fields.tcpPort, 9)
  })

  test('a later null does not undo an earlier value (null leaves the field as it is)', () => {
    const r = decode('{"broadcast_address":"b","tcp_port":1,"http_port":2,"version":"v","VERSION":null}')
    assert.ok(r.ok)
    assert.equal(r.fields.version, 'v')
  })

  // Go decodes the members one by one in the body's order; JSON.parse keeps one value per
  // exact key (the last one, at the first one's place), so these differ from nsqlookupd
  test('the same key twice, exactly: Go keeps the earlier value over a later null', {todo: 'JSON.parse merges exact duplicate keys before decodeIdentify sees them'}, () => {
    const r = decode('{"broadcast_address":"b","tcp_port":1,"http_port":2,"version":"v","version":null}')
    assert.ok(r.ok)
    assert.equal(r.fields.version, 'v')
  })

  test('the same key twice, exactly, with another case between: the last in the body wins', {todo: 'JSON.parse merges exact duplicate keys before decodeIdentify sees them'}, () => {
    const r = decode('{"broadcast_address":"b","http_port":2,"version":"v","TCP_PORT":1,"tcp_port":2,"TCP_PORT":3}')
    assert.ok(r.ok)
    assert.equal(r.fields.tcpPort, 3)
  })

  test('unknown keys, of any type, are ignored; remote_address in the body is not taken', () => {
    const r = decode({...FULL, remote_address: '6.6.6.6:1', extra: {deep: [1, 2]}, id: 'forged', last_update: 'x'})
    assert.ok(r.ok)
    assert.deepEqual(Object.keys(r.fields).sort(), ['broadcastAddress', 'hostname', 'httpPort', 'tcpPort', 'version'])
  })

  test('white space around the document is fine; ports may be any non-zero integer (nsqd sends what it listens on)', () => {
    assert.equal(decode(`\n\t ${JSON.stringify(FULL)} \r\n`).ok, true)
    const r = decode({...FULL, tcp_port: 65535, http_port: -1})
    assert.ok(r.ok)
    assert.equal(r.fields.tcpPort, 65535)
    assert.equal(r.fields.httpPort, -1)
  })

  test('UTF-8 strings come through as text', () => {
    const r = decode({...FULL, hostname: 'nœud-ü'})
    assert.ok(r.ok)
    assert.equal(r.fields.hostname, 'nœud-ü')
  })
})

describe('decodeIdentify: not a JSON object of the right types → decode', () => {
  const cases: [string, string][] = [
    ['invalid JSON', '{"broadcast_address":'],
    ['an empty body', ''],
    ['text, not JSON', 'hello'],
    ['trailing data after the object', `${JSON.stringify(FULL)} x`],
    ['an array', '[]'],
    ['an array holding the object', `[${JSON.stringify(FULL)}]`],
    ['a number', '1'],
    ['a string', '"x"'],
    ['a boolean', 'true'],
    ['tcp_port as a string', JSON.stringify({...FULL, tcp_port: '4150'})],
    ['http_port as a boolean', JSON.stringify({...FULL, http_port: true})],
    ['tcp_port as a fraction', JSON.stringify({...FULL, tcp_port: 4150.5})],
    ['tcp_port as an object', JSON.stringify({...FULL, tcp_port: {}})],
    ['version as a number', JSON.stringify({...FULL, version: 1.3})],
    ['broadcast_address as an array', JSON.stringify({...FULL, broadcast_address: ['a']})],
    ['hostname as a number (an optional field is type-checked too)', JSON.stringify({...FULL, hostname: 5})],
    ['a wrong type in a key of another case', JSON.stringify({...FULL, Version: false})],
  ]
  for (const [what, body] of cases) {
    test(what, () => {
      assert.deepEqual(decode(body), {ok: false, error: 'decode'})
    })
  }

  test('a wrong type wins over missing fields (the decode fails before fields are checked)', () => {
    assert.deepEqual(decode({tcp_port: 'x'}), {ok: false, error: 'decode'})
  })
})

describe('decodeIdentify: a required field empty or 0 → missing', () => {
  for (const field of ['broadcast_address', 'tcp_port', 'http_port', 'version'] as const) {
    test(`${field} absent`, () => {
      const body: Record<string, unknown> = {...FULL}
      delete body[field]
      assert.deepEqual(decode(body), {ok: false, error: 'missing'})
    })
    test(`${field} null`, () => {
      assert.deepEqual(decode({...FULL, [field]: null}), {ok: false, error: 'missing'})
    })
  }

  test('tcp_port 0 and http_port 0', () => {
    assert.deepEqual(decode({...FULL, tcp_port: 0}), {ok: false, error: 'missing'})
    assert.deepEqual(decode({...FULL, http_port: 0}), {ok: false, error: 'missing'})
  })

  test('broadcast_address and version as empty strings', () => {
    assert.deepEqual(decode({...FULL, broadcast_address: ''}), {ok: false, error: 'missing'})
    assert.deepEqual(decode({...FULL, version: ''}), {ok: false, error: 'missing'})
  })

  test('a null body (Go leaves every field zero)', () => {
    assert.deepEqual(decode('null'), {ok: false, error: 'missing'})
  })

  test('an empty object', () => {
    assert.deepEqual(decode('{}'), {ok: false, error: 'missing'})
  })

  test('a later key that sets 0 overrides an earlier good port', () => {
    assert.deepEqual(decode('{"broadcast_address":"b","tcp_port":1,"http_port":2,"version":"v","TCP_Port":0}'), {ok: false, error: 'missing'})
  })

  test('only hostname', () => {
    assert.deepEqual(decode({hostname: 'h'}), {ok: false, error: 'missing'})
  })
})
