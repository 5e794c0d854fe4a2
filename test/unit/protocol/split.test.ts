/**
 * Split-chunk tests (pg-protocol's split-buffer suite): multi-unit streams fed in two chunks split
 * at every offset, byte by byte, and in seeded random chunk sizes must decode exactly as when fed
 * whole; bodies handed out earlier must survive later pushes untouched.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {
  CommandDecoder,
  type CommandDecoderHooks,
  FrameDecoder,
  FrameType,
  auth,
  cls,
  dpub,
  encodeFrame,
  encodeMessage,
  fin,
  identify,
  mpub,
  nop,
  pub,
  rdy,
  req,
  sub,
  touch,
} from '../../../src/core/protocol/index.js'
import {mulberry32} from '../../helpers/prng.js'


const pattern = (n: number, seed: number): Buffer => {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = (i * 7 + seed * 13) & 0xff
  return b
}

/** Split at every offset into two fresh chunks. */
function* twoWay(stream: Buffer): Generator<[number, Buffer[]]> {
  for (let at = 0; at <= stream.length; at++) yield [at, [Buffer.from(stream.subarray(0, at)), Buffer.from(stream.subarray(at))]]
}
const byteByByte = (stream: Buffer): Buffer[] => [...stream].map((b) => Buffer.from([b]))
function randomChunks(stream: Buffer, rnd: () => number, max: number): Buffer[] {
  const out: Buffer[] = []
  for (let o = 0; o < stream.length; ) {
    const n = 1 + Math.floor(rnd() * max)
    out.push(Buffer.from(stream.subarray(o, o + n)))
    o += n
  }
  return out
}

// ---------------------------------------------------------------------------------------------
// frames

interface DecodedFrame {
  type: number
  hex: string
}

function decodeFrames(chunks: Buffer[]): DecodedFrame[] {
  const dec = new FrameDecoder()
  const held: {type: number; data: Buffer; hex: string}[] = []
  for (const c of chunks) {
    dec.push(c)
    for (let f = dec.next(); f; f = dec.next()) held.push({type: f.type, data: f.data, hex: f.data.toString('hex')})
  }
  assert.equal(dec.buffered, 0, 'nothing left over')
  // compare at the end: a later push must not have overwritten an earlier frame's data
  return held.map((h) => {
    assert.equal(h.data.toString('hex'), h.hex, 'frame data changed after it was handed out')
    return {type: h.type, hex: h.hex}
  })
}

const msgData = (id: string, body: Buffer): Buffer => encodeMessage({timestamp: 1795226889166432251n, attempts: 2, id, body})

const FRAME_STREAMS: Record<string, Buffer[]> = {
  'responses, error, message': [
    encodeFrame(FrameType.Response, 'OK'),
    encodeFrame(FrameType.Response, '_heartbeat_'),
    encodeFrame(FrameType.Error, 'E_FIN_FAILED FIN 0000000000000000 failed ID not in flight'),
    encodeFrame(FrameType.Message, msgData('0000000000000001', Buffer.from('hello world'))),
    encodeFrame(FrameType.Response, 'CLOSE_WAIT'),
  ],
  'empty frames between messages': [
    encodeFrame(FrameType.Response, Buffer.alloc(0)),
    encodeFrame(FrameType.Message, msgData('0000000000000002', Buffer.alloc(0))),
    encodeFrame(FrameType.Response, Buffer.alloc(0)),
    encodeFrame(FrameType.Message, msgData('0000000000000003', pattern(40, 1))),
    encodeFrame(FrameType.Error, Buffer.alloc(0)),
  ],
  'big message among small ones': [
    encodeFrame(FrameType.Response, 'OK'),
    encodeFrame(FrameType.Message, msgData('0000000000000004', pattern(3000, 2))),
    encodeFrame(FrameType.Message, msgData('0000000000000005', pattern(5, 3))),
    encodeFrame(FrameType.Message, msgData('0000000000000006', pattern(1500, 4))),
  ],
}

