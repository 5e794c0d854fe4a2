/**
 * What the tool phases of `npm run bench` share: fill a topic's channel with N messages, and
 * time a tool (the built CLI as a child process) until the broker's /stats say the channel has
 * every message FINed (depth 0, nothing in flight or deferred, N messages through it).
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {Agent, get} from 'node:http'
import {Producer} from '../src/core/client/producer.js'
import {RUN_JS} from '../test/helpers/serve.js'

export interface Broker {
  tcpPort: number
  httpPort: number
  /** the broker's process, when it is a child of the bench (its CPU is read from /proc) */
  pid?: number
}

interface ChannelStats {
  depth: number
  in_flight_count: number
  deferred_count: number
  message_count: number
}

/**
 * The polls go through node:http on one kept-alive socket, not fetch: polling every 10 ms with
 * fetch cost this process a quarter of a core (measured with perf during a relay run), taken
 * from the two cores the tools under test share.
 */
const agent = new Agent({keepAlive: true, maxSockets: 1})

function getJson<T>(port: number, path: string): Promise<T> {
  return new Promise((resolve, reject) => {
    get({host: '127.0.0.1', port, path, agent}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as T)
        } catch (err) {
          reject(err as Error)
        }
      })
      res.on('error', reject)
    }).on('error', reject)
  })
}

export async function channelStats(b: Broker, topic: string, channel: string): Promise<ChannelStats | null> {
  // no client lists or memory figures: the poll should cost the broker under test little
  const doc = await getJson<{topics?: {topic_name: string; channels: (ChannelStats & {channel_name: string})[]}[] | null}>(b.httpPort, `/stats?format=json&topic=${topic}&channel=${channel}&include_clients=false&include_mem=false`)
  const t = doc.topics?.find((x) => x.topic_name === topic)
  return t?.channels.find((c) => c.channel_name === channel) ?? null
}

export async function topicMessages(b: Broker, topic: string): Promise<number> {
  const doc = await getJson<{topics?: {topic_name: string; message_count: number}[] | null}>(b.httpPort, `/stats?format=json&topic=${topic}&include_clients=false&include_mem=false`)
  return doc.topics?.find((x) => x.topic_name === topic)?.message_count ?? 0
}

/** Create topic/channel, then publish `n` messages of `size` bytes (MPUB ×200 over 2 producers). */
export async function fill(b: Broker, topic: string, channel: string, n: number, size: number): Promise<void> {
  // the channel exists before the messages arrive, so the topic fans them out into it
  await fetch(`http://127.0.0.1:${b.httpPort}/channel/create?topic=${topic}&channel=${channel}`, {method: 'POST'})
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

export interface Drained {
  /** seconds from the child's spawn to the last FIN */
  seconds: number
  /** seconds from the first message taken (the channel's depth fell below `n`, to a 10 ms poll) to the last FIN */
  flowSeconds: number
  /** the child's CPU time (user + system) by then, in seconds; null where /proc cannot tell */
  cpuSeconds: number | null
  child: ChildProcess
  /** SIGTERM, and the exit code */
  stop(): Promise<number | null>
}

/**
 * Spawn `nsqkit <args>` (with --cpu-prof into $`profEnv` when set) and wait until the channel
 * has all `n` messages FINed and `extra()` (if given) holds too.
 */
export async function timeDrain(b: Broker, topic: string, channel: string, n: number, args: string[], profEnv: string, extra?: () => Promise<boolean>): Promise<Drained> {
  const prof = process.env[profEnv]
  const t0 = performance.now()
  const child = spawn(process.execPath, [...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []), RUN_JS, ...args], {stdio: ['ignore', 'ignore', 'inherit']})
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let first = -1
  for (;;) {
    const c = await channelStats(b, topic, channel)
    if (first < 0 && c !== null && c.depth < n) first = performance.now()
    if (c !== null && c.depth === 0 && c.in_flight_count === 0 && c.deferred_count === 0 && c.message_count >= n && (extra === undefined || (await extra()))) break
    if (child.exitCode !== null) throw new Error(`${args[0]} exited early with ${child.exitCode}`)
    await new Promise((r) => setTimeout(r, 10))
  }
  const t1 = performance.now()
  const seconds = (t1 - t0) / 1000
  return {
    seconds,
    flowSeconds: (t1 - (first < 0 ? t0 : first)) / 1000,
    cpuSeconds: cpuSecondsOf(child.pid),
    child,
    stop: async () => {
      child.kill('SIGTERM')
      return exited
    },
  }
}

/**
 * A process's CPU time so far (Linux: utime + stime of /proc/PID/stat, in clock ticks of 1/100 s).
 * Less swayed by a shared machine's noise than wall time: what a tool costs per message.
 */
export function cpuSecondsOf(pid: number | undefined): number | null {
  if (pid === undefined) return null
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
    // the fields after the command name (which may hold spaces), from field 3 on
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(f[11]) + Number(f[12])) / 100
  } catch {
    return null
  }
}

/** ` (CPU 3.4 µs/msg)`, or nothing where the CPU time is unknown */
export const cpuPerMessage = (cpuSeconds: number | null, n: number): string => (cpuSeconds === null ? '' : `, CPU ${((cpuSeconds * 1e6) / n).toFixed(1)} µs/msg`)

export const rate = (n: number, seconds: number): string => Math.round(n / seconds).toLocaleString('en-US')
