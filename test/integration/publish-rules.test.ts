/**
 * One publish path for both transports (broker/publish.ts): the same rule refuses the same
 * publish over TCP (an error frame with nsqd's text, then the close) and over HTTP (nsqd's
 * `{"message":"CODE"}`), and what each accepts lands the same way (counts, deferral, delivery).
 * The broker runs with small limits so each edge is cheap to reach.
 */
import {after, before, test} from 'node:test'
import assert from 'node:assert/strict'

import {Broker} from '../../src/core/broker/index.js'
import {dpub, mpub, pub} from '../../src/core/protocol/index.js'
import {createLogger} from '../../src/core/util/logger.js'
import {startBroker, type TestBroker} from '../helpers/broker.js'
import {RawClient} from '../helpers/raw-client.js'
import {expectFatal, rawBodyCommand} from '../helpers/scenario.js'
import {waitFor} from '../helpers/wait.js'

const MAX_MSG = 10
const MAX_BODY = 40
const MAX_DEFER = 1000

let b: TestBroker
const clients: RawClient[] = []

before(async () => {
  b = await startBroker({maxMsgSize: MAX_MSG, maxBodySize: MAX_BODY, maxReqTimeout: MAX_DEFER})
})

after(async () => {
  for (const c of clients) c.close()
  await b?.close()
})

async function tcp(...send: (Buffer | ReturnType<typeof pub>)[]): Promise<RawClient> {
  const c = await RawClient.connect(b.tcpPort)
  clients.push(c)
  c.send(...send)
  return c
}

async function http(path: string, body: string | Buffer): Promise<{status: number; text: string}> {
  const res = await b.http(path, {method: 'POST', body})
  return {status: res.status, text: await res.text()}
}

const message = (code: string): string => `{"message":"${code}"}`

test('a bad topic name: E_BAD_TOPIC over TCP, 400 INVALID_TOPIC over HTTP', async () => {
  await expectFatal(await tcp(pub('bad!name', 'x')), 'E_BAD_TOPIC PUB topic name "bad!name" is not valid')
  await expectFatal(await tcp(dpub('bad!name', 5, 'x')), 'E_BAD_TOPIC DPUB topic name "bad!name" is not valid')
  await expectFatal(await tcp(mpub('bad!name', ['x'])), 'E_BAD_TOPIC E_BAD_TOPIC MPUB topic name "bad!name" is not valid')
  assert.deepEqual(await http('/pub?topic=bad!name', 'x'), {status: 400, text: message('INVALID_TOPIC')})
  assert.deepEqual(await http('/mpub?topic=bad!name', 'x'), {status: 400, text: message('INVALID_TOPIC')})
})

test('a message over --max-msg-size: E_BAD_MESSAGE over TCP, 413 MSG_TOO_BIG over HTTP; one byte less is fine', async () => {
  const big = 'x'.repeat(MAX_MSG + 1)
  const fits = 'x'.repeat(MAX_MSG)
  await expectFatal(await tcp(pub('r_size', big)), `E_BAD_MESSAGE PUB message too big ${MAX_MSG + 1} > ${MAX_MSG}`)
  await expectFatal(await tcp(dpub('r_size', 5, big)), `E_BAD_MESSAGE DPUB message too big ${MAX_MSG + 1} > ${MAX_MSG}`)
  await expectFatal(await tcp(mpub('r_size', ['ok', big])), 'E_BAD_MESSAGE MPUB message too big 11 > 10')
  assert.deepEqual(await http('/pub?topic=r_size', big), {status: 413, text: message('MSG_TOO_BIG')})
  assert.deepEqual(await http('/mpub?topic=r_size', `ok\n${big}`), {status: 413, text: message('MSG_TOO_BIG')})
  const ok = await tcp(pub('r_size', fits))
  assert.equal(await ok.response(), 'OK')
  assert.deepEqual(await http('/pub?topic=r_size', fits), {status: 200, text: 'OK'})
})

test('an empty message: E_BAD_MESSAGE over TCP, 400 MSG_EMPTY over HTTP; an empty /mpub line is skipped', async () => {
  await expectFatal(await tcp(rawBodyCommand('PUB r_empty', 0)), 'E_BAD_MESSAGE PUB invalid message body size 0')
  await expectFatal(await tcp(rawBodyCommand('MPUB r_empty', 0)), 'E_BAD_BODY MPUB invalid body size 0')
  assert.deepEqual(await http('/pub?topic=r_empty', ''), {status: 400, text: message('MSG_EMPTY')})
  assert.deepEqual(await http('/mpub?topic=r_empty', 'a\n\nb\n'), {status: 200, text: 'OK'})
  assert.equal((await b.stats('&topic=r_empty')).topics?.[0]?.message_count, 2)
})