for (const [name, frames] of Object.entries(FRAME_STREAMS)) {
  const stream = Buffer.concat(frames)
  const expected = decodeFrames([stream])

  test(`FrameDecoder split: ${name}: whole`, () => {
    assert.equal(expected.length, frames.length)
    for (const [i, f] of frames.entries()) {
      assert.equal(expected[i]?.type, f.readInt32BE(4))
      assert.equal(expected[i]?.hex, f.subarray(8).toString('hex'))
    }
  })

  test(`FrameDecoder split: ${name}: two chunks at every offset`, () => {
    for (const [at, chunks] of twoWay(stream)) assert.deepEqual(decodeFrames(chunks), expected, `split at ${at}`)
  })

  test(`FrameDecoder split: ${name}: byte by byte`, () => {
    assert.deepEqual(decodeFrames(byteByByte(stream)), expected)
  })

  test(`FrameDecoder split: ${name}: three chunks, seeded`, () => {
    const rnd = mulberry32(0xf4a3e)
    for (let i = 0; i < 300; i++) {
      const a = Math.floor(rnd() * (stream.length + 1))
      const b = a + Math.floor(rnd() * (stream.length + 1 - a))
      const chunks = [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)].map((c) => Buffer.from(c))
      assert.deepEqual(decodeFrames(chunks), expected, `split at ${a}, ${b}`)
    }
  })
}

test('FrameDecoder split: many messages in random chunk sizes, earlier bodies intact', () => {
  const rnd = mulberry32(42)
  const bodies: Buffer[] = []
  const frames: Buffer[] = []
  for (let i = 0; i < 300; i++) {
    const size = rnd() < 0.1 ? Math.floor(rnd() * 70000) : Math.floor(rnd() * 200)
    const body = pattern(size, i)
    bodies.push(body)
    frames.push(encodeFrame(FrameType.Message, msgData(i.toString(16).padStart(16, '0'), body)))
  }
  const stream = Buffer.concat(frames)
  for (const max of [3, 64, 1000, 65536]) {
    const got = decodeFrames(randomChunks(stream, rnd, max))
    assert.equal(got.length, bodies.length)
    for (const [i, g] of got.entries()) {
      assert.equal(g.hex.slice(52), (bodies[i] as Buffer).toString('hex'), `max ${max} message ${i}`)
    }
  }
})

// ---------------------------------------------------------------------------------------------
// commands

const hooks: CommandDecoderHooks = {
  checkSize(_name, _params, size) {
    if (size < 0 || size > 1024 * 1024) throw new Error(`test hook: size ${size}`)
  },
}

interface DecodedCommand {
  name: string
  params: string[]
  body: string | null
}

function decodeCommands(chunks: Buffer[]): DecodedCommand[] {
  const dec = new CommandDecoder(hooks)
  const held: {body: Buffer | null; cmd: DecodedCommand}[] = []
  for (const c of chunks) {
    dec.push(c)
    for (let cmd = dec.next(); cmd; cmd = dec.next()) {
      held.push({body: cmd.body, cmd: {name: cmd.name, params: cmd.params, body: cmd.body ? cmd.body.toString('hex') : null}})
    }
  }
  assert.equal(dec.buffered, 0, 'nothing left over')
  return held.map((h) => {
    assert.equal(h.body ? h.body.toString('hex') : null, h.cmd.body, 'body changed after it was handed out')
    return h.cmd
  })
}

const ID = '0123456789abcdef'
const COMMAND_STREAMS: Record<string, Buffer[]> = {
  'consumer session': [
    identify({client_id: 'c', hostname: 'h', feature_negotiation: true, heartbeat_interval: 30000}).encode(),
    auth('secret').encode(),
    sub('topic', 'channel#ephemeral').encode(),
    rdy(100).encode(),
    fin(ID).encode(),
    req(ID, 1000).encode(),
    touch(ID).encode(),
    nop().encode(),
    cls().encode(),
  ],
  'producer session with CRLF lines': [
    Buffer.from('NOP\r\n'),
    pub('t', 'x').encode(),
    Buffer.concat([Buffer.from('PUB t\r\n'), pub('t', 'crlf').encode().subarray(6)]),
    mpub('t', ['a', 'bb', pattern(200, 5)]).encode(),
    dpub('t', 5000, pattern(64, 6)).encode(),
    pub('t', Buffer.from('\n\n \r\n')).encode(),
    Buffer.from('RDY 1\r\n'),
  ],
  'bodies with newlines and a larger body': [
    pub('t', pattern(2500, 7)).encode(),
    pub('t', Buffer.alloc(10, 0x0a)).encode(),
    Buffer.from('\n'),
    auth(Buffer.alloc(0)).encode(),
    sub('a', 'b').encode(),
  ],
}

