/**
 * Golden bytes from Go nsqd 1.3.0 (test/fixtures/nsqd-1.3.0/tcp_frames.json, captured by a probe talking to a
 * real nsqd): every server frame is decoded and re-encoded byte for byte, and every command the
 * probe sent is rebuilt with our builders and decoded back by CommandDecoder.
 *
 * The round-trip triad per frame: decode(fixture) = value, encode(value) = fixture,
 * decode(encode(value)) = value; then each case's stream fed split at every offset.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {
  CLOSE_WAIT,
  Command,
  CommandDecoder,
  type CommandDecoderHooks,
  FrameDecoder,
  FrameType,
  HEARTBEAT,
  MAGIC_V2,
  OK,
  ProtocolError,
  auth,
  cls,
  decodeIdentify,
  decodeIdentifyResponse,
  decodeMessage,
  decodeMpubBody,
  dpub,
  encodeFrame,
  encodeMessage,
  fin,
  goQuote,
  identify,
  isNsqErrorCode,
  isValidChannelName,
  isValidTopicName,
  joinTimestamp,
  messageFrameSize,
  mpub,
  nop,
  pub,
  rdy,
  req,
  splitTimestamp,
  sub,
  touch,
  writeMessageFrame,
  idWords,
} from '../../../src/core/protocol/index.js'
import {readCapture} from '../../helpers/nsqd-captures.js'

// ---------------------------------------------------------------------------------------------
// fixture

interface FixtureMessage {
  timestamp_ns: string
  attempts: number
  id: string
  body: string
}
interface FixtureFrame {
  size: number
  frame_type: number
  type_name: string
  /** the frame's data decoded as latin1 */
  data_text: string
  raw_hex: string
  message?: FixtureMessage
}
interface FixtureSent {
  /** what the probe wrote, non-printable bytes shown as '.', long writes cut as "...(N bytes)" */
  text: string
  bytes?: number
}
interface FixtureCase {
  name: string
  sent: FixtureSent[]
  frames: FixtureFrame[]
  closed_by_server: boolean
}
interface Fixture {
  max_msg_size: number
  max_rdy_count: number
  cases: FixtureCase[]
}

const fixture = JSON.parse(readCapture('tcp_frames.json')) as Fixture

const TYPE_BY_NAME: Record<string, FrameType> = {
  response: FrameType.Response,
  error: FrameType.Error,
  message: FrameType.Message,
}

const rawOf = (f: FixtureFrame): Buffer => Buffer.from(f.raw_hex, 'hex')

/** The probe's rendering of sent bytes: printable ASCII kept, everything else '.'. */
function render(b: Buffer): string {
  let s = ''
  for (const c of b) s += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '.'
  return s
}

interface Decoded {
  type: number
  hex: string
}

/** Decode a chunked stream, checking at the end that views handed out early are unchanged. */
function decodeFrames(chunks: Buffer[]): Decoded[] {
  const dec = new FrameDecoder()
  const held: {data: Buffer; hex: string; type: number}[] = []
  for (const chunk of chunks) {
    dec.push(chunk)
    for (let f = dec.next(); f; f = dec.next()) held.push({data: f.data, hex: f.data.toString('hex'), type: f.type})
  }
  assert.equal(dec.buffered, 0, 'no bytes left over')
  for (const h of held) assert.equal(h.data.toString('hex'), h.hex, 'a frame handed out earlier was overwritten')
  return held.map(({type, hex}) => ({type, hex}))
}

// ---------------------------------------------------------------------------------------------
// server -> client frames

test('fixture: sanity', () => {
  assert.ok(fixture.cases.length >= 20)
  assert.equal(fixture.max_msg_size, 1048576)
  const total = fixture.cases.reduce((n, c) => n + c.frames.length, 0)
  assert.ok(total >= 30, `only ${total} frames`)
  assert.ok(fixture.cases.some((c) => c.frames.some((f) => f.message)), 'the fixture has a message frame')
})

