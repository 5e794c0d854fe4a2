/**
 * Memory after abuse: a fresh broker's RSS before, at its peak during, and after `seconds` of
 * malformed input from a process of its own, as an operator's broker meets it from a broken
 * or hostile peer:
 *
 *   - random bytes after the magic (a connection speaking something else)
 *   - absurd size prefixes (PUB and MPUB claiming 4 GiB bodies)
 *   - 1 MB lines (a command line with no newline for 1 MB)
 *   - three floods of 64 MB with no boundary at all
 *   - two bursts of 1,000 connections (magic, held a second, closed)
 *
 * The broker must answer each with its error and close, and hand the memory back: the line
 * gives RSS idle, the peak, and what is left 10 s and 30 s after the last of it.
 *
 *   node dist/bench/flood.js <port> <seconds>   (the worker: the abuse, then exits)
 */
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {readFileSync} from 'node:fs'
import {connect, type Socket} from 'node:net'
import {fileURLToPath} from 'node:url'
import {startServe} from '../test/helpers/serve.js'

const MAGIC = Buffer.from('  V2')

/** VmRSS of `pid` in MB, or null where /proc does not tell. */
export function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))
    return m ? Number(m[1]) / 1024 : null
  } catch {
    return null
  }
}

export interface FloodResult {
  idleMb: number
  peakMb: number
  /** RSS after each of the quiet times, by its seconds */
  after: [number, number][]
  seconds: number
}

/** A fresh broker, `seconds` of the abuse, then quiet; RSS idle, at the peak, and `quiet` seconds after. */
export async function floodPhase(seconds: number, quiet: number[] = [10, 30], extraArgs: string[] = []): Promise<FloodResult> {
  const serve = await startServe(extraArgs)
  try {
    const pid = serve.proc.pid
    await new Promise((r) => setTimeout(r, 1000))
    const idleMb = rssMb(pid) ?? 0
    let peakMb = idleMb
    const sample = setInterval(() => (peakMb = Math.max(peakMb, rssMb(pid) ?? 0)), 100)
    const worker = spawn(process.execPath, [fileURLToPath(import.meta.url), String(serve.tcpPort), String(seconds)], {stdio: ['ignore', 'ignore', 'inherit']})
    const code = await new Promise<number | null>((resolve) => worker.once('exit', (c) => resolve(c)))
    if (code !== 0) throw new Error(`the flood worker exited with ${code}`)
    clearInterval(sample)
    const t0 = performance.now()
    const after: [number, number][] = []
    for (const q of quiet) {
      await new Promise((r) => setTimeout(r, Math.max(0, t0 + q * 1000 - performance.now())))
      after.push([q, rssMb(pid) ?? 0])
    }
    // the broker must still serve after all that
    const s = await open(serve.tcpPort)
    s.destroy()
    return {idleMb, peakMb, after, seconds}
  } finally {
    await serve.stop()
  }
}

export function floodLine(r: FloodResult): string {
  const after = r.after.map(([q, mb]) => `${mb.toFixed(0)} MB ${q} s after`).join(', ')
  return `flood: serve RSS ${r.idleMb.toFixed(0)} MB idle, ${r.peakMb.toFixed(0)} MB at the peak of ${r.seconds} s of malformed input (random bytes, 4 GiB size prefixes, 1 MB lines, three 64 MB floods with no boundary, two bursts of 1,000 connections), ${after}`
}

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({host: '127.0.0.1', port}, () => resolve(s))
    s.once('error', reject)
  })
}

/** Write `chunks` (as fast as the broker takes them) and wait for the broker to close; errors are the point. */
function abuse(port: number, chunks: () => Buffer | null): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({host: '127.0.0.1', port})
    const done = (): void => {
      s.destroy()
      resolve()
    }
    s.on('error', done)
    s.on('close', done)
    s.on('data', () => undefined)
    s.setTimeout(5000, done)
    const pump = (): void => {
      for (;;) {
        const c = chunks()
        if (c === null) return
        if (!s.write(c)) {
          s.once('drain', pump)
          return
        }
      }
    }
    s.once('connect', () => {
      s.write(MAGIC)
      pump()
    })
  })
}

/** `n` chunks of `chunk`, then nothing more. */
function times(chunk: Buffer, n: number): () => Buffer | null {
  let i = 0
  return () => (i++ < n ? chunk : null)
}

function once(chunk: Buffer): () => Buffer | null {
  return times(chunk, 1)
}

async function burst(port: number, n: number): Promise<void> {
  const socks = await Promise.all(
    Array.from({length: n}, async () => {
      try {
        const s = await open(port)
        s.on('error', () => undefined)
        s.write(MAGIC)
        return s
      } catch {
        return null
      }
    }),
  )
  await new Promise((r) => setTimeout(r, 1000))
  for (const s of socks) s?.destroy()
}

async function worker(port: number, seconds: number): Promise<void> {
  const end = Date.now() + seconds * 1000
  const absurdPub = Buffer.concat([Buffer.from('PUB t\n'), Buffer.from([0xff, 0xff, 0xff, 0xff]), randomBytes(64)])
  const absurdMpub = Buffer.concat([Buffer.from('MPUB t\n'), Buffer.from([0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 9]), randomBytes(64)])
  const line = Buffer.alloc(1024 * 1024, 0x61)
  const flood = Buffer.alloc(1024 * 1024, 0x78)
  // the rare ones at fixed points of the run, the rest over and over until the end
  const at = (f: number): number => Date.now() + seconds * 1000 * f
  const rare: {at: number; run: () => Promise<void>}[] = [
    {at: at(0.1), run: () => abuse(port, times(flood, 64))},
    {at: at(0.3), run: () => burst(port, 1000)},
    {at: at(0.45), run: () => abuse(port, times(flood, 64))},
    {at: at(0.6), run: () => burst(port, 1000)},
    {at: at(0.75), run: () => abuse(port, times(flood, 64))},
  ]
  const rareDone: Promise<void>[] = []
  while (Date.now() < end) {
    while (rare.length > 0 && (rare[0]?.at ?? Infinity) <= Date.now()) rareDone.push((rare.shift() as (typeof rare)[number]).run())
    await Promise.all([
      abuse(port, once(randomBytes(64 * 1024))),
      abuse(port, once(absurdPub)),
      abuse(port, once(absurdMpub)),
      abuse(port, times(line, 1)),
    ])
  }
  for (const r of rare) rareDone.push(r.run())
  await Promise.all(rareDone)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  worker(Number(process.argv[2]), Number(process.argv[3])).then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err)
      process.exit(1)
    },
  )
}
