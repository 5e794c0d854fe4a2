/**
 * A durable broker whose disk stops taking writes (an injected ENOSPC: the tests run as root,
 * where a read-only directory would not fail): /ping answers nsqd's 500 `NOK - <error>`, /stats
 * shows it, PUB gets the fatal E_PUB_FAILED and HTTP /pub 503 EXITING instead of a silent drop;
 * once the disk takes writes again everything recovers and nothing acknowledged is missing.
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Broker} from '../../src/core/broker/index.js'
import {pub, rdy, sub, fin, identify} from '../../src/core/protocol/index.js'
import {silentLogger} from '../../src/core/util/logger.js'
import {fullDisk} from '../helpers/disk-io.js'
import {RawClient} from '../helpers/raw-client.js'
import {waitFor} from '../helpers/wait.js'

test('a disk that fails: /ping NOK, E_PUB_FAILED, 503; recovered: OK again and nothing acknowledged lost', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nsqkit-health-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  const disk = fullDisk(false)
  const broker = new Broker({tcpAddress: '127.0.0.1:0', httpAddress: '127.0.0.1:0', dataPath: dir, memQueueSize: 0, queueScanInterval: 20}, {logger: silentLogger, diskIO: disk.io})
  t.after(() => broker.close())
  const {tcp, http} = await broker.listen()
  const url = (p: string): string => `http://127.0.0.1:${http?.port ?? 0}${p}`

  const producer = await RawClient.connect(tcp.port)
  t.after(() => producer.socket.destroy())
  producer.send(pub('disk', 'before'))
  assert.equal(await producer.response(), 'OK')
  assert.equal(await (await fetch(url('/ping'))).text(), 'OK')

  disk.full = true
  // the first publish after the disk fails is taken (its record waits in memory and is written
  // once the disk recovers); from then on the broker knows, and says so
  producer.send(pub('disk', 'during'))
  assert.equal(await producer.response(), 'OK')
  const ping = await fetch(url('/ping'))
  assert.equal(ping.status, 500)
  assert.match(await ping.text(), /^NOK - ENOSPC: no space left on device, write$/)
  const stats = (await (await fetch(url('/stats?format=json'))).json()) as {health: string}
  assert.match(stats.health, /^NOK - ENOSPC/)
  producer.send(pub('disk', 'refused'))
  assert.equal(await producer.error_(), 'E_PUB_FAILED PUB failed ENOSPC: no space left on device, write')
  await producer.waitClosed()
  const httpPub = await fetch(url('/pub?topic=disk'), {method: 'POST', body: 'refused too'})
  assert.equal(httpPub.status, 503)
  assert.deepEqual(await httpPub.json(), {message: 'EXITING'})

  disk.full = false
  await waitFor('health back to OK', async () => (await (await fetch(url('/ping'))).text()) === 'OK', {timeoutMs: 3000, everyMs: 20})
  assert.equal((await fetch(url('/pub?topic=disk'), {method: 'POST', body: 'after'})).status, 200)

  const consumer = await RawClient.connect(tcp.port)
  t.after(() => consumer.socket.destroy())
  consumer.send(identify({feature_negotiation: true}))
  await consumer.response()
  consumer.send(sub('disk', 'c'), rdy(10))
  assert.equal(await consumer.response(), 'OK')
  const got: string[] = []
  for (let i = 0; i < 3; i++) {
    const m = await consumer.message()
    got.push(m.body.toString())
    consumer.send(fin(m.id))
  }
  assert.deepEqual(got, ['before', 'during', 'after'], 'every acknowledged message, in order; none of the refused')
  assert.equal(await consumer.silentFor(200), true)
})
