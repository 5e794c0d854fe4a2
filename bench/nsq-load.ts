/**
 * The broker load of nsq's own bench tools, reproduced as they behave, each connection in a
 * process of its own (as their goroutines each run on a core of their own), none in the
 * broker's process:
 *
 *  - writer (bench_writer): IDENTIFY, then MPUB of `batch` × `size`-byte messages, each
 *    waiting for its OK before the next, until `runfor` ms have passed — a time, not a count,
 *    so the channel's backlog grows as far as the broker lets it.
 *  - reader (bench_reader): IDENTIFY (short_id/long_id "test", msg_timeout 3000), SUB, RDY
 *    `rdy`, and a FIN per message through a 4096-byte buffered writer (Go's bufio.Writer: a full
 *    buffer goes out as one write of exactly 4096 bytes, a FIN split across two) that is also
 *    flushed after every FIN while `count % rdy > rdy × 0.75`, and once a second — so per 2,500
 *    messages ~10 writes of 195 FINs, then ~624 writes of one FIN each. It stops after `runfor`
 *    ms or, beyond bench_reader, once nothing came for `idle` ms (the backlog is drained).
 *  - gonsq (go-nsq's Consumer at max_in_flight `rdy` over the connections): RDY rdy/conns, every
 *    FIN written on its own as its handler returns (TCP_NODELAY), RDY sent again when the
 *    count left falls below a quarter of the last one sent (go-nsq's maybeUpdateRDY).
 *  - nsqjs: the real nsqjs Reader, maxInFlight `rdy`, `msg.finish()` per message (one
 *    connection per Reader, as nsqjs makes; run it with conns 1).
 *
 * The readers write as the Go tools do, one write(2) per Go Write or Flush straight on the
 * socket's descriptor (sendNow): the broker gets the same bytes in the same syscalls, and the
 * load process, which shares the machine's cores with the broker, is not charged Node's stream
 * machinery per FIN (~2 µs each: under the go-nsq-like load the two load processes took ~23 s of
 * CPU to the broker's ~11 s, and the three together were the machine's bound).
 *
 * The parent (runLoad) spawns one worker per connection, waits until each is connected, starts
 * them together and reports messages / (the last one's end − the start).
 *
 *   node dist/bench/nsq-load.js <writer|reader|gonsq> <port> <json options>
 *   → "ready", then after "go" on stdin one JSON line {count, endAt, cpuSeconds}
 */
import {spawn} from 'node:child_process'
import {writeSync} from 'node:fs'
import {connect, type Socket} from 'node:net'
import {fileURLToPath} from 'node:url'
import nsq from 'nsqjs'
import {FrameDecoder, FrameType, MAGIC_V2, MESSAGE_HEADER_SIZE, MSG_ID_OFFSET, identify, mpub, rdy, sub} from '../src/core/protocol/index.js'

export type LoadKind = 'writer' | 'reader' | 'gonsq' | 'nsqjs'

export interface LoadOptions {
  topic: string
  channel: string
  /** ms */
  runfor: number
  size: number
  batch: number
  /** RDY (reader) or max_in_flight over all connections (gonsq) */
  rdy: number
  /** ms without a message after which a reader stops */
  idle: number
  conns: number
}

export interface LoadResult {
  count: number
  seconds: number
  /** the busiest worker's CPU (user + system), seconds: near `seconds`, the load itself was the bound */
  workerCpuSeconds: number
}

