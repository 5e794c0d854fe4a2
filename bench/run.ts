/**
 * `npm run bench`: throughput of `nsqkit serve`, measured the way nsq's own bench tools do.
 *
 *  - the loads real clients make (bench/nsq-phases.ts, --nsq-only for them alone, --runfor MS):
 *    bench_writer for 8 s, bench_reader on the backlog it left, a go-nsq-like consumer and the
 *    nsqjs Reader, each load in processes of its own, on a broker with nsq bench.sh's flags.
 *
 *  - publish: like bench_writer, 2 connections each sending MPUB batches of 200 × 200-byte
 *    messages and waiting for each OK before the next (stop-and-wait), until N messages.
 *  - consume: like bench_reader, 2 connections SUB to the same channel with RDY 2500, FIN
 *    every message, until all N published messages came back.
 *  - publish / consume (disk): the same two on a disk-bound broker (--mem-queue-size 0), with
 *    the default --sync-every and with --sync-every 1 (400,000 messages each; --disk-messages N).
 *
 *  - client publish / consume: the same load through nsqkit's own Producer and Consumer
 *    (src/core/client), plus single-message Producer.publish with 1000 calls outstanding.
 *
 *  - pub / tail: the built CLI as a child process: `nsqkit pub < file` of 1,000,000 36-byte
 *    lines, then `nsqkit tail -n 1000000 > /dev/null` (process start-up included).
 *
 *  - to-file: 1,000,000 messages of 200 B drained from the broker into files by `nsqkit to-file`
 *    (a child process), plain and gzip level 6, at max-in-flight 200 and 2500, timed until the
 *    last one is fsynced and FINed (bench/to-file.ts).
 *
 *  - to-http: 100,000 messages POSTed by `nsqkit to-http -n 100` to a local sink answering 200
 *    (bench/to-http.ts); relay: 500,000 messages copied by `nsqkit relay` to a second broker, in
 *    MPUB batches of 50 (its default) and one PUB each (bench/relay.ts); both timed until the
 *    last FIN (100,000 were ~0.6 s, mostly three processes warming up: not relay's steady rate).
 *
 *  - wire: the client publish / consume again against a broker with TLS offered, once per
 *    transport (plain, TLS, snappy, deflate, TLS+snappy, TLS+deflate), 400,000 half-compressible
 *    200-byte records each (bench/wire.ts; --wire-messages N, --wire-only for that phase alone).
 *
 *  - flood (last): a fresh broker's RSS idle, at the peak of 60 s of malformed input and 10 s and
 *    30 s after it (bench/flood.ts).
 *
 *  - startup (first, on the quiet machine): the median of 10 runs of `nsqkit --version`,
 *    `nsq_tail --help`, `to_nsq -version` and the first line of `nsq_tail -n 1` (bench/startup.ts).
 *
 * The broker runs as a child process (the built CLI), the load generator here, so each gets
 * one of the machine's two cores. Figures are msgs/s; run it twice when comparing changes.
 * Options: --messages N (default 2,000,000), --size BYTES (200), --batch N (200), --conns N (2),
 * --tcp-port P (use a broker already running there, e.g. one started with --cpu-prof, or a Go nsqd; --http-port P its HTTP port, default P + 1),
 * --lines N (pub/tail records, default 1,000,000), --tofile-messages N (1,000,000), --tofile-only (that phase alone), --tohttp-messages N and --relay-messages N (500,000), --fanout-only (to-http and relay alone), --startup-only (the start-up phase alone), --broker-only (publish/consume, memory and disk), --nsq-only (the real-client loads alone), --flood-only (memory after abuse alone), --flood-seconds N (its malformed input, 60), --runfor MS (their bench_writer time, 8000), --no-disk (skip the disk-bound runs), --disk-messages N (400,000).
 */
import {spawn} from 'node:child_process'
import {createWriteStream, mkdtempSync, openSync, rmSync} from 'node:fs'
import type {Socket} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {FrameDecoder, FrameType, MAGIC_V2, identify, mpub, rdy, sub, decodeMessage} from '../src/core/protocol/index.js'
import {Consumer} from '../src/core/client/consumer.js'
import {Producer} from '../src/core/client/producer.js'
import {RUN_JS, startServe} from '../test/helpers/serve.js'
import {startup} from './startup.js'
import {open} from './nsq-load.js'
import {nsqPhases} from './nsq-phases.js'
import {floodLine, floodPhase} from './flood.js'
import {relayBench} from './relay.js'
import {toFileBench} from './to-file.js'
import {toHttpBench} from './to-http.js'
import {wireBench} from './wire.js'

