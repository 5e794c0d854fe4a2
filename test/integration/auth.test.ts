/**
 * AUTH (NSQ-SPEC §2.6) against `nsqkit serve --auth-http-address` child processes and a small
 * node:http auth server of the test's own, which grants per secret: publish on one topic and
 * subscribe on one channel of it ("s3cret", and after 2.5 s "slow"), nothing ("empty"), a grant of 1 s that is revoked
 * when asked again ("short"), an answer nsqd refuses ("badperm"), and a 403 for anything else.
 * Raw protocol for nsqd's exact frames (E_AUTH_FIRST, E_AUTH_FAILED, E_UNAUTHORIZED, E_INVALID),
 * the real nsqjs client with `authSecret`, nsqkit's client and tools with `auth_secret`, /stats,
 * failover between auth servers, TLS with a client certificate (the CN reaches the auth server),
 * and the Bearer header to lookupd.
 */
import {describe, test, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {once} from 'node:events'
import {createServer, type IncomingMessage, type Server} from 'node:http'
import {Producer} from '../../src/core/client/producer.js'
import {resolveClientConfig} from '../../src/core/client/options.js'
import {identify, pub, sub, auth as authCmd, mpub, rdy} from '../../src/core/protocol/index.js'
import {testCerts} from '../helpers/certs.js'
import {rejectionOf} from '../helpers/client-harness.js'
import {NSQKIT, assertExit, assertOneLine, runCli, spawnCli} from '../helpers/cli.js'
import {HOST} from '../helpers/net.js'
import {nsqjsRoundTrip} from '../helpers/nsqjs.js'
import {RawClient} from '../helpers/raw-client.js'
import {startServe, type ServeChild} from '../helpers/serve.js'
import {waitFor, withTimeout} from '../helpers/wait.js'

const T = {timeout: 30_000}
const certs = testCerts()

interface AuthServer {
  server: Server
  port: number
  addr: string
  queries: URLSearchParams[]
}

const GRANT = {
  ttl: 3600,
  identity: 'ops',
  identity_url: 'https://id.example/ops',
  authorizations: [
    {topic: '^allowed$', channels: ['.*'], permissions: ['publish']},
    {topic: '^allowed$', channels: ['^c$'], permissions: ['subscribe']},
  ],
}

async function startAuthServer(): Promise<AuthServer> {
  const queries: URLSearchParams[] = []
  let shortAsked = 0
  const server = createServer((req: IncomingMessage, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.pathname !== '/auth') {
      res.writeHead(404).end()
      return
    }
    queries.push(url.searchParams)
    const secret = url.searchParams.get('secret')
    const json = (body: unknown): void => {
      res.writeHead(200, {'content-type': 'application/json'}).end(JSON.stringify(body))
    }
    if (secret === 's3cret') json(GRANT)
    else if (secret === 'slow') setTimeout(() => json(GRANT), 2500)
    else if (secret === 'empty') json({ttl: 60, identity: 'nobody', authorizations: []})
    else if (secret === 'badperm') json({ttl: 60, authorizations: [{topic: '.*', channels: ['.*'], permissions: ['admin']}]})
    else if (secret === 'short') json(shortAsked++ === 0 ? {...GRANT, ttl: 1} : {...GRANT, authorizations: [{topic: '^elsewhere$', channels: ['.*'], permissions: ['publish']}]})
    else res.writeHead(403).end('{"message":"bad secret"}')
  })
  server.listen(0, HOST)
  await once(server, 'listening')
  const port = (server.address() as {port: number}).port
  return {server, port, addr: `${HOST}:${port}`, queries}
}

async function identified(serve: ServeChild): Promise<{raw: RawClient; response: {auth_required: boolean}}> {
  const raw = await RawClient.connect(serve.tcpPort)
  raw.send(identify({feature_negotiation: true}))
  const response = JSON.parse((await raw.next()).text) as {auth_required: boolean}
  return {raw, response}
}

/** Send `secret` in AUTH on a fresh identified connection; resolves with the connection and the answer. */
async function authed(serve: ServeChild, secret: string): Promise<{raw: RawClient; text: string}> {
  const {raw} = await identified(serve)
  raw.send(authCmd(secret))
  return {raw, text: (await raw.next()).text}
}

