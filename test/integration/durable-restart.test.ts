/**
 * A durable broker stopped while a topic's disk backlog is on its way to a channel created just
 * before (the reads of the topic's queue landing as the channels close): every message is still
 * in the topic or the channel at the next start, with the default --mem-queue-size and with 0.
 * In process, so the stop can fall within milliseconds of the channel's creation.
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {Broker} from '../../src/core/broker/index.js'
import {silentLogger} from '../../src/core/util/logger.js'
import {sleep} from '../helpers/wait.js'

const N = 100_000

async function start(dataPath: string, memQueueSize: number): Promise<{broker: Broker; url: (p: string) => string}> {
  const broker = new Broker({tcpAddress: '127.0.0.1:0', httpAddress: '127.0.0.1:0', dataPath, memQueueSize}, {logger: silentLogger})
  const {http} = await broker.listen()
  return {broker, url: (p) => `http://127.0.0.1:${http?.port ?? 0}${p}`}
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
