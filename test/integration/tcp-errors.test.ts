/**
 * TCP protocol V2 over a real socket: what the broker answers to wrong or hostile input, and
 * whether it then closes the connection (NSQ-SPEC §2.2 command table, §7 items 2, 3 and 6).
 *
 * Part A replays every case of the real nsqd 1.3.0 capture
 * (test/fixtures/nsqd-1.3.0/tcp_frames.txt) byte for byte: same bytes in, same frames out,
 * same close. Part B is bad input from the field: garbage, lying size prefixes, half-sent
 * commands, other clients' message ids, out-of-range values.
 */
import test, {describe} from 'node:test'
import assert from 'node:assert/strict'

import {FrameType, MAGIC_V2, dpub, fin, identify, mpub, pub, rdy, req, sub, touch} from '../../src/core/protocol/index.js'
import {bodyText, collect, expectAlive, expectFatal, int32, rawBodyCommand, withScenario} from '../helpers/scenario.js'
import {sleep, waitFor} from '../helpers/wait.js'

const T = {timeout: 15_000}

// ---- A. the nsqd 1.3.0 capture, case by case ------------------------------------------------

interface CaptureCase {
  name: string
  magic?: Buffer
  send: (string | Buffer)[]
  /** frames in order: [type, exact data] */
  frames: ['response' | 'error', string][]
  closed: boolean
}

const ZERO_ID = '0000000000000000'

/** `line\n` + an honest size prefix + body */
const withBody = (line: string, body: string | Buffer): Buffer => rawBodyCommand(line, Buffer.byteLength(body), body)

