/**
 * `nsqkit lookupd` and its Go-named shim bin/nsqlookupd as a user runs them: the built CLI in a
 * child process on ports chosen at run time. Start-up lines with nsqlookupd's `[nsqlookupd] `
 * prefix, /ping, the flags acted on (an nsqd's IDENTIFY gets --broadcast-address back), a clean
 * exit 0 on SIGTERM/SIGINT, one-line errors with exit 2 for bad flags, the version line.
 */
import {after, describe, test} from 'node:test'
import assert from 'node:assert/strict'

import {NSQKIT, assertExit, assertNoStack, assertOneLine, killChildren, runCli, shim} from '../helpers/cli.js'
import {V1Client} from '../helpers/lookupd-wire.js'
import {startLookupd, type ServeChild} from '../helpers/serve.js'
import {withTimeout} from '../helpers/wait.js'

const T = {timeout: 30_000}
const children: ServeChild[] = []
const clients: V1Client[] = []

after(async () => {
  for (const c of clients) c.close()
  await Promise.all(children.map((c) => c.stop('SIGKILL')))
  killChildren()
})

async function lookupd(args: string[] = [], opts: {shim?: boolean} = {}): Promise<ServeChild> {
  const l = await startLookupd(args, opts)
  children.push(l)
  return l
}

/** every stderr line is nsqlookupd's: `[nsqlookupd] 2026/11/21 03:10:49.123456 LEVEL: …` */
function assertPrefixed(stderr: string): void {
  const lines = stderr.split('\n').filter((l) => l !== '')
  assert.ok(lines.length > 0)
  for (const l of lines) assert.match(l, /^\[nsqlookupd\] \d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2}\.\d{6} (INFO|WARNING|ERROR|DEBUG): /, `a line without the prefix:\n${stderr}`)
}

async function ping(l: ServeChild): Promise<void> {
  const r = await fetch(`http://127.0.0.1:${l.httpPort}/ping`, {signal: AbortSignal.timeout(3000)})
  assert.equal(r.status, 200)
  assert.equal(await r.text(), 'OK')
}

const stopWithin = (l: ServeChild, signal: NodeJS.Signals): Promise<number | null> => withTimeout(l.stop(signal), 8000, () => `lookupd after ${signal}; stderr:\n${l.stderr()}`)

describe('nsqkit lookupd and bin/nsqlookupd: start, serve, stop', () => {
  test('nsqkit lookupd on port 0: prefixed start-up lines, /ping, an IDENTIFY answered with its ports; SIGTERM → exit 0', T, async () => {
    const l = await lookupd(['--broadcast-address=lookupd.example'])
    assert.ok(l.tcpPort > 0 && l.httpPort > 0 && l.tcpPort !== l.httpPort)
    assert.match(l.stderr(), /INFO: nsqlookupd v1\.3\.0 \(nsqkit v0\.1\.0, built w\/node v[\d.]+\)\n/)
    assert.match(l.stderr(), new RegExp(`INFO: TCP: listening on 127\\.0\\.0\\.1:${l.tcpPort}\\n`))
    assert.match(l.stderr(), new RegExp(`INFO: HTTP: listening on 127\\.0\\.0\\.1:${l.httpPort}\\n`))
    await ping(l)
    const c = await V1Client.connect(l.tcpPort)
    clients.push(c)
    const answer = await c.identify({broadcast_address: '127.0.0.1', tcp_port: 4150, http_port: 4151, version: '1.3.0', hostname: 'n'})
    assert.equal(answer.broadcast_address, 'lookupd.example')
    assert.equal(answer.tcp_port, l.tcpPort)
    assert.equal(answer.http_port, l.httpPort)
    assert.equal(await c.command('REGISTER t'), 'OK')
    const lk = (await (await fetch(`http://127.0.0.1:${l.httpPort}/lookup?topic=t`)).json()) as {producers: {tcp_port: number}[]}
    assert.deepEqual(
      lk.producers.map((p) => p.tcp_port),
      [4150],
    )
    assert.equal(await stopWithin(l, 'SIGTERM'), 0)
    await c.waitClosed(3000)
    assert.match(l.stderr(), /INFO: SIGTERM: shutting down\n/)
    assertPrefixed(l.stderr())
    assertNoStack(l.stderr())
  })

  test('bin/nsqlookupd -tcp-address=… -http-address=… (Go flag syntax): the same lines and /ping; SIGTERM → exit 0', T, async () => {
    const l = await lookupd(['-log-level=debug'], {shim: true})
    assert.match(l.stderr(), /INFO: nsqlookupd v1\.3\.0 /)
    await ping(l)
    assert.match(l.stderr(), /INFO: 200 GET \/ping \(127\.0\.0\.1:\d+\) /)
    assert.equal(await stopWithin(l, 'SIGTERM'), 0)
    assertPrefixed(l.stderr())
    assertNoStack(l.stderr())
  })

  test('SIGINT → exit 0 too, with a peer still connected', T, async () => {
    const l = await lookupd([], {shim: true})
    const c = await V1Client.connect(l.tcpPort)
    clients.push(c)
    assert.equal(await c.command('PING'), 'OK')
    assert.equal(await stopWithin(l, 'SIGINT'), 0)
    await c.waitClosed(3000)
    assert.match(l.stderr(), /INFO: SIGINT: shutting down\n/)
  })
})

describe('bad flags: exit 2 with one stderr line naming the flag', () => {
  const base = ['--tcp-address=127.0.0.1:0', '--http-address=127.0.0.1:0']
  const cases: [string[], RegExp][] = [
    [[...NSQKIT, 'lookupd', ...base, '--tombstone-lifetime=bogus'], /tombstone-lifetime.*bogus/],
    [[...shim('nsqlookupd'), ...base.map((f) => f.slice(1)), '-tombstone-lifetime=bogus'], /tombstone-lifetime.*bogus/],
    [[...NSQKIT, 'lookupd', ...base, '--inactive-producer-timeout=5'], /inactive-producer-timeout/],
    [[...NSQKIT, 'lookupd', ...base, '--log-level=loud'], /log-level.*loud/],
    [[...NSQKIT, 'lookupd', '--http-address=127.0.0.1:0', '--tcp-address=nohostport'], /tcp-address.*nohostport/],
    [[...NSQKIT, 'lookupd', ...base, '--inactive-producer-timeout=-1s'], /inactive-producer-timeout/],
  ]
  for (const [argv, mentions] of cases) {
    test(argv.slice(argv.length - 1).join(' ') + (argv.includes('lookupd') ? '' : ' (bin/nsqlookupd)'), T, async () => {
      const r = await runCli(argv)
      assertExit(r, 2, argv.join(' '))
      assertOneLine(r, mentions)
      assert.doesNotMatch(r.stderr, /listening on/, 'it must not start')
    })
  }
})

describe('version', () => {
  test('bin/nsqlookupd -version and nsqkit lookupd --version print the version line on stdout, exit 0', T, async () => {
    for (const argv of [[...shim('nsqlookupd'), '-version'], [...NSQKIT, 'lookupd', '--version']]) {
      const r = await runCli(argv)
      assertExit(r, 0, argv.join(' '))
      assert.equal(r.stdout, 'nsqlookupd v1.3.0 (nsqkit v0.1.0)\n')
      assert.equal(r.stderr, '')
    }
  })
})
