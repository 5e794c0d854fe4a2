/**
 * `/config/:opt` reads the option tables (broker/options.ts): every option nsqd shows there
 * answers, under nsqd's cfg name, the value in effect in Go's JSON; names that are not cfg names
 * are 400 INVALID_OPTION; PUT takes only the options the table marks settable, parsed and
 * checked by the table.
 */
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {BROKER_OPTIONS, NSQD_COMPAT_OPTIONS} from '../../src/core/broker/index.js'
import {startBroker, type TestBroker} from '../helpers/broker.js'

let b: TestBroker
// a real data path: the broker takes it (lock, nsqd.dat)
const dataPath = mkdtempSync(join(tmpdir(), 'nsqkit-config-'))

before(async () => {
  // not the defaults, so that a value read from the defaults instead of the broker shows
  b = await startBroker({memQueueSize: 7, msgTimeout: 30_000, maxMsgSize: 4096, lookupdTcpAddresses: ['127.0.0.1:4160'], deflate: false, dataPath, logLevel: 'warn'})
})

after(async () => {
  await b?.close()
  rmSync(dataPath, {recursive: true, force: true})
})

async function get(opt: string): Promise<{status: number; text: string}> {
  const res = await b.http(`/config/${opt}`)
  return {status: res.status, text: await res.text()}
}

async function put(opt: string, body: string): Promise<{status: number; text: string}> {
  const res = await b.http(`/config/${opt}`, {method: 'PUT', body})
  return {status: res.status, text: await res.text()}
}

/** RespondV1: a string is sent as text, anything else as JSON. */
const wire = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v))

describe('GET /config/:opt', () => {
  test('every option of the table, by its cfg name, is the value in effect in Go JSON', async () => {
    const o = b.broker.opts
    let n = 0
    for (const key of BROKER_OPTIONS.keys) {
      const cfg = BROKER_OPTIONS.cfgName(key)
      if (cfg === null) continue
      n++
      const want = key === 'broadcastTcpPort' ? b.tcpPort : key === 'broadcastHttpPort' ? b.httpPort : BROKER_OPTIONS.json(key, o[key])
      assert.deepEqual(await get(cfg), {status: 200, text: wire(want)}, cfg)
    }
    assert.equal(n, 38)
    assert.equal((await get('auth_http_addresses')).text, '[]')
    assert.equal((await get('http_client_connect_timeout')).text, '2000000000')
    assert.equal((await get('http_client_request_timeout')).text, '5000000000')
    assert.equal((await get('tls_min_version')).text, '769')
    assert.equal((await get('tls_required')).text, '0')
    assert.equal((await get('https_address')).text, '127.0.0.1:4152')
    assert.equal((await get('mem_queue_size')).text, '7')
    assert.equal((await get('msg_timeout')).text, '30000000000')
    assert.equal((await get('max_msg_size')).text, '4096')
    assert.equal((await get('nsqlookupd_tcp_addresses')).text, '["127.0.0.1:4160"]')
    assert.equal((await get('deflate')).text, 'false')
    assert.equal((await get('data_path')).text, dataPath)
    assert.equal((await get('log_level')).text, '3')
  })

  test("the options accepted but not acted on: nsqd's defaults", async () => {
    for (const key of NSQD_COMPAT_OPTIONS.keys) {
      const cfg = NSQD_COMPAT_OPTIONS.cfgName(key)
      if (cfg === null || key === 'statsdPrefix') continue
      assert.deepEqual(await get(cfg), {status: 200, text: wire(NSQD_COMPAT_OPTIONS.json(key, NSQD_COMPAT_OPTIONS.defaults[key]))}, cfg)
    }
    assert.equal((await get('e2e_processing_latency_window_time')).text, '600000000000')
  })

  test('flag names, internal settings and the config file are not cfg names: 400 INVALID_OPTION', async () => {
    for (const opt of ['node_id', 'node-id', 'lookupd_tcp_address', 'auth_http_address', 'e2e_processing_latency_percentile', 'config', 'queue_scan_interval', 'client_timeout', 'nodeId', 'constructor', '__proto__']) {
      assert.deepEqual(await get(opt), {status: 400, text: '{"message":"INVALID_OPTION"}'}, opt)
    }
  })
})

describe('PUT /config/:opt', () => {
  test('log_level: the table parses it (any case) and the broker applies it', async () => {
    try {
      assert.deepEqual(await put('log_level', 'Debug'), {status: 200, text: '1'})
      assert.equal(b.broker.opts.logLevel, 'debug')
      assert.deepEqual(await put('log_level', 'warning'), {status: 400, text: '{"message":"INVALID_VALUE"}'})
      assert.equal(b.broker.opts.logLevel, 'debug', 'a refused value changes nothing')
    } finally {
      await put('log_level', 'warn')
    }
  })

  test('nsqlookupd_tcp_addresses: a JSON array of strings, nothing else', async () => {
    try {
      for (const bad of ['not json', '{"a":1}', '[1]', '"127.0.0.1:4160"', 'null']) {
        assert.deepEqual(await put('nsqlookupd_tcp_addresses', bad), {status: 400, text: '{"message":"INVALID_VALUE"}'}, bad)
      }
      assert.deepEqual(b.broker.opts.lookupdTcpAddresses, ['127.0.0.1:4160'])
      assert.deepEqual(await put('nsqlookupd_tcp_addresses', '["a:1","b:2"]'), {status: 200, text: '["a:1","b:2"]'})
      assert.deepEqual(b.broker.opts.lookupdTcpAddresses, ['a:1', 'b:2'])
    } finally {
      await put('nsqlookupd_tcp_addresses', '["127.0.0.1:4160"]')
    }
  })

  test('any other option, known or not, is 400 INVALID_OPTION; the body is read first (empty: 413)', async () => {
    for (const opt of ['mem_queue_size', 'msg_timeout', 'id', 'tls_cert', 'nope']) {
      assert.deepEqual(await put(opt, '5'), {status: 400, text: '{"message":"INVALID_OPTION"}'}, opt)
    }
    assert.equal(b.broker.opts.memQueueSize, 7)
    assert.deepEqual(await put('nope', ''), {status: 413, text: '{"message":"INVALID_VALUE"}'})
    assert.deepEqual(await put('log_level', 'x'.repeat(4097)), {status: 413, text: '{"message":"INVALID_VALUE"}'}, 'at most --max-msg-size bytes')
  })

  test('Broker.setOption checks the value and refuses an option that is not settable', () => {
    assert.throws(() => b.broker.setOption('memQueueSize', 1), /memQueueSize cannot be changed while running/)
    assert.throws(() => b.broker.setOption('logLevel', 'loud' as never), /invalid value for --log-level: "loud"/)
    assert.equal(b.broker.opts.memQueueSize, 7)
  })
})
