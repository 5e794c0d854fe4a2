/**
 * Seeded random fuzz (mqtt-packet testRandom.js): random bytes and mutated valid streams go
 * through every decoder. Each decoder either returns values or throws ProtocolError / FrameError,
 * never anything else (RangeError, TypeError, ...), and the incremental decoders give the same
 * outcome whether fed whole or in random chunks. Fixed seeds and bounded iterations: a failure
 * names its seed and iteration and reproduces on every run.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {
  CommandDecoder,
  type CommandDecoderHooks,
  FrameDecoder,
  FrameError,
  FrameType,
  ProtocolError,
  auth,
  cls,
  decodeIdentify,
  decodeMessage,
  decodeMpubBody,
  dpub,
  encodeFrame,
  encodeMessage,
  encodeMpubBody,
  fin,
  goQuote,
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

const SEEDS = [1, 2, 0xbadc0de, 20240229, 0x5eed]

type Rnd = () => number


const int = (rnd: Rnd, n: number): number => Math.floor(rnd() * n)
const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[int(rnd, xs.length)] as T

function randomBytes(rnd: Rnd, n: number): Buffer {
  const b = Buffer.alloc(n)
  for (let i = 0; i < n; i++) b[i] = int(rnd, 256)
  return b
}

const INTERESTING_INT32 = [0, 1, 3, 4, 5, 26, 255, 256, 4096, 65536, 0x7fffffff, -1, -4, -0x80000000, 0x00100001]
const int32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n | 0)
  return b
}

/** Apply 1 to 4 random edits: byte flips, int32 overwrites, cuts, insertions, duplications. */
function mutate(rnd: Rnd, input: Buffer): Buffer {
  let b = Buffer.from(input)
  const edits = 1 + int(rnd, 4)
  for (let e = 0; e < edits; e++) {
    const at = int(rnd, b.length + 1)
    switch (int(rnd, 7)) {
      case 0:
        if (b.length > 0) b[int(rnd, b.length)] = int(rnd, 256)
        break
      case 1:
        if (b.length >= 4) int32(pick(rnd, INTERESTING_INT32)).copy(b, int(rnd, b.length - 3))
        break
      case 2:
        b = b.subarray(0, at)
        break
      case 3:
        b = Buffer.concat([b.subarray(0, at), randomBytes(rnd, 1 + int(rnd, 8)), b.subarray(at)])
        break
      case 4: {
        const len = int(rnd, 32)
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + len), b.subarray(at)])
        break
      }
      case 5:
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(rnd, 8))])
        break
      default:
        b = Buffer.concat([b.subarray(0, at), int32(pick(rnd, INTERESTING_INT32)), b.subarray(at)])
    }
  }
  return b
}

function randomChunks(rnd: Rnd, stream: Buffer): Buffer[] {
  const out: Buffer[] = []
  const max = pick(rnd, [1, 3, 16, 100, 5000])
  for (let o = 0; o < stream.length; ) {
    const n = 1 + int(rnd, max)
    out.push(Buffer.from(stream.subarray(o, o + n)))
    o += n
  }
  return out
}

/** Only the codec's own error classes may escape a decoder. */
function assertCodecError(err: unknown, ctx: string): void {
  if (err instanceof ProtocolError || err instanceof FrameError) return
  const e = err as Error
  assert.fail(`${ctx}: decoder threw ${e?.constructor?.name ?? typeof err}: ${e?.message ?? String(err)}\n${e?.stack ?? ''}`)
}

const errText = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err))

// ---------------------------------------------------------------------------------------------
// FrameDecoder

const MAX_FRAME = 1 << 16

function frameOutcome(chunks: Buffer[], ctx: string): string[] {
  const dec = new FrameDecoder({maxFrameSize: MAX_FRAME})
  const out: string[] = []
  try {
    for (const c of chunks) {
      dec.push(c)
      for (let f = dec.next(); f; f = dec.next()) {
        assert.ok(f.type === 0 || f.type === 1 || f.type === 2)
        assert.ok(f.data.length <= MAX_FRAME)
        out.push(`${f.type}:${f.data.toString('hex')}`)
      }
    }
    out.push(`left ${dec.buffered}`)
  } catch (err) {
    assertCodecError(err, ctx)
    out.push(errText(err))
  }
  return out
}

