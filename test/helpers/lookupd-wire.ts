/**
 * nsqlookupd's TCP protocol V1 from the nsqd side, for the tests (NSQ-SPEC §3.2): a raw socket
 * that sends bytes as given and reads the `[int32 BE size][data]` replies one by one, with a
 * deadline; plus an in-process Lookupd on 127.0.0.1:0 whose log lines are collected, and its
 * HTTP API over fetch.
 */
import assert from 'node:assert/strict'
import {connect, type Socket} from 'node:net'
import {Lookupd, type LookupdOptions} from '../../src/core/lookupd/index.js'
import {createLogger} from '../../src/core/util/logger.js'
import {HOST} from './net.js'
import {rawBodyCommand} from './scenario.js'
import {withTimeout} from './wait.js'

export const MAGIC_V1 = '  V1'

/** `IDENTIFY\n` + an honest size + the body (an object is JSON-encoded). */
export function identifyCmd(body: object | string | Buffer): Buffer {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8')
  return rawBodyCommand('IDENTIFY', b.length, b)
}

/** What an nsqd sends in its IDENTIFY (ports of its own: they need not be listened on). */
export interface PeerBody {
  broadcast_address: string
  tcp_port: number
  http_port: number
  version: string
  hostname: string
}

export class V1Client {
  private buf = Buffer.alloc(0)
  private readonly replies: Buffer[] = []
  private waiters: (() => void)[] = []
  closed = false
  readonly closedPromise: Promise<void>

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk])
      while (this.buf.length >= 4) {
        const size = this.buf.readInt32BE(0)
        if (this.buf.length < 4 + size) break
        this.replies.push(Buffer.from(this.buf.subarray(4, 4 + size)))
        this.buf = this.buf.subarray(4 + size)
      }
      this.wake()
    })
    socket.on('error', () => undefined)
    this.closedPromise = new Promise((resolve) =>
      socket.on('close', () => {
        this.closed = true
        this.wake()
        resolve()
      }),
    )
  }

  /** Connect to 127.0.0.1:`port` and send the magic ("  V1" unless given another; false: none). */
  static async connect(port: number, magic: string | Buffer | false = MAGIC_V1): Promise<V1Client> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect(port, HOST, () => resolve(s))
      s.once('error', reject)
    })
    socket.setNoDelay(true)
    const c = new V1Client(socket)
    if (magic !== false) socket.write(magic)
    return c
  }

  /** `host:port` of this end: the peer's id and remote_address at lookupd */
  get localAddress(): string {
    return `${this.socket.localAddress ?? ''}:${this.socket.localPort ?? 0}`
  }

  private wake(): void {
    const w = this.waiters
    this.waiters = []
    for (const f of w) f()
  }

  send(...items: (string | Buffer)[]): this {
    for (const it of items) this.socket.write(typeof it === 'string' ? Buffer.from(it, 'latin1') : it)
    return this
  }

  /** The next reply's data (as text); rejects after `timeoutMs` or when the connection closed first. */
  async reply(timeoutMs = 2000): Promise<string> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const r = this.replies.shift()
      if (r !== undefined) return r.toString('utf8')
      if (this.closed) throw new Error('connection closed before a reply arrived')
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no reply within ${timeoutMs}ms`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  /** Send `line\n` and return the reply. */
  async command(line: string, timeoutMs?: number): Promise<string> {
    this.send(`${line}\n`)
    return this.reply(timeoutMs)
  }

  /** IDENTIFY with `body` and return the reply parsed as JSON (fails on an E_ reply). */
  async identify(body: object | string | Buffer): Promise<Record<string, unknown>> {
    this.send(identifyCmd(body))
    const r = await this.reply()
    assert.ok(!r.startsWith('E_'), `IDENTIFY refused: ${r}`)
    return JSON.parse(r) as Record<string, unknown>
  }

  /** Resolves true if nothing arrives within `ms` (and the connection stays open). */
  async silentFor(ms: number): Promise<boolean> {
    try {
      await this.reply(ms)
      return false
    } catch {
      return !this.closed
    }
  }

  async waitClosed(timeoutMs = 2000): Promise<void> {
    await withTimeout(this.closedPromise, timeoutMs, 'lookupd closing the connection (still open)')
  }

  close(): void {
    this.socket.destroy()
  }
}

/** lookupd answered exactly one reply, `text`, and then closed the connection. */
export async function expectFatalV1(c: V1Client, text: string, timeoutMs = 2000): Promise<void> {
  assert.equal(await c.reply(timeoutMs), text)
  await c.waitClosed(timeoutMs)
  assert.equal(await c.reply(10).catch(() => null), null, 'nothing after the error')
}

/** An in-process Lookupd on 127.0.0.1:0, its collected log lines, its HTTP API and its V1 clients. */
export class TestLookupd {
  readonly lines: string[] = []
  readonly clients: V1Client[] = []
  tcpPort = 0
  httpPort = 0
  readonly lookupd: Lookupd

  constructor(opts: Partial<LookupdOptions> = {}) {
    const logger = createLogger({level: 'debug', write: (l) => this.lines.push(l)})
    this.lookupd = new Lookupd({tcpAddress: `${HOST}:0`, httpAddress: `${HOST}:0`, broadcastAddress: 'lookupd-test-host', ...opts}, {logger})
  }

  static async start(opts: Partial<LookupdOptions> = {}): Promise<TestLookupd> {
    const t = new TestLookupd(opts)
    const l = await t.lookupd.listen()
    t.tcpPort = l.tcp.port
    t.httpPort = l.http.port
    return t
  }

  async connect(magic?: string | Buffer | false): Promise<V1Client> {
    const c = await V1Client.connect(this.tcpPort, magic)
    this.clients.push(c)
    return c
  }

  /** A connected, identified peer claiming `body` (defaults: broadcast 127.0.0.1, ports 4150/4151). */
  async peer(body: Partial<PeerBody> = {}): Promise<V1Client> {
    const c = await this.connect()
    await c.identify({broadcast_address: HOST, tcp_port: 4150, http_port: 4151, version: '1.3.0', hostname: 'nsqd-host', ...body})
    return c
  }

  http(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`http://${HOST}:${this.httpPort}${path}`, {signal: AbortSignal.timeout(3000), ...init})
  }

  /** GET `path`: expects 200 and returns the JSON body. */
  async get<J = unknown>(path: string): Promise<J> {
    const res = await this.http(path)
    const text = await res.text()
    assert.equal(res.status, 200, `GET ${path}: ${res.status} ${text}`)
    return JSON.parse(text) as J
  }

  /** POST `path`: expects 200. */
  async post(path: string): Promise<void> {
    const res = await this.http(path, {method: 'POST'})
    const text = await res.text()
    assert.equal(res.status, 200, `POST ${path}: ${res.status} ${text}`)
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.close()
    await this.lookupd.close()
  }
}

/** Run `fn` against a fresh TestLookupd, closed afterwards. */
export async function withLookupd(opts: Partial<LookupdOptions>, fn: (l: TestLookupd) => Promise<void>): Promise<void> {
  const l = await TestLookupd.start(opts)
  try {
    await fn(l)
  } finally {
    await l.close()
  }
}