test('a body over --max-body-size: E_BAD_BODY over TCP, 413 BODY_TOO_BIG over HTTP', async () => {
  const lines = Array.from({length: 9}, () => 'abcd')
  await expectFatal(await tcp(mpub('r_body', lines)), 'E_BAD_BODY MPUB body too big 76 > 40')
  assert.deepEqual(await http('/mpub?topic=r_body', lines.join('\n')), {status: 413, text: message('BODY_TOO_BIG')})
})

test('a defer over --max-req-timeout: E_INVALID over TCP, 400 INVALID_DEFER over HTTP; the edge itself is fine', async () => {
  await expectFatal(await tcp(dpub('r_defer', MAX_DEFER + 1, 'x')), `E_INVALID DPUB timeout ${MAX_DEFER + 1} out of range 0-${MAX_DEFER}`)
  assert.deepEqual(await http(`/pub?topic=r_defer&defer=${MAX_DEFER + 1}`, 'x'), {status: 400, text: message('INVALID_DEFER')})
  assert.deepEqual(await http('/pub?topic=r_defer&defer=-1', 'x'), {status: 400, text: message('INVALID_DEFER')})
  const ok = await tcp(dpub('r_defer', MAX_DEFER, 'x'))
  assert.equal(await ok.response(), 'OK')
  assert.deepEqual(await http(`/pub?topic=r_defer&defer=${MAX_DEFER}`, 'x'), {status: 200, text: 'OK'})
})

test('DPUB names the bound in whole milliseconds, as nsqd (MaxReqTimeout/time.Millisecond)', async () => {
  const s = await startBroker({maxReqTimeout: 1.5})
  try {
    const c = await RawClient.connect(s.tcpPort)
    clients.push(c)
    c.send(dpub('r_frac', 2, 'x'))
    await expectFatal(c, 'E_INVALID DPUB timeout 2 out of range 0-1')
  } finally {
    await s.close()
  }
})

test('deferred over TCP or over HTTP: the same deferral on every channel, delivered after the delay', async () => {
  const consumer = await RawClient.connect(b.tcpPort)
  clients.push(consumer)
  consumer.send(Buffer.from('SUB r_both c\n'))
  assert.equal(await consumer.response(), 'OK')
  const producer = await tcp(dpub('r_both', 300, 'tcp'), pub('r_both', 'now'))
  assert.equal(await producer.response(), 'OK')
  assert.equal(await producer.response(), 'OK')
  assert.deepEqual(await http('/pub?topic=r_both&defer=300', 'http'), {status: 200, text: 'OK'})
  const ch = await waitFor('two deferred and one ready', async () => {
    const c = (await b.stats('&topic=r_both')).topics?.[0]?.channels[0]
    return c?.deferred_count === 2 && c.depth === 1 ? c : undefined
  })
  assert.equal(ch.message_count, 3, 'deferred ones count at publish')
  consumer.send(Buffer.from('RDY 5\n'))
  const bodies: string[] = []
  for (let i = 0; i < 3; i++) bodies.push((await consumer.message(3000)).body.toString())
  assert.equal(bodies[0], 'now')
  assert.deepEqual(bodies.slice(1).sort(), ['http', 'tcp'])
})

test('/mpub?binary=<other>: binary mode, with nsqd\'s deprecation warning', async () => {
  const lines: string[] = []
  const broker = new Broker({tcpAddress: '127.0.0.1:0', httpAddress: '127.0.0.1:0'}, {logger: createLogger({write: (l) => lines.push(l)})})
  try {
    const {http: addr} = await broker.listen()
    const res = await fetch(`http://127.0.0.1:${addr?.port}/mpub?topic=r_bin&binary=yes`, {method: 'POST', body: Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 0x61])})
    assert.equal(res.status, 200)
    assert.equal(await res.text(), 'OK')
    assert.equal(lines.filter((l) => l.endsWith("WARNING: deprecated value 'yes' used for /mpub binary param\n")).length, 1, lines.join(''))
    assert.equal(broker.getExistingTopic('r_bin')?.messageCount, 1)
    const plain = await fetch(`http://127.0.0.1:${addr?.port}/mpub?topic=r_bin&binary=false`, {method: 'POST', body: 'a\nb'})
    assert.equal(await plain.text(), 'OK')
    assert.equal(lines.filter((l) => l.includes('deprecated value')).length, 1, 'false, true, 0 and 1 are not deprecated')
    assert.equal(broker.getExistingTopic('r_bin')?.messageCount, 3)
  } finally {
    await broker.close()
  }
})
