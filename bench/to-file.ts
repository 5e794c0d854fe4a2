/**
 * The to-file phase of `npm run bench`: N messages of SIZE bytes published to a topic of the
 * broker, then the built CLI's `nsqkit to-file` started as a child process to drain that
 * channel into files (process start-up included). The clock stops when the broker's /stats say
 * the channel has every message FINed (depth 0, nothing in flight, N messages through it):
 * to-file FINs a message only after the bytes holding it are fsynced, so that is the moment the
 * last one is on disk. Then SIGTERM, and a check that the files hold N records.
 */
import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {Producer} from '../src/core/client/producer.js'
import {RUN_JS} from '../test/helpers/serve.js'

export interface Broker {
  tcpPort: number
  httpPort: number
}

export interface ToFileBenchOptions {
  messages: number
  size: number
  gzip: boolean
  /** --max-in-flight of the to-file run (its default is 200) */
  maxInFlight: number
}

interface ChannelStats {
  depth: number
  in_flight_count: number
  message_count: number
}

async function channelStats(b: Broker, topic: string, channel: string): Promise<ChannelStats | null> {
  const res = await fetch(`http://127.0.0.1:${b.httpPort}/stats?format=json&topic=${topic}&channel=${channel}`)
  const doc = (await res.json()) as {topics?: {topic_name: string; channels: (ChannelStats & {channel_name: string})[]}[] | null}
  const t = doc.topics?.find((x) => x.topic_name === topic)
  return t?.channels.find((c) => c.channel_name === channel) ?? null
}

/** Publish `n` messages of `size` bytes (MPUB ×200 over 2 producers). */
async function fill(b: Broker, topic: string, n: number, size: number): Promise<void> {
  const addr = `127.0.0.1:${b.tcpPort}`
  const body = Buffer.alloc(size, 0x63)
  const producers = [new Producer(addr), new Producer(addr)]
  let left = n
  await Promise.all(
    producers.map(async (p) => {
      while (left > 0) {
        const k = Math.min(200, left)
        left -= k
        await p.multiPublish(topic, Array.from({length: k}, () => body))
      }
    }),
  )
  await Promise.all(producers.map((p) => p.stop()))
}

/** Records in the files of `dir` (plain: newlines; gzip: newlines after gunzip). */
function countRecords(dir: string, gzip: boolean): {records: number; files: number; bytes: number} {
  let records = 0
  let bytes = 0
  const names = readdirSync(dir)
  for (const name of names) {
    const path = join(dir, name)
    bytes += statSync(path).size
    const data = gzip ? gunzipSync(readFileSync(path)) : readFileSync(path)
    for (let i = data.indexOf(10); i >= 0; i = data.indexOf(10, i + 1)) records++
  }
  return {records, files: names.length, bytes}
}

/** One to-file run; returns the line the bench prints. */
export async function toFileBench(b: Broker, o: ToFileBenchOptions): Promise<string> {
  const topic = `tofile_bench_${o.gzip ? 'gz' : 'plain'}`
  const channel = 'archive'
  // the channel exists before the messages arrive, so the topic fans them out into it
  await fetch(`http://127.0.0.1:${b.httpPort}/channel/create?topic=${topic}&channel=${channel}`, {method: 'POST'})
  await fill(b, topic, o.messages, o.size)
  const dir = mkdtempSync(join(tmpdir(), 'nsqkit-bench-tofile-'))
  try {
    const args = [RUN_JS, 'to-file', `--topic=${topic}`, `--channel=${channel}`, `--nsqd-tcp-address=127.0.0.1:${b.tcpPort}`, `--output-dir=${dir}`, `--max-in-flight=${o.maxInFlight}`, '--log-level=warn']
    if (o.gzip) args.push('--gzip', '--gzip-level=6')
    const t0 = performance.now()
    const child = spawn(process.execPath, [...(process.env.TOFILE_PROF ? ['--cpu-prof', '--cpu-prof-dir=' + process.env.TOFILE_PROF] : []), ...args], {stdio: ['ignore', 'ignore', 'inherit']})
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    for (;;) {
      const c = await channelStats(b, topic, channel)
      if (c !== null && c.depth === 0 && c.in_flight_count === 0 && c.message_count >= o.messages) break
      if (child.exitCode !== null) throw new Error(`to-file exited early with ${child.exitCode}`)
      await new Promise((r) => setTimeout(r, 10))
    }
    const dt = (performance.now() - t0) / 1000
    child.kill('SIGTERM')
    const code = await exited
    if (code !== 0) throw new Error(`to-file exited with ${code} after SIGTERM`)
    const got = countRecords(dir, o.gzip)
    if (got.records !== o.messages) throw new Error(`to-file wrote ${got.records} records, expected ${o.messages}`)
    const what = o.gzip ? 'gzip level 6' : 'plain'
    return `to-file ${what}: ${o.messages} msgs of ${o.size} B in ${dt.toFixed(2)}s = ${Math.round(o.messages / dt).toLocaleString('en-US')} msgs/s (max-in-flight ${o.maxInFlight}, until the last is fsynced and FINed; ${got.files} file(s), ${(got.bytes / 1e6).toFixed(1)} MB; process start included)`
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