async function closedAfter(raw: RawClient, what: string): Promise<void> {
  try {
    await withTimeout(raw.closedPromise, 3000, `${what}: the broker closes the connection`)
  } finally {
    raw.socket.destroy()
  }
}

describe('serve --auth-http-address', () => {
  let authd: AuthServer
  let serve: ServeChild
  before(async () => {
    authd = await startAuthServer()
    serve = await startServe([`--auth-http-address=${authd.addr}`])
  })
  after(async () => {
    await serve?.stop()
    authd?.server.close()
  })

  test('IDENTIFY says auth_required; PUB, MPUB and SUB before AUTH are fatal E_AUTH_FIRST', T, async () => {
    for (const [verb, cmd] of [
      ['PUB', pub('allowed', Buffer.from('x'))],
      ['MPUB', mpub('allowed', [Buffer.from('x')])],
      ['SUB', sub('allowed', 'c')],
    ] as const) {
      const {raw, response} = await identified(serve)
      assert.equal(response.auth_required, true)
      raw.send(cmd)
      assert.equal((await raw.next()).text, `E_AUTH_FIRST AUTH required before ${verb}`)
      await closedAfter(raw, verb)
    }
  })

  test('a good secret: the JSON answer; the granted PUB and SUB work; others are E_UNAUTHORIZED; the auth server was told the connection', T, async () => {
    const {raw, text} = await authed(serve, 's3cret')
    assert.equal(text, '{"identity":"ops","identity_url":"https://id.example/ops","permission_count":2}')
    const q = authd.queries.at(-1) as URLSearchParams
    assert.deepEqual([...q.keys()], ['common_name', 'remote_ip', 'secret', 'tls'])
    assert.deepEqual(Object.fromEntries(q), {common_name: '', remote_ip: '127.0.0.1', secret: 's3cret', tls: 'false'})
    raw.send(pub('allowed', Buffer.from('one')))
    assert.equal((await raw.next()).text, 'OK')
    raw.send(pub('other', Buffer.from('two')))
    assert.equal((await raw.next()).text, 'E_UNAUTHORIZED AUTH failed for PUB on "other" ""')
    await closedAfter(raw, 'PUB elsewhere')

    const s = await authed(serve, 's3cret')
    s.raw.send(sub('allowed', 'd'))
    assert.equal((await s.raw.next()).text, 'E_UNAUTHORIZED AUTH failed for SUB on "allowed" "d"')
    await closedAfter(s.raw, 'SUB on another channel')

    const ok = await authed(serve, 's3cret')
    try {
      ok.raw.send(sub('allowed', 'c'), rdy(1))
      assert.equal((await ok.raw.next()).text, 'OK')
      const msg = await ok.raw.next()
      assert.ok(msg.data.subarray(26).equals(Buffer.from('one')), 'the message published before arrives')
      const clients = await serve.clients('allowed', 'c')
      assert.equal(clients.length, 1)
      const c = clients[0] as {authed?: boolean; auth_identity?: string; auth_identity_url?: string}
      assert.deepEqual([c.authed, c.auth_identity, c.auth_identity_url], [true, 'ops', 'https://id.example/ops'])
    } finally {
      ok.raw.socket.destroy()
    }
  })

  test('a refused secret is E_AUTH_FAILED (why stays in the log); no authorizations is E_UNAUTHORIZED; an answer nsqd refuses is E_AUTH_FAILED', T, async () => {
    for (const [secret, frame] of [
      ['wrong', 'E_AUTH_FAILED AUTH failed'],
      ['empty', 'E_UNAUTHORIZED AUTH no authorizations found'],
      ['badperm', 'E_AUTH_FAILED AUTH failed'],
    ] as const) {
      const {raw, text} = await authed(serve, secret)
      assert.equal(text, frame, secret)
      await closedAfter(raw, secret)
    }
    await waitFor('the reasons in the log', () => /AUTH failed .*HTTP 403/.test(serve.stderr()) && /AUTH failed unknown permission admin/.test(serve.stderr()))
  })

  test('AUTH twice is E_INVALID AUTH already set; AUTH after SUB is E_INVALID cannot AUTH in current state', T, async () => {
    const {raw} = await authed(serve, 's3cret')
    raw.send(authCmd('s3cret'))
    assert.equal((await raw.next()).text, 'E_INVALID AUTH already set')
    await closedAfter(raw, 'AUTH twice')
    const s = await authed(serve, 's3cret')
    s.raw.send(sub('allowed', 'c'))
    assert.equal((await s.raw.next()).text, 'OK')
    s.raw.send(authCmd('s3cret'))
    assert.equal((await s.raw.next()).text, 'E_INVALID cannot AUTH in current state')
    await closedAfter(s.raw, 'AUTH after SUB')
  })

  test('an expired grant is asked for again at the next command (commands behind it wait, in order); revoked, the PUB is refused', T, async () => {
    const {raw, text} = await authed(serve, 'short')
    try {
      assert.match(text, /"permission_count":2/)
      const asked = authd.queries.filter((q) => q.get('secret') === 'short').length
      raw.send(pub('allowed', Buffer.from('in time')))
      assert.equal((await raw.next()).text, 'OK')
      await new Promise((r) => setTimeout(r, 1100))
      // pipelined: the PUB needs a fresh grant, the NOP behind it must not overtake it
      raw.send(pub('allowed', Buffer.from('too late')), 'NOP\n')
      assert.equal((await raw.next()).text, 'E_UNAUTHORIZED AUTH failed for PUB on "allowed" ""')
      assert.equal(authd.queries.filter((q) => q.get('secret') === 'short').length, asked + 1)
      await closedAfter(raw, 'revoked')
    } finally {
      raw.socket.destroy()
    }
  })

  test('a slow auth server: the client waits past its read deadline (2 x a 1 s heartbeat) and is not dropped', T, async () => {
    const raw = await RawClient.connect(serve.tcpPort)
    try {
      raw.send(identify({feature_negotiation: true, heartbeat_interval: 1000}))
      await raw.next()
      raw.send(authCmd('slow'), pub('allowed', Buffer.from('after a slow AUTH')))
      assert.match((await raw.next(5000)).text, /"identity":"ops"/)
      assert.equal((await raw.next()).text, 'OK')
      assert.equal(raw.closed, false)
    } finally {
      raw.socket.destroy()
    }
  })

  test('nsqjs with authSecret publishes and consumes 1,000 messages; /stats shows the reader authed', T, async () => {
    const bodies = Array.from({length: 1000}, (_, i) => `auth-${i}`)
    const {got, result: clients} = await nsqjsRoundTrip(serve, 'allowed', 'c', {authSecret: 's3cret'}, bodies, () => serve.clients('allowed', 'c'))
    for (const b of bodies) assert.ok(got.includes(b), b)
    assert.ok(clients.some((c) => c.authed === true && c.auth_identity === 'ops'))
  })

  test('pub and tail with --producer-opt/--consumer-opt auth_secret; without it, one line and exit 1', T, async () => {
    const published = await runCli([...NSQKIT, 'pub', '--topic=allowed', `--nsqd-tcp-address=${serve.tcpAddress}`, '--producer-opt=auth_secret,s3cret'], {input: 'cli-auth\n'})
    assertExit(published, 0, 'pub with auth_secret')
    const refused = await runCli([...NSQKIT, 'pub', '--topic=allowed', `--nsqd-tcp-address=${serve.tcpAddress}`], {input: 'no secret\n'})
    assertExit(refused, 1, 'pub without auth_secret')
    assertOneLine(refused, /Auth Required/)
    const elsewhere = await runCli([...NSQKIT, 'pub', '--topic=other', `--nsqd-tcp-address=${serve.tcpAddress}`, '--producer-opt=auth_secret,s3cret'], {input: 'x\n'})
    assertExit(elsewhere, 1, 'pub to a topic not granted')
    assertOneLine(elsewhere, /E_UNAUTHORIZED AUTH failed for MPUB on "other" ""/)
    const tailed = await runCli([...NSQKIT, 'tail', '--topic=allowed', '--channel=c', `--nsqd-tcp-address=${serve.tcpAddress}`, '-n', '1', '--consumer-opt=auth_secret,s3cret'], {timeoutMs: 15_000})
    assertExit(tailed, 0, 'tail with auth_secret')
    assert.equal(tailed.stdout.split('\n').length, 2)
  })

  test('our Producer: a bad secret rejects with E_AUTH_FAILED', T, async () => {
    const p = new Producer(serve.tcpAddress, resolveClientConfig({auth_secret: 'wrong'}))
    try {
      const err = await rejectionOf(p.publish('allowed', 'x'), 5000, 'publish with a bad secret')
      assert.equal(err.nsqCode, 'E_AUTH_FAILED')
    } finally {
      await p.stop()
    }
  })
})

