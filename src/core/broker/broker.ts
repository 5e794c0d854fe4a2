/**
 * The broker: nsqd in one object, and the composition root of src/core/broker. It owns the
 * topics, the connected sessions and the one scan loop for in-flight and deferred deadlines,
 * and it serves the TCP protocol V2 on any Duplex (`handle(stream)`) and the HTTP API
 * (`createHttpHandler`). `listen()` binds the TCP and HTTP listeners; `close()` stops
 * everything. Time (the scan loop, heartbeats, deadlines) comes from the injected Clock.
 *
 *   broker.ts, options.ts, http.ts, stats.ts   this file, the defaults, the HTTP routes, /stats
 *   session/   one client's protocol V2 session: state.ts (what it is), client-session.ts
 *              (the connection: bytes and timers), protocol-v2.ts (the verbs), context.ts
 *              (what a session needs of the broker)
 *   delivery/  topic → channel fan-out, in-flight lanes, deferred wheel, message ids, messages
 *   queue/     the backend-queue contract (backend.ts), memory and null backends, the memory
 *              tier in front of them (message-queue.ts)
 *
 * Imports run downhill only (lint zones and test/unit/broker/layout.test.ts): a published
 * message goes onData → decoder → PUB → topic → channel → dispatch → deliver, and a channel
 * sees a session only as a Subscriber.
 *
 * Storage (storage.ts): with a data path, every non-ephemeral queue is a disk queue in
 * go-diskqueue's files and nsqd.dat records the topics and channels; `open()` locks the path
 * and restores them, `close()` writes what is in memory, in flight and deferred to disk. Without
 * one (an embedder's Broker) the queues stay in memory. Disk writes are flushed before any
 * client output of the same turn (`commit()`), so an OK follows its records' write.
 * TLS (--tls-cert/--tls-key, transport/tls.ts) is built once here: sessions upgrade with it after
 * IDENTIFY, and --https-address serves the HTTP API over it. With TLS required, a plain TCP
 * client may only IDENTIFY, and plain HTTP gets nsqd's 403 TLS_REQUIRED (--tls-required true).
 * Compression and AUTH are reported as unavailable in IDENTIFY.
 */
import {createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse} from 'node:http'
import {createServer as createHttpsServer} from 'node:https'
import {createServer as createTcpServer, type Server as TcpServer, type Socket} from 'node:net'
import {hostname} from 'node:os'
import type {Duplex} from 'node:stream'
import {nowNs, systemClock, type Clock, type Timer} from '../util/clock.js'
import {buildTlsServer, type TlsServer} from '../transport/tls.js'
import {send} from '../http-api/index.js'
import {formatHostPort, parseHostPort} from '../util/hostport.js'
import {closeListener, listenOn} from '../util/listen.js'
import {createLogger, withLevel, type AdjustableLogger, type Logger, type LogLevel} from '../util/logger.js'
import {NSQ_VERSION, NSQKIT_VERSION} from '../version.js'
import {ClientSession} from './session/client-session.js'
import type {BrokerContext} from './session/context.js'
import {AuthServers, type AuthQuery} from './auth/authd.js'
import type {ClientInfo, SessionState} from './session/state.js'
import {GuidFactory} from './delivery/guid.js'
import {createHttpHandler, type HttpBroker} from './http.js'
import {LookupdPeers} from './lookupd-peers.js'
import {decodeChannels, parseJsonBody} from '../protocol/index.js'
import {BROKER_OPTIONS, type BrokerOptions} from './options.js'
import {Topic} from './delivery/topic.js'
import {Storage} from './storage.js'
import type {DiskIO} from './queue/disk-queue.js'

/** The nsqd version the broker speaks as (IDENTIFY, /info, /stats). */
export const NSQD_VERSION = NSQ_VERSION

export interface BrokerDeps {
  /**
   * where log lines go; default: stderr with nsqd's `[nsqd] ` prefix. The broker filters at
   * its own `logLevel` (changed by `PUT /config/log_level`) in front of it; the logger itself
   * is never changed or replaced.
   */
  logger?: Logger
  /** ms time and timers (scan loop, heartbeats, read deadlines, msg timeouts); default: the system's */
  clock?: Clock
  /** the wall clock in ns, for message timestamps; default: hrtime anchored to the wall clock */
  nowNs?: () => bigint
  /** how often each lookupd is pinged (nsqd: 15 s, no flag); for tests */
  lookupdPingMs?: number
  /** the disk queues' file calls (node:fs); for tests that make the disk fail */
  diskIO?: DiskIO
  /**
   * the data path when the dataPath option is '' (nsqd: the working directory, which serve
   * passes); unset, a broker without a dataPath keeps its queues in memory
   */
  defaultDataPath?: string
}