const CAPTURE: CaptureCase[] = [
  {
    name: 'identify_no_feature_negotiation',
    send: [withBody('IDENTIFY', '{"client_id":"probe","hostname":"probe-host"}')],
    frames: [['response', 'OK']],
    closed: false,
  },
  {
    name: 'identify_twice',
    send: [withBody('IDENTIFY', '{"client_id":"probe"}'), withBody('IDENTIFY', '{"client_id":"probe"}')],
    frames: [
      ['response', 'OK'],
      ['response', 'OK'],
    ],
    closed: false,
  },
  {name: 'bad_magic', magic: Buffer.from('  V1'), send: ['NOP\n'], frames: [['error', 'E_BAD_PROTOCOL']], closed: true},
  {name: 'unknown_command', send: ['FOO\n'], frames: [['error', 'E_INVALID invalid command FOO']], closed: true},
  {name: 'nop_then_unknown_command', send: ['NOP\n', 'BAR baz\n'], frames: [['error', 'E_INVALID invalid command BAR']], closed: true},
  {
    name: 'sub_invalid_topic',
    send: ['SUB bad!topic ch\n'],
    frames: [['error', 'E_BAD_TOPIC SUB topic name "bad!topic" is not valid']],
    closed: true,
  },
  {
    name: 'sub_invalid_channel',
    send: ['SUB ref_tcp ch!bad\n'],
    frames: [['error', 'E_BAD_CHANNEL SUB channel name "ch!bad" is not valid']],
    closed: true,
  },
  {name: 'sub_missing_params', send: ['SUB ref_tcp\n'], frames: [['error', 'E_INVALID SUB insufficient number of parameters']], closed: true},
  {name: 'pub_ok', send: [withBody('PUB ref_tcp', 'hello')], frames: [['response', 'OK']], closed: false},
  {
    name: 'pub_invalid_topic',
    send: [withBody('PUB bad!topic', 'x')],
    frames: [['error', 'E_BAD_TOPIC PUB topic name "bad!topic" is not valid']],
    closed: true,
  },
  {name: 'pub_empty_body', send: [rawBodyCommand('PUB ref_tcp', 0)], frames: [['error', 'E_BAD_MESSAGE PUB invalid message body size 0']], closed: true},
  {
    name: 'pub_over_max_msg_size_header_only',
    send: [rawBodyCommand('PUB ref_tcp', 1048577)],
    frames: [['error', 'E_BAD_MESSAGE PUB message too big 1048577 > 1048576']],
    closed: true,
  },
  {
    name: 'pub_over_max_msg_size_with_body',
    send: [rawBodyCommand('PUB ref_tcp', 1048577, Buffer.alloc(1048577, 0x61))],
    frames: [['error', 'E_BAD_MESSAGE PUB message too big 1048577 > 1048576']],
    closed: true,
  },
  {name: 'mpub_zero_messages', send: [withBody('MPUB ref_tcp', int32(0))], frames: [['error', 'E_BAD_BODY MPUB invalid message count 0']], closed: true},
  {
    name: 'fin_unknown_id_subscribed (non-fatal)',
    send: ['SUB ref_tcp_fin ch\n', `FIN ${ZERO_ID}\n`, 'NOP\n'],
    frames: [
      ['response', 'OK'],
      ['error', `E_FIN_FAILED FIN ${ZERO_ID} failed ID not in flight`],
    ],
    closed: false,
  },
  {name: 'fin_not_subscribed', send: [`FIN ${ZERO_ID}\n`], frames: [['error', 'E_INVALID cannot FIN in current state']], closed: true},
  {
    name: 'fin_bad_id_length',
    send: ['SUB ref_tcp_fin ch\n', 'FIN abc\n'],
    frames: [
      ['response', 'OK'],
      ['error', 'E_INVALID invalid message ID'],
    ],
    closed: true,
  },
  {
    name: 'req_unknown_id (non-fatal)',
    send: ['SUB ref_tcp_fin ch\n', `REQ ${ZERO_ID} 0\n`],
    frames: [
      ['response', 'OK'],
      ['error', `E_REQ_FAILED REQ ${ZERO_ID} failed ID not in flight`],
    ],
    closed: false,
  },
  {
    name: 'touch_unknown_id (non-fatal)',
    send: ['SUB ref_tcp_fin ch\n', `TOUCH ${ZERO_ID}\n`],
    frames: [
      ['response', 'OK'],
      ['error', `E_TOUCH_FAILED TOUCH ${ZERO_ID} failed ID not in flight`],
    ],
    closed: false,
  },
  {
    name: 'rdy_over_max_rdy_count',
    send: ['SUB ref_tcp_fin ch\n', 'RDY 2501\n'],
    frames: [
      ['response', 'OK'],
      ['error', 'E_INVALID RDY count 2501 out of range 0-2500'],
    ],
    closed: true,
  },
  {name: 'rdy_not_subscribed', send: ['RDY 1\n'], frames: [['error', 'E_INVALID cannot RDY in current state']], closed: true},
  {name: 'auth_when_disabled', send: [withBody('AUTH', 'secret')], frames: [['error', 'E_AUTH_DISABLED AUTH disabled']], closed: true},
]