function validFrames(rnd: Rnd): Buffer {
  const parts: Buffer[] = []
  const n = 1 + int(rnd, 5)
  for (let i = 0; i < n; i++) {
    switch (int(rnd, 4)) {
      case 0:
        parts.push(encodeFrame(FrameType.Response, pick(rnd, ['OK', '_heartbeat_', 'CLOSE_WAIT', ''])))
        break
      case 1:
        parts.push(encodeFrame(FrameType.Error, 'E_INVALID invalid command FOO'))
        break
      default:
        parts.push(
          encodeFrame(
            FrameType.Message,
            encodeMessage({timestamp: BigInt(int(rnd, 2 ** 31)) * 1000n, attempts: int(rnd, 65536), id: '0123456789abcdef', body: randomBytes(rnd, int(rnd, 100))}),
          ),
        )
    }
  }
  return Buffer.concat(parts)
}

test('fuzz FrameDecoder: random bytes and mutated frame streams', () => {
  let decodedSome = 0
  for (const seed of SEEDS) {
    const rnd = mulberry32(seed)
    for (let i = 0; i < 400; i++) {
      const ctx = `seed ${seed} iteration ${i}`
      const stream = i % 3 === 0 ? randomBytes(rnd, int(rnd, 200)) : mutate(rnd, validFrames(rnd))
      const whole = frameOutcome([stream], ctx)
      const chunked = frameOutcome(randomChunks(rnd, stream), ctx)
      assert.deepEqual(chunked, whole, `${ctx}: chunking changed the outcome`)
      if (whole.length > 1) decodedSome++
    }
  }
  assert.ok(decodedSome > 100, `the mutations leave some frames decodable (${decodedSome})`)
})

test('fuzz FrameDecoder: decode(encode(frame)) = frame for random frames', () => {
  const rnd = mulberry32(99)
  for (let i = 0; i < 500; i++) {
    const type = pick(rnd, [FrameType.Response, FrameType.Error, FrameType.Message])
    const data = randomBytes(rnd, int(rnd, 300))
    const dec = new FrameDecoder()
    for (const c of randomChunks(rnd, encodeFrame(type, data))) dec.push(c)
    const f = dec.next()
    assert.ok(f)
    assert.equal(f.type, type)
    assert.deepEqual(f.data, data)
    assert.equal(dec.next(), undefined)
  }
})

// ---------------------------------------------------------------------------------------------
// CommandDecoder

const MAX_BODY = 4096

/** Hooks like the broker's: the line and the size are validated with ProtocolErrors. */
const strictHooks: CommandDecoderHooks = {
  checkLine(name, params) {
    if (params.length > 4) throw new ProtocolError('E_INVALID', `${name} too many parameters`)
  },
  checkSize(name, _params, size) {
    if (size <= 0) throw new ProtocolError('E_BAD_BODY', `${name} invalid body size ${size}`)
    if (size > MAX_BODY) throw new ProtocolError('E_BAD_BODY', `${name} body too big ${size} > ${MAX_BODY}`)
  },
}
/** A careless hook that only caps the size: negative and zero sizes get through to the decoder. */
const laxHooks: CommandDecoderHooks = {
  checkSize(name, _params, size) {
    if (size > MAX_BODY) throw new ProtocolError('E_BAD_BODY', `${name} body too big`)
  },
}

function commandOutcome(hooks: CommandDecoderHooks, chunks: Buffer[], ctx: string): string[] {
  const dec = new CommandDecoder(hooks)
  const out: string[] = []
  const total = chunks.reduce((n, c) => n + c.length, 0)
  try {
    for (const c of chunks) {
      dec.push(c)
      for (let cmd = dec.next(); cmd; cmd = dec.next()) {
        assert.equal(cmd.params[0], cmd.name)
        // every command consumes at least its newline: more commands than bytes means the cursor went back
        assert.ok(out.length <= total, `${ctx}: more commands than bytes, the decoder is looping`)
        out.push(`${cmd.params.join(' ')}|${cmd.body ? cmd.body.toString('hex') : '-'}`)
      }
    }
    out.push(`left ${dec.buffered}`)
  } catch (err) {
    assertCodecError(err, ctx)
    out.push(errText(err))
  }
  return out
}

function validCommands(rnd: Rnd): Buffer {
  const ID = '0123456789abcdef'
  const makers = [
    () => identify({client_id: 'x', feature_negotiation: rnd() < 0.5}),
    () => auth(randomBytes(rnd, 1 + int(rnd, 10))),
    () => sub('t', 'c'),
    () => pub('t', randomBytes(rnd, 1 + int(rnd, 50))),
    () => mpub('t', [randomBytes(rnd, 1 + int(rnd, 10)), randomBytes(rnd, 1 + int(rnd, 10))]),
    () => dpub('t', int(rnd, 10000), 'x'),
    () => rdy(int(rnd, 2500)),
    () => fin(ID),
    () => req(ID, int(rnd, 1000)),
    () => touch(ID),
    () => cls(),
    () => nop(),
  ]
  const parts: Buffer[] = []
  const n = 1 + int(rnd, 6)
  for (let i = 0; i < n; i++) parts.push(pick(rnd, makers)().encode())
  return Buffer.concat(parts)
}

