/**
 * The yardstick of the to-http phase: undici alone, in a process of its own, POSTing N bodies of
 * `size` bytes to the same sink with 100 requests under way over a Pool of 100 connections —
 * the requests to-http makes (its headers, its dispatch API), without NSQ, oclif or an engine.
 * What this machine's HTTP stack can do at that moment is the ceiling to-http's figure sits
 * under; the two are printed side by side.
 *
 *   node dist/bench/http-ceiling.js <url> <n> <size>   → one JSON line {seconds, cpuSeconds}
 */
import {spawn} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {Pool} from 'undici'

export interface Ceiling {
  /** from the first request sent to the last answer */
  seconds: number
  /** the process's CPU (user + system) over those seconds */
  cpuSeconds: number
}

/** Run the yardstick as a child process against `url`. */
export async function httpCeiling(url: string, n: number, size: number): Promise<Ceiling> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), url, String(n), String(size)], {stdio: ['ignore', 'pipe', 'inherit']})
  let out = ''
  child.stdout.setEncoding('utf8')
  child.stdout.on('data', (d: string) => (out += d))
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
  if (code !== 0) throw new Error(`the HTTP yardstick exited with ${code}`)
  return JSON.parse(out) as Ceiling
}

async function run(url: string, n: number, size: number): Promise<Ceiling> {
  const target = new URL(url)
  const pool = new Pool(target.origin, {connections: 100})
  const headers = {'user-agent': 'nsq_to_http v1.3.0', 'content-type': 'application/octet-stream'}
  const body = Buffer.alloc(size, 0x63)
  let sent = 0
  let answered = 0
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  await new Promise<void>((resolve, reject) => {
    const next = (): void => {
      if (sent === n) return
      sent++
      pool.dispatch(
        {path: target.pathname, method: 'POST', headers, body},
        {
          onConnect: () => undefined,
          onHeaders: (status: number) => {
            if (status !== 200) reject(new Error(`the sink answered ${status}`))
            return true
          },
          onData: () => true,
          onComplete: () => {
            if (++answered === n) resolve()
            else next()
          },
          onError: reject,
        },
      )
    }
    for (let i = 0; i < 100; i++) next()
  })
  const cpu = process.cpuUsage(c0)
  const seconds = (performance.now() - t0) / 1000
  await pool.close()
  return {seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6}
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url, n, size] = process.argv.slice(2)
  run(String(url), Number(n), Number(size)).then(
    (c) => process.stdout.write(`${JSON.stringify(c)}\n`),
    (err: unknown) => {
      process.stderr.write(`${(err as Error).message}\n`)
      process.exit(1)
    },
  )
}
