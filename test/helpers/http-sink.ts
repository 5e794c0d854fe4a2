/**
 * A real HTTP endpoint for the to-http tests and bench: node:http on 127.0.0.1, port 0. It keeps
 * every request (method, URL, headers, body bytes) and answers as its policy says — a status, a
 * delay — so a test can fail the first tries, slow one endpoint down, or answer 200 at once.
 */
import {createServer, type IncomingHttpHeaders, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {HOST} from './net.js'

export interface SinkRequest {
  method: string
  /** path and query, as received */
  url: string
  headers: IncomingHttpHeaders
  body: Buffer
  /** when it arrived (performance.now) */
  at: number
}

export interface SinkAnswer {
  status: number
  /** ms before answering */
  delayMs?: number
}

/** How to answer request number `n` (1-based, counted per sink). */
export type SinkPolicy = (req: SinkRequest, n: number) => SinkAnswer

export class HttpSink {
  readonly requests: SinkRequest[] = []
  /** requests answered with a success status (2xx) */
  ok = 0
  policy: SinkPolicy
  private server: Server | null = null
  private port_ = 0
  /** keep the bodies (the bench turns it off) */
  keep = true
  count = 0

  constructor(policy: SinkPolicy = () => ({status: 200})) {
    this.policy = policy
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        const r: SinkRequest = {method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks), at: performance.now()}
        const n = ++this.count
        if (this.keep) this.requests.push(r)
        const answer = this.policy(r, n)
        const reply = (): void => {
          if (answer.status >= 200 && answer.status < 300) this.ok++
          res.writeHead(answer.status, {'content-type': 'text/plain'})
          res.end(answer.status >= 200 && answer.status < 300 ? 'ok' : 'no')
        }
        if (answer.delayMs) setTimeout(reply, answer.delayMs)
        else reply()
      })
    })
    server.keepAliveTimeout = 30_000
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, HOST, () => resolve())
    })
    this.server = server
    this.port_ = (server.address() as AddressInfo).port
    return this
  }

  get port(): number {
    return this.port_
  }

  /** `http://127.0.0.1:<port><path>` */
  url(path = '/'): string {
    return `http://${HOST}:${this.port_}${path}`
  }

  /** The bodies received, as text, in arrival order. */
  bodies(): string[] {
    return this.requests.map((r) => r.body.toString('utf8'))
  }

  async close(): Promise<void> {
    const s = this.server
    this.server = null
    if (s === null) return
    s.closeAllConnections()
    await new Promise<void>((resolve) => s.close(() => resolve()))
  }
}

export async function startSink(policy?: SinkPolicy): Promise<HttpSink> {
  return new HttpSink(policy).start()
}
