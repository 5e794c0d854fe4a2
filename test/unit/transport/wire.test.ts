/**
 * The Wire (src/core/transport/wire.ts) over real sockets on 127.0.0.1: listeners follow the
 * stream through an upgrade, bytes read before the upgrade point reach the new layer first, a
 * codec decodes what is read and encodes what is written, and a TLS upgrade with bytes already
 * buffered completes.
 */
import {test} from 'node:test'
import assert from 'node:assert/strict'
import {once} from 'node:events'
import {createServer, connect, type Socket} from 'node:net'
import {readFileSync} from 'node:fs'
import {Duplex} from 'node:stream'
import {TLSSocket, connect as tlsConnect, createSecureContext} from 'node:tls'
import {Wire, type Codec, type WireEvents} from '../../../src/core/transport/wire.js'
import {testCerts} from '../../helpers/certs.js'
import {HOST} from '../../helpers/net.js'
import {waitFor, withTimeout} from '../../helpers/wait.js'

/** A connected pair of sockets: [the server's end, the client's end]. */
async function socketPair(): Promise<[Socket, Socket]> {
  const srv = createServer()
  srv.listen(0, HOST)
  await once(srv, 'listening')
  const port = (srv.address() as {port: number}).port
  const accepted = once(srv, 'connection') as Promise<[Socket]>
  const client = connect(port, HOST)
  await once(client, 'connect')
  const [server] = await accepted
  srv.close()
  return [server, client]
}

function recorder(): {events: WireEvents; data: Buffer[]; closed: () => boolean} {
  const data: Buffer[] = []
  let closed = false
  return {
    data,
    closed: () => closed,
    events: {
      data: (c) => data.push(Buffer.from(c)),
      drain: () => undefined,
      end: () => undefined,
      close: () => (closed = true),
      error: () => undefined,
    },
  }
}

test('replaceStream: the new stream reads the leftover first, then what the socket reads next; the old stream no longer reaches the owner', async () => {
  const [server, client] = await socketPair()
  const r = recorder()
  const wire = new Wire(server, r.events)
  client.write('before')
  await waitFor('the first bytes', () => r.data.length > 0)
  assert.equal(Buffer.concat(r.data).toString(), 'before')
  r.data.length = 0
  let raw: Duplex | null = null
  // the "new layer" here is the raw stream itself: what it reads is what the wire hands on
  wire.replaceStream((s) => (raw = s), Buffer.from('left-'))
  assert.notEqual(raw, server, 'with a leftover, the new layer reads through a stream that hands it over first')
  client.write('after')
  await waitFor('the leftover and the next bytes', () => Buffer.concat(r.data).toString() === 'left-after')
  wire.write(Buffer.from('reply'))
  const [got] = (await once(client, 'data')) as [Buffer]
  assert.equal(got.toString(), 'reply')
  client.destroy()
  await waitFor('close reaches the owner', () => r.closed())
})

test('addCodec: bytes read are decoded (leftover first), bytes written encoded; a decode error closes the stream', async () => {
  const [server, client] = await socketPair()
  const r = recorder()
  const wire = new Wire(server, r.events)
  // a toy codec: every byte +1 on the wire
  const shift = (b: Buffer, d: number): Buffer => Buffer.from([...b].map((x) => (x + d) & 0xff))
  wire.addCodec((emit): Codec => ({
    name: 'shift',
    decode: (c) => {
      if (c.includes(0xff)) throw new Error('corrupt')
      return shift(c, -1)
    },
    encode: (c, consumed) => {
      emit(shift(c, 1))
      consumed()
    },
    finish: (done) => done(),
    close: () => undefined,
  }), shift(Buffer.from('left'), 1))
  assert.equal(Buffer.concat(r.data).toString(), 'left')
  client.write(shift(Buffer.from('+more'), 1))
  await waitFor('decoded bytes', () => Buffer.concat(r.data).toString() === 'left+more')
  let consumed = false
  wire.write(Buffer.from('abc'), () => (consumed = true))
  assert.equal(consumed, true)
  assert.equal(wire.reusable, true)
  const [got] = (await once(client, 'data')) as [Buffer]
  assert.equal(got.toString(), 'bcd')
  client.write(Buffer.from([0xff]))
  await waitFor('a corrupt byte closes the connection', () => r.closed())
  client.destroy()
})

test('a TLS server upgrade over the wire completes with the ClientHello already read (leftover), and data flows both ways', async () => {
  const certs = testCerts()
  const [server, client] = await socketPair()
  const r = recorder()
  const wire = new Wire(server, r.events)
  // the client starts TLS at once; the server's first read takes (part of) its ClientHello
  const tlsClient = tlsConnect({socket: client, ca: readFileSync(certs.caCert), host: HOST})
  await waitFor('the ClientHello read as plain bytes', () => r.data.length > 0)
  const hello = Buffer.concat(r.data)
  r.data.length = 0
  const context = createSecureContext({cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey)})
  const clientReady = once(tlsClient, 'secureConnect')
  const tlsServer = wire.replaceStream((raw) => new TLSSocket(raw, {isServer: true, secureContext: context}), hello)
  try {
    await withTimeout(Promise.all([once(tlsServer, 'secure'), clientReady]), 5000, 'the TLS handshake')
  } catch (err) {
    tlsClient.destroy()
    throw err
  }
  tlsClient.write('over tls')
  await waitFor('plain text after the handshake', () => Buffer.concat(r.data).toString() === 'over tls')
  wire.write(Buffer.from('back'))
  const [got] = (await once(tlsClient, 'data')) as [Buffer]
  assert.equal(got.toString(), 'back')
  tlsClient.destroy()
  await waitFor('close reaches the owner', () => r.closed())
})
