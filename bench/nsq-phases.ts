/**
 * The broker phases of `npm run bench` under the loads real clients make (nsq-load.ts), against
 * a broker started with the flags nsq's bench.sh gives nsqd (`--mem-queue-size=1000000`; the
 * durable broker otherwise at its defaults), or any broker already running (--tcp-port, with
 * --http-port, default the TCP port + 1, to create the topic and channel as bench.sh does):
 *
 *   0. on the idle broker, a lone PUB's way to a consumer: p50 / p99 (latency.ts)
 *   1. bench_writer for --runfor ms (8,000): the backlog it leaves grows past the memory queue
 *      into the backend; then serve's RSS beside the message bytes it holds in memory
 *   2. bench_reader on that backlog
 *   3. bench_writer again, then the go-nsq-like consumer (max_in_flight 2500 over 2 connections)
 *   4. bench_writer again, then the real nsqjs Reader (maxInFlight 2500)
 *
 * Each line: messages, seconds, msgs/s, and the busiest load process's CPU (when it nears the
 * seconds, the load generator itself was the bound, not the broker).
 */
import {readFileSync} from 'node:fs'
import {forwarderLatency, latencyLine, loneLatency} from './latency.js'
import {runLoad, type LoadKind, type LoadOptions, type LoadResult} from './nsq-load.js'
import {rate} from './drain.js'

export interface PhaseBroker {
  tcpPort: number
  httpPort: number
  /** the broker's pid, when it is a child of the bench (its RSS is read from /proc) */
  pid?: number
}

interface ChannelDepth {
  depth: number
  backend_depth: number
}

async function post(b: PhaseBroker, path: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${b.httpPort}${path}`, {method: 'POST'})
  if (!res.ok) throw new Error(`POST ${path}: ${res.status}`)
}

/** The channel's messages in memory (its depth less what is in the backend). */
async function inMemory(b: PhaseBroker, topic: string, channel: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${b.httpPort}/stats?format=json&topic=${topic}&channel=${channel}&include_clients=false&include_mem=false`)
  const doc = (await res.json()) as {topics?: {topic_name: string; depth: number; backend_depth: number; channels: (ChannelDepth & {channel_name: string})[]}[] | null}
  const t = doc.topics?.find((x) => x.topic_name === topic)
  const c = t?.channels.find((x) => x.channel_name === channel)
  return (t ? t.depth - t.backend_depth : 0) + (c ? c.depth - c.backend_depth : 0)
}

function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null
  try {
    const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'))
    return m ? Number(m[1]) / 1024 : null
  } catch {
    return null
  }
}

function line(name: string, r: LoadResult, what: string): string {
  return `${name}: ${r.count} msgs in ${r.seconds.toFixed(2)}s = ${rate(r.count, r.seconds)} msgs/s (${what}; busiest load process CPU ${r.workerCpuSeconds.toFixed(2)}s)`
}

export async function nsqPhases(b: PhaseBroker, runfor: number, size: number): Promise<string[]> {
  const topic = 'sub_bench'
  const channel = 'ch'
  await post(b, `/topic/create?topic=${topic}`)
  await post(b, `/channel/create?topic=${topic}&channel=${channel}`)
  const o: LoadOptions = {topic, channel, runfor, size, batch: 200, rdy: 2500, idle: 1000, conns: 2}
  const out: string[] = []
  // first, on the idle broker: what a lone message waits
  out.push(latencyLine(await loneLatency(b.tcpPort, 'latency_bench'), await forwarderLatency()))
  const write = async (): Promise<void> => {
    const w = await runLoad('writer', b.tcpPort, o)
    out.push(line('bench_writer', w, `2 conns, MPUB ×200 of ${size} B, each after the last OK, for ${(runfor / 1000).toFixed(0)} s`))
  }
  const read = async (kind: LoadKind, name: string, what: string, conns: number): Promise<void> => {
    // a reader runs until the backlog is drained (nothing for a second), at most a minute
    const r = await runLoad(kind, b.tcpPort, {...o, conns, runfor: 60_000})
    out.push(line(name, r, what))
  }
  await write()
  const rss = rssMb(b.pid)
  const held = await inMemory(b, topic, channel)
  if (rss !== null) out.push(`  after bench_writer: serve RSS ${rss.toFixed(0)} MB holding ${held} messages in memory (${((held * size) / 2 ** 20).toFixed(0)} MB of bodies; ${held > 0 ? ((rss * 2 ** 20) / held).toFixed(0) : '-'} B of RSS per in-memory message)`)
  await read('reader', 'bench_reader', 'RDY 2500 ×2 conns, FINs through a 4 KiB buffered writer flushed while count % 2500 > 1875', 2)
  await write()
  await read('gonsq', 'go-nsq-like consumer', 'max_in_flight 2500 over 2 conns, each FIN its own write, RDY again below 25%', 2)
  await write()
  await read('nsqjs', 'nsqjs Reader', 'maxInFlight 2500, msg.finish() each', 1)
  return out
}