for (const c of fixture.cases) {
  test(`golden frames: ${c.name}`, () => {
    for (const [i, f] of c.frames.entries()) {
      const raw = rawOf(f)
      const what = `${c.name} frame ${i}`
      assert.equal(raw.length, f.size + 4, `${what}: raw length`)
      assert.equal(TYPE_BY_NAME[f.type_name], f.frame_type, `${what}: type name`)

      // decode(fixture) = value
      const dec = new FrameDecoder()
      dec.push(raw)
      const frame = dec.next()
      assert.ok(frame, `${what}: decoded`)
      assert.equal(frame.type, f.frame_type, `${what}: type`)
      assert.equal(frame.data.toString('latin1'), f.data_text, `${what}: data`)
      assert.equal(dec.next(), undefined)
      assert.equal(dec.buffered, 0)

      // encode(value) = fixture
      const again = encodeFrame(frame.type, Buffer.from(f.data_text, 'latin1'))
      assert.deepEqual(again, raw, `${what}: encodeFrame`)
      if (f.frame_type !== FrameType.Message) assert.deepEqual(encodeFrame(frame.type, f.data_text), raw, `${what}: encodeFrame(string)`)

      // decode(encode(value)) = value
      const dec2 = new FrameDecoder()
      dec2.push(again)
      const frame2 = dec2.next()
      assert.ok(frame2)
      assert.equal(frame2.type, frame.type)
      assert.deepEqual(frame2.data, frame.data)

      if (f.frame_type === FrameType.Error) {
        const err = ProtocolError.fromFrame(frame.data)
        assert.equal(err.frameText(), f.data_text, `${what}: error text`)
        assert.ok(isNsqErrorCode(err.code), `${what}: known code ${err.code}`)
        // nsqd closes after every error except E_FIN_FAILED / E_REQ_FAILED / E_TOUCH_FAILED
        assert.equal(err.fatal, c.closed_by_server, `${what}: fatal matches the server closing`)
        assert.deepEqual(encodeFrame(FrameType.Error, err.frameText()), raw)
      }

      if (f.frame_type === FrameType.Message) {
        const m = f.message
        assert.ok(m, `${what}: message details in the fixture`)
        const msg = decodeMessage(frame.data)
        assert.equal(msg.timestamp, BigInt(m.timestamp_ns))
        assert.equal(msg.attempts, m.attempts)
        assert.equal(msg.id, m.id)
        assert.equal(msg.body.toString('utf8'), m.body)

        // encode(value) = fixture, by both encoders
        const value = {timestamp: BigInt(m.timestamp_ns), attempts: m.attempts, id: m.id, body: Buffer.from(m.body)}
        assert.deepEqual(encodeMessage(value), frame.data, `${what}: encodeMessage`)
        assert.deepEqual(encodeFrame(FrameType.Message, encodeMessage(value)), raw)
        const [hi, lo] = splitTimestamp(value.timestamp)
        assert.equal(joinTimestamp(hi, lo), value.timestamp)
        const size = messageFrameSize(value.body.length)
        assert.equal(size, raw.length)
        const out = Buffer.alloc(size + 6, 0xee)
        assert.equal(writeMessageFrame(out, 3, hi, lo, value.attempts, idWords(value.id), value.body), 3 + size)
        assert.deepEqual(out.subarray(3, 3 + size), raw, `${what}: writeMessageFrame`)
        assert.deepEqual(out.subarray(0, 3), Buffer.alloc(3, 0xee), 'nothing written before the offset')
        assert.deepEqual(out.subarray(3 + size), Buffer.alloc(3, 0xee), 'nothing written after the frame')

        // decode(encode(value)) = value
        assert.deepEqual(decodeMessage(encodeMessage(value)), value)
      }
    }
  })
}

test('golden frames: constants match what nsqd sends', () => {
  const texts = fixture.cases.flatMap((c) => c.frames.filter((f) => f.frame_type === 0).map((f) => f.data_text))
  assert.ok(texts.includes(OK))
  assert.ok(texts.includes(CLOSE_WAIT))
  assert.ok(texts.includes(HEARTBEAT))
})

test('golden frames: IDENTIFY response JSON', () => {
  const c = fixture.cases.find((x) => x.name === 'identify_feature_negotiation')
  assert.ok(c)
  const f = c.frames[0]
  assert.ok(f)
  const r = decodeIdentifyResponse(Buffer.from(f.data_text, 'latin1'))
  assert.equal(r.max_rdy_count, fixture.max_rdy_count)
  assert.equal(r.version, '1.3.0')
  assert.equal(r.msg_timeout, 60000)
  assert.equal(r.max_msg_timeout, 900000)
  assert.equal(r.output_buffer_timeout, 250)
  assert.equal(r.auth_required, false)
})