function arg(name: string, def: number): number {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : def
}

const TOTAL = arg('messages', 2_000_000)
const SIZE = arg('size', 200)
const BATCH = arg('batch', 200)
const CONNS = arg('conns', 2)
const TOPIC = 'sub_bench'

async function publisher(port: number, batches: number): Promise<void> {
  const s = await open(port)
  const body = Buffer.alloc(SIZE, 0x61)
  const cmd = mpub(TOPIC, Array.from({length: BATCH}, () => body)).encode()
  const dec = new FrameDecoder()
  s.write(MAGIC_V2)
  await new Promise<void>((resolve, reject) => {
    let left = batches
    s.on('data', (chunk: Buffer) => {
      dec.push(chunk)
      for (let f = dec.next(); f; f = dec.next()) {
        if (f.type === FrameType.Error) return reject(new Error(f.data.toString()))
        if (f.type !== FrameType.Response || f.data.toString() === '_heartbeat_') continue
        if (--left === 0) return resolve()
        s.write(cmd)
      }
    })
    s.write(cmd)
  })
  s.destroy()
}

async function consumer(port: number, shared: {left: number; done: () => void}): Promise<Socket> {
  const s = await open(port)
  const dec = new FrameDecoder()
  s.write(MAGIC_V2)
  s.write(identify({client_id: 'bench', feature_negotiation: true}).encode()) // go-nsq's defaults, as bench_reader
  s.write(sub(TOPIC, 'ch').encode())
  s.write(rdy(2500).encode())
  s.on('data', (chunk: Buffer) => {
    dec.push(chunk)
    // FINs of one chunk go out in one write
    const out = Buffer.allocUnsafe(1 + Math.ceil(chunk.length / 34) * 21)
    let o = 0
    for (let f = dec.next(); f; f = dec.next()) {
      if (f.type !== FrameType.Message) continue
      const m = decodeMessage(f.data)
      o += out.write('FIN ', o, 'latin1')
      o += out.write(m.id, o, 'latin1')
      out[o++] = 0x0a
      if (--shared.left === 0) shared.done()
    }
    if (o > 0) s.write(out.subarray(0, o))
  })
  return s
}

const rate = (n: number, s: number): string => Math.round(n / s).toLocaleString('en-US')

/** publish `n` single messages keeping `window` calls outstanding */
async function pipelined(p: Producer, n: number, body: Buffer, window: number): Promise<void> {
  let sent = 0
  await new Promise<void>((resolve, reject) => {
    let done = 0
    const next = (): void => {
      if (sent >= n) return
      sent++
      p.publish('client_bench_single', body).then(() => {
        if (++done === n) resolve()
        else next()
      }, reject)
    }
    for (let i = 0; i < window; i++) next()
  })
}

/** `n` lines of 36 bytes (a uuid-like record) to `file`. */
async function writeLines(file: string, n: number): Promise<void> {
  const out = createWriteStream(file)
  const chunk: string[] = []
  for (let i = 0; i < n; i++) {
    chunk.push(`${i.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`)
    if (chunk.length === 10_000) {
      if (!out.write(chunk.join('\n') + '\n')) await new Promise<void>((r) => out.once('drain', () => r()))
      chunk.length = 0
    }
  }
  if (chunk.length > 0) out.write(chunk.join('\n') + '\n')
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())))
}

/** Run the built CLI with stdin from `input` and stdout to `output` (files); rejects on a non-zero exit. */
function runCli(args: string[], input: string | null, output: string | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUN_JS, ...args], {
      stdio: [input ? openSync(input, 'r') : 'ignore', output ? openSync(output, 'w') : 'ignore', 'inherit'],
    })
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`nsqkit ${args[0]} exited with ${code}`))))
  })
}

/**
 * to-file: drain 1,000,000 messages into files, plain and gzip, at its default max-in-flight
 * and at a larger one (an archiver's usual setting). Needs the broker's HTTP port (/stats).
 */