export interface ListenResult {
  tcp: {host: string; port: number}
  http: {host: string; port: number} | null
  /** only with TLS configured */
  https: {host: string; port: number} | null
}

export class Broker implements BrokerContext, HttpBroker {
  readonly opts: BrokerOptions
  readonly log: Logger
  /** this.log, whose level `PUT /config/log_level` changes */
  private readonly levelled: AdjustableLogger
  readonly guid: GuidFactory
  readonly version = NSQD_VERSION
  readonly startTime: number
  readonly clock: Clock
  readonly now: () => number
  readonly nowNs: () => bigint
  private readonly topicMap = new Map<string, Topic>()
  private readonly clientMap = new Map<number, ClientSession>()
  private nextClientId = 1
  private readonly flushQueue: {flush(): void}[] = []
  private flushPending = false
  /** the data path: backends, the flush barrier, the lock, nsqd.dat */
  readonly storage: Storage
  private opened = false
  /** restoring nsqd.dat: the creates it makes are not written back one by one */
  private loading = false
  private readonly scanTimer: Timer
  private tcpServer: TcpServer | null = null
  private httpServer: HttpServer | null = null
  private httpsServer: HttpServer | null = null
  private tcpPort = 0
  private httpPort = 0
  private httpsPort = 0
  /** what sessions upgrade with (tls_v1) and HTTPS serves with; null without a cert and key */
  readonly tls: TlsServer | null
  /** TCP clients must use TLS (--tls-required true or tcp-https, or a client auth policy) */
  readonly tlsRequired: boolean
  /** plain HTTP is refused (--tls-required true, or a client auth policy) */
  private readonly httpsRequired: boolean
  /** the auth servers (--auth-http-address); null when auth is off */
  readonly auth: AuthQuery | null
  private closed = false
  /** the lookupds this broker registers with (--lookupd-tcp-address), connected once listening */
  readonly lookupd: LookupdPeers

  constructor(options: Partial<BrokerOptions> = {}, deps: BrokerDeps = {}) {
    this.opts = BROKER_OPTIONS.resolve(options)
    // nsqd: a client auth policy makes TLS required; requiring it needs a cert and key
    const required = this.opts.tlsClientAuthPolicy !== '' && this.opts.tlsRequired === 'false' ? 'true' : this.opts.tlsRequired
    this.tls = buildTlsServer({
      cert: this.opts.tlsCert,
      key: this.opts.tlsKey,
      rootCaFile: this.opts.tlsRootCaFile,
      clientAuthPolicy: this.opts.tlsClientAuthPolicy,
      minVersion: this.opts.tlsMinVersion,
    })
    if (this.tls === null && required !== 'false') throw new Error('cannot require TLS client connections without TLS key and cert')
    this.tlsRequired = required !== 'false'
    this.httpsRequired = required === 'true'
    this.clock = deps.clock ?? systemClock
    const clock = this.clock
    this.now = () => clock.now()
    this.nowNs = deps.nowNs ?? nowNs
    const sink = deps.logger ?? createLogger({level: 'debug', prefix: '[nsqd] ', write: (l) => process.stderr.write(l)})
    this.levelled = withLevel(sink, this.opts.logLevel)
    this.log = this.levelled
    this.guid = new GuidFactory(this.opts.nodeId, this.now)
    const timeouts = {connectTimeoutMs: this.opts.httpClientConnectTimeout, requestTimeoutMs: this.opts.httpClientRequestTimeout}
    this.auth = this.opts.authHttpAddresses.length === 0 ? null : new AuthServers(this.opts.authHttpAddresses, timeouts, this.log, this.now, this.opts.tlsRootCaFile)
    this.storage = new Storage({...this.opts, dataPath: this.opts.dataPath || (deps.defaultDataPath ?? '')}, this.log, this.now, () => this.armFlush(), deps.diskIO)
    this.startTime = this.now()
    this.scanTimer = clock.setInterval(() => this.scan(), this.opts.queueScanInterval)
    this.lookupd = new LookupdPeers(
      {
        log: this.log,
        clock,
        version: NSQD_VERSION,
        maxBodySize: this.opts.maxBodySize,
        broadcastAddress: () => this.opts.broadcastAddress,
        broadcastPorts: () => this.broadcastPorts(),
        registrations: () => this.registrations(),
      },
      deps.lookupdPingMs,
    )
  }

  /** What a lookupd is told after a connect: each topic without channels, each topic's channels. */
  private registrations(): [string, string][] {
    const out: [string, string][] = []
    for (const t of this.topicMap.values()) {
      if (t.channels.size === 0) out.push([t.name, ''])
      else for (const c of t.channels.keys()) out.push([t.name, c])
    }
    return out
  }

