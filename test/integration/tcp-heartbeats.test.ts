/**
 * TCP protocol V2 over a real socket: heartbeats, the idle-client timeout, and what
 * IDENTIFY with feature_negotiation answers (NSQ-SPEC §2.2 "Heartbeats", "IDENTIFY";
 * §7 item 4). The heartbeat tests wait a few seconds each, so they run concurrently. Real
 * seconds prove the cadence and the idle close once here; the rest (the default interval,
 * heartbeat_interval -1, producers, any command refreshing the deadline, the exact deadline)
 * is checked with a manual clock in test/unit/broker/session/session-heartbeats.test.ts.
 */
import test, {describe} from 'node:test'
import assert from 'node:assert/strict'

import {FrameType, identify, nop, sub} from '../../src/core/protocol/index.js'
import type {RawClient} from '../helpers/raw-client.js'
import {expectAlive, withScenario} from '../helpers/scenario.js'
import {sleep} from '../helpers/wait.js'

const T = {timeout: 15_000}

interface HeartbeatLog {
  /** ms after `since` at which each `_heartbeat_` arrived */
  at: number[]
  /** ms after `since` at which the server closed the connection, if it did */
  closedAt: number | null
}

/**
 * Read frames for `ms`, recording heartbeats (answering each with NOP when `answer`) and a
 * close by the server. Any other frame fails the test.
 */
async function watchHeartbeats(c: RawClient, ms: number, answer: boolean, since = Date.now()): Promise<HeartbeatLog> {
  const log: HeartbeatLog = {at: [], closedAt: null}
  const end = since + ms
  while (Date.now() < end) {
    let f
    try {
      f = await c.next(Math.max(1, end - Date.now()), {heartbeats: true})
    } catch (err) {
      if (c.closed) {
        log.closedAt = Date.now() - since
        break
      }
      if (err instanceof Error && err.message.startsWith('no frame within')) break
      throw err
    }
    assert.equal(f.type, FrameType.Response, `unexpected frame type ${f.type}: ${f.text}`)
    assert.equal(f.text, '_heartbeat_')
    log.at.push(Date.now() - since)
    if (answer) c.send(nop())
  }
  return log
}

const gaps = (at: number[]): number[] => at.slice(1).map((t, i) => t - (at[i] as number))

describe('D. heartbeats', {concurrency: true}, () => {
  test('IDENTIFY heartbeat_interval 1000: a _heartbeat_ about every second', T, () =>
    withScenario({}, async (s) => {
      const c = await s.connect()
      c.send(identify({heartbeat_interval: 1000}))
      assert.equal(await c.response(), 'OK')
      const since = Date.now()
      c.send(sub('hb', 'c'))
      assert.equal(await c.response(), 'OK')
      const log = await watchHeartbeats(c, 2600, true, since)
      assert.equal(log.closedAt, null, 'a client answering with NOP is not dropped')
      assert.ok(log.at.length >= 2 && log.at.length <= 3, `heartbeats at ${log.at.join(', ')} ms`)
      assert.ok((log.at[0] as number) >= 600 && (log.at[0] as number) <= 1700, `first heartbeat at ${log.at[0]}ms`)
      for (const g of gaps(log.at)) assert.ok(g >= 600 && g <= 1600, `heartbeat gaps ${gaps(log.at).join(', ')} ms`)
    }),
  )

  test('the idle limit is 2 x heartbeat after the last command, as nsqd\'s read deadline', T, () =>
    withScenario({}, async (s) => {
      const c = await s.connect()
      c.send(identify({heartbeat_interval: 1000}))
      assert.equal(await c.response(), 'OK')
      // the last bytes from the client arrive between two heartbeat ticks
      await sleep(300)
      c.send(nop())
      const since = Date.now()
      const log = await watchHeartbeats(c, 3500, false, since)
      assert.ok(log.closedAt !== null, 'closed')
      // nsqd: SetReadDeadline(now + 2 x HeartbeatInterval) before every read, so ~2000 ms after the NOP
      assert.ok(log.closedAt >= 1500 && log.closedAt <= 2500, `closed ${log.closedAt}ms after the last command; nsqd closes at 2 x 1000ms`)
      assert.ok(log.at.length >= 1, 'heartbeats were sent before giving up')
    }),
  )

})

