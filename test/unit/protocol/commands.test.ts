/** Command builders and the server-side CommandDecoder. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {
  BODY_COMMANDS,
  Command,
  CommandDecoder,
  type CommandDecoderHooks,
  MAX_LINE_LENGTH,
  ProtocolError,
  type ReceivedCommand,
  auth,
  cls,
  decodeMpubBody,
  dpub,
  encodeMpubBody,
  fin,
  identify,
  idWords,
  mpub,
  nop,
  pub,
  rdy,
  req,
  sub,
  touch,
} from '../../../src/core/protocol/index.js'

const ID = '0123456789abcdef'
const permissive: CommandDecoderHooks = {checkSize() {}}

const sizePrefix = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n | 0)
  return b
}

function decodeAll(dec: CommandDecoder, ...chunks: (Buffer | string)[]): ReceivedCommand[] {
  const out: ReceivedCommand[] = []
  for (const c of chunks) {
    dec.push(typeof c === 'string' ? Buffer.from(c, 'latin1') : c)
    for (let cmd = dec.next(); cmd; cmd = dec.next()) out.push(cmd)
  }
  return out
}

const isProtocolError = (code: string, text?: string) => (err: unknown): boolean =>
  err instanceof ProtocolError && err.code === code && (text === undefined || err.description === text)

// ---------------------------------------------------------------------------------------------
// builders

test('builders: names, params and bodies', () => {
  const cases: [Command, string, string[], string | null][] = [
    [identify({client_id: 'a', heartbeat_interval: 1000}), 'IDENTIFY', [], '{"client_id":"a","heartbeat_interval":1000}'],
    [auth('s3cret'), 'AUTH', [], 's3cret'],
    [auth(Buffer.from([0, 1])), 'AUTH', [], '\u0000\u0001'],
    [sub('t', 'c'), 'SUB', ['t', 'c'], null],
    [pub('t', 'b'), 'PUB', ['t'], 'b'],
    [dpub('t', 1000, 'b'), 'DPUB', ['t', '1000'], 'b'],
    [rdy(10), 'RDY', ['10'], null],
    [fin(ID), 'FIN', [ID], null],
    [req(ID, 5000), 'REQ', [ID, '5000'], null],
    [touch(ID), 'TOUCH', [ID], null],
    [cls(), 'CLS', [], null],
    [nop(), 'NOP', [], null],
  ]
  for (const [cmd, name, params, body] of cases) {
    assert.equal(cmd.name, name)
    assert.deepEqual(cmd.params, params)
    assert.equal(cmd.body === null ? null : cmd.body.toString('latin1'), body, name)
    assert.equal(BODY_COMMANDS.has(name), body !== null, `${name} in BODY_COMMANDS`)
  }
  const m = mpub('t', ['a', Buffer.from('bc')])
  assert.equal(m.name, 'MPUB')
  assert.deepEqual(m.params, ['t'])
  assert.deepEqual(m.body, encodeMpubBody([Buffer.from('a'), Buffer.from('bc')]))
})

test('builders: numbers are truncated to integers, REQ delay floored at 0', () => {
  assert.deepEqual(rdy(2.9).params, ['2'])
  assert.deepEqual(dpub('t', 1500.7, 'x').params, ['t', '1500'])
  assert.deepEqual(req(ID, -10).params, [ID, '0'])
  assert.deepEqual(req(ID, 99.9).params, [ID, '99'])
})

test('Command: byteLength, encodeInto and toString', () => {
  const cmds = [sub('t', 'c'), pub('tøpic', 'bødy'), mpub('t', ['x', 'yz']), nop(), identify({client_id: 'é'}), auth('')]
  for (const cmd of cmds) {
    const enc = cmd.encode()
    assert.equal(enc.length, cmd.byteLength, cmd.toString())
    const target = Buffer.alloc(cmd.byteLength + 10, 0xee)
    assert.equal(cmd.encodeInto(target, 5), 5 + cmd.byteLength)
    assert.deepEqual(target.subarray(5, 5 + cmd.byteLength), enc)
    assert.deepEqual(target.subarray(0, 5), Buffer.alloc(5, 0xee))
    assert.deepEqual(target.subarray(5 + cmd.byteLength), Buffer.alloc(5, 0xee))
  }
  assert.equal(sub('t', 'c').toString(), 'SUB t c')
  assert.equal(nop().toString(), 'NOP')
  assert.equal(auth('').encode().toString('hex'), Buffer.from('AUTH\n').toString('hex') + '00000000', 'an empty body is still sent')
})

test('builders: decode(encode(cmd)) = cmd for every verb', () => {
  const cmds = [
    identify({client_id: 'x', heartbeat_interval: 1000}),
    auth('secret'),
    sub('topic', 'channel#ephemeral'),
    pub('topic', Buffer.from([0, 10, 13, 255])),
    mpub('topic', ['one', 'two', Buffer.alloc(1000, 3)]),
    dpub('topic', 250, 'later'),
    rdy(0),
    fin(ID),
    req(ID, 0),
    touch(ID),
    cls(),
    nop(),
  ]
  const got = decodeAll(new CommandDecoder(permissive), Buffer.concat(cmds.map((c) => c.encode())))
  assert.equal(got.length, cmds.length)
  for (const [i, cmd] of cmds.entries()) {
    const r = got[i] as ReceivedCommand
    assert.equal(r.name, cmd.name)
    assert.deepEqual(r.params, [cmd.name, ...cmd.params])
    assert.deepEqual(r.body, cmd.body)
  }
})

// ---------------------------------------------------------------------------------------------
// CommandDecoder

test('CommandDecoder: params[0] is the verb, words split on single spaces', () => {
  const got = decodeAll(new CommandDecoder(permissive), 'SUB t c\nRDY 5\nNOP\nSUB  t\n')
  assert.deepEqual(
    got.map((c) => [c.name, c.params, c.body]),
    [
      ['SUB', ['SUB', 't', 'c'], null],
      ['RDY', ['RDY', '5'], null],
      ['NOP', ['NOP'], null],
      ['SUB', ['SUB', '', 't'], null],
    ],
  )
})

test('CommandDecoder: a FIN comes with its id as words, read from the bytes; params as the split would give', () => {
  const lines = [`FIN ${ID}\n`, `FIN ${ID}\r\n`, 'FIN \u00ff\u0000\u00e9xxxxxxxxxxxxx\n', 'FIN 0123456789abcde\r\n', 'FIN 01234567 9abcdef\n', 'FIN  123456789abcdef\n', 'FIX 0123456789abcdef\n']
  // two FINs in one chunk, and one split across chunks: each read whole, each its own object
  const got = decodeAll(new CommandDecoder(permissive), ...lines, `FIN ${ID}\nFIN fedcba98`, '76543210\n')
  const ids = (c: ReceivedCommand): unknown => (c.id === undefined || c.id === null ? null : {id0: c.id.id0, id1: c.id.id1, id2: c.id.id2, id3: c.id.id3})
  assert.deepEqual(
    got.map((c) => [c.name, c.params, ids(c)]),
    [
      ['FIN', ['FIN', ID], idWords(ID)],
      ['FIN', ['FIN', ID], null],
      ['FIN', ['FIN', '\u00ff\u0000\u00e9xxxxxxxxxxxxx'], idWords('\u00ff\u0000\u00e9xxxxxxxxxxxxx')],
      ['FIN', ['FIN', '0123456789abcde'], null],
      ['FIN', ['FIN', '01234567', '9abcdef'], null],
      ['FIN', ['FIN', '', '123456789abcdef'], null],
      ['FIX', ['FIX', '0123456789abcdef'], null],
      ['FIN', ['FIN', ID], idWords(ID)],
      ['FIN', ['FIN', 'fedcba9876543210'], idWords('fedcba9876543210')],
    ],
  )
})

test('CommandDecoder: one trailing \\r is stripped', () => {
  const got = decodeAll(new CommandDecoder(permissive), 'NOP\r\n', 'SUB t c\r\n', 'NOP\r\r\n', '\r\n')
  assert.deepEqual(
    got.map((c) => c.params),
    [['NOP'], ['SUB', 't', 'c'], ['NOP\r'], ['']],
  )
  const [p] = decodeAll(new CommandDecoder(permissive), Buffer.concat([Buffer.from('PUB t\r\n'), sizePrefix(2), Buffer.from('hi')]))
  assert.equal(p?.name, 'PUB')
  assert.deepEqual(p?.params, ['PUB', 't'])
  assert.equal(p?.body?.toString(), 'hi')
})

test('CommandDecoder: an empty line is a command with an empty name', () => {
  const got = decodeAll(new CommandDecoder(permissive), '\nNOP\n')
  assert.deepEqual(
    got.map((c) => c.name),
    ['', 'NOP'],
  )
})

test('CommandDecoder: unknown verbs come through without a body; the line is read as latin1', () => {
  const got = decodeAll(new CommandDecoder(permissive), 'FOO bar\n', Buffer.from([0x42, 0x41, 0x52, 0x20, 0xe9, 0x0a]))
  assert.deepEqual(got[0], {name: 'FOO', params: ['FOO', 'bar'], body: null, id: null})
  assert.deepEqual(got[1], {name: 'BAR', params: ['BAR', '\u00e9'], body: null, id: null})
})

test('CommandDecoder: checkLine runs on the line, before the size prefix arrives', () => {
  const calls: string[] = []
  const dec = new CommandDecoder({
    checkLine(name, params) {
      calls.push(`line ${params.join(' ')}`)
      if (params[1] === 'bad!topic') throw new ProtocolError('E_BAD_TOPIC', `${name} topic name "bad!topic" is not valid`)
    },
    checkSize(name, _params, size) {
      calls.push(`size ${name} ${size}`)
    },
  })
  dec.push(Buffer.from('NOP\nPUB good\n'))
  assert.equal(dec.next()?.name, 'NOP')
  assert.equal(dec.next(), undefined)
  assert.deepEqual(calls, ['line PUB good'], 'not called for NOP; called for PUB with no size bytes yet')
  dec.push(Buffer.concat([sizePrefix(1), Buffer.from('x')]))
  assert.equal(dec.next()?.body?.toString(), 'x')
  assert.deepEqual(calls, ['line PUB good', 'size PUB 1'])

  const bad = new CommandDecoder({checkLine: (_n, p) => { if (p[1] === 'bad!topic') throw new ProtocolError('E_BAD_TOPIC', 'no') }, checkSize() {}})
  bad.push(Buffer.from('PUB bad!topic\n'))
  assert.throws(() => bad.next(), isProtocolError('E_BAD_TOPIC'))
})

test('CommandDecoder: checkSize sees the size before the body is buffered', () => {
  const seen: [string, string[], number][] = []
  const dec = new CommandDecoder({checkSize: (name, params, size) => { seen.push([name, params, size]) }})
  dec.push(Buffer.concat([Buffer.from('DPUB t 100\n'), sizePrefix(5)]))
  assert.equal(dec.next(), undefined)
  assert.deepEqual(seen, [['DPUB', ['DPUB', 't', '100'], 5]])
  assert.equal(dec.buffered, 0)
  dec.push(Buffer.from('abc'))
  assert.equal(dec.next(), undefined)
  assert.equal(seen.length, 1, 'checked once')
  dec.push(Buffer.from('deNOP\n'))
  const c = dec.next()
  assert.equal(c?.body?.toString(), 'abcde')
  assert.equal(dec.next()?.name, 'NOP')
})

test('CommandDecoder: a 2 GB size prefix is refused by the hook with no large allocation', () => {
  const MAX = 1024 * 1024
  const hooks: CommandDecoderHooks = {
    checkSize(name, _params, size) {
      if (size <= 0) throw new ProtocolError('E_BAD_MESSAGE', `${name} invalid message body size ${size}`)
      if (size > MAX) throw new ProtocolError('E_BAD_MESSAGE', `${name} message too big ${size} > ${MAX}`)
    },
  }
  const sizes: [Buffer, string][] = [
    [Buffer.from([0x7f, 0xff, 0xff, 0xff]), 'PUB message too big 2147483647 > 1048576'],
    [Buffer.from([0x80, 0x00, 0x00, 0x00]), 'PUB invalid message body size -2147483648'],
    [Buffer.from([0xff, 0xff, 0xff, 0xff]), 'PUB invalid message body size -1'],
  ]
  for (const [prefix, text] of sizes) {
    const dec = new CommandDecoder(hooks)
    const before = process.memoryUsage().arrayBuffers
    dec.push(Buffer.from('PUB t\n'))
    assert.equal(dec.next(), undefined)
    dec.push(prefix)
    assert.throws(() => dec.next(), isProtocolError('E_BAD_MESSAGE', text))
    assert.ok(process.memoryUsage().arrayBuffers - before < 16 * 1024 * 1024, 'no big allocation')
  }
})

test('CommandDecoder: a negative size the hook lets through is still refused', () => {
  for (const n of [-1, -6, -2147483648]) {
    const dec = new CommandDecoder(permissive)
    dec.push(Buffer.concat([Buffer.from('PUB t\n'), sizePrefix(n), Buffer.from('NOP\n')]))
    assert.throws(() => dec.next(), isProtocolError('E_BAD_BODY', `PUB invalid body size ${n}`))
  }
})

test('CommandDecoder: a zero size (when the hook allows it) is an empty body', () => {
  const got = decodeAll(new CommandDecoder(permissive), Buffer.concat([Buffer.from('AUTH\n'), sizePrefix(0), Buffer.from('NOP\n')]))
  assert.deepEqual(
    got.map((c) => [c.name, c.body?.length ?? null]),
    [
      ['AUTH', 0],
      ['NOP', null],
    ],
  )
})

test('CommandDecoder: hasBody hook decides which verbs carry a body', () => {
  const dec = new CommandDecoder({hasBody: (name) => name === 'FOO', checkSize() {}})
  const got = decodeAll(dec, Buffer.concat([Buffer.from('FOO\n'), sizePrefix(2), Buffer.from('hiPUB t\n')]))
  assert.deepEqual(
    got.map((c) => [c.name, c.body?.toString() ?? null]),
    [
      ['FOO', 'hi'],
      ['PUB', null],
    ],
  )
})

test('CommandDecoder: errors thrown by hooks propagate unchanged', () => {
  const err = new ProtocolError('E_BAD_BODY', 'IDENTIFY invalid body size 0')
  const dec = new CommandDecoder({checkSize: () => { throw err }})
  dec.push(Buffer.concat([Buffer.from('IDENTIFY\n'), sizePrefix(0)]))
  assert.throws(() => dec.next(), (e: unknown) => e === err)
})

test('CommandDecoder: MAX_LINE_LENGTH', () => {
  assert.equal(MAX_LINE_LENGTH, 16 * 1024)
  const longest = 'NOP ' + 'x'.repeat(MAX_LINE_LENGTH - 4)
  assert.equal(longest.length, MAX_LINE_LENGTH)

  // without a newline: MAX bytes wait, MAX + 1 bytes fail
  const waiting = new CommandDecoder(permissive)
  waiting.push(Buffer.from(longest))
  assert.equal(waiting.next(), undefined)
  waiting.push(Buffer.from('\n'))
  assert.equal(waiting.next()?.params[1]?.length, MAX_LINE_LENGTH - 4, 'a line of exactly MAX bytes is fine')

  const over = new CommandDecoder(permissive)
  over.push(Buffer.from(longest + 'x'))
  assert.throws(() => over.next(), isProtocolError('E_INVALID', `command line longer than ${MAX_LINE_LENGTH} bytes`))

  // arriving in pieces: detected as soon as the limit is passed
  const pieces = new CommandDecoder(permissive)
  let thrown = false
  for (let i = 0; i < 20 && !thrown; i++) {
    pieces.push(Buffer.alloc(1000, 0x41))
    try {
      pieces.next()
    } catch (err) {
      assert.ok(isProtocolError('E_INVALID')(err))
      assert.equal(i, 16, 'thrown at the chunk that passes 16384 bytes')
      thrown = true
    }
  }
  assert.ok(thrown)
})

test('CommandDecoder: an over-long line fails the same whether or not the newline is in the same chunk', () => {
  const line = Buffer.from('NOP ' + 'x'.repeat(MAX_LINE_LENGTH) + '\n')
  const outcome = (chunks: Buffer[]): string => {
    const dec = new CommandDecoder(permissive)
    try {
      return decodeAll(dec, ...chunks).map((c) => c.name).join(',')
    } catch (err) {
      return err instanceof ProtocolError ? err.code : String(err)
    }
  }
  assert.equal(outcome([line]), 'E_INVALID')
  for (const at of [1, 4, 100, MAX_LINE_LENGTH, MAX_LINE_LENGTH + 1, MAX_LINE_LENGTH + 4, line.length - 1]) {
    assert.equal(outcome([line.subarray(0, at), line.subarray(at)]), 'E_INVALID', `split at ${at}`)
  }
  const ok = Buffer.from('NOP ' + 'x'.repeat(MAX_LINE_LENGTH - 4) + '\n')
  assert.equal(outcome([ok]), 'NOP')
  assert.equal(outcome([ok.subarray(0, 9000), ok.subarray(9000)]), 'NOP')
})

test('CommandDecoder: buffered counts the bytes held', () => {
  const dec = new CommandDecoder(permissive)
  dec.push(Buffer.from('NOP\nSU'))
  assert.equal(dec.buffered, 6)
  dec.next()
  assert.equal(dec.buffered, 2)
  dec.push(Buffer.from('B t c\n'))
  assert.equal(dec.next()?.name, 'SUB')
  assert.equal(dec.buffered, 0)
})

test('CommandDecoder: bodies are zero-copy when they arrive whole', () => {
  const chunk = pub('t', 'payload').encode()
  const dec = new CommandDecoder(permissive)
  dec.push(chunk)
  const c = dec.next()
  assert.equal(c?.body?.buffer, chunk.buffer)
})

test('CommandDecoder + decodeMpubBody: an MPUB over TCP', () => {
  const bodies = ['a', 'bb', Buffer.alloc(300, 9)]
  const dec = new CommandDecoder(permissive)
  const [c] = decodeAll(dec, mpub('t', bodies).encode())
  assert.ok(c?.body)
  const msgs = decodeMpubBody(c.body, {maxMsgSize: 1024, maxBodySize: 5 * 1024 * 1024})
  assert.deepEqual(
    msgs.map((m) => m.toString('hex')),
    bodies.map((b) => Buffer.from(b).toString('hex')),
  )
})