describe('A. every case of the nsqd 1.3.0 TCP capture', () => {
  for (const tc of CAPTURE) {
    test(`${tc.name}: ${tc.frames.map((f) => f[1]).join(' / ') || '(no reply)'}${tc.closed ? ', then closed' : ', stays open'}`, T, () =>
      withScenario({}, async (s) => {
        const c = await s.connect({magic: tc.magic ?? true})
        c.send(...tc.send)
        for (const [type, text] of tc.frames) {
          const f = await c.next(3000)
          assert.equal(f.type, type === 'response' ? FrameType.Response : FrameType.Error, `frame "${f.text}"`)
          assert.equal(f.text, text)
        }
        if (tc.closed) await c.waitClosed(2000)
        else await expectAlive(c)
      }),
    )
  }

  test('identify_feature_negotiation: the JSON response is nsqd 1.3.0 byte for byte with default options', T, () =>
    withScenario({}, async (s) => {
      const c = await s.connect()
      c.send(identify({client_id: 'probe', hostname: 'probe-host', user_agent: 'anchors-probe/1.0', feature_negotiation: true}))
      const f = await c.next()
      assert.equal(f.type, FrameType.Response)
      assert.equal(
        f.text,
        '{"max_rdy_count":2500,"version":"1.3.0","max_msg_timeout":900000,"msg_timeout":60000,"tls_v1":false,"deflate":false,' +
          '"deflate_level":6,"max_deflate_level":6,"snappy":false,"sample_rate":0,"auth_required":false,' +
          '"output_buffer_size":16384,"output_buffer_timeout":250}',
      )
      await expectAlive(c)
    }),
  )

  test('message_delivery_fin_cls: PUB, SUB, RDY 1 delivers attempts 1; FIN is silent; CLS answers CLOSE_WAIT and keeps the socket', T, () =>
    withScenario({}, async (s) => {
      const c = await s.connect()
      c.send(pub('ref_tcp_msg', 'hello world'), sub('ref_tcp_msg', 'ch'), rdy(1))
      assert.equal(await c.response(), 'OK')
      assert.equal(await c.response(), 'OK')
      const m = await c.message()
      assert.equal(bodyText(m), 'hello world')
      assert.equal(m.attempts, 1)
      assert.match(m.id, /^[0-9a-f]{16}$/)
      const nowNs = BigInt(Date.now()) * 1_000_000n
      assert.ok(m.timestamp > nowNs - 60_000_000_000n && m.timestamp <= nowNs + 1_000_000_000n, 'timestamp is the publish time in ns')
      c.send(fin(m.id), 'CLS\n')
      assert.equal(await c.response(), 'CLOSE_WAIT', 'FIN of an owned message answers nothing; CLS answers CLOSE_WAIT')
      assert.equal(await c.silentFor(300), true)
      assert.equal(c.closed, false, 'CLS does not close the connection')
    }),
  )
})

// ---- B. bad input --------------------------------------------------------------------------