describe('auth servers: failover, TLS', () => {
  test('with one auth server down, every AUTH still succeeds (the other is asked); with all down, E_AUTH_FAILED', T, async () => {
    const authd = await startAuthServer()
    // a port that refuses: listen, note it, close
    const dead = createServer()
    dead.listen(0, HOST)
    await once(dead, 'listening')
    const deadAddr = `${HOST}:${(dead.address() as {port: number}).port}`
    dead.close()
    const serve = await startServe([`--auth-http-address=${deadAddr}`, `--auth-http-address=http://${authd.addr}/auth`])
    try {
      for (let i = 0; i < 6; i++) {
        const {raw, text} = await authed(serve, 's3cret')
        raw.socket.destroy()
        assert.match(text, /"identity":"ops"/, `AUTH ${i}`)
      }
    } finally {
      await serve.stop()
    }
    authd.server.close()
    const none = await startServe([`--auth-http-address=${deadAddr}`])
    try {
      const {raw, text} = await authed(none, 's3cret')
      assert.equal(text, 'E_AUTH_FAILED AUTH failed')
      await closedAfter(raw, 'no auth server')
    } finally {
      await none.stop()
    }
  })

  test('over TLS with a client certificate, the auth server is told tls=true and the certificate CN', T, async () => {
    const authd = await startAuthServer()
    const serve = await startServe([`--auth-http-address=${authd.addr}`, `--tls-cert=${certs.serverCert}`, `--tls-key=${certs.serverKey}`, `--https-address=${HOST}:0`, '--tls-client-auth-policy=require-verify', `--tls-root-ca-file=${certs.caCert}`])
    try {
      const p = new Producer(serve.tcpAddress, resolveClientConfig({tls_v1: true, tls_root_ca_file: certs.caCert, tls_cert: certs.clientCert, tls_key: certs.clientKey, auth_secret: 's3cret'}))
      try {
        await p.publish('allowed', 'over tls')
      } finally {
        await p.stop()
      }
      const q = authd.queries.at(-1) as URLSearchParams
      assert.deepEqual([q.get('tls'), q.get('common_name')], ['true', 'nsqkit-test-client'])
    } finally {
      await serve.stop()
      authd.server.close()
    }
  })
})

