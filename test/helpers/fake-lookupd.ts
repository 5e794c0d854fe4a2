/**
 * nsqlookupd stand-ins for the tests (node:http on 127.0.0.1:0), both recording every request:
 *
 *  - FakeLookupd answers every request with a function the test gives (and may swap), for
 *    answers a real lookupd would not give: errors, odd shapes, the pre-1.0 envelope.
 *  - StatsLookupd answers from the real state of `nsqkit serve` children: GET /topics and
 *    GET /lookup?topic=T read each broker's /stats?format=json at every request and answer in
 *    nsqlookupd 1.3.0's shapes (NSQ-SPEC §3.3), as if every broker had registered with it.
 *    It stands in for a real lookupd until `nsqkit lookupd` exists (issue 8), which tests
 *    should then start instead.
 */
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import {HOST} from './net.js'
import type {ServeChild} from './serve.js'

export interface LookupRequest {
  at: number
  method: string
  path: string
  query: URLSearchParams
  accept: string | undefined
}

export interface LookupAnswer {
  status: number
  /** JSON-encoded unless a string */
  body: unknown
}

export type Answer = (req: LookupRequest) => LookupAnswer | Promise<LookupAnswer>

/** An HTTP server on 127.0.0.1:0 that records each request and sends what `answer` says. */
abstract class RecordingServer {
  readonly requests: LookupRequest[] = []
  private server: Server | null = null
  private listenPort = 0

  protected abstract respond(req: LookupRequest): LookupAnswer | Promise<LookupAnswer>

  /** headers sent with every answer besides content-type and content-length */
  protected extraHeaders(): Record<string, string> {
    return {}
  }

  protected async listen(): Promise<void> {
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', `http://${HOST}`)
      const r: LookupRequest = {at: Date.now(), method: req.method ?? '', path: url.pathname, query: url.searchParams, accept: req.headers.accept}
      this.requests.push(r)
      void Promise.resolve()
        .then(() => this.respond(r))
        .catch((err: unknown) => ({status: 500, body: {message: `INTERNAL_ERROR: ${(err as Error).message}`}}))
        .then(({status, body}) => {
          const text = typeof body === 'string' ? body : JSON.stringify(body)
          res.writeHead(status, {...this.extraHeaders(), 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text)})
          res.end(text)
        })
    })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, HOST, () => resolve())
    })
    const addr = server.address()
    this.listenPort = typeof addr === 'object' && addr !== null ? addr.port : 0
    this.server = server
  }

  get port(): number {
    return this.listenPort
  }

  /** `127.0.0.1:<port>`, as a --lookupd-http-address */
  get addr(): string {
    return `${HOST}:${this.port}`
  }

  /** the requests for `path` so far */
  asked(path: string): LookupRequest[] {
    return this.requests.filter((r) => r.path === path)
  }

  async close(): Promise<void> {
    const server = this.server
    if (server === null) return
    this.server = null
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

/** A fake nsqlookupd: answers every request with `answer`, records what it was asked. */
export class FakeLookupd extends RecordingServer {
  private constructor(public answer: Answer) {
    super()
  }

  static async start(answer: Answer): Promise<FakeLookupd> {
    const self = new FakeLookupd(answer)
    await self.listen()
    return self
  }

  protected respond(req: LookupRequest): LookupAnswer | Promise<LookupAnswer> {
    return this.answer(req)
  }
}

/** A /lookup producers entry for a broker, as nsqlookupd 1.3.0 writes it. */
export function producerEntry(b: ServeChild): Record<string, unknown> {
  return {
    remote_address: '127.0.0.1:1',
    hostname: 'h',
    broadcast_address: HOST,
    tcp_port: b.tcpPort,
    http_port: b.httpPort,
    version: '1.3.0',
  }
}

/** An nsqlookupd that answers /topics and /lookup from the brokers' own /stats (see the header). */
export class StatsLookupd extends RecordingServer {
  private constructor(readonly brokers: ServeChild[]) {
    super()
  }

  static async start(brokers: ServeChild[]): Promise<StatsLookupd> {
    const self = new StatsLookupd(brokers)
    await self.listen()
    return self
  }

  protected override extraHeaders(): Record<string, string> {
    return {'x-nsq-content-type': 'nsq; version=1.0'}
  }

  /** each live broker with its topics (a broker whose /stats cannot be read is left out, as a gone nsqd is) */
  private async state(): Promise<{broker: ServeChild; topics: {name: string; channels: string[]}[]}[]> {
    const all = await Promise.all(
      this.brokers.map(async (broker) => {
        if (!broker.alive) return null
        try {
          const topics = (await broker.topics()).map((t) => ({name: t.topic_name, channels: t.channels.map((c) => c.channel_name)}))
          return {broker, topics}
        } catch {
          return null
        }
      }),
    )
    return all.filter((s) => s !== null)
  }

  protected async respond(req: LookupRequest): Promise<LookupAnswer> {
    if (req.method !== 'GET') return {status: 405, body: {message: 'METHOD_NOT_ALLOWED'}}
    if (req.path === '/topics') {
      const names = new Set((await this.state()).flatMap((s) => s.topics.map((t) => t.name)))
      return {status: 200, body: {topics: [...names]}}
    }
    if (req.path === '/lookup') {
      const topic = req.query.get('topic')
      if (!topic) return {status: 400, body: {message: 'MISSING_ARG_TOPIC'}}
      const having = (await this.state()).filter((s) => s.topics.some((t) => t.name === topic))
      if (having.length === 0) return {status: 404, body: {message: 'TOPIC_NOT_FOUND'}}
      const channels = new Set(having.flatMap((s) => s.topics.filter((t) => t.name === topic).flatMap((t) => t.channels)))
      return {status: 200, body: {channels: [...channels], producers: having.map((s) => producerEntry(s.broker))}}
    }
    return {status: 404, body: {message: 'NOT_FOUND'}}
  }
}
