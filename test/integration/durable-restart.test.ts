/**
 * A durable broker stopped while a topic's disk backlog is on its way to a channel created just
 * before (the reads of the topic's queue landing as the channels close): every message is still
 * in the topic or the channel at the next start, with the default --mem-queue-size and with 0.
 * In process, so the stop can fall within milliseconds of the channel's creation. And a clean
 * stop with messages in flight on several channels keeps each once (no queue's metadata held back
 * by another's records that are merely not written yet).
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {connect, type Socket} from 'node:net'
import {join} from 'node:path'

import {Broker} from '../../src/core/broker/index.js'
import {silentLogger} from '../../src/core/util/logger.js'
import {sleep, waitFor} from '../helpers/wait.js'

const N = 100_000

async function start(dataPath: string, memQueueSize: number): Promise<{broker: Broker; url: (p: string) => string; tcp: number}> {
  const broker = new Broker({tcpAddress: '127.0.0.1:0', httpAddress: '127.0.0.1:0', dataPath, memQueueSize}, {logger: silentLogger})
  const {tcp, http} = await broker.listen()
  return {broker, url: (p) => `http://127.0.0.1:${http?.port ?? 0}${p}`, tcp: tcp.port}
}

async function post(url: string, body?: string): Promise<void> {
  const r = await fetch(url, {method: 'POST', body})
  assert.equal(r.status, 200, await r.text())
}

for (const mem of [10_000, 0]) {
  test(`--mem-queue-size ${mem}: a stop a few ms after a channel is created keeps every message of the topic's backlog`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'nsqkit-restart-'))
    t.after(() => rmSync(dir, {recursive: true, force: true}))
    let {broker, url} = await start(dir, mem)
    const lines = Array.from({length: 1000}, (_, i) => `${'x'.repeat(90)}${i}`).join('\n')
    for (let i = 0; i < N / 1000; i++) await post(url('/mpub?topic=t'), lines)
    await broker.close()
    for (let round = 0; round < 2; round++) {
      ;({broker, url} = await start(dir, mem))
      if (round === 0) await post(url('/channel/create?topic=t&channel=c'))
      await sleep(5)
      await broker.close()
    }
    ;({broker, url} = await start(dir, mem))
    const topic = broker.getExistingTopic('t')
    const ch = topic?.channels.get('c')
    assert.equal((topic?.depth ?? 0) + (ch?.depth ?? 0), N, `topic ${topic?.depth} + channel ${ch?.depth}`)
    await broker.close()
  })
}

test('--mem-queue-size 0: a clean stop with messages in flight on two channels of two topics keeps each exactly once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nsqkit-restart-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  const first = await start(dir, 0)
  let {broker, url} = first
  const {tcp} = first
  const names = ['c1', 'c2']
  for (const topic of ['a', 'b']) {
    await post(url(`/topic/create?topic=${topic}`))
    for (const c of names) await post(url(`/channel/create?topic=${topic}&channel=${c}`))
    await post(url(`/mpub?topic=${topic}`), Array.from({length: 100}, (_, i) => `m${i}`).join('\n'))
  }
  // a consumer on each channel holds 10 in flight: each channel's close writes them to its queue
  // while the other channels' queues hold theirs, not yet written
  const socks = await Promise.all(
    ['a', 'b'].flatMap((topic) =>
      names.map(
        (c) =>
          new Promise<Socket>((resolve) => {
            const s = connect(tcp, '127.0.0.1', () => {
              s.write(`  V2SUB ${topic} ${c}\nRDY 10\n`)
              resolve(s)
            })
          }),
      ),
    ),
  )
  t.after(() => socks.forEach((s) => s.destroy()))
  await waitFor('10 in flight on each channel', () => ['a', 'b'].every((topic) => names.every((c) => broker.getExistingTopic(topic)?.channels.get(c)?.inFlight.size === 10)))
  await broker.close()
  ;({broker, url} = await start(dir, 0))
  const depths = ['a', 'b'].flatMap((topic) => names.map((c) => broker.getExistingTopic(topic)?.channels.get(c)?.depth))
  assert.deepEqual(depths, [100, 100, 100, 100], 'queued + in flight, none twice')
  await broker.close()
})