  /**
   * nsqd's GetTopic with lookupd configured: the new topic is held while each lookupd is asked
   * for the topic's channels (GET /channels), the non-ephemeral ones are created, then what was
   * published meanwhile goes to all of them.
   */
  private async precreateChannels(t: Topic, addrs: string[]): Promise<void> {
    const names = new Set<string>()
    let failed = 0
    await Promise.all(
      addrs.map(async (a) => {
        try {
          const res = await fetch(`http://${a}/channels?topic=${encodeURIComponent(t.name)}`, {headers: {Accept: 'application/vnd.nsq; version=1.0'}, signal: AbortSignal.timeout(this.lookupdQueryMs)})
          const text = await res.text()
          if (res.status !== 200) throw new Error(`got response ${res.status} ${text}`)
          for (const c of decodeChannels(parseJsonBody(text)).channels) names.add(c)
        } catch (err) {
          failed++
          this.log.warn(`failed to query nsqlookupd ${a} for channels of topic ${t.name} - ${(err as Error).message}`)
        }
      }),
    )
    if (failed === addrs.length) this.log.warn(`failed to query nsqlookupd for channels to pre-create for topic ${t.name}`)
    if (!t.deleted) {
      // an ephemeral channel is not made without a consumer
      for (const c of names) if (!c.endsWith('#ephemeral')) t.getChannel(c)
    }
    t.start()
  }

  /** nsqd's HTTP client request timeout (--http-client-request-timeout's default) */
  private readonly lookupdQueryMs = 5000

  // ---- topics ---------------------------------------------------------------------------

  getTopic(name: string): Topic {
    let t = this.topicMap.get(name)
    if (t === undefined) {
      t = new Topic(name, {
        memQueueSize: this.opts.memQueueSize,
        maxMsgTimeout: this.opts.maxMsgTimeout,
        maxChannelConsumers: this.opts.maxChannelConsumers,
        tickMs: Math.min(this.opts.queueScanInterval, 100),
        now: this.now,
        backend: this.storage.backend,
        changed: () => this.persistMetadata(),
        keepDeferred: (q, until) => this.storage.keepDeferred(q, until),
        takeDeferred: (q) => this.storage.takeDeferred(q),
        deferredLog: (q, wake) => this.storage.deferredLog(q, wake),
        onEmptyEphemeral: () => {},
        onEmptyEphemeralTopic: (topic) => this.deleteTopic(topic.name),
        onChannelCreated: (topic, ch) => {
          this.log.info(`TOPIC(${topic.name}): new channel(${ch.name})`)
          this.lookupd.notify(topic.name, ch.name, false)
          if (!ch.ephemeral) this.persistMetadata()
        },
        onChannelDeleted: (topic, ch) => {
          this.log.info(`TOPIC(${topic.name}): deleting channel ${ch.name}`)
          this.lookupd.notify(topic.name, ch.name, true)
          if (!ch.ephemeral) this.persistMetadata()
        },
      })
      this.topicMap.set(name, t)
      this.log.info(`TOPIC(${name}): created`)
      this.lookupd.notify(name, '', false)
      if (!t.ephemeral) this.persistMetadata()
      const addrs = this.loading ? [] : this.lookupd.httpAddresses()
      if (addrs.length > 0) {
        t.hold()
        void this.precreateChannels(t, addrs)
      } else if (this.lookupd.addresses.length > 0 && !this.loading) {
        this.log.error(`no available nsqlookupd to query for channels to pre-create for topic ${name}`)
      }
    }
    return t
  }

  getExistingTopic(name: string): Topic | undefined {
    return this.topicMap.get(name)
  }

  deleteTopic(name: string): boolean {
    const t = this.topicMap.get(name)
    if (t === undefined) return false
    this.topicMap.delete(name)
    // nsqd: the topic's UNREGISTER, then one per channel as each is deleted
    this.lookupd.notify(name, '', true)
    for (const c of t.channels.keys()) this.lookupd.notify(name, c, true)
    // memory and null backends delete at once; a disk backend's deletion finishes in the background
    void t.delete()
    this.log.info(`TOPIC(${name}): deleting`)
    if (!t.ephemeral) this.persistMetadata()
    return true
  }

  // ---- the data path ----------------------------------------------------------------------

