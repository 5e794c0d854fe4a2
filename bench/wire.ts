/**
 * The wire phase of `npm run bench`: nsqkit's Producer and Consumer (this process) against a
 * `serve` child with TLS offered (certificates made for the run), once per transport: plain,
 * TLS, snappy, deflate (level 6 asked; the broker's --max-deflate-level 6), TLS+snappy and
 * TLS+deflate, and plain again (the two plain rows show the run's noise), after an untimed
 * plain warm-up pass. Each publishes N messages (2 producers, MPUB ×200, each awaited), then consumes
 * them (2 consumers, max_in_flight 2500, FIN each), on a fresh topic.
 *
 * The bodies are 200-byte JSON-like records with random ids and a random hex field: about half
 * of each is compressible, as real event payloads are; identical bodies would flatter the
 * codecs.
 */
import {randomBytes} from 'node:crypto'
import {Consumer} from '../src/core/client/consumer.js'
import {Producer} from '../src/core/client/producer.js'
import {resolveClientConfig, type ClientConfig} from '../src/core/client/options.js'
import {testCerts} from '../test/helpers/certs.js'
import {startServe} from '../test/helpers/serve.js'

const rate = (n: number, s: number): string => Math.round(n / s).toLocaleString('en-US')

function bodies(n: number, size: number): Buffer[] {
  return Array.from({length: n}, (_, i) => {
    const head = `{"id":"${randomBytes(8).toString('hex')}","seq":${i},"kind":"order.created","region":"eu-west-1","data":"`
    const b = Buffer.alloc(size, 0x20)
    b.write(head)
    const hex = randomBytes(Math.max(0, Math.floor((size - head.length - 2) / 2))).toString('hex')
    b.write(`${hex}"}`, head.length)
    return b
  })
}

async function onePass(addr: string, topic: string, config: ClientConfig, n: number, batch: Buffer[]): Promise<{pub: number; sub: number}> {
  const conns = 2
  const per = Math.ceil(n / batch.length / conns)
  const total = per * conns * batch.length
  const producers = Array.from({length: conns}, () => new Producer(addr, config))
  let t0 = performance.now()
  await Promise.all(
    producers.map(async (p) => {
      for (let i = 0; i < per; i++) await p.multiPublish(topic, batch)
    }),
  )
  const pub = (performance.now() - t0) / 1000
  await Promise.all(producers.map((p) => p.stop()))
  t0 = performance.now()
  let left = total
  let all!: () => void
  const consumed = new Promise<void>((r) => (all = r))
  const consumers = Array.from({length: conns}, () => new Consumer(topic, 'ch', () => {
    if (--left === 0) all()
  }, {config: {...config, max_in_flight: 2500}}))
  await Promise.all(consumers.map((c) => c.connectToNsqd(addr)))
  await consumed
  const sub = (performance.now() - t0) / 1000
  await Promise.all(consumers.map((c) => c.stop(5000)))
  return {pub: total / pub, sub: total / sub}
}

export async function wireBench(n: number, size: number): Promise<string[]> {
  const certs = testCerts()
  const serve = await startServe(['--mem-queue-size=10000000', `--tls-cert=${certs.serverCert}`, `--tls-key=${certs.serverKey}`, '--https-address=127.0.0.1:0'])
  const tls = {tls_v1: true, tls_root_ca_file: certs.caCert}
  const combos: [string, Partial<ClientConfig>][] = [
    ['plain', {}],
    ['TLS', tls],
    ['snappy', {snappy: true}],
    ['deflate', {deflate: true}],
    ['TLS+snappy', {...tls, snappy: true}],
    ['TLS+deflate', {...tls, deflate: true}],
    // plain again, last: the spread between the two plain rows is the machine's noise
    ['plain (again)', {}],
  ]
  const batch = bodies(200, size)
  const out: string[] = []
  try {
    // untimed: the JIT and both heaps warm up here, not in the first row
    await onePass(serve.tcpAddress, 'wire_bench_warmup', resolveClientConfig({}), Math.min(n, 200_000), batch)
    for (const [name, extra] of combos) {
      const r = await onePass(serve.tcpAddress, `wire_bench_${name.replace(/\W/g, '_')}`, resolveClientConfig(extra), n, batch)
      out.push(`wire ${name}: publish ${rate(r.pub, 1)} msgs/s, consume ${rate(r.sub, 1)} msgs/s (${n} msgs of ${size} B, client Producer MPUB ×200 / Consumer max_in_flight 2500, 2 conns each)`)
    }
  } finally {
    await serve.stop()
  }
  return out
}
