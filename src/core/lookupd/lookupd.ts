/**
 * nsqlookupd in one object (NSQ-SPEC §3), the composition root of src/core/lookupd: the
 * registration DB, the TCP protocol V1 sessions of the nsqd that register (protocol-v1.ts) and
 * the HTTP API consumers and tools query (http.ts). `listen()` binds both listeners; `close()`
 * stops them and drops every connection.
 *
 *   nsqd ──TCP V1: IDENTIFY, REGISTER, UNREGISTER, PING──▶ RegistrationDB ◀──HTTP: /lookup …── consumers
 *
 * A peer's registrations go with its connection, as nsqlookupd's: when it closes, the peer is
 * removed from every registration it was in (the registrations themselves stay).
 */
import {createServer as createHttpServer, type Server as HttpServer} from 'node:http'
import {createServer as createTcpServer, type Server as TcpServer, type Socket} from 'node:net'
import {hostname} from 'node:os'
import type {Duplex} from 'node:stream'
import {nowNs as wallNs} from '../util/clock.js'
import {formatHostPort, parseHostPort} from '../util/hostport.js'
import {closeListener, listenOn} from '../util/listen.js'
import {createLogger, withLevel, type Logger} from '../util/logger.js'
import {NSQ_VERSION, NSQKIT_VERSION} from '../version.js'
import {createLookupdHttpHandler, type HttpLookupd} from './http.js'
import {LOOKUPD_OPTIONS, type LookupdOptions} from './options.js'
import {LookupSession, type LookupdContext} from './protocol-v1.js'
import {RegistrationDB} from './registration-db.js'

export interface LookupdDeps {
  /** where log lines go; default: stderr with the --log-prefix (`[nsqlookupd] `) */
  logger?: Logger
  /** the wall clock in ns (last_update, tombstones, inactivity); default: the system's */
  nowNs?: () => bigint
}

export interface LookupdListening {
  tcp: {host: string; port: number}
  http: {host: string; port: number}
}

export class Lookupd implements LookupdContext, HttpLookupd {
  readonly opts: LookupdOptions
  readonly db = new RegistrationDB()
  readonly log: Logger
  readonly version = NSQ_VERSION
  readonly hostname = hostname()
  readonly nowNs: () => bigint
  private readonly sessions = new Set<LookupSession>()
  private tcpServer: TcpServer | null = null
  private httpServer: HttpServer | null = null
  private tcpPort = 0
  private httpPort = 0
  private closed = false

  constructor(options: Partial<LookupdOptions> = {}, deps: LookupdDeps = {}) {
    this.opts = LOOKUPD_OPTIONS.resolve(options)
    const sink = deps.logger ?? createLogger({level: 'debug', prefix: this.opts.logPrefix, write: (l) => process.stderr.write(l)})
    this.log = withLevel(sink, this.opts.logLevel)
    this.nowNs = deps.nowNs ?? wallNs
    this.log.info(`nsqlookupd v${NSQ_VERSION} (nsqkit v${NSQKIT_VERSION}, built w/node ${process.version})`)
  }

  get broadcastAddress(): string {
    return this.opts.broadcastAddress
  }
  get inactiveProducerTimeout(): number {
    return this.opts.inactiveProducerTimeout
  }
  get tombstoneLifetime(): number {
    return this.opts.tombstoneLifetime
  }

  ports(): {tcp: number; http: number} {
    return {tcp: this.tcpPort, http: this.httpPort}
  }

  async listen(): Promise<LookupdListening> {
    const tcpAddr = parseHostPort(this.opts.tcpAddress)
    const httpAddr = parseHostPort(this.opts.httpAddress)
    // TCP_NODELAY, as Go sets on every connection: without it a reply written while the one
    // before is unacknowledged waits for the peer's delayed ACK (~40 ms on Linux)
    const tcp = createTcpServer({noDelay: true}, (sock: Socket) => {
      const remote = formatHostPort({host: sock.remoteAddress ?? '?', port: sock.remotePort ?? 0})
      this.log.info(`TCP: new client(${remote})`)
      this.handle(sock, remote)
    })
    this.tcpServer = tcp
    const http = createHttpServer(createLookupdHttpHandler(this))
    this.httpServer = http
    const tcpInfo = await listenOn(tcp, tcpAddr.host, tcpAddr.port)
    const httpInfo = await listenOn(http, httpAddr.host, httpAddr.port)
    this.tcpPort = tcpInfo.port
    this.httpPort = httpInfo.port
    // both bound before either is announced: a busy port is one error line, no more
    this.log.info(`TCP: listening on ${formatHostPort({host: tcpInfo.address, port: tcpInfo.port})}`)
    this.log.info(`HTTP: listening on ${formatHostPort({host: httpInfo.address, port: httpInfo.port})}`)
    return {tcp: {host: tcpInfo.address, port: tcpInfo.port}, http: {host: httpInfo.address, port: httpInfo.port}}
  }

  /** Serve protocol V1 on `stream` (a socket, or a pair in tests); `remote` is the peer's id. */
  handle(stream: Duplex, remote: string): LookupSession {
    const s = new LookupSession(stream, remote, this, (ended) => this.ended(ended))
    this.sessions.add(s)
    return s
  }

  /** A connection ended: the peer leaves every registration it was in. */
  private ended(s: LookupSession): void {
    this.sessions.delete(s)
    this.log.info(`PROTOCOL(V1): [${s.remote}] exiting ioloop`)
    const peer = s.peer
    if (peer === null) return
    for (const r of this.db.lookupRegistrations(peer.id)) {
      if (this.db.removeProducer(r, peer.id).removed) this.log.info(`DB: client(${s.remote}) UNREGISTER category:${r.category} key:${r.key} subkey:${r.subKey}`)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    const waits: Promise<void>[] = []
    if (this.tcpServer) waits.push(closeListener(this.log, 'TCP', this.tcpServer))
    for (const s of [...this.sessions]) s.close()
    if (this.httpServer) {
      waits.push(closeListener(this.log, 'HTTP', this.httpServer))
      this.httpServer.closeAllConnections()
    }
    await Promise.all(waits)
  }
}
