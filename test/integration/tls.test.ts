/**
 * TLS on both sides of the wire (NSQ-SPEC §2.1, §2.2, §4.2), against `nsqkit serve` child
 * processes with certificates made for the run (helpers/certs.ts): the real nsqjs client with
 * `tls: true`, nsqkit's own Producer and Consumer verifying the broker against the test CA,
 * the CLI tools with go-nsq's `--producer-opt`/`--consumer-opt` keys, `--tls-required` on TCP
 * and HTTP, client certificates under `--tls-client-auth-policy require-verify`, HTTPS, and a
 * client that asked for TLS from a broker that has none (it must fail, never go on in plain).
 */
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {once} from 'node:events'
import {createServer as createHttpsServer, request} from 'node:https'
import {Producer} from '../../src/core/client/producer.js'
import {resolveClientConfig, type ClientConfig} from '../../src/core/client/options.js'
import {identify, pub} from '../../src/core/protocol/index.js'
import {testCerts} from '../helpers/certs.js'
import {Cleanup, consumeBodies, rejectionOf} from '../helpers/client-harness.js'
import {NSQKIT, assertExit, assertOneLine, runCli} from '../helpers/cli.js'
import {HOST} from '../helpers/net.js'
import {topicNames} from '../helpers/names.js'
import {nsqjsRoundTrip} from '../helpers/nsqjs.js'
import {RawClient} from '../helpers/raw-client.js'
import {startServe, useServe} from '../helpers/serve.js'
import {waitFor, withTimeout} from '../helpers/wait.js'

const certs = testCerts()
const T = {timeout: 30_000}
const names = topicNames('tls')
const serverTls = [`--tls-cert=${certs.serverCert}`, `--tls-key=${certs.serverKey}`, `--https-address=${HOST}:0`]

