/**
 * Heartbeats and the read deadline of a broker session, over `duplexPair()` with a manual clock
 * (NSQ-SPEC §2.2 "Heartbeats"): a `_heartbeat_` every heartbeat interval, and the connection
 * closed when nothing has been read for 2 x the interval (nsqd's SetReadDeadline before every
 * read), to the millisecond. test/integration/tcp-heartbeats.test.ts keeps the proof over a
 * real socket and real seconds.
 */
import test, {describe} from 'node:test'
import assert from 'node:assert/strict'

import {identify, nop, pub, sub} from '../../../../src/core/protocol/index.js'
import {withWire} from '../../../helpers/session-wire.js'

describe('session heartbeats over duplexPair, manual clock', () => {
  test('IDENTIFY heartbeat_interval 1000: a _heartbeat_ every 1000 ms, and a client answering NOP stays', () =>
    withWire({}, async (w) => {
      const c = w.connect()
      c.send(identify({heartbeat_interval: 1000}), sub('hb', 'c'))
      assert.equal(await w.response(c), 'OK')
      assert.equal(await w.response(c), 'OK')
      const since = w.clock.now()
      await w.pass(10_500)
      assert.deepEqual(
        c.heartbeats.map((t) => t - since),
        [1000, 2000, 3000, 4000, 5000, 6000, 7000, 8000, 9000, 10_000],
      )
      assert.equal(c.closed, false)
      assert.equal(w.channel('hb', 'c').clientCount, 1)
    }),
  )

  test('without IDENTIFY the interval is client-timeout / 2, counted from connect', () =>
    withWire({}, async (w) => {
      const c = w.connect()
      const since = w.clock.now()
      await w.pass(95_000, 5000)
      assert.deepEqual(
        c.heartbeats.map((t) => t - since),
        [30_000, 60_000, 90_000],
        'the default client-timeout is 60 s',
      )
      assert.equal(c.closed, false)
    }),
  )

  test('a producer that never SUBs gets heartbeats too', () =>
    withWire({}, async (w) => {
      const c = w.connect()
      c.send(identify({heartbeat_interval: 2000}), pub('hbp', 'x'))
      assert.equal(await w.response(c), 'OK')
      assert.equal(await w.response(c), 'OK')
      await w.pass(4500)
      assert.equal(c.heartbeats.length, 2)
      assert.equal(c.closed, false)
    }),
  )

  test('a client that reads but never writes is closed 2 x heartbeat after its last bytes, with nsqd\'s i/o timeout line', () =>
    withWire({}, async (w) => {
      const c = w.connect()
      c.answerHeartbeats = false
      c.send(identify({heartbeat_interval: 1000}))
      assert.equal(await w.response(c), 'OK')
      const last = w.clock.now()
      await w.pass(1900, 100)
      assert.equal(c.closed, false, 'still open 1.9 s after its last bytes')
      assert.equal(c.heartbeats.length, 1, 'heartbeats went out meanwhile')
      await w.pass(200, 100)
      assert.equal(c.closed, true, 'closed at 2 x 1000 ms')
      assert.ok(c.closedAt !== null && c.closedAt - last <= 2000, `closed ${c.closedAt === null ? '-' : c.closedAt - last} ms after the last bytes`)
      assert.ok(
        w.logLines.some((l) => /ERROR: client\(127\.0\.0\.1:\d+\) - failed to read command - read tcp 127\.0\.0\.1:4150->127\.0\.0\.1:\d+: i\/o timeout/.test(l)),
        w.logLines.join(''),
      )
      assert.equal([...w.broker.clients()].length, 0, 'the session is gone from the broker')
      assert.equal(w.clock.pending, 1, "only the broker's scan loop is left: the session's timers were stopped")
    }),
  )

  test('the deadline counts from the last bytes read, whatever they are: a NOP 300 ms in moves it to 2300 ms', () =>
    withWire({}, async (w) => {
      const c = w.connect()
      c.answerHeartbeats = false
      c.send(identify({heartbeat_interval: 1000}))
      assert.equal(await w.response(c), 'OK')
      const start = w.clock.now()
      await w.pass(300, 100)
      c.send(nop())
      await w.settle()
      await w.pass(1900, 100)
      assert.equal(c.closed, false, 'open at 2.2 s: the NOP at 0.3 s refreshed the deadline')
      await w.pass(200, 100)
      assert.equal(c.closed, true)
      assert.ok(c.closedAt !== null && c.closedAt - start <= 2300 && c.closedAt - start > 2200, `closed at ${c.closedAt === null ? '-' : c.closedAt - start} ms`)
    }),
  )

  test('any command resets the deadline, not only NOP: a producer PUBlishing every 1500 ms at heartbeat 1000 stays', () =>
    withWire({}, async (w) => {
      const c = w.connect()
      c.answerHeartbeats = false
      c.send(identify({heartbeat_interval: 1000}))
      assert.equal(await w.response(c), 'OK')
      for (let i = 0; i < 8; i++) {
        await w.pass(1500, 100)
        c.send(pub('busy', `p${i}`))
        assert.equal(await w.response(c), 'OK')
      }
      assert.equal(c.closed, false)
      assert.ok(c.heartbeats.length >= 8, `${c.heartbeats.length} heartbeats, none answered`)
      assert.equal(w.broker.getExistingTopic('busy')?.messageCount, 8)
    }),
  )

  test('IDENTIFY heartbeat_interval -1: no heartbeats and no idle disconnect, for an hour', () =>
    withWire({}, async (w) => {
      const c = w.connect()
      c.answerHeartbeats = false
      c.send(identify({heartbeat_interval: -1}))
      assert.equal(await w.response(c), 'OK')
      await w.pass(3_600_000, 60_000)
      assert.deepEqual(c.heartbeats, [])
      assert.equal(c.closed, false)
    }),
  )

  test('a session closed by its peer leaves no timer of its own behind', () =>
    withWire({}, async (w) => {
      const c = w.connect()
      c.send(identify({heartbeat_interval: 1000}), sub('gone', 'c'))
      assert.equal(await w.response(c), 'OK')
      assert.equal(await w.response(c), 'OK')
      assert.equal(w.clock.pending, 3, 'scan loop + heartbeat + read deadline')
      c.close()
      await w.settle()
      assert.equal(w.clock.pending, 1, 'no heartbeat, no read deadline, and no linger once both ends are closed')
      assert.equal(w.channel('gone', 'c').clientCount, 0)
    }),
  )
})
