/**
 * The to-http phase's endpoint: node:http in a process of its own that answers every POST with
 * an empty 200 at once and counts them (GET /count tells the count). Its own process, so its
 * event loop is not the bench's (which polls the broker every 10 ms) and its CPU shows apart.
 *
 *   node dist/bench/sink.js   → prints its port, serves until killed
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {createServer, get} from 'node:http'
import type {AddressInfo} from 'node:net'
import {fileURLToPath} from 'node:url'

export interface BareSink {
  readonly port: number
  url(path: string): string
  /** POSTs answered so far */
  count(): Promise<number>
  close(): Promise<void>
}

export async function startBareSink(): Promise<BareSink> {
  const child: ChildProcess = spawn(process.execPath, [fileURLToPath(import.meta.url)], {stdio: ['ignore', 'pipe', 'inherit']})
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(Number(d.toString('latin1').trim())))
    child.once('exit', (code) => reject(new Error(`the sink exited with ${code}`)))
  })
  return {
    port,
    url: (path) => `http://127.0.0.1:${port}${path}`,
    count: () =>
      new Promise((resolve, reject) => {
        get({host: '127.0.0.1', port, path: '/count'}, (res) => {
          let s = ''
          res.setEncoding('latin1')
          res.on('data', (d: string) => (s += d))
          res.on('end', () => resolve(Number(s)))
        }).on('error', reject)
      }),
    close: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGTERM')
      await exited
    },
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let posts = 0
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/count') {
      res.end(String(posts))
      return
    }
    req.resume()
    req.on('end', () => {
      posts++
      res.writeHead(200, {'content-length': 0})
      res.end()
    })
  })
  server.keepAliveTimeout = 30_000
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`))
  process.on('SIGTERM', () => process.exit(0))
}