/** GET over HTTPS, trusting the test CA (and presenting a client certificate when given). */
function httpsGet(port: number, path: string, client?: {cert: string; key: string}): Promise<{status: number; body: string}> {
  return new Promise((resolve, reject) => {
    const req = request(
      {host: HOST, port, path, ca: readFileSync(certs.caCert), ...(client ? {cert: readFileSync(client.cert), key: readFileSync(client.key)} : {}), timeout: 5000},
      (res) => {
        let body = ''
        res.setEncoding('utf8')
        res.on('data', (d: string) => (body += d))
        res.on('end', () => resolve({status: res.statusCode ?? 0, body}))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

interface StatsClient {
  tls: boolean
  tls_version: string
  tls_cipher_suite: string
  tls_negotiated_protocol_is_mutual: boolean
  user_agent: string
}

async function clientsOf(port: number, topic: string): Promise<StatsClient[]> {
  const r = await httpsGet(port, `/stats?format=json&topic=${topic}`)
  const s = JSON.parse(r.body) as {topics: {channels: {clients: StatsClient[]}[]}[] | null}
  return (s.topics ?? []).flatMap((t) => t.channels.flatMap((c) => c.clients))
}

function tlsConfig(extra: Partial<ClientConfig> = {}): ClientConfig {
  return resolveClientConfig({tls_v1: true, tls_root_ca_file: certs.caCert, ...extra})
}

describe('serve with --tls-cert/--tls-key', () => {
  const serve = useServe(serverTls)

  test('nsqjs with tls: true publishes and consumes 1,000 messages; /stats shows each client on TLS', T, async () => {
    const topic = names('nsqjs')
    const bodies = Array.from({length: 1000}, (_, i) => `nsqjs-tls-${i}`)
    const {got, result: clients} = await nsqjsRoundTrip(serve, topic, 'c', {tls: true, tlsVerification: false}, bodies, () => clientsOf(serve.httpsPort, topic))
    assert.deepEqual([...got].sort(), [...bodies].sort())
    assert.equal(clients.length, 1)
    const c = clients[0] as StatsClient
    assert.equal(c.tls, true)
    assert.match(c.tls_version, /^TLS1\.[23]$/)
    assert.match(c.tls_cipher_suite, /^TLS_/)
    assert.equal(c.tls_negotiated_protocol_is_mutual, true)
  })

  test('our Producer and Consumer verify the broker against the CA; bodies up to max-msg-size arrive byte for byte', T, async () => {
    const cleanup = new Cleanup()
    try {
      const topic = names('ours')
      const bodies = [1, 200, 16 * 1024, 64 * 1024 + 3, 1024 * 1024].map((n) => randomBytes(n))
      const p = new Producer(serve.tcpAddress, tlsConfig())
      cleanup.add('producer', () => p.stop())
      for (const b of bodies) await p.publish(topic, b)
      await p.multiPublish(topic, bodies.slice(0, 3))
      const got = await consumeBodies(cleanup, serve.tcpAddress, topic, bodies.length + 3, {...tlsConfig(), max_in_flight: 200}, 'over TLS')
      const want = [...bodies, ...bodies.slice(0, 3)].map((b) => b.toString('hex')).sort()
      assert.deepEqual(got.map((b) => b.toString('hex')).sort(), want)
      const clients = await clientsOf(serve.httpsPort, topic)
      assert.ok(clients.every((c) => c.tls))
    } finally {
      await cleanup.run()
    }
  })

  test('a broker certificate the client cannot verify fails the connection (no plain fallback)', T, async () => {
    const p = new Producer(serve.tcpAddress, resolveClientConfig({tls_v1: true}))
    try {
      const err = await rejectionOf(p.publish(names('unverified'), 'x'), 5000, 'publish to an unverified broker')
      assert.match(err.message, /TLS handshake failed/)
    } finally {
      await p.stop()
    }
  })

  test('a plain client still works when TLS is offered but not required; /stats says tls false', T, async () => {
    const topic = names('plain')
    const p = new Producer(serve.tcpAddress, resolveClientConfig({}))
    try {
      await p.publish(topic, 'plain')
    } finally {
      await p.stop()
    }
    const r = await httpsGet(serve.httpsPort, `/stats?format=json&topic=${topic}`)
    assert.equal(r.status, 200)
    const res = await fetch(`http://${HOST}:${serve.httpPort}/ping`)
    assert.equal(await res.text(), 'OK')
  })

  test('pub and tail reach it with --producer-opt/--consumer-opt tls_v1,true and the CA file', T, async () => {
    const topic = names('cli')
    const opts = ['tls_v1,true', `tls_root_ca_file,${certs.caCert}`]
    const published = await runCli([...NSQKIT, 'pub', `--topic=${topic}`, `--nsqd-tcp-address=${serve.tcpAddress}`, ...opts.map((o) => `--producer-opt=${o}`)], {input: 'one\ntwo\n'})
    assertExit(published, 0, 'pub over TLS')
    const tailed = await runCli([...NSQKIT, 'tail', `--topic=${topic}`, `--nsqd-tcp-address=${serve.tcpAddress}`, '-n', '2', ...opts.map((o) => `--consumer-opt=${o}`)], {timeoutMs: 15_000})
    assertExit(tailed, 0, 'tail over TLS')
    assert.equal(tailed.stdout, 'one\ntwo\n')
  })

  test('tail finds it through an https:// lookupd (the CA trusted with NODE_EXTRA_CA_CERTS)', T, async () => {
    const topic = names('https-lookupd')
    await runCli([...NSQKIT, 'pub', `--topic=${topic}`, `--nsqd-tcp-address=${serve.tcpAddress}`, '--producer-opt=tls_v1,true', `--producer-opt=tls_root_ca_file,${certs.caCert}`], {input: 'found\n'})
    const asked: string[] = []
    const lookupd = createHttpsServer({cert: readFileSync(certs.serverCert), key: readFileSync(certs.serverKey)}, (req, res) => {
      asked.push(req.url ?? '')
      const producer = {remote_address: serve.tcpAddress, hostname: 'h', broadcast_address: HOST, tcp_port: serve.tcpPort, http_port: serve.httpPort, version: '1.3.0'}
      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify({channels: [], producers: [producer]}))
    })
    lookupd.listen(0, HOST)
    await once(lookupd, 'listening')
    try {
      const port = (lookupd.address() as {port: number}).port
      const env = {NODE_EXTRA_CA_CERTS: certs.caCert}
      const tailed = await runCli([...NSQKIT, 'tail', `--topic=${topic}`, `--lookupd-http-address=https://${HOST}:${port}`, '-n', '1', '--consumer-opt=tls_v1,true', `--consumer-opt=tls_root_ca_file,${certs.caCert}`], {timeoutMs: 15_000, env})
      assertExit(tailed, 0, 'tail through an https lookupd')
      assert.equal(tailed.stdout, 'found\n')
      assert.ok(asked.some((u) => u.startsWith(`/lookup?topic=${topic}`)), asked.join(', '))
    } finally {
      lookupd.close()
    }
  })

  test('HTTPS serves the API with the same certificate', T, async () => {
    const r = await httpsGet(serve.httpsPort, '/ping')
    assert.deepEqual(r, {status: 200, body: 'OK'})
  })
})

describe('serve without TLS', () => {
  const serve = useServe()

  test('a client that asks for TLS is refused loudly, and nothing is published in plain text', T, async () => {
    const topic = names('refused')
    const p = new Producer(serve.tcpAddress, tlsConfig())
    try {
      const err = await rejectionOf(p.publish(topic, 'secret'), 5000, 'publish with tls_v1 to a plain broker')
      assert.match(err.message, /did not agree to TLS/)
    } finally {
      await p.stop()
    }
    const t = await serve.topic(topic)
    assert.equal(t, undefined, 'the topic was never created')
    const r = await runCli([...NSQKIT, 'pub', `--topic=${topic}`, `--nsqd-tcp-address=${serve.tcpAddress}`, '--producer-opt=tls_v1,true'], {input: 'secret\n'})
    assertExit(r, 1, 'pub with tls_v1 to a plain broker')
    assert.match(r.stderr, /did not agree to TLS/)
  })
})

describe('--tls-required', () => {
  test('true: plain TCP may only IDENTIFY (then E_INVALID, fatal); plain HTTP gets 403 TLS_REQUIRED; TLS and HTTPS work', T, async () => {
    const serve = await startServe([...serverTls, '--tls-required=true'])
    try {
      const raw = await RawClient.connect(serve.tcpPort)
      try {
        raw.send(identify({feature_negotiation: true}))
        const id = await raw.next()
        assert.equal((JSON.parse(id.text) as {tls_v1: boolean}).tls_v1, false, 'tls_v1 was not asked for')
        raw.send(pub('t', Buffer.from('x')))
        const err = await raw.next()
        assert.equal(err.text, 'E_INVALID cannot PUB in current state (TLS required)')
        await withTimeout(raw.closedPromise, 3000, 'the broker closes the connection')
      } finally {
        raw.socket.destroy()
      }
      const res = await fetch(`http://${HOST}:${serve.httpPort}/ping`)
      assert.equal(res.status, 403)
      assert.equal(await res.text(), `{"message": "TLS_REQUIRED", "https_port": ${serve.httpsPort}}`)
      assert.equal(res.headers.get('x-nsq-content-type'), 'nsq; version=1.0')
      assert.deepEqual(await httpsGet(serve.httpsPort, '/ping'), {status: 200, body: 'OK'})
      const p = new Producer(serve.tcpAddress, tlsConfig())
      try {
        await p.publish(names('required'), 'over tls')
      } finally {
        await p.stop()
      }
    } finally {
      await serve.stop()
    }
  })

  test('tcp-https: plain TCP is refused, plain HTTP still answers', T, async () => {
    const serve = await startServe([...serverTls, '--tls-required=tcp-https'])
    try {
      const raw = await RawClient.connect(serve.tcpPort)
      try {
        raw.send('NOP\n')
        const err = await raw.next()
        assert.equal(err.text, 'E_INVALID cannot NOP in current state (TLS required)')
      } finally {
        raw.socket.destroy()
      }
      const res = await fetch(`http://${HOST}:${serve.httpPort}/ping`)
      assert.equal(res.status, 200)
    } finally {
      await serve.stop()
    }
  })
})

describe('--tls-client-auth-policy require-verify', () => {
  const serve = useServe([...serverTls, '--tls-client-auth-policy=require-verify', `--tls-root-ca-file=${certs.caCert}`])

  test('a client certificate the CA signed is accepted; none, or a self-signed one, is refused', T, async () => {
    const topic = names('mtls')
    const signed = new Producer(serve.tcpAddress, tlsConfig({tls_cert: certs.clientCert, tls_key: certs.clientKey}))
    try {
      await signed.publish(topic, 'with a signed cert')
    } finally {
      await signed.stop()
    }
    for (const [what, cfg] of [
      ['no certificate', tlsConfig()],
      ['a self-signed certificate', tlsConfig({tls_cert: certs.strayCert, tls_key: certs.strayKey})],
    ] as const) {
      const p = new Producer(serve.tcpAddress, cfg)
      try {
        const err = await rejectionOf(p.publish(topic, 'refused'), 5000, what)
        assert.ok(err.message.length > 0, what)
      } finally {
        await p.stop()
      }
    }
    // only the signed client's message got in (/stats over HTTPS needs the client certificate too)
    const r = await waitFor('the topic in /stats', async () => {
      const s = await httpsGet(serve.httpsPort, `/stats?format=json&topic=${topic}`, {cert: certs.clientCert, key: certs.clientKey})
      const t = (JSON.parse(s.body) as {topics: {message_count: number}[] | null}).topics?.[0]
      return t
    })
    assert.equal(r.message_count, 1)
  })
})

describe('TLS misuse', () => {
  test('--tls-required without a certificate, or an unreadable one: one line, exit 1', T, async () => {
    const r1 = await runCli([...NSQKIT, 'serve', `--tcp-address=${HOST}:0`, `--http-address=${HOST}:0`, '--tls-required=true'], {timeoutMs: 10_000})
    assertExit(r1, 1, 'tls-required without cert')
    assertOneLine(r1, /cannot require TLS client connections without TLS key and cert/)
    const r2 = await runCli([...NSQKIT, 'serve', `--tcp-address=${HOST}:0`, `--http-address=${HOST}:0`, '--tls-cert=/nonexistent/cert.pem', '--tls-key=/nonexistent/key.pem'], {timeoutMs: 10_000})
    assertExit(r2, 1, 'unreadable cert')
    assertOneLine(r2, /failed to build TLS config - .*nonexistent/)
  })

  test('a tls_* option without tls_v1, or tls_cert without tls_key, is misuse (exit 2)', T, async () => {
    const r1 = await runCli([...NSQKIT, 'pub', '--topic=t', `--nsqd-tcp-address=${HOST}:1`, `--producer-opt=tls_root_ca_file,${certs.caCert}`], {input: ''})
    assertExit(r1, 2, 'tls_root_ca_file without tls_v1')
    assertOneLine(r1, /tls_root_ca_file: is used only with tls_v1=true/)
    const r2 = await runCli([...NSQKIT, 'tail', '--topic=t', `--nsqd-tcp-address=${HOST}:1`, '--consumer-opt=tls_v1,true', `--consumer-opt=tls_cert,${certs.clientCert}`])
    assertExit(r2, 2, 'tls_cert without tls_key')
    assertOneLine(r2, /tls_cert: needs tls_key too/)
  })
})