describe('lookupd and the auth secret', () => {
  test('tail with auth_secret sends Authorization: Bearer to lookupd (and none with skip_lookupd_authorization false)', T, async () => {
    const seen: (string | undefined)[] = []
    const lookupd = createServer((req, res) => {
      seen.push(req.headers.authorization)
      res.writeHead(200, {'content-type': 'application/json'}).end('{"channels":[],"producers":[]}')
    })
    lookupd.listen(0, HOST)
    await once(lookupd, 'listening')
    const addr = `${HOST}:${(lookupd.address() as {port: number}).port}`
    try {
      for (const [opts, want] of [
        [['--consumer-opt=auth_secret,t0ken'], 'Bearer t0ken'],
        [['--consumer-opt=auth_secret,t0ken', '--consumer-opt=skip_lookupd_authorization,false'], undefined],
      ] as const) {
        const before = seen.length
        const child = spawnCli([...NSQKIT, 'tail', '--topic=t', `--lookupd-http-address=${addr}`, ...opts], {timeoutMs: 10_000})
        try {
          await waitFor('a lookupd query', () => seen.length > before)
        } finally {
          child.proc.kill('SIGTERM')
        }
        assert.equal(seen[before], want)
        await child.done
      }
    } finally {
      lookupd.close()
    }
  })
})
