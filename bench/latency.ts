/**
 * A lone message's way through an idle broker: one connection PUBs a message, another (SUB,
 * RDY 1, FIN each) receives it; the time from the PUB's write to the message frame's arrival,
 * over `n` messages sent one at a time with a pause between them (so each meets an idle broker,
 * as a trickle of events does). Both connections are in this process, the broker in its own:
 * the figure is the broker's turn-around plus two loopback hops, and what the batching of its
 * output costs a message that has nothing to be batched with. Beside it, the yardstick: the same
 * through a Node process that only forwards each read from one connection to the other (two
 * hops, no NSQ) — what this machine's loopback and wake-ups cost at that moment.
 *
 *   node dist/bench/latency.js forward   (the yardstick's forwarder: prints its port)
 */
import {spawn} from 'node:child_process'
import {createServer, type Socket} from 'node:net'
import {fileURLToPath} from 'node:url'
import {FrameDecoder, FrameType, MAGIC_V2, MESSAGE_HEADER_SIZE, MSG_ID_OFFSET, identify, pub, rdy, sub} from '../src/core/protocol/index.js'
import {open} from './nsq-load.js'

export interface Latency {
  n: number
  p50: number
  p99: number
  max: number
}

/** Percentile `p` (0..1) of sorted `xs`. */
const pct = (xs: number[], p: number): number => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] ?? 0

/** `n` lone PUB → delivery times (µs) on topic `topic` of the broker at `port`. */
export async function loneLatency(port: number, topic: string, n = 1000, gapMs = 2): Promise<Latency> {
  const consumer = await open(port)
  const producer = await open(port)
  const cdec = new FrameDecoder()
  const pdec = new FrameDecoder()
  consumer.write(MAGIC_V2)
  consumer.write(identify({client_id: 'latency', hostname: 'latency', user_agent: 'nsqkit-bench'}).encode())
  consumer.write(sub(topic, 'latency').encode())
  producer.write(MAGIC_V2)
  producer.write(identify({client_id: 'latency-pub', hostname: 'latency', user_agent: 'nsqkit-bench'}).encode())
  // the answers to IDENTIFY and SUB first: RDY then, so nothing is sent before it is ready
  await responses(consumer, cdec, 2)
  await responses(producer, pdec, 1)
  consumer.write(rdy(1).encode())
  producer.on('data', (c: Buffer) => pdec.push(c)) // PUB's OKs, not waited for
  const times: number[] = []
  const fin = Buffer.from('FIN 0123456789abcdef\n', 'latin1')
  let sentAt = 0
  let arrived: (() => void) | null = null
  consumer.on('data', (chunk: Buffer) => {
    const at = performance.now()
    cdec.push(chunk)
    for (let f = cdec.next(); f; f = cdec.next()) {
      if (f.type !== FrameType.Message) continue
      times.push((at - sentAt) * 1000)
      f.data.copy(fin, 4, MSG_ID_OFFSET, MESSAGE_HEADER_SIZE)
      consumer.write(Buffer.from(fin))
      arrived?.()
    }
  })
  const cmd = pub(topic, Buffer.alloc(200, 0x6c)).encode()
  await oneAtATime(n, gapMs, () => producer.write(cmd), (sent, got) => ((sentAt = sent), (arrived = got)))
  consumer.destroy()
  producer.destroy()
  return summary(times)
}

/** `n` times, `gapMs` apart: `send()`, then wait for the arrival `arm` is handed (with the send time). */
async function oneAtATime(n: number, gapMs: number, send: () => void, arm: (sentAt: number, arrived: () => void) => void): Promise<void> {
  for (let i = 0; i < n; i++) {
    await new Promise((r) => setTimeout(r, gapMs))
    const got = new Promise<void>((r) => arm(performance.now(), r))
    send()
    await got
  }
}

function summary(times: number[]): Latency {
  const sorted = [...times].sort((a, b) => a - b)
  return {n: sorted.length, p50: pct(sorted, 0.5), p99: pct(sorted, 0.99), max: sorted[sorted.length - 1] ?? 0}
}

/** The yardstick: `n` lone 230-byte writes through a bare forwarding process, one at a time. */
export async function forwarderLatency(n = 1000, gapMs = 2): Promise<Latency> {
  const fwd = spawn(process.execPath, [fileURLToPath(import.meta.url), 'forward'], {stdio: ['ignore', 'pipe', 'inherit']})
  try {
    const port = await new Promise<number>((resolve, reject) => {
      fwd.stdout.once('data', (d: Buffer) => resolve(Number(d.toString('latin1').trim())))
      fwd.once('exit', (code) => reject(new Error(`the forwarder exited with ${code}`)))
    })
    const from = await open(port)
    await new Promise((r) => setTimeout(r, 20)) // the forwarder takes the first connection as its input
    const to = await open(port)
    await new Promise((r) => setTimeout(r, 20))
    const times: number[] = []
    let sentAt = 0
    let arrived: (() => void) | null = null
    to.on('data', () => {
      times.push((performance.now() - sentAt) * 1000)
      arrived?.()
    })
    const bytes = Buffer.alloc(230, 0x6c)
    await oneAtATime(n, gapMs, () => from.write(bytes), (sent, got) => ((sentAt = sent), (arrived = got)))
    from.destroy()
    to.destroy()
    return summary(times)
  } finally {
    fwd.kill()
  }
}

const fmt = (l: Latency): string => `p50 ${l.p50.toFixed(0)} µs, p99 ${l.p99.toFixed(0)} µs, max ${l.max.toFixed(0)} µs`

export function latencyLine(l: Latency, floor: Latency | null): string {
  const yard = floor === null ? '' : `\n  a bare Node forwarder, the same way without NSQ (two loopback hops): ${fmt(floor)}`
  return `lone PUB → consumer: ${fmt(l)} (${l.n} messages one at a time on an idle broker, 2 ms apart)${yard}`
}

function forward(): void {
  let input: Socket | null = null
  let output: Socket | null = null
  const server = createServer((s) => {
    s.setNoDelay(true)
    s.on('error', () => process.exit(0))
    s.on('close', () => process.exit(0))
    if (input === null) {
      input = s
      s.on('data', (d: Buffer) => output?.write(d))
    } else output = s
  })
  server.listen(0, '127.0.0.1', () => {
    const a = server.address()
    process.stdout.write(`${typeof a === 'object' && a !== null ? a.port : 0}\n`)
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'forward') forward()

function responses(s: Socket, dec: FrameDecoder, count: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let left = count
    const onData = (chunk: Buffer): void => {
      dec.push(chunk)
      for (let f = dec.next(); f; f = dec.next()) {
        if (f.type === FrameType.Error) {
          s.off('data', onData)
          reject(new Error(f.data.toString('utf8')))
          return
        }
        if (--left === 0) {
          s.off('data', onData)
          resolve()
          return
        }
      }
    }
    s.on('data', onData)
  })
}