async function toFilePhase(serve: {tcpPort: number; httpPort?: number}): Promise<void> {
  if (serve.httpPort === undefined) return
  const messages = arg('tofile-messages', 1_000_000)
  for (const gzip of [false, true]) {
    for (const maxInFlight of [200, 2500]) console.log(await toFileBench({tcpPort: serve.tcpPort, httpPort: serve.httpPort}, {messages, size: SIZE, gzip, maxInFlight}))
  }
}

/** to-http (a local sink answering 200, -n 100) and relay (broker to broker, MPUB batches and one PUB each). */
async function fanOutPhase(serve: {tcpPort: number; httpPort?: number; proc?: {pid?: number}}): Promise<void> {
  if (serve.httpPort === undefined) return
  const b = {tcpPort: serve.tcpPort, httpPort: serve.httpPort, pid: serve.proc?.pid}
  const http = arg('tohttp-messages', 100_000)
  const relay = arg('relay-messages', 500_000)
  console.log(await toHttpBench(b, http, SIZE))
  for (const batch of [50, 1]) console.log(await relayBench(b, relay, SIZE, batch))
}

/**
 * bench_writer then bench_reader against the broker on `port`: `n` messages (rounded up to whole
 * batches per connection) published, then consumed; prints both lines. Returns the count.
 */
async function brokerPhase(port: number, n: number, label: string): Promise<number> {
  const batches = Math.ceil(n / BATCH)
  const per = Math.ceil(batches / CONNS)
  const total = per * CONNS * BATCH
  let t0 = performance.now()
  await Promise.all(Array.from({length: CONNS}, () => publisher(port, per)))
  let dt = (performance.now() - t0) / 1000
  console.log(`publish${label}: ${total} msgs of ${SIZE} B in ${dt.toFixed(2)}s = ${rate(total, dt)} msgs/s (MPUB ×${BATCH}, ${CONNS} conns)`)
  t0 = performance.now()
  let done!: () => void
  const finished = new Promise<void>((r) => (done = r))
  const shared = {left: total, done}
  const socks = await Promise.all(Array.from({length: CONNS}, () => consumer(port, shared)))
  await finished
  dt = (performance.now() - t0) / 1000
  console.log(`consume${label}: ${total} msgs in ${dt.toFixed(2)}s = ${rate(total, dt)} msgs/s (RDY 2500, ${CONNS} conns, FIN each)`)
  for (const s of socks) s.destroy()
  return total
}

/**
 * The disk-bound broker: every message through its disk queues (--mem-queue-size 0), with
 * nsqd's default fsync every 2500 operations and with an fsync per batch (--sync-every 1),
 * each on a fresh `serve` (its data path a new temporary directory).
 */
async function diskPhase(): Promise<void> {
  const n = arg('disk-messages', 400_000)
  for (const flags of [['--mem-queue-size=0'], ['--mem-queue-size=0', '--sync-every=1']]) {
    const disk = await startServe(flags)
    try {
      await brokerPhase(disk.tcpPort, n, ` (disk: ${flags.join(' ')})`)
    } finally {
      await disk.stop()
    }
  }
}

/**
 * The loads of nsq's bench tools and of real clients (bench/nsq-phases.ts) on a broker started as
 * nsq's bench.sh starts nsqd, or on the one at --tcp-port (--http-port: its HTTP port, default
 * the TCP port + 1).
 */
async function clientLoadPhase(): Promise<void> {
  const external = arg('tcp-port', 0)
  const broker = external > 0 ? null : await startServe(['--mem-queue-size=1000000'])
  try {
    const b = broker ? {tcpPort: broker.tcpPort, httpPort: broker.httpPort, pid: broker.proc.pid} : {tcpPort: external, httpPort: arg('http-port', external + 1)}
    for (const line of await nsqPhases(b, arg('runfor', 8000), SIZE)) console.log(line)
  } finally {
    await broker?.stop()
  }
}

/** Memory after abuse (bench/flood.ts): a fresh broker's RSS before, during and after --flood-seconds of malformed input. */
async function memoryAbusePhase(): Promise<void> {
  console.log(floodLine(await floodPhase(arg('flood-seconds', 60))))
}

