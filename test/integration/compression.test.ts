/**
 * Deflate and snappy on both sides of the wire (NSQ-SPEC §2.1, §2.2, §4.2), against `nsqkit
 * serve` child processes: the real nsqjs client with `deflate: true` and with `snappy: true`
 * (its own zlib and snappystream codecs: a third implementation of both), nsqkit's Producer and
 * Consumer in every combination with TLS, the CLI tools with go-nsq's option keys, and the
 * refusals: both at once (E_IDENTIFY_FAILED, fatal), a broker started with compression off,
 * --max-deflate-level, and a compressed stream that turns to garbage.
 */
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {randomBytes} from 'node:crypto'
import {Producer} from '../../src/core/client/producer.js'
import {resolveClientConfig, type ClientConfig} from '../../src/core/client/options.js'
import {identify, pub} from '../../src/core/protocol/index.js'
import {testCerts} from '../helpers/certs.js'
import {Cleanup, consumeBodies} from '../helpers/client-harness.js'
import {NSQKIT, assertExit, runCli} from '../helpers/cli.js'
import {HOST} from '../helpers/net.js'
import {topicNames} from '../helpers/names.js'
import {nsqjsRoundTrip} from '../helpers/nsqjs.js'
import {RawClient} from '../helpers/raw-client.js'
import {startServe, useServe, type ServeChild} from '../helpers/serve.js'
import {withTimeout} from '../helpers/wait.js'

const certs = testCerts()
const T = {timeout: 30_000}
const names = topicNames('compress')
const MAX_MSG = 1024 * 1024

interface Flags {
  tls: boolean
  deflate: boolean
  snappy: boolean
}

async function clientFlags(serve: ServeChild, topic: string): Promise<Flags[]> {
  const clients = await serve.clients(topic, 'c')
  return clients.map((c) => ({tls: c.tls, deflate: c.deflate, snappy: c.snappy}))
}

/** Publish 1,000 messages with nsqjs (`opts` on both Writer and Reader), read them back, and the readers' flags in /stats. */
async function nsqjsRoundTripFlags(serve: ServeChild, topic: string, opts: {deflate?: boolean; snappy?: boolean}): Promise<Flags[]> {
  const bodies = Array.from({length: 1000}, (_, i) => `nsqjs-${topic}-${i}-${'z'.repeat(i % 50)}`)
  const {got, result} = await nsqjsRoundTrip(serve, topic, 'c', opts, bodies, () => clientFlags(serve, topic))
  assert.deepEqual([...got].sort(), [...bodies].sort())
  return result
}

describe('nsqjs against serve', () => {
  const serve = useServe()

  test('deflate: true publishes and consumes 1,000 messages; /stats says deflate', T, async () => {
    assert.deepEqual(await nsqjsRoundTripFlags(serve, names('nsqjs-deflate'), {deflate: true}), [{tls: false, deflate: true, snappy: false}])
  })

  test('snappy: true publishes and consumes 1,000 messages; /stats says snappy', T, async () => {
    assert.deepEqual(await nsqjsRoundTripFlags(serve, names('nsqjs-snappy'), {snappy: true}), [{tls: false, deflate: false, snappy: true}])
  })
})

describe('our client in every combination, bodies up to --max-msg-size', () => {
  const serve = useServe([`--tls-cert=${certs.serverCert}`, `--tls-key=${certs.serverKey}`, `--https-address=${HOST}:0`])
  const tls: Partial<ClientConfig> = {tls_v1: true, tls_root_ca_file: certs.caCert}
  const combos: [string, Partial<ClientConfig>, Flags][] = [
    ['plain', {}, {tls: false, deflate: false, snappy: false}],
    ['TLS', tls, {tls: true, deflate: false, snappy: false}],
    ['TLS+deflate', {...tls, deflate: true}, {tls: true, deflate: true, snappy: false}],
    ['TLS+snappy', {...tls, snappy: true}, {tls: true, deflate: false, snappy: true}],
    ['deflate (level 1)', {deflate: true, deflate_level: 1}, {tls: false, deflate: true, snappy: false}],
    ['snappy', {snappy: true}, {tls: false, deflate: false, snappy: true}],
  ]
  for (const [name, extra, want] of combos) {
    test(`${name}: PUB and MPUB of 0 B – 1 MiB bodies (random and repetitive) arrive byte for byte`, T, async () => {
      const cleanup = new Cleanup()
      try {
        const topic = names(name.replace(/[^a-z0-9]+/gi, '-'))
        const config = resolveClientConfig(extra)
        // random bytes do not compress (snappy sends them as uncompressed chunks), repeated ones do;
        // the largest crosses snappy's 64 KiB chunks many times over
        const bodies = [1, 100, 65_536, 65_537, 300_000, MAX_MSG].map((n) => randomBytes(n))
        bodies.push(Buffer.alloc(MAX_MSG, 'nsq'), Buffer.alloc(70_000, 0))
        const p = new Producer(serve.tcpAddress, config)
        cleanup.add('producer', () => p.stop())
        for (const b of bodies) await p.publish(topic, b)
        await p.multiPublish(topic, bodies.slice(0, 4))
        const got = await consumeBodies(cleanup, serve.tcpAddress, topic, bodies.length + 4, {...config, max_in_flight: 50}, name, 20_000)
        const hex = (bs: Buffer[]): string[] => bs.map((b) => b.toString('hex')).sort()
        assert.deepEqual(hex(got), hex([...bodies, ...bodies.slice(0, 4)]))
        assert.deepEqual(await clientFlags(serve, topic), [want])
      } finally {
        await cleanup.run()
      }
    })
  }

  test('pub and tail with --producer-opt=snappy and --consumer-opt=deflate,true', T, async () => {
    const topic = names('cli')
    const published = await runCli([...NSQKIT, 'pub', `--topic=${topic}`, `--nsqd-tcp-address=${serve.tcpAddress}`, '--producer-opt=snappy'], {input: 'one\ntwo\n'})
    assertExit(published, 0, 'pub with snappy')
    const tailed = await runCli([...NSQKIT, 'tail', `--topic=${topic}`, `--nsqd-tcp-address=${serve.tcpAddress}`, '-n', '2', '--consumer-opt=deflate,true'], {timeoutMs: 15_000})
    assertExit(tailed, 0, 'tail with deflate')
    assert.equal(tailed.stdout, 'one\ntwo\n')
  })
})