/** Run `kind` over `opts.conns` worker processes against 127.0.0.1:`port`. */
export async function runLoad(kind: LoadKind, port: number, opts: LoadOptions): Promise<LoadResult> {
  const workers = Array.from({length: opts.conns}, () => spawn(process.execPath, [fileURLToPath(import.meta.url), kind, String(port), JSON.stringify(opts)], {stdio: ['pipe', 'pipe', 'inherit']}))
  const lines = workers.map((w) => {
    let buf = ''
    const waiting: ((line: string) => void)[] = []
    const ready: string[] = []
    w.stdout.setEncoding('utf8')
    w.stdout.on('data', (d: string) => {
      buf += d
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = buf.slice(0, i)
        buf = buf.slice(i + 1)
        const next = waiting.shift()
        if (next) next(line)
        else ready.push(line)
      }
    })
    return (): Promise<string> =>
      new Promise((resolve, reject) => {
        const l = ready.shift()
        if (l !== undefined) return resolve(l)
        waiting.push(resolve)
        w.once('exit', (code) => reject(new Error(`a ${kind} worker exited with ${code}`)))
      })
  })
  await Promise.all(lines.map((next) => next()))
  const start = performance.timeOrigin + performance.now()
  for (const w of workers) w.stdin.write('go\n')
  const results = (await Promise.all(lines.map((next) => next()))).map((l) => JSON.parse(l) as {count: number; endAt: number; cpuSeconds: number})
  const count = results.reduce((n, r) => n + r.count, 0)
  const end = Math.max(...results.map((r) => r.endAt))
  return {count, seconds: (end - start) / 1000, workerCpuSeconds: Math.max(...results.map((r) => r.cpuSeconds))}
}

// ---- the workers ---------------------------------------------------------------------------

const now = (): number => performance.timeOrigin + performance.now()

/** A TCP connection to 127.0.0.1:`port`, Nagle off (the bench's load generators share it). */
export function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => resolve(s))
    s.setNoDelay(true)
    s.once('error', reject)
  })
}

function waitGo(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.setEncoding('utf8')
    process.stdin.once('data', () => resolve())
  })
}

function report(count: number, endAt: number): void {
  const c = process.cpuUsage()
  process.stdout.write(`${JSON.stringify({count, endAt, cpuSeconds: (c.user + c.system) / 1e6})}\n`)
}

async function writer(port: number, o: LoadOptions): Promise<void> {
  const s = await open(port)
  const body = Buffer.alloc(o.size)
  const cmd = mpub(o.topic, Array.from({length: o.batch}, () => body)).encode()
  const dec = new FrameDecoder()
  s.write(MAGIC_V2)
  s.write(identify({client_id: 'writer', hostname: 'writer', user_agent: 'bench_writer'}).encode())
  process.stdout.write('ready\n')
  await waitGo()
  let count = 0
  let identified = false
  const endTime = now() + o.runfor
  await new Promise<void>((resolve, reject) => {
    s.on('data', (chunk: Buffer) => {
      dec.push(chunk)
      for (let f = dec.next(); f; f = dec.next()) {
        if (f.type === FrameType.Error) return reject(new Error(f.data.toString('latin1')))
        if (f.type !== FrameType.Response || f.data.toString('latin1') === '_heartbeat_') continue
        if (!identified) {
          identified = true
          s.write(cmd)
          continue
        }
        count += o.batch
        if (now() > endTime) return resolve()
        s.write(cmd)
      }
    })
  })
  report(count, now())
  s.destroy()
}

/** the socket's file descriptor (Node keeps it on the handle), or -1 */
function fdOf(s: Socket): number {
  const fd = (s as unknown as {_handle?: {fd?: number}})._handle?.fd
  return typeof fd === 'number' ? fd : -1
}

/**
 * One write(2) of `b` on the socket's descriptor, as a Go client's conn.Write is: the broker sees
 * the same bytes in the same syscalls, but the load process does not spend Node's stream
 * machinery on each (~2 µs of its own CPU per small write, on the 2 cores it shares with the
 * broker). Through the stream when it still holds bytes (order) or the kernel's buffer is full.
 * `b` may be reused by the caller once this returns.
 */
function sendNow(s: Socket, fd: number, b: Buffer): void {
  let rest = b
  if (fd >= 0 && s.writableLength === 0) {
    try {
      const n = writeSync(fd, b)
      if (n === b.length) return
      rest = b.subarray(n)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err
    }
  }
  s.write(Buffer.from(rest))
}

/** Go's bufio.Writer over a socket: `size` bytes buffered, a full buffer written whole. */
class BufferedWriter {
  private readonly buf: Buffer
  private n = 0
  private readonly fd: number

  constructor(
    private readonly s: Socket,
    private readonly size = 4096,
  ) {
    this.buf = Buffer.allocUnsafe(size)
    this.fd = fdOf(s)
  }