/** Text-ish noise: verbs, spaces, newlines, CRs, size prefixes and random bytes. */
function commandNoise(rnd: Rnd): Buffer {
  const tokens = ['PUB', 'MPUB', 'DPUB', 'IDENTIFY', 'AUTH', 'SUB', 'NOP', 'FIN', ' ', ' ', '\n', '\n', '\r', 't', 'x y']
  const parts: Buffer[] = []
  const n = int(rnd, 30)
  for (let i = 0; i < n; i++) {
    const r = rnd()
    if (r < 0.6) parts.push(Buffer.from(pick(rnd, tokens), 'latin1'))
    else if (r < 0.8) parts.push(int32(pick(rnd, INTERESTING_INT32)))
    else parts.push(randomBytes(rnd, 1 + int(rnd, 6)))
  }
  return Buffer.concat(parts)
}

/** A body verb's line with an interesting size prefix, then a little of whatever follows. */
function hostileHeader(rnd: Rnd): Buffer {
  const verb = pick(rnd, ['PUB t', 'MPUB t', 'DPUB t 10', 'IDENTIFY', 'AUTH'])
  const eol = rnd() < 0.2 ? '\r\n' : '\n'
  const size = rnd() < 0.8 ? pick(rnd, INTERESTING_INT32) : int(rnd, 64) - 8
  return Buffer.concat([Buffer.from(verb + eol), int32(size), randomBytes(rnd, int(rnd, 40)), nop().encode()])
}

test('fuzz CommandDecoder: random bytes, noise and mutated command streams', () => {
  let decodedSome = 0
  for (const seed of SEEDS) {
    const rnd = mulberry32(seed)
    for (let i = 0; i < 400; i++) {
      const ctx = `seed ${seed} iteration ${i}`
      const kind = i % 5
      const stream =
        kind === 0
          ? randomBytes(rnd, int(rnd, 200))
          : kind === 1
            ? commandNoise(rnd)
            : kind === 2
              ? hostileHeader(rnd)
              : mutate(rnd, validCommands(rnd))
      for (const hooks of [strictHooks, laxHooks]) {
        const whole = commandOutcome(hooks, [stream], ctx)
        const chunked = commandOutcome(hooks, randomChunks(rnd, stream), ctx)
        assert.deepEqual(chunked, whole, `${ctx}: chunking changed the outcome`)
        if (whole.length > 1) decodedSome++
      }
    }
  }
  assert.ok(decodedSome > 500, `some commands decode (${decodedSome})`)
})

test('fuzz CommandDecoder: over-long lines in random chunks always fail with E_INVALID', () => {
  const rnd = mulberry32(16384)
  for (let i = 0; i < 20; i++) {
    const line = Buffer.concat([Buffer.from('PUB '), Buffer.alloc(16384 + int(rnd, 200), 0x61), rnd() < 0.5 ? Buffer.from('\n') : Buffer.alloc(0)])
    const whole = commandOutcome(strictHooks, [line], `iteration ${i}`)
    assert.match(whole.at(-1) as string, /E_INVALID command line longer than 16384 bytes/)
    assert.deepEqual(commandOutcome(strictHooks, randomChunks(rnd, line), `iteration ${i}`), whole)
  }
})

// ---------------------------------------------------------------------------------------------
// decodeMpubBody, decodeIdentify, decodeMessage

test('fuzz decodeMpubBody: random and mutated bodies', () => {
  let decodedSome = 0
  for (const seed of SEEDS) {
    const rnd = mulberry32(seed)
    for (let i = 0; i < 500; i++) {
      const ctx = `seed ${seed} iteration ${i}`
      const limits = {maxMsgSize: 1 + int(rnd, 100), maxBodySize: pick(rnd, [0, 3, 4, 9, 100, 5242880, 2 ** 31, Number.MAX_SAFE_INTEGER])}
      const valid = encodeMpubBody(Array.from({length: 1 + int(rnd, 5)}, () => randomBytes(rnd, 1 + int(rnd, 60))))
      const body = i % 3 === 0 ? randomBytes(rnd, int(rnd, 64)) : i % 3 === 1 ? mutate(rnd, valid) : valid
      try {
        const msgs = decodeMpubBody(body, limits)
        decodedSome++
        assert.equal(msgs.length, body.readInt32BE(0))
        for (const m of msgs) assert.ok(m.length >= 1 && m.length <= limits.maxMsgSize, ctx)
        const again = encodeMpubBody(msgs)
        assert.deepEqual(body.subarray(0, again.length), again, `${ctx}: re-encodes to the bytes read`)
      } catch (err) {
        assertCodecError(err, ctx)
      }
    }
  }
  assert.ok(decodedSome > 50, `some bodies decode (${decodedSome})`)
})