  /**
   * Take the data path and restore what nsqd.dat records (topics, channels, paused), each queue
   * opening its disk files; then write nsqd.dat back, as nsqd does after loading. Throws
   * DataPathLockedError when another process has the path. listen() calls it if need be.
   */
  open(): void {
    if (this.opened) return
    this.opened = true
    try {
      this.storage.lock()
    } catch (err) {
      // nsqd.New fails before anything starts: nothing to close, nothing to log but the error
      this.closed = true
      this.scanTimer.cancel()
      throw err
    }
    // nsqd's start-up lines (nsqd.New, once the data path is locked): the version
    // (`nsqd v1.3.0 (built w/go1.21.5)`) and the node id
    this.log.info(`nsqd v${NSQD_VERSION} (nsqkit v${NSQKIT_VERSION}, built w/node ${process.version})`)
    this.log.info(`ID: ${this.opts.nodeId}`)
    const meta = this.storage.loadMetadata()
    if (meta !== null) {
      this.loading = true
      try {
        for (const tm of meta.topics) {
          const t = this.getTopic(tm.name)
          if (tm.paused) t.paused = true
          for (const cm of tm.channels) {
            const ch = t.getChannel(cm.name)
            if (cm.paused) ch.paused = true
          }
        }
      } finally {
        this.loading = false
      }
    }
    this.persistMetadata()
  }

  /** nsqd.dat: the non-ephemeral topics and channels and their paused state. */
  persistMetadata(): void {
    if (this.loading || !this.storage.durable || this.closed) return
    const topics = []
    for (const t of this.topicMap.values()) {
      if (t.ephemeral) continue
      const channels = []
      for (const ch of t.channels.values()) if (!ch.ephemeral) channels.push({name: ch.name, paused: ch.paused})
      topics.push({name: t.name, paused: t.paused, channels})
    }
    this.storage.persistMetadata({topics, version: NSQD_VERSION})
  }

  get storageError(): Error | null {
    return this.storage.error
  }

  /** The flush barrier: the disk queues write what was put before any client output leaves. */
  commit(): void {
    this.storage.flush()
  }

  topics(): Iterable<Topic> {
    return this.topicMap.values()
  }

  /** The state of every connected session, in connection order. */
  *clients(): Iterable<SessionState> {
    for (const c of this.clientMap.values()) yield c.state
  }

  /** nsqd's health: `OK`, or `NOK - <error>` while a disk queue cannot write. */
  health(): string {
    const err = this.storage.error
    return err === null ? 'OK' : `NOK - ${err.message}`
  }

  /**
   * `PUT /config/:opt`: one of the options marked settable in options.ts, checked by the table,
   * then applied: the level the broker logs at (a filter in front of its logger, which it leaves
   * as it is), or the lookupd addresses.
   */
  setOption<K extends keyof BrokerOptions>(key: K, value: BrokerOptions[K]): void {
    if (BROKER_OPTIONS.specs[key].settable !== true) throw new Error(`option ${key} cannot be changed while running`)
    BROKER_OPTIONS.check(key, value)
    this.opts[key] = value
    if (key === 'logLevel') {
      this.levelled.setLevel(value as LogLevel)
    } else if (key === 'lookupdTcpAddresses') {
      this.lookupd.setAddresses(value as string[])
    }
  }

  /** The TCP and HTTP ports in effect: the broadcast ports, or the listening ones (nsqd fills them in). */
  broadcastPorts(): {tcp: number; http: number} {
    return {tcp: this.opts.broadcastTcpPort || this.tcpPort, http: this.opts.broadcastHttpPort || this.httpPort}
  }

  info(): object {
    return {
      version: this.version,
      broadcast_address: this.opts.broadcastAddress,
      hostname: hostname(),
      http_port: this.broadcastPorts().http,
      tcp_port: this.broadcastPorts().tcp,
      start_time: Math.floor(this.startTime / 1000),
      max_heartbeat_interval: Math.round(this.opts.maxHeartbeatInterval * 1e6),
      max_output_buffer_size: this.opts.maxOutputBufferSize,
      max_output_buffer_timeout: Math.round(this.opts.maxOutputBufferTimeout * 1e6),
      max_deflate_level: this.opts.maxDeflateLevel,
    }
  }

  // ---- clients --------------------------------------------------------------------------

  /** Serve protocol V2 on a stream (the 4-byte magic first). */
  handle(stream: Duplex, info: ClientInfo = {remoteAddress: 'pipe:0'}): ClientSession {
    const c = new ClientSession(this.nextClientId++, stream, this, info)
    this.clientMap.set(c.id, c)
    return c
  }

  removeClient(id: number): void {
    this.clientMap.delete(id)
  }

  /** Flush every client with output once, at the end of this I/O turn (the disk queues first). */
  scheduleFlush(c: {flush(): void}): void {
    this.flushQueue.push(c)
    this.armFlush()
  }

