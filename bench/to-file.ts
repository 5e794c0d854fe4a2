/**
 * The to-file phase of `npm run bench`: N messages of SIZE bytes published to a topic of the
 * broker, then the built CLI's `nsqkit to-file` started as a child process to drain that
 * channel into files (process start-up included). The clock stops when the broker's /stats say
 * the channel has every message FINed (depth 0, nothing in flight, N messages through it):
 * to-file FINs a message only after the bytes holding it are fsynced, so that is the moment the
 * last one is on disk. Then SIGTERM, and a check that the files hold N records.
 */
import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {gunzipSync} from 'node:zlib'
import {cpuPerMessage, fill, rate, timeDrain, type Broker} from './drain.js'

export interface ToFileBenchOptions {
  messages: number
  size: number
  gzip: boolean
  /** --max-in-flight of the to-file run (its default is 200) */
  maxInFlight: number
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
  await fill(b, topic, channel, o.messages, o.size)
  const dir = mkdtempSync(join(tmpdir(), 'nsqkit-bench-tofile-'))
  try {
    const args = ['to-file', `--topic=${topic}`, `--channel=${channel}`, `--nsqd-tcp-address=127.0.0.1:${b.tcpPort}`, `--output-dir=${dir}`, `--max-in-flight=${o.maxInFlight}`, '--log-level=warn']
    if (o.gzip) args.push('--gzip', '--gzip-level=6')
    const run = await timeDrain(b, topic, channel, o.messages, args, 'TOFILE_PROF')
    const code = await run.stop()
    if (code !== 0) throw new Error(`to-file exited with ${code} after SIGTERM`)
    const got = countRecords(dir, o.gzip)
    if (got.records !== o.messages) throw new Error(`to-file wrote ${got.records} records, expected ${o.messages}`)
    const what = o.gzip ? 'gzip level 6' : 'plain'
    return `to-file ${what}: ${o.messages} msgs of ${o.size} B in ${run.seconds.toFixed(2)}s = ${rate(o.messages, run.seconds)} msgs/s (max-in-flight ${o.maxInFlight}, until the last is fsynced and FINed; ${got.files} file(s), ${(got.bytes / 1e6).toFixed(1)} MB; process start included${cpuPerMessage(run.cpuSeconds, o.messages)}; once flowing: ${rate(o.messages, run.flowSeconds)} msgs/s)`
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