test('golden frames: error texts are rebuilt from goQuote and the name rules', () => {
  const text = (name: string): string => {
    const c = fixture.cases.find((x) => x.name === name)
    const f = c?.frames.at(-1)
    assert.ok(f, name)
    return f.data_text
  }
  assert.equal(isValidTopicName('bad!topic'), false)
  assert.equal(isValidChannelName('ch!bad'), false)
  assert.equal(new ProtocolError('E_BAD_TOPIC', `SUB topic name ${goQuote('bad!topic')} is not valid`).frameText(), text('sub_invalid_topic'))
  assert.equal(new ProtocolError('E_BAD_TOPIC', `PUB topic name ${goQuote('bad!topic')} is not valid`).frameText(), text('pub_invalid_topic'))
  assert.equal(new ProtocolError('E_BAD_CHANNEL', `SUB channel name ${goQuote('ch!bad')} is not valid`).frameText(), text('sub_invalid_channel'))
  assert.equal(new ProtocolError('E_BAD_PROTOCOL', '').frameText(), text('bad_magic'))
})

test('golden frames: each case stream decodes the same split at every offset and byte by byte', () => {
  for (const c of fixture.cases) {
    const stream = Buffer.concat(c.frames.map(rawOf))
    const expected = c.frames.map((f) => ({type: f.frame_type, hex: Buffer.from(f.data_text, 'latin1').toString('hex')}))
    assert.deepEqual(decodeFrames([stream]), expected, c.name)
    for (let at = 0; at <= stream.length; at++) {
      const got = decodeFrames([Buffer.from(stream.subarray(0, at)), Buffer.from(stream.subarray(at))])
      assert.deepEqual(got, expected, `${c.name} split at ${at}`)
    }
    const bytes = [...stream].map((b) => Buffer.from([b]))
    assert.deepEqual(decodeFrames(bytes), expected, `${c.name} byte by byte`)
  }
})

test('golden frames: all frames of all cases as one stream, split at every offset', () => {
  const all = fixture.cases.flatMap((c) => c.frames)
  const stream = Buffer.concat(all.map(rawOf))
  const expected = all.map((f) => ({type: f.frame_type, hex: Buffer.from(f.data_text, 'latin1').toString('hex')}))
  for (let at = 0; at <= stream.length; at += 1) {
    assert.deepEqual(decodeFrames([stream.subarray(0, at), stream.subarray(at)]), expected, `split at ${at}`)
  }
  assert.deepEqual(decodeFrames([...stream].map((b) => Buffer.from([b]))), expected)
})

// ---------------------------------------------------------------------------------------------
// client -> server commands

const ID0 = '0000000000000000'
const MSG_ID = '18a2921fdbe69000'
const MAX_MSG_SIZE = fixture.max_msg_size

/** Bytes a builder cannot make: unknown verbs, a PUB header whose body was never sent. */
const raw = (s: string): Buffer => Buffer.from(s, 'latin1')
const sizePrefix = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

/** What the probe sent after the magic, case by case, made with our builders. */
const SENT: Record<string, (Command | Buffer)[]> = {
  identify_feature_negotiation: [
    identify({client_id: 'probe', hostname: 'probe-host', user_agent: 'anchors-probe/1.0', feature_negotiation: true}),
  ],
  identify_no_feature_negotiation: [identify({client_id: 'probe', hostname: 'probe-host'})],
  identify_twice: [identify({client_id: 'probe'}), identify({client_id: 'probe'})],
  bad_magic: [nop()],
  unknown_command: [raw('FOO\n')],
  nop_then_unknown_command: [nop(), raw('BAR baz\n')],
  sub_invalid_topic: [sub('bad!topic', 'ch')],
  sub_invalid_channel: [sub('ref_tcp', 'ch!bad')],
  sub_missing_params: [new Command('SUB', ['ref_tcp'])],
  pub_ok: [pub('ref_tcp', 'hello')],
  pub_invalid_topic: [pub('bad!topic', 'x')],
  pub_empty_body: [pub('ref_tcp', '')],
  pub_over_max_msg_size_header_only: [Buffer.concat([raw('PUB ref_tcp\n'), sizePrefix(MAX_MSG_SIZE + 1)])],
  pub_over_max_msg_size_with_body: [pub('ref_tcp', Buffer.alloc(MAX_MSG_SIZE + 1, 'a'))],
  mpub_zero_messages: [mpub('ref_tcp', [])],
  fin_unknown_id_subscribed: [sub('ref_tcp_fin', 'ch'), fin(ID0), nop()],
  fin_not_subscribed: [fin(ID0)],
  fin_bad_id_length: [sub('ref_tcp_fin', 'ch'), fin('abc')],
  req_unknown_id: [sub('ref_tcp_fin', 'ch'), req(ID0, 0)],
  touch_unknown_id: [sub('ref_tcp_fin', 'ch'), touch(ID0)],
  rdy_over_max_rdy_count: [sub('ref_tcp_fin', 'ch'), rdy(2501)],
  rdy_not_subscribed: [rdy(1)],
  auth_when_disabled: [auth('secret')],
  message_delivery_fin_cls: [pub('ref_tcp_msg', 'hello world'), sub('ref_tcp_msg', 'ch'), rdy(1), fin(MSG_ID), cls()],
  heartbeat_1s: [identify({client_id: 'probe', heartbeat_interval: 1000})],
}