  write(p: Buffer, from = 0, to = p.length): void {
    while (from < to) {
      const k = Math.min(this.size - this.n, to - from)
      p.copy(this.buf, this.n, from, from + k)
      this.n += k
      from += k
      if (this.n === this.size) this.flush()
    }
  }

  flush(): void {
    if (this.n === 0) return
    sendNow(this.s, this.fd, this.buf.subarray(0, this.n))
    this.n = 0
  }
}

async function reader(port: number, o: LoadOptions, gonsq: boolean): Promise<void> {
  const s = await open(port)
  const dec = new FrameDecoder()
  const perConn = gonsq ? Math.max(1, Math.floor(o.rdy / o.conns)) : o.rdy
  s.write(MAGIC_V2)
  s.write(identify(gonsq ? {client_id: 'gonsq', hostname: 'gonsq', user_agent: 'go-nsq/1.1.0', feature_negotiation: true} : {short_id: 'test', long_id: 'test', msg_timeout: 3000}).encode())
  s.write(sub(o.topic, o.channel).encode())
  process.stdout.write('ready\n')
  await waitGo()
  const rdyCmd = rdy(perConn).encode()
  s.write(rdyCmd)
  const out = new BufferedWriter(s)
  const fd = fdOf(s)
  const fin = Buffer.from('FIN 0123456789abcdef\n', 'latin1')
  let count = 0
  let lastAt = now()
  let rdyLeft = perConn
  const ticker = gonsq ? null : setInterval(() => out.flush(), 1000)
  const started = now()
  let idle: NodeJS.Timeout | null = null
  await new Promise<void>((resolve) => {
    idle = setInterval(() => {
      const t = now()
      if (t - lastAt > o.idle || t - started > o.runfor) resolve()
    }, Math.min(50, o.idle))
    s.on('close', () => resolve())
    s.on('error', () => resolve())
    s.on('data', (chunk: Buffer) => {
      dec.push(chunk)
      for (let f = dec.next(); f; f = dec.next()) {
        if (f.type !== FrameType.Message) {
          if (!gonsq) out.flush()
          continue
        }
        f.data.copy(fin, 4, MSG_ID_OFFSET, MESSAGE_HEADER_SIZE)
        count++
        if (gonsq) {
          // go-nsq: each FIN its own write; RDY again below a quarter of the last count
          sendNow(s, fd, fin)
          if (--rdyLeft <= 1 || rdyLeft < perConn / 4) {
            sendNow(s, fd, rdyCmd)
            rdyLeft = perConn
          }
        } else {
          out.write(fin)
          if (count % o.rdy > o.rdy * 0.75) out.flush()
        }
      }
      lastAt = now()
    })
  }).finally(() => {
    if (ticker) clearInterval(ticker)
    if (idle) clearInterval(idle)
  })
  out.flush()
  report(count, lastAt)
  s.destroy()
  process.exit(0)
}

async function nsqjsReader(port: number, o: LoadOptions): Promise<void> {
  const r = new nsq.Reader(o.topic, o.channel, {nsqdTCPAddresses: [`127.0.0.1:${port}`], maxInFlight: o.rdy})
  let count = 0
  let lastAt = now()
  r.on('message', (msg: nsq.Message) => {
    msg.finish()
    count++
    lastAt = now()
  })
  process.stdout.write('ready\n')
  await waitGo()
  const started = now()
  r.connect()
  await new Promise<void>((resolve) => {
    const t = setInterval(() => {
      const at = now()
      if ((count > 0 && at - lastAt > o.idle) || at - started > o.runfor) {
        clearInterval(t)
        resolve()
      }
    }, Math.min(50, o.idle))
  })
  report(count, lastAt)
  r.close()
  process.exit(0)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [kind, port, json] = process.argv.slice(2)
  const o = JSON.parse(String(json)) as LoadOptions
  const run = kind === 'writer' ? writer(Number(port), o) : kind === 'nsqjs' ? nsqjsReader(Number(port), o) : reader(Number(port), o, kind === 'gonsq')
  run.then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${kind}: ${(err as Error).message}\n`)
      process.exit(1)
    },
  )
}