  private armFlush(): void {
    if (this.flushPending) return
    this.flushPending = true
    setImmediate(this.runFlush)
  }

  private readonly runFlush = (): void => {
    this.flushPending = false
    this.storage.flush()
    const q = this.flushQueue.splice(0)
    for (const client of q) client.flush()
  }

  private scan(): void {
    const now = this.now()
    for (const t of this.topicMap.values()) t.scan(now)
    this.storage.tick(now)
  }

  // ---- listeners ------------------------------------------------------------------------

  async listen(): Promise<ListenResult> {
    this.open()
    const tcpAddr = parseHostPort(this.opts.tcpAddress)
    const tcp = createTcpServer({noDelay: true}, (sock: Socket) => {
      sock.setNoDelay(true)
      const remote = formatHostPort({host: sock.remoteAddress ?? '?', port: sock.remotePort ?? 0})
      const local = formatHostPort({host: sock.localAddress ?? '?', port: sock.localPort ?? 0})
      this.log.info(`TCP: new client(${remote})`)
      this.handle(sock, {remoteAddress: remote, localAddress: local})
    })
    this.tcpServer = tcp
    const tcpInfo = await listenOn(tcp, tcpAddr.host, tcpAddr.port)
    this.tcpPort = tcpInfo.port
    const api = createHttpHandler(this)
    let https: ListenResult['https'] = null
    if (this.tls !== null) {
      const httpsAddr = parseHostPort(this.opts.httpsAddress)
      const srv = createHttpsServer({...this.tls.options, requestCert: this.tls.requestCert, rejectUnauthorized: this.tls.verifyCert}, api)
      srv.keepAliveTimeout = 65_000
      this.httpsServer = srv
      const info = await listenOn(srv, httpsAddr.host, httpsAddr.port)
      this.httpsPort = info.port
      https = {host: info.address, port: info.port}
    }
    let http: ListenResult['http'] = null
    if (this.opts.httpAddress !== '') {
      const httpAddr = parseHostPort(this.opts.httpAddress)
      const srv = createHttpServer(this.httpsRequired ? (req, res) => this.tlsRequiredAnswer(req, res) : api)
      srv.keepAliveTimeout = 65_000
      this.httpServer = srv
      const info = await listenOn(srv, httpAddr.host, httpAddr.port)
      this.httpPort = info.port
      http = {host: info.address, port: info.port}
    }
    // all bound before any is announced, as nsqd: a busy port is one error line, no more
    this.log.info(`TCP: listening on ${formatHostPort({host: tcpInfo.address, port: tcpInfo.port})}`)
    if (https) this.log.info(`HTTPS: listening on ${formatHostPort(https)}`)
    if (http) this.log.info(`HTTP: listening on ${formatHostPort(http)}`)
    // the ports are known now: lookupd is told them in IDENTIFY
    this.lookupd.setAddresses(this.opts.lookupdTcpAddresses)
    return {tcp: {host: tcpInfo.address, port: tcpInfo.port}, http, https}
  }

  /** nsqd's answer on plain HTTP when TLS is required: 403 and where HTTPS listens. */
  private tlsRequiredAnswer(req: IncomingMessage, res: ServerResponse): void {
    req.resume()
    this.log.info(`403 ${req.method ?? 'GET'} ${req.url ?? '/'} (plain HTTP while TLS is required)`)
    send(res, 403, `{"message": "TLS_REQUIRED", "https_port": ${this.httpsPort}}`, 'application/json; charset=utf-8', true)
  }

  /**
   * nsqd's Exit: stop listening, close every client, write nsqd.dat, then close every topic —
   * what is in memory, in flight and deferred goes to its disk queue, which syncs — and let go
   * of the data path.
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.persistMetadata()
    this.closed = true
    this.scanTimer.cancel()
    this.lookupd.close()
    const waits: Promise<void>[] = []
    if (this.auth) waits.push(this.auth.close())
    if (this.tcpServer) waits.push(closeListener(this.log, 'TCP', this.tcpServer))
    for (const c of [...this.clientMap.values()]) c.destroy()
    if (this.httpServer) {
      waits.push(closeListener(this.log, 'HTTP', this.httpServer))
      this.httpServer.closeAllConnections()
    }
    if (this.httpsServer) {
      waits.push(closeListener(this.log, 'HTTPS', this.httpsServer))
      this.httpsServer.closeAllConnections()
    }
    await Promise.all(waits)
    await Promise.all([...this.topicMap.values()].map((t) => t.close()))
    this.topicMap.clear()
    this.storage.flush()
    this.storage.unlock()
  }
}