const bytesOf = (x: Command | Buffer): Buffer => (x instanceof Command ? x.encode() : x)

test('golden commands: every fixture case is covered by the builder table', () => {
  assert.deepEqual(fixture.cases.map((c) => c.name).sort(), Object.keys(SENT).sort())
  // the probe FINs the id of the message nsqd delivered
  const delivered = fixture.cases.flatMap((c) => c.frames).find((f) => f.message)?.message
  assert.equal(delivered?.id, MSG_ID)
})

test('golden commands: the builders produce the bytes the probe sent', () => {
  for (const c of fixture.cases) {
    const [magic, ...rest] = c.sent
    assert.ok(magic)
    if (c.name === 'bad_magic') assert.equal(magic.text, '  V1')
    else assert.equal(magic.text, MAGIC_V2.toString('latin1'), `${c.name}: magic`)
    const built = SENT[c.name]
    assert.ok(built)
    assert.equal(rest.length, built.length, `${c.name}: number of writes`)
    for (const [i, s] of rest.entries()) {
      const b = bytesOf(built[i] as Command | Buffer)
      const what = `${c.name} write ${i}`
      assert.equal(b.length, s.bytes, `${what}: length`)
      const cut = /^([\s\S]*)\.\.\.\((\d+) bytes\)$/.exec(s.text)
      if (cut) {
        assert.equal(Number(cut[2]), b.length, `${what}: announced length`)
        assert.ok(render(b).startsWith(cut[1] as string), `${what}: prefix`)
      } else {
        assert.equal(render(b), s.text, `${what}: bytes`)
      }
    }
  }
})

test('golden commands: exact bytes of each builder', () => {
  const bin = (...parts: (string | number[])[]): Buffer =>
    Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))))
  assert.deepEqual(sub('ref_tcp', 'ch').encode(), bin('SUB ref_tcp ch\n'))
  assert.deepEqual(pub('ref_tcp', 'hello').encode(), bin('PUB ref_tcp\n', [0, 0, 0, 5], 'hello'))
  assert.deepEqual(pub('ref_tcp', Buffer.from([0, 1, 2])).encode(), bin('PUB ref_tcp\n', [0, 0, 0, 3], [0, 1, 2]))
  assert.deepEqual(dpub('t', 1500, 'x').encode(), bin('DPUB t 1500\n', [0, 0, 0, 1], 'x'))
  assert.deepEqual(
    mpub('t', ['ab', Buffer.from('c')]).encode(),
    bin('MPUB t\n', [0, 0, 0, 15], [0, 0, 0, 2], [0, 0, 0, 2], 'ab', [0, 0, 0, 1], 'c'),
  )
  assert.deepEqual(mpub('ref_tcp', []).encode(), bin('MPUB ref_tcp\n', [0, 0, 0, 4], [0, 0, 0, 0]))
  assert.deepEqual(rdy(2500).encode(), bin('RDY 2500\n'))
  assert.deepEqual(fin(MSG_ID).encode(), bin(`FIN ${MSG_ID}\n`))
  assert.deepEqual(req(ID0, 0).encode(), bin(`REQ ${ID0} 0\n`))
  assert.deepEqual(req(ID0, 90_000).encode(), bin(`REQ ${ID0} 90000\n`))
  assert.deepEqual(touch(ID0).encode(), bin(`TOUCH ${ID0}\n`))
  assert.deepEqual(cls().encode(), bin('CLS\n'))
  assert.deepEqual(nop().encode(), bin('NOP\n'))
  assert.deepEqual(auth('secret').encode(), bin('AUTH\n', [0, 0, 0, 6], 'secret'))
  assert.deepEqual(identify({client_id: 'probe'}).encode(), bin('IDENTIFY\n', [0, 0, 0, 21], '{"client_id":"probe"}'))
  assert.deepEqual(MAGIC_V2, bin('  V2'))
})

/** nsqd's own checks on PUB/MPUB sizes (protocol_v2.go), enough to reproduce the fixture's errors. */
const nsqdHooks: CommandDecoderHooks = {
  checkSize(name, _params, size) {
    if (name === 'PUB') {
      if (size <= 0) throw new ProtocolError('E_BAD_MESSAGE', `PUB invalid message body size ${size}`)
      if (size > MAX_MSG_SIZE) throw new ProtocolError('E_BAD_MESSAGE', `PUB message too big ${size} > ${MAX_MSG_SIZE}`)
    }
  },
}