function randomJson(rnd: Rnd, depth = 0): unknown {
  switch (int(rnd, depth > 2 ? 5 : 7)) {
    case 0:
      return null
    case 1:
      return rnd() < 0.5
    case 2:
      return pick(rnd, [0, 1, -1, 1.5, 1e21, 2 ** 53, -0, 30000])
    case 3:
      return pick(rnd, ['', 'x', 'probe', '\u0000', 'é', '\ud83d\ude00'])
    case 4:
      return pick(rnd, ['client_id', 'heartbeat_interval'])
    case 5:
      return Array.from({length: int(rnd, 3)}, () => randomJson(rnd, depth + 1))
    default: {
      const keys = ['client_id', 'Client_ID', 'hostname', 'user_agent', 'feature_negotiation', 'heartbeat_interval', 'tls_v1', 'snappy', 'deflate', 'deflate_level', 'sample_rate', 'msg_timeout', 'output_buffer_size', 'short_id', 'other', '__proto__', 'constructor']
      const o: Record<string, unknown> = {}
      const n = int(rnd, 6)
      for (let i = 0; i < n; i++) {
        // defineProperty so that '__proto__' becomes an own key and reaches the JSON text
        Object.defineProperty(o, pick(rnd, keys), {value: randomJson(rnd, depth + 1), enumerable: true, configurable: true, writable: true})
      }
      return o
    }
  }
}

test('fuzz decodeIdentify: random JSON, mutated JSON and random bytes', () => {
  const STRINGS = ['client_id', 'hostname', 'user_agent', 'short_id', 'long_id']
  const BOOLS = ['feature_negotiation', 'tls_v1', 'snappy', 'deflate']
  let decodedSome = 0
  for (const seed of SEEDS) {
    const rnd = mulberry32(seed)
    for (let i = 0; i < 400; i++) {
      const ctx = `seed ${seed} iteration ${i}`
      const json = Buffer.from(JSON.stringify(randomJson(rnd, i % 2)) ?? 'null', 'utf8')
      const body = i % 5 === 0 ? randomBytes(rnd, int(rnd, 40)) : i % 5 === 1 ? mutate(rnd, json) : json
      try {
        const r = decodeIdentify(body) as Record<string, unknown>
        decodedSome++
        for (const [k, v] of Object.entries(r)) {
          if (STRINGS.includes(k)) assert.equal(typeof v, 'string', `${ctx}: ${k}`)
          else if (BOOLS.includes(k)) assert.equal(typeof v, 'boolean', `${ctx}: ${k}`)
          else assert.ok(Number.isInteger(v), `${ctx}: ${k} = ${String(v)}`)
        }
      } catch (err) {
        assertCodecError(err, ctx)
        assert.equal((err as ProtocolError).code, 'E_BAD_BODY')
      }
    }
  }
  assert.ok(decodedSome > 100, `some bodies decode (${decodedSome})`)
})

test('fuzz decodeMessage: any input of 26+ bytes decodes and re-encodes to itself', () => {
  for (const seed of SEEDS) {
    const rnd = mulberry32(seed)
    for (let i = 0; i < 400; i++) {
      const ctx = `seed ${seed} iteration ${i}`
      const data = randomBytes(rnd, int(rnd, 80))
      try {
        const m = decodeMessage(data)
        assert.ok(data.length >= 26, ctx)
        assert.deepEqual(encodeMessage(m), data, ctx)
      } catch (err) {
        assertCodecError(err, ctx)
        assert.ok(err instanceof FrameError && data.length < 26, ctx)
      }
    }
  }
})

test('fuzz ProtocolError.fromFrame and goQuote never throw', () => {
  const rnd = mulberry32(3)
  for (let i = 0; i < 500; i++) {
    const data = i % 2 ? randomBytes(rnd, int(rnd, 40)) : Buffer.from(`E_INVALID ${randomBytes(rnd, 5).toString('latin1')}`, 'latin1')
    const err = ProtocolError.fromFrame(data)
    assert.ok(err instanceof ProtocolError)
    const q = goQuote(data.toString('latin1'))
    assert.ok(q.startsWith('"') && q.endsWith('"'))
    // a byte string whose bytes are valid UTF-8 with no raw control characters
    assert.match(q, /^[\x20-\x7e\x80-\xff]*$/, 'no control bytes come out')
    const bytes = Buffer.from(q, 'latin1')
    assert.equal(Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes), true, 'the quoted bytes are valid UTF-8')
  }
})