for (const [name, parts] of Object.entries(COMMAND_STREAMS)) {
  const stream = Buffer.concat(parts)
  const expected = decodeCommands([stream])

  test(`CommandDecoder split: ${name}: whole`, () => {
    assert.equal(expected.length, parts.length)
  })

  test(`CommandDecoder split: ${name}: two chunks at every offset`, () => {
    for (const [at, chunks] of twoWay(stream)) assert.deepEqual(decodeCommands(chunks), expected, `split at ${at}`)
  })

  test(`CommandDecoder split: ${name}: byte by byte`, () => {
    assert.deepEqual(decodeCommands(byteByByte(stream)), expected)
  })

  test(`CommandDecoder split: ${name}: three chunks, seeded`, () => {
    const rnd = mulberry32(0xc0ffee)
    for (let i = 0; i < 300; i++) {
      const a = Math.floor(rnd() * (stream.length + 1))
      const b = a + Math.floor(rnd() * (stream.length + 1 - a))
      const chunks = [stream.subarray(0, a), stream.subarray(a, b), stream.subarray(b)].map((c) => Buffer.from(c))
      assert.deepEqual(decodeCommands(chunks), expected, `split at ${a}, ${b}`)
    }
  })
}

test('CommandDecoder split: many PUBs in random chunk sizes, earlier bodies intact', () => {
  const rnd = mulberry32(7)
  const bodies: Buffer[] = []
  const parts: Buffer[] = []
  for (let i = 0; i < 300; i++) {
    const size = rnd() < 0.1 ? 1 + Math.floor(rnd() * 70000) : 1 + Math.floor(rnd() * 200)
    const body = pattern(size, i)
    bodies.push(body)
    parts.push(pub(`t${i}`, body).encode())
    if (i % 7 === 0) parts.push(nop().encode())
  }
  const stream = Buffer.concat(parts)
  for (const max of [3, 64, 1000, 65536]) {
    const got = decodeCommands(randomChunks(stream, rnd, max)).filter((c) => c.name === 'PUB')
    assert.equal(got.length, bodies.length)
    for (const [i, g] of got.entries()) {
      assert.deepEqual(g.params, ['PUB', `t${i}`])
      assert.equal(g.body, (bodies[i] as Buffer).toString('hex'), `max ${max} PUB ${i}`)
    }
  }
})

test('CommandDecoder split: a body straddling chunks, then small chunks appended, keeps earlier views', () => {
  // 1st chunk: a whole PUB + the start of a second one; later chunks land in the decoder's own buffer
  const a = pub('t', 'first-body').encode()
  const b = pub('t', pattern(100, 9)).encode()
  const c = pub('t', 'third').encode()
  const dec = new CommandDecoder(hooks)
  const bodies: Buffer[] = []
  const drain = (): void => {
    for (let cmd = dec.next(); cmd; cmd = dec.next()) if (cmd.body) bodies.push(cmd.body)
  }
  dec.push(Buffer.concat([a, b.subarray(0, 20)]))
  drain()
  dec.push(Buffer.from(b.subarray(20, 60)))
  drain()
  dec.push(Buffer.concat([b.subarray(60), c.subarray(0, 3)]))
  drain()
  const snapshot = bodies.map((x) => x.toString('hex'))
  for (let i = 3; i < c.length; i++) {
    dec.push(Buffer.from(c.subarray(i, i + 1)))
    drain()
  }
  for (let i = 0; i < 50; i++) {
    dec.push(nop().encode())
    dec.push(pub('t', pattern(30, i)).encode().subarray(0, 5))
    dec.push(pub('t', pattern(30, i)).encode().subarray(5))
    drain()
  }
  assert.deepEqual(bodies.slice(0, 2).map((x) => x.toString('hex')), snapshot.slice(0, 2))
  assert.equal(bodies[0]?.toString(), 'first-body')
  assert.deepEqual(bodies[1], pattern(100, 9))
  assert.equal(bodies[2]?.toString(), 'third')
  assert.equal(bodies.length, 53)
})