async function main(): Promise<void> {
  if (process.argv.includes('--nsq-only')) return clientLoadPhase()
  if (process.argv.includes('--flood-only')) return memoryAbusePhase()
  const external = arg('tcp-port', 0)
  const serve = external > 0 ? {tcpPort: external, stop: async () => 0} : await startServe(['--mem-queue-size=10000000'])
  try {
    if (process.argv.includes('--tofile-only')) {
      await toFilePhase(serve)
      return
    }
    if (process.argv.includes('--wire-only')) {
      for (const line of await wireBench(arg('wire-messages', 400_000), SIZE)) console.log(line)
      return
    }
    if (process.argv.includes('--fanout-only')) {
      await fanOutPhase(serve)
      return
    }
    if (process.argv.includes('--broker-only')) {
      await brokerPhase(serve.tcpPort, TOTAL, '')
      if (!process.argv.includes('--no-disk')) await diskPhase()
      return
    }
    // before the load phases warm (and heat) the machine
    await startup(10, 'httpPort' in serve ? serve : undefined)
    if (process.argv.includes('--startup-only')) return
    await clientLoadPhase()
    const total = await brokerPhase(serve.tcpPort, TOTAL, '')
    if (!process.argv.includes('--no-disk')) await diskPhase()

    // the same through nsqkit's own client core (src/core/client)
    const addr = `127.0.0.1:${serve.tcpPort}`
    const per = Math.ceil(Math.ceil(TOTAL / BATCH) / CONNS)
    let t0: number
    let dt: number
    const body = Buffer.alloc(SIZE, 0x62)
    const batch = Array.from({length: BATCH}, () => body)
    const producers = Array.from({length: CONNS}, () => new Producer(addr))
    t0 = performance.now()
    await Promise.all(
      producers.map(async (p) => {
        for (let i = 0; i < per; i++) await p.multiPublish('client_bench', batch)
      }),
    )
    dt = (performance.now() - t0) / 1000
    console.log(`client publish: ${total} msgs in ${dt.toFixed(2)}s = ${rate(total, dt)} msgs/s (Producer.multiPublish ×${BATCH}, ${CONNS} producers, each awaited)`)

    const single = Math.min(total, 500_000)
    t0 = performance.now()
    await pipelined(producers[0] as Producer, single, body, 1000)
    dt = (performance.now() - t0) / 1000
    console.log(`client publish: ${single} msgs in ${dt.toFixed(2)}s = ${rate(single, dt)} msgs/s (Producer.publish, 1 producer, 1000 outstanding)`)
    await Promise.all(producers.map((p) => p.stop()))

    t0 = performance.now()
    let left = total
    let all!: () => void
    const consumed = new Promise<void>((r) => (all = r))
    const consumers = Array.from({length: CONNS}, () => {
      const c = new Consumer('client_bench', 'ch', () => {
        if (--left === 0) all()
      }, {config: {max_in_flight: 2500}})
      return c
    })
    await Promise.all(consumers.map((c) => c.connectToNsqd(addr)))
    await consumed
    dt = (performance.now() - t0) / 1000
    console.log(`client consume: ${total} msgs in ${dt.toFixed(2)}s = ${rate(total, dt)} msgs/s (Consumer, max_in_flight 2500, ${CONNS} consumers, FIN each)`)
    await Promise.all(consumers.map((c) => c.stop(5000)))

    // the same client over TLS and compression
    for (const line of await wireBench(arg('wire-messages', 400_000), SIZE)) console.log(line)

    // the tools, as a user runs them: the built CLI as a child process
    const lines = arg('lines', 1_000_000)
    const dir = mkdtempSync(join(tmpdir(), 'nsqkit-bench-'))
    try {
      const file = join(dir, 'lines.txt')
      await writeLines(file, lines)
      t0 = performance.now()
      await runCli(['pub', '--topic', 'tool_bench', `--nsqd-tcp-address=${addr}`], file, null)
      dt = (performance.now() - t0) / 1000
      console.log(`pub: ${lines} lines of 36 B in ${dt.toFixed(2)}s = ${rate(lines, dt)} msgs/s (nsqkit pub < file, process start included)`)
      t0 = performance.now()
      await runCli(['tail', '--topic', 'tool_bench', '--channel', 'bench', `--nsqd-tcp-address=${addr}`, '-n', String(lines), '--log-level', 'warn'], null, '/dev/null')
      dt = (performance.now() - t0) / 1000
      console.log(`tail: ${lines} msgs in ${dt.toFixed(2)}s = ${rate(lines, dt)} msgs/s (nsqkit tail -n ${lines} > /dev/null, process start included)`)
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }

    await toFilePhase(serve)
    await fanOutPhase(serve)
    await memoryAbusePhase()
  } finally {
    await serve.stop()
  }
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