interface Received {
  name: string
  params: string[]
  body: string | null
}
const received = (name: string, params: readonly string[], body: Buffer | null): Received => ({
  name,
  params: [...params],
  body: body ? body.toString('hex') : null,
})
const expectedOf = (x: Command | Buffer): Received | null => {
  if (!(x instanceof Command)) {
    const s = x.toString('latin1')
    if (!s.endsWith('\n')) return null // a header whose body never comes
    const words = s.slice(0, -1).split(' ')
    return received(words[0] as string, words, null)
  }
  return received(x.name, [x.name, ...x.params], x.body)
}

test('golden commands: CommandDecoder decodes what the probe sent', () => {
  for (const c of fixture.cases) {
    const built = SENT[c.name] as (Command | Buffer)[]
    const stream = Buffer.concat(built.map(bytesOf))
    const expected = built.map(expectedOf).filter((x): x is Received => x !== null)
    const dec = new CommandDecoder({checkSize() {}})
    dec.push(stream)
    const got: Received[] = []
    for (let cmd = dec.next(); cmd; cmd = dec.next()) got.push(received(cmd.name, cmd.params, cmd.body))
    assert.deepEqual(got, expected, c.name)
    // (for pub_over_max_msg_size_header_only the size prefix is consumed and the body awaited)
    assert.equal(dec.buffered, 0, c.name)
  }
})

test('golden commands: the size checks reproduce nsqd error frames', () => {
  const lastError = (name: string): string => {
    const f = fixture.cases.find((x) => x.name === name)?.frames.at(-1)
    assert.ok(f && f.frame_type === FrameType.Error, name)
    return f.data_text
  }
  for (const name of ['pub_empty_body', 'pub_over_max_msg_size_header_only', 'pub_over_max_msg_size_with_body']) {
    const dec = new CommandDecoder(nsqdHooks)
    dec.push(Buffer.concat((SENT[name] as (Command | Buffer)[]).map(bytesOf)))
    assert.throws(
      () => dec.next(),
      (err: unknown) => err instanceof ProtocolError && err.frameText() === lastError(name) && err.fatal,
      name,
    )
  }
  // MPUB with a count of 0: the body decoder's text
  const dec = new CommandDecoder(nsqdHooks)
  dec.push(mpub('ref_tcp', []).encode())
  const cmd = dec.next()
  assert.ok(cmd?.body)
  assert.throws(
    () => decodeMpubBody(cmd.body as Buffer, {maxMsgSize: MAX_MSG_SIZE, maxBodySize: 5 * 1024 * 1024}),
    (err: unknown) => err instanceof ProtocolError && err.frameText() === lastError('mpub_zero_messages'),
  )
  // IDENTIFY bodies the probe sent decode
  const id = SENT['identify_feature_negotiation']?.[0]
  assert.ok(id instanceof Command && id.body)
  assert.deepEqual(decodeIdentify(id.body), {
    client_id: 'probe',
    hostname: 'probe-host',
    user_agent: 'anchors-probe/1.0',
    feature_negotiation: true,
  })
})

test('golden commands: message_delivery stream split at every offset and byte by byte', () => {
  const built = SENT['message_delivery_fin_cls'] as (Command | Buffer)[]
  const stream = Buffer.concat([nop().encode(), ...built.map(bytesOf), identify({client_id: 'probe'}).encode(), auth('s').encode()])
  const decodeAll = (chunks: Buffer[]): Received[] => {
    const dec = new CommandDecoder(nsqdHooks)
    const held: {body: Buffer | null; r: Received}[] = []
    for (const ch of chunks) {
      dec.push(ch)
      for (let cmd = dec.next(); cmd; cmd = dec.next()) held.push({body: cmd.body, r: received(cmd.name, cmd.params, cmd.body)})
    }
    assert.equal(dec.buffered, 0)
    return held.map(({body, r}) => {
      assert.equal(body ? body.toString('hex') : null, r.body, 'a body handed out earlier was overwritten')
      return r
    })
  }
  const expected = decodeAll([stream])
  assert.equal(expected.length, 8)
  for (let at = 0; at <= stream.length; at++) {
    assert.deepEqual(decodeAll([Buffer.from(stream.subarray(0, at)), Buffer.from(stream.subarray(at))]), expected, `split at ${at}`)
  }
  assert.deepEqual(decodeAll([...stream].map((b) => Buffer.from([b]))), expected)
})