describe('B. bad input', () => {
  test('garbage bytes after the magic: fatal E_INVALID, nothing after it executed; other clients unaffected', T, () =>
    withScenario({}, async (s) => {
      const bystander = await s.consumer('g', 'c', {rdy: 10})
      const c = await s.connect()
      c.send(Buffer.concat([Buffer.from([0x00, 0x01, 0x7f, 0x47, 0x41, 0x52, 0x42, 0x0a]), pub('g', 'x').encode()]))
      assert.equal(await c.error_(), 'E_INVALID invalid command \x00\x01\x7fGARB')
      await c.waitClosed()
      assert.equal((await s.topic('g'))?.message_count, 0, 'nothing after the garbage line was executed')

      await s.publish('g', ['still-works'])
      assert.equal(bodyText(await bystander.message()), 'still-works')
    }),
  )

  test('bytes >= 0x80 in an unknown command word are echoed back unchanged, as nsqd does (%s of the raw bytes)', T, () =>
    withScenario({}, async (s) => {
      const word = Buffer.from([0x80, 0xfe, 0xff, 0x47, 0xc3, 0xa9])
      const c = await s.connect()
      c.send(Buffer.concat([word, Buffer.from('\n')]))
      const f = await c.next()
      assert.equal(f.type, FrameType.Error)
      assert.equal(f.data.toString('hex'), Buffer.concat([Buffer.from('E_INVALID invalid command '), word]).toString('hex'))
      await c.waitClosed()
    }),
  )

  test('a non-ASCII topic name is quoted like Go %q: valid UTF-8 stays readable, invalid bytes become \\xNN', T, () =>
    withScenario({}, async (s) => {
      const a = await s.connect()
      a.send(Buffer.concat([Buffer.from('PUB caf\u00e9\n', 'utf8'), int32(1), Buffer.from('x')]))
      const fa = await a.next()
      assert.equal(fa.type, FrameType.Error)
      assert.equal(fa.data.toString('utf8'), 'E_BAD_TOPIC PUB topic name "caf\u00e9" is not valid')
      await a.waitClosed()
      const b = await s.connect()
      b.send(Buffer.concat([Buffer.from('SUB bad'), Buffer.from([0xff]), Buffer.from('topic ch\n')]))
      await expectFatal(b, 'E_BAD_TOPIC SUB topic name "bad\\xfftopic" is not valid')
    }),
  )

  test('an empty command line is "E_INVALID invalid command " (empty name), closed', T, () =>
    withScenario({}, async (s) => {
      const c = await s.connect()
      c.send('\n')
      await expectFatal(c, 'E_INVALID invalid command ')
    }),
  )

  test('binary noise without a newline longer than nsqd\'s 16 KiB line buffer: connection closed, broker fine', T, () =>
    withScenario({}, async (s) => {
      const c = await s.connect()
      let x = 12345
      const noise = Buffer.alloc(20_000)
      for (let i = 0; i < noise.length; i++) {
        x = (x * 1103515245 + 12345) & 0x7fffffff
        const b = (x >>> 16) & 0xff
        noise[i] = b === 0x0a ? 0x0b : b
      }
      c.send(noise)
      // nsqd closes without an error frame (bufio.ErrBufferFull); an error frame is tolerated
      for (;;) {
        let f
        try {
          f = await c.next(3000)
        } catch {
          break
        }
        assert.equal(f.type, FrameType.Error, `only an error frame may precede the close, got ${f.text}`)
      }
      await c.waitClosed(100)
      const other = await s.connect()
      await expectAlive(other)
    }),
  )

  test('PUB with a 2 GB size prefix: answered at once, closed, no huge allocation, others keep being served', T, () =>
    withScenario({}, async (s) => {
      const consumer = await s.consumer('big', 'c', {rdy: 10})
      const rssBefore = process.memoryUsage().rss
      const c = await s.connect()
      const started = Date.now()
      // the size prefix, then the first megabyte of the "body" the client pretends to send
      c.send(Buffer.concat([Buffer.from('PUB big\n'), int32(0x7fffffff), Buffer.alloc(1024 * 1024, 0x61)]))
      await expectFatal(c, 'E_BAD_MESSAGE PUB message too big 2147483647 > 1048576')
      assert.ok(Date.now() - started < 1500, `answered after ${Date.now() - started}ms`)
      const grew = process.memoryUsage().rss - rssBefore
      assert.ok(grew < 100 * 1024 * 1024, `rss grew by ${Math.round(grew / 1048576)} MB`)

      await s.publish('big', ['small'])
      assert.equal(bodyText(await consumer.message()), 'small')
      assert.equal((await s.topic('big'))?.message_count, 1)
    }),
  )

  const HUGE: [string, string, number, string][] = [
    ['PUB, negative size', 'PUB t', -1, 'E_BAD_MESSAGE PUB invalid message body size -1'],
    ['DPUB, 2 GB', 'DPUB t 100', 0x7fffffff, 'E_BAD_MESSAGE DPUB message too big 2147483647 > 1048576'],
    ['MPUB, 2 GB', 'MPUB t', 0x7fffffff, 'E_BAD_BODY MPUB body too big 2147483647 > 5242880'],
    ['MPUB, negative size', 'MPUB t', -5, 'E_BAD_BODY MPUB invalid body size -5'],
    ['IDENTIFY, 2 GB', 'IDENTIFY', 0x7fffffff, 'E_BAD_BODY IDENTIFY body too big 2147483647 > 5242880'],
    ['IDENTIFY, zero size', 'IDENTIFY', 0, 'E_BAD_BODY IDENTIFY invalid body size 0'],
    ['AUTH, 2 GB', 'AUTH', 0x7fffffff, 'E_BAD_BODY AUTH body too big 2147483647 > 5242880'],
  ]
  for (const [name, line, size, text] of HUGE) {
    test(`size prefix checks before reading the body: ${name} -> ${text}`, T, () =>
      withScenario({}, async (s) => {
        const c = await s.connect()
        c.send(rawBodyCommand(line, size))
        await expectFatal(c, text)
      }),
    )
  }

  test('a command cut short by a client that then disconnects leaves no trace; other clients unaffected', T, () =>
    withScenario({}, async (s) => {
      const consumer = await s.consumer('cut', 'c', {rdy: 10})
      const partials = [
        Buffer.concat([Buffer.from('PUB cut\n'), int32(100), Buffer.from('only ten b')]), // body short
        Buffer.concat([Buffer.from('PUB cut\n'), int32(100).subarray(0, 2)]), // size prefix short
        Buffer.from('PUB cu'), // line short
        Buffer.concat([Buffer.from('MPUB cut\n'), int32(13), int32(2), int32(1), Buffer.from('a')]), // MPUB short
      ]
      for (const p of partials) {
        const c = await s.connect()
        c.send(p)
        await sleep(30)
        c.close()
      }
      await waitFor('the half-sent clients to be dropped', () => [...s.broker.broker.clients()].length === 1)
      await s.publish('cut', ['whole'])
      const got = await collect(consumer, 300)
      assert.deepEqual(got.map(bodyText), ['whole'])
      assert.equal((await s.topic('cut'))?.message_count, 1, 'no partial message was published')
    }),
  )

  test('RDY 99999 is fatal: "E_INVALID RDY count 99999 out of range 0-2500"', T, () =>
    withScenario({}, async (s) => {
      const c = await s.consumer('r', 'c')
      c.send('RDY 99999\n')
      await expectFatal(c, 'E_INVALID RDY count 99999 out of range 0-2500')
    }),
  )

  test('RDY above a configured max-rdy-count, and unparsable RDY, are fatal', T, () =>
    withScenario({maxRdyCount: 100}, async (s) => {
      const a = await s.consumer('r', 'c')
      a.send('RDY 101\n')
      await expectFatal(a, 'E_INVALID RDY count 101 out of range 0-100')
      const b = await s.consumer('r', 'c')
      b.send('RDY -1\n')
      await expectFatal(b, 'E_INVALID RDY could not parse count -1')
      const ok = await s.consumer('r', 'c')
      ok.send('RDY 100\n')
      await expectAlive(ok)
    }),
  )

  test('FIN/REQ/TOUCH of a message owned by another client of the channel fail non-fatally', T, () =>
    withScenario({}, async (s) => {
      const owner = await s.consumer('own', 'c', {rdy: 1})
      const other = await s.consumer('own', 'c', {rdy: 0})
      await s.publish('own', ['mine'])
      const m = await owner.message()
      other.send(fin(m.id))
      assert.equal(await other.error_(), `E_FIN_FAILED FIN ${m.id} failed client does not own message`)
      other.send(req(m.id, 0))
      assert.equal(await other.error_(), `E_REQ_FAILED REQ ${m.id} failed client does not own message`)
      other.send(touch(m.id))
      assert.equal(await other.error_(), `E_TOUCH_FAILED TOUCH ${m.id} failed client does not own message`)
      await expectAlive(other)
      assert.equal((await s.channel('own', 'c'))?.in_flight_count, 1, 'still in flight for its owner')
      owner.send(fin(m.id))
      assert.equal(await owner.silentFor(200), true, 'the owner\'s FIN succeeds silently')
      await waitFor('in-flight 0', async () => (await s.channel('own', 'c'))?.in_flight_count === 0)
    }),
  )

  test('DPUB with an out-of-range timeout is fatal: "DPUB timeout 3600001 out of range 0-3600000"', T, () =>
    withScenario({}, async (s) => {
      const c = await s.connect()
      c.send(withBody('DPUB t 3600001', 'x'))
      await expectFatal(c, 'E_INVALID DPUB timeout 3600001 out of range 0-3600000')
      assert.equal((await s.topic('t'))?.message_count ?? 0, 0)
    }),
  )

  test('DPUB with an unparsable timeout is fatal: "DPUB could not parse timeout x" (also for -1)', T, () =>
    withScenario({}, async (s) => {
      const a = await s.connect()
      a.send(withBody('DPUB t x', 'x'))
      await expectFatal(a, 'E_INVALID DPUB could not parse timeout x')
      const b = await s.connect()
      b.send(withBody('DPUB t -1', 'x'))
      await expectFatal(b, 'E_INVALID DPUB could not parse timeout -1')
      const c = await s.connect()
      c.send(dpub('t', 3_600_000, 'at the limit'))
      assert.equal(await c.response(), 'OK', 'max-req-timeout itself is allowed')
    }),
  )

  test('REQ with a huge timeout is clamped to max-req-timeout, not rejected', T, () =>
    withScenario({maxReqTimeout: 1000, queueScanInterval: 20}, async (s) => {
      const c = await s.consumer('rq', 'c', {rdy: 1})
      await s.publish('rq', ['again'])
      const m = await c.message()
      const sent = Date.now()
      c.send(`REQ ${m.id} 99999999\n`)
      await waitFor('deferred_count 1', async () => (await s.channel('rq', 'c'))?.deferred_count === 1, {timeoutMs: 800})
      assert.equal(c.closed, false)
      const again = await c.message(4000)
      const after = Date.now() - sent
      assert.equal(again.id, m.id)
      assert.equal(again.attempts, 2)
      assert.ok(after >= 700 && after < 3500, `redelivered after ${after}ms (clamped to 1000ms)`)
    }),
  )

  const BAD_IDENTIFY: [string, Buffer, string][] = [
    ['heartbeat_interval 500', identify({heartbeat_interval: 500}).encode(), 'E_BAD_BODY IDENTIFY heartbeat interval (500) is invalid'],
    ['heartbeat_interval above max', identify({heartbeat_interval: 60_001}).encode(), 'E_BAD_BODY IDENTIFY heartbeat interval (60001) is invalid'],
    ['msg_timeout 999', identify({msg_timeout: 999}).encode(), 'E_BAD_BODY IDENTIFY msg timeout (999) is invalid'],
    ['sample_rate 100', identify({sample_rate: 100}).encode(), 'E_BAD_BODY IDENTIFY sample rate (100) is invalid'],
    ['output_buffer_size 63', identify({output_buffer_size: 63}).encode(), 'E_BAD_BODY IDENTIFY output buffer size (63) is invalid'],
    ['output_buffer_timeout 1', identify({output_buffer_timeout: 1}).encode(), 'E_BAD_BODY IDENTIFY output buffer timeout (1) is invalid'],
    ['bad JSON', withBody('IDENTIFY', '{not json'), 'E_BAD_BODY IDENTIFY failed to decode JSON body'],
    ['a string where a number goes', withBody('IDENTIFY', '{"heartbeat_interval":"1000"}'), 'E_BAD_BODY IDENTIFY failed to decode JSON body'],
  ]
  for (const [name, bytes, text] of BAD_IDENTIFY) {
    test(`IDENTIFY with ${name}: ${text}, closed`, T, () =>
      withScenario({}, async (s) => {
        const c = await s.connect()
        c.send(bytes)
        await expectFatal(c, text)
      }),
    )
  }

  test('IDENTIFY after SUB: "E_INVALID cannot IDENTIFY in current state", closed', T, () =>
    withScenario({}, async (s) => {
      const c = await s.consumer('i', 'c')
      c.send(identify({client_id: 'late'}))
      await expectFatal(c, 'E_INVALID cannot IDENTIFY in current state')
    }),
  )

  test('SUB after IDENTIFY heartbeat_interval -1: "E_INVALID cannot SUB with heartbeats disabled", closed', T, () =>
    withScenario({}, async (s) => {
      const c = await s.connect()
      c.send(identify({heartbeat_interval: -1}))
      assert.equal(await c.response(), 'OK')
      c.send(sub('hb', 'c'))
      await expectFatal(c, 'E_INVALID cannot SUB with heartbeats disabled')
      c.close()
      const p = await s.connect()
      p.send(identify({heartbeat_interval: -1}))
      assert.equal(await p.response(), 'OK')
      await expectAlive(p) // publishing without heartbeats is fine
    }),
  )

  test('max-channel-consumers 1: the second SUB to the same channel gets E_SUB_FAILED and is closed', T, () =>
    withScenario({maxChannelConsumers: 1}, async (s) => {
      const first = await s.consumer('t', 'c')
      const second = await s.connect()
      second.send(sub('t', 'c'))
      // nsqd 1.3.0: channel.AddClient returns "consumers for %s:%s exceeds limit of %d",
      // protocol_v2.SUB wraps it as NewFatalClientErr(err, "E_SUB_FAILED", "SUB failed "+err.Error())
      await expectFatal(second, 'E_SUB_FAILED SUB failed consumers for t:c exceeds limit of 1')
      await s.consumer('t', 'other') // the limit is per channel
      first.close()
      await waitFor('the first consumer to leave', async () => (await s.channel('t', 'c'))?.client_count === 0)
      await s.consumer('t', 'c') // and a free slot can be taken again
    }),
  )

  test('MPUB is checked as a whole before anything is published', T, () =>
    withScenario({}, async (s) => {
      const c = await s.connect()
      c.send(mpub('m', ['ok']), withBody('MPUB m', Buffer.concat([int32(2), int32(1), Buffer.from('a'), int32(-3), Buffer.alloc(5)])))
      assert.equal(await c.response(), 'OK')
      await expectFatal(c, 'E_BAD_MESSAGE MPUB invalid message(1) body size -3')
      assert.equal((await s.topic('m'))?.message_count, 1)
    }),
  )

  const STATE_AND_PARAMS: [string, (string | Buffer)[], string][] = [
    ['SUB twice', ['SUB t c\n', 'SUB t c\n'], 'E_INVALID cannot SUB in current state'],
    ['CLS before SUB', ['CLS\n'], 'E_INVALID cannot CLS in current state'],
    ['PUB without a topic', ['PUB\n'], 'E_INVALID PUB insufficient number of parameters'],
    ['DPUB without a timeout', ['DPUB t\n'], 'E_INVALID DPUB insufficient number of parameters'],
    ['REQ with a negative timeout', ['SUB t c\n', `REQ ${ZERO_ID} -1\n`], 'E_INVALID REQ could not parse timeout -1'],
    ['REQ without a timeout', ['SUB t c\n', `REQ ${ZERO_ID}\n`], 'E_INVALID REQ insufficient number of params'],
    ['FIN without an id', ['SUB t c\n', 'FIN\n'], 'E_INVALID FIN insufficient number of params'],
    ['TOUCH without an id', ['SUB t c\n', 'TOUCH\n'], 'E_INVALID TOUCH insufficient number of params'],
    ['TOUCH with a short id', ['SUB t c\n', 'TOUCH 123\n'], 'E_INVALID invalid message ID'],
  ]
  for (const [name, send, text] of STATE_AND_PARAMS) {
    test(`${name}: ${text}, closed`, T, () =>
      withScenario({}, async (s) => {
        const c = await s.connect()
        c.send(...send)
        if (send[0] === 'SUB t c\n') assert.equal(await c.response(), 'OK')
        await expectFatal(c, text)
      }),
    )
  }

  test('a PUB of exactly max-msg-size bytes is accepted and delivered whole', T, () =>
    withScenario({}, async (s) => {
      const c = await s.consumer('max', 'c', {rdy: 1})
      const body = Buffer.alloc(1048576, 0x62)
      const p = await s.connect()
      p.send(pub('max', body))
      assert.equal(await p.response(5000), 'OK')
      const m = await c.message(5000)
      assert.equal(m.body.length, body.length)
      assert.ok(m.body.equals(body))
    }),
  )

  test('pipelined commands after a fatal error are not executed', T, () =>
    withScenario({}, async (s) => {
      const c = await s.connect()
      c.send(Buffer.concat([pub('p', 'before').encode(), Buffer.from('BOGUS\n'), pub('p', 'after').encode()]))
      assert.equal(await c.response(), 'OK')
      await expectFatal(c, 'E_INVALID invalid command BOGUS')
      assert.equal((await s.topic('p'))?.message_count, 1)
    }),
  )

  test('a client may not send MAGIC twice: the second "  V2" is an invalid command', T, () =>
    withScenario({}, async (s) => {
      const c = await s.connect()
      c.send(Buffer.concat([MAGIC_V2, Buffer.from('\n')]))
      await expectFatal(c, 'E_INVALID invalid command ')
    }),
  )
})