describe('D. IDENTIFY feature negotiation', () => {
  test('the JSON response reflects the request and the broker limits, in nsqd field order', T, () =>
    withScenario({maxRdyCount: 200, maxMsgTimeout: 120_000, msgTimeout: 30_000}, async (s) => {
      const c = await s.connect()
      c.send(
        identify({
          client_id: 'neg',
          hostname: 'neg.example',
          user_agent: 'nsqkit-test/1.0',
          feature_negotiation: true,
          heartbeat_interval: 2000,
          msg_timeout: 5000,
          output_buffer_size: 1024,
          output_buffer_timeout: 100,
          sample_rate: 10,
        }),
      )
      const f = await c.next()
      assert.equal(f.type, FrameType.Response)
      const got = JSON.parse(f.text) as Record<string, unknown>
      assert.deepEqual(Object.keys(got), [
        'max_rdy_count',
        'version',
        'max_msg_timeout',
        'msg_timeout',
        'tls_v1',
        'deflate',
        'deflate_level',
        'max_deflate_level',
        'snappy',
        'sample_rate',
        'auth_required',
        'output_buffer_size',
        'output_buffer_timeout',
      ])
      assert.deepEqual(got, {
        max_rdy_count: 200,
        version: '1.3.0',
        max_msg_timeout: 120000,
        msg_timeout: 5000,
        tls_v1: false,
        deflate: false,
        deflate_level: 6,
        max_deflate_level: 6,
        snappy: false,
        sample_rate: 10,
        auth_required: false,
        output_buffer_size: 1024,
        output_buffer_timeout: 100,
      })
      await expectAlive(c)
    }),
  )

  test('zero means "the default" and output_buffer_size -1 means unbuffered (size 1, timeout 0)', T, () =>
    withScenario({msgTimeout: 30_000}, async (s) => {
      const c = await s.connect()
      c.send(identify({feature_negotiation: true, msg_timeout: 0, output_buffer_size: -1, output_buffer_timeout: 0, heartbeat_interval: 0}))
      const got = JSON.parse(await c.response()) as Record<string, unknown>
      assert.equal(got.msg_timeout, 30000)
      assert.equal(got.output_buffer_size, 1)
      assert.equal(got.output_buffer_timeout, 0)
      const d = await s.connect()
      d.send(identify({feature_negotiation: true, output_buffer_timeout: -1}))
      const got2 = JSON.parse(await d.response()) as Record<string, unknown>
      assert.equal(got2.output_buffer_size, 16384)
      assert.equal(got2.output_buffer_timeout, 0)
    }),
  )

  test('without feature_negotiation the answer is a plain OK', T, () =>
    withScenario({}, async (s) => {
      const c = await s.connect()
      c.send(identify({client_id: 'plain', msg_timeout: 5000}))
      assert.equal(await c.response(), 'OK')
      await expectAlive(c)
    }),
  )

  test('/stats shows what IDENTIFY set (client_id, hostname, user_agent, sample_rate)', T, () =>
    withScenario({}, async (s) => {
      await s.consumer('st', 'c', {identify: {client_id: 'cid', hostname: 'h.example', user_agent: 'ua/1', sample_rate: 42}})
      const stats = (await s.broker.stats()) as unknown as {topics: {channels: {clients: Record<string, unknown>[]}[]}[]}
      const client = stats.topics[0]?.channels[0]?.clients[0]
      assert.ok(client)
      assert.equal(client.client_id, 'cid')
      assert.equal(client.hostname, 'h.example')
      assert.equal(client.user_agent, 'ua/1')
      assert.equal(client.sample_rate, 42)
      assert.equal(client.state, 3)
    }),
  )
})
