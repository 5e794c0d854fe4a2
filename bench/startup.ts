/**
 * The start-up phase of `npm run bench`: what a shell pipeline or a cron line pays on every call.
 * Each command line runs RUNS times as a child process (the built CLI, as a user's shell runs
 * it); the figure is the median wall time from spawn to exit, or, for `nsq_tail -n 1`, from
 * spawn to the first line on stdout (a message is waiting on the channel before each run).
 * `node -e 0` is the floor: Node itself, before any nsqkit code.
 *
 * Alone: `node dist/bench/startup.js [--runs N]` (starts its own `serve`).
 */
import {spawn} from 'node:child_process'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {REPO_ROOT, RUN_JS, startServe} from '../test/helpers/serve.js'

const BIN = join(REPO_ROOT, 'bin')

export interface StartupFigure {
  /** the command line as a user types it */
  line: string
  /** milliseconds, sorted */
  runs: number[]
  median: number
}

/** ms from spawn to exit (or to the first stdout line with `firstLine`); rejects on a failure. */
function once(argv: string[], firstLine = false): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn(process.execPath, argv, {stdio: ['ignore', 'pipe', 'pipe']})
    let out = ''
    let err = ''
    let at = -1
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (d: string) => {
      out += d
      if (at < 0 && out.includes('\n')) at = performance.now() - t0
    })
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (d: string) => (err += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const total = performance.now() - t0
      if (code !== 0) return reject(new Error(`${argv.join(' ')} exited with ${code}:\n${err}`))
      if (firstLine && at < 0) return reject(new Error(`${argv.join(' ')} printed no line:\n${err}`))
      resolve(firstLine ? at : total)
    })
  })
}

const median = (sorted: number[]): number => {
  const m = sorted.length >> 1
  return sorted.length % 2 === 1 ? (sorted[m] as number) : ((sorted[m - 1] as number) + (sorted[m] as number)) / 2
}

async function measure(line: string, runs: number, one: () => Promise<number>): Promise<StartupFigure> {
  await one() // the first run warms the file cache; not counted
  const times: number[] = []
  for (let i = 0; i < runs; i++) times.push(await one())
  times.sort((a, b) => a - b)
  return {line, runs: times, median: median(times)}
}

async function post(httpPort: number, path: string, body?: string): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {method: 'POST', body})
  if (res.status !== 200) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`)
}

/** The start-up figures; `broker`: a running broker's ports (one is started without it). */
export async function startup(runs = 10, broker?: {tcpPort: number; httpPort: number}): Promise<StartupFigure[]> {
  const figures: StartupFigure[] = []
  const add = async (line: string, one: () => Promise<number>): Promise<void> => {
    const f = await measure(line, runs, one)
    figures.push(f)
    console.log(`startup: ${line.padEnd(26)} median ${f.median.toFixed(0).padStart(4)} ms (min ${(f.runs[0] as number).toFixed(0)}, max ${(f.runs[f.runs.length - 1] as number).toFixed(0)}, ${runs} runs)`)
  }
  await add('node -e 0', () => once(['-e', '0']))
  await add('nsqkit --version', () => once([RUN_JS, '--version']))
  await add('nsq_tail --help', () => once([join(BIN, 'nsq_tail'), '--help']))
  await add('to_nsq -version', () => once([join(BIN, 'to_nsq'), '-version']))
  const serve = broker ? null : await startServe()
  const b = broker ?? (serve as {tcpPort: number; httpPort: number})
  try {
    const topic = 'startup_bench'
    await post(b.httpPort, `/topic/create?topic=${topic}`)
    await post(b.httpPort, `/channel/create?topic=${topic}&channel=c`)
    await add('nsq_tail -n 1 (first line)', async () => {
      await post(b.httpPort, `/pub?topic=${topic}`, 'waiting')
      return once([join(BIN, 'nsq_tail'), `-topic=${topic}`, '-channel=c', `-nsqd-tcp-address=127.0.0.1:${b.tcpPort}`, '-n=1'], true)
    })
  } finally {
    await serve?.stop()
  }
  return figures
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const i = process.argv.indexOf('--runs')
  startup(i >= 0 ? Number(process.argv[i + 1]) : 10).catch((e: unknown) => {
    console.error(e)
    process.exitCode = 1
  })
}