describe('refusals', () => {
  const serve = useServe()

  test('deflate and snappy both asked for: E_IDENTIFY_FAILED, and the connection is closed', T, async () => {
    const raw = await RawClient.connect(serve.tcpPort)
    try {
      raw.send(identify({feature_negotiation: true, deflate: true, snappy: true}))
      const f = await raw.next()
      assert.equal(f.text, 'E_IDENTIFY_FAILED cannot enable both deflate and snappy compression')
      await withTimeout(raw.closedPromise, 3000, 'the broker closes the connection')
    } finally {
      raw.socket.destroy()
    }
  })

  test('a deflate level above --max-deflate-level is capped (IDENTIFY answers the level in use)', T, async () => {
    const capped = await startServe(['--max-deflate-level=3'])
    try {
      const raw = await RawClient.connect(capped.tcpPort)
      try {
        raw.send(identify({feature_negotiation: true, deflate: true, deflate_level: 9}))
        const r = JSON.parse((await raw.next()).text) as {deflate: boolean; deflate_level: number; max_deflate_level: number}
        assert.deepEqual([r.deflate, r.deflate_level, r.max_deflate_level], [true, 3, 3])
      } finally {
        raw.socket.destroy()
      }
      // and our client works at the capped level
      const topic = names('capped')
      const p = new Producer(capped.tcpAddress, resolveClientConfig({deflate: true, deflate_level: 9}))
      try {
        await p.publish(topic, Buffer.alloc(10_000, 'a'))
      } finally {
        await p.stop()
      }
      assert.equal((await capped.topic(topic))?.message_count, 1)
    } finally {
      await capped.stop()
    }
  })

  test('serve --deflate=false --snappy=false: IDENTIFY says no, and a client that asked goes on uncompressed', T, async () => {
    const off = await startServe(['--deflate=false', '--snappy=false'])
    try {
      const raw = await RawClient.connect(off.tcpPort)
      try {
        raw.send(identify({feature_negotiation: true, snappy: true}))
        const r = JSON.parse((await raw.next()).text) as {deflate: boolean; snappy: boolean}
        assert.deepEqual([r.deflate, r.snappy], [false, false])
        // no upgrade: the next command is answered in plain text
        raw.send(pub('plain', Buffer.from('x')))
        assert.equal((await raw.next()).text, 'OK')
      } finally {
        raw.socket.destroy()
      }
      const topic = names('off')
      for (const extra of [{deflate: true}, {snappy: true}]) {
        const p = new Producer(off.tcpAddress, resolveClientConfig(extra))
        try {
          await p.publish(topic, 'uncompressed')
        } finally {
          await p.stop()
        }
      }
      assert.equal((await off.topic(topic))?.message_count, 2)
    } finally {
      await off.stop()
    }
  })

  test('a snappy stream that turns to garbage closes that connection; the broker goes on', T, async () => {
    const raw = await RawClient.connect(serve.tcpPort)
    try {
      raw.send(identify({feature_negotiation: true, snappy: true}))
      assert.equal(JSON.parse((await raw.next()).text).snappy, true)
      // not a snappy frame: an unskippable reserved chunk type
      raw.send(Buffer.from([0x02, 0x03, 0x00, 0x00, 1, 2, 3]))
      await withTimeout(raw.closedPromise, 3000, 'the broker closes the connection')
    } finally {
      raw.socket.destroy()
    }
    const p = new Producer(serve.tcpAddress, resolveClientConfig({snappy: true}))
    try {
      await p.publish(names('after-garbage'), 'still here')
    } finally {
      await p.stop()
    }
  })
})
