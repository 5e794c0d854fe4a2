/**
 * Consumer: one topic + channel over any number of nsqd connections, with go-nsq v1.1.0's
 * semantics (NSQ-SPEC §4.3, go-nsq consumer.go).
 *
 * Messages: each goes to the handler (at most `concurrency` at once). It is FINed when the
 * handler returns, REQueued with backoff when it throws (delay default_requeue_delay ×
 * attempts, capped by max_requeue_delay), and given up on (the onGiveUp hook, then FIN) once
 * attempts exceed max_attempts. With disableAutoResponse the handler calls finish(),
 * requeue(delay, backoff) and touch() itself.
 *
 * RDY and backoff (consumer/rdy.ts): max_in_flight spread over the connections, never exceeded
 * in total; a REQ with backoff pauses every connection (RDY 0), then probes with RDY 1.
 *
 * changeMaxInFlight(n) re-spreads at once (go-nsq ChangeMaxInFlight); 0 sends RDY 0 on every
 * connection, even in backoff, so nothing more is delivered and what is in flight can still be
 * answered (a tool whose output closed stops the flow this way before requeueing).
 *
 * Connections: connectToNsqd(addr) connects directly (a lost connection is retried every
 * lookupd_poll_interval) and, as go-nsq, rejects if the first connect fails;
 * connectToNsqdsRetrying(addrs) connects to all at once and retries the ones it cannot reach
 * like lost connections, failing only when it reaches none. connectToLookupd(addr) polls lookupd
 * (consumer/discovery.ts) and connects to every new producer; a lost connection then triggers a
 * lookupd re-query instead.
 *
 * stop(): CLS on every connection, wait for in-flight messages to drain (bounded), close.
 */
import {cls, isValidChannelName, isValidTopicName, req, sub, touch as touchCmd} from '../protocol/index.js'
import {formatDuration} from '../util/duration.js'
import {silentLogger, type Logger} from '../util/logger.js'
import {Connection, type ConnectionDelegate, type Dialer} from './connection.js'
import {ConnectionRefusedError, NotConnectedError, StoppedError, type ProtocolResponseError} from './errors.js'
import {ConnState, type MessageResponder} from './consumer/conn-state.js'
import {LookupdPoller} from './consumer/discovery.js'
import {ConsumerMessage} from './consumer/message.js'
import {Rdy} from './consumer/rdy.js'
import {ConfigError, assertSupported, resolveClientConfig, type ClientConfig} from './options.js'

export {ConsumerMessage}

/**
 * Handles one message. Returning (or resolving) FINs it; throwing (or rejecting) REQueues it
 * with backoff. With `disableAutoResponse` the handler answers the message itself.
 */
export type MessageHandler = (msg: ConsumerMessage) => unknown

export interface ConsumerOptions {
  /** go-nsq's options by their names (README "Options"); durations in ms */
  config?: Partial<ClientConfig>
  /** handlers running at once (go-nsq AddConcurrentHandlers' n); default 1 */
  concurrency?: number
  /** the handler answers each message itself (finish / requeue) */
  disableAutoResponse?: boolean
  /** a message that exceeded max_attempts, just before it is FINed and dropped */
  onGiveUp?: (msg: ConsumerMessage) => void
}

/** What a Consumer is built on; all optional. */
export interface ConsumerDeps {
  /** where the client's log lines go (none by default) */
  logger?: Logger
  /** how the byte stream to nsqd is made (plain TCP by default) */
  dial?: Dialer
  /** the random source of jitter and RDY redistribution (Math.random by default) */
  random?: () => number
}

/** Counters since the consumer was made (go-nsq ConsumerStats). */
export interface ConsumerStats {
  messagesReceived: number
  messagesFinished: number
  messagesRequeued: number
  /** connections open now */
  connections: number
}

/**
 * Consumes one topic + channel from any number of nsqd (go-nsq's Consumer): connect with
 * connectToNsqd or connectToLookupd, stop with stop().
 */
export class Consumer {
  /** the resolved config: the defaults with what was passed over them */
  readonly config: ClientConfig
  private readonly log: Logger
  private readonly random: () => number
  private readonly conns = new Map<string, ConnState>()
  private readonly pending = new Set<string>()
  private readonly nsqdAddrs: string[] = []
  private readonly lookupd: LookupdPoller
  /** the pending reconnects to nsqdAddrs */
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly rdy: Rdy
  private readonly queue: ConsumerMessage[] = []
  private active = 0
  private stopped = false
  private stopWaiters: (() => void)[] = []
  private readonly concurrency: number
  private readonly autoResponse: boolean
  private readonly stats_: ConsumerStats = {messagesReceived: 0, messagesFinished: 0, messagesRequeued: 0, connections: 0}
  /** the Connection's events and the messages' answers, kept off the public surface */
  private readonly delegate: ConnectionDelegate = {
    message: (conn, msg) => this.onMessage(conn, msg),
    response: (conn, data) => this.onResponse(conn, data),
    error: (conn, err) => this.onError(conn, err),
    close: (conn, err) => this.onClose(conn, err),
  }
  private readonly responder: MessageResponder = {
    respond: (cs, msg, kind, delayMs, backoff) => this.respond(cs, msg, kind, delayMs, backoff),
    touch: (cs, msg) => this.touch(cs, msg),
  }

  /**
   * Nothing connects until connectToNsqd / connectToNsqdsRetrying / connectToLookupd.
   * @throws ConfigError for an invalid topic or channel name, an unknown option or a value out of bounds
   */
  constructor(
    readonly topic: string,
    readonly channel: string,
    private readonly handler: MessageHandler,
    private readonly options: ConsumerOptions = {},
    private readonly deps: ConsumerDeps = {},
  ) {
    if (!isValidTopicName(topic)) throw new ConfigError('', `invalid topic name "${topic}"`)
    if (!isValidChannelName(channel)) throw new ConfigError('', `invalid channel name "${channel}"`)
    this.config = resolveClientConfig(options.config)
    assertSupported(this.config)
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1))
    this.autoResponse = !options.disableAutoResponse
    this.log = deps.logger ?? silentLogger
    this.random = deps.random ?? Math.random
    this.rdy = new Rdy(this.conns, this.config, this.log, this.random)
    this.lookupd = new LookupdPoller(topic, this.config, this.log, this.random, (nsqd) => {
      if (this.conns.has(nsqd) || this.pending.has(nsqd)) return
      this.connectOne(nsqd, false).catch((err: unknown) => this.log.error(`(${nsqd}) error connecting to nsqd - ${(err as Error).message}`))
    })
  }

  /** A snapshot of the counters. */
  get stats(): ConsumerStats {
    return {...this.stats_, connections: this.conns.size}
  }

  /** true if any connection has in flight at least 85% of its RDY */
  isStarved(): boolean {
    for (const cs of this.conns.values()) {
      if (cs.inFlight > 0 && cs.inFlight >= Math.floor(cs.rdy * 0.85) && !cs.closing) return true
    }
    return false
  }

  /** Connect to nsqd directly. Resolves once subscribed (SUB sent); rejects if it cannot connect. */
  async connectToNsqd(...addrs: string[]): Promise<void> {
    for (const addr of addrs) await this.connectOne(addr, true)
  }

  /**
   * Connect to several nsqd at once, the way a tool wants it (go-nsq's ConnectToNSQDs gives up
   * at the first refusal): every address is dialled together; one that cannot be reached now is
   * retried every lookupd_poll_interval, as a lost connection is, each failure logged at error
   * with the interval, until it connects (or disconnectFromNsqd / stop). Resolves with the
   * addresses connected now. Rejects only when none connected, and then retries nothing: with
   * the error itself for one address, else a NotConnectedError naming each address and why.
   */
  async connectToNsqdsRetrying(addrs: readonly string[]): Promise<string[]> {
    if (this.stopped) throw new StoppedError('consumer')
    const unique = [...new Set(addrs)]
    const results = await Promise.allSettled(unique.map((addr) => this.connectOne(addr, true)))
    const connected: string[] = []
    const failed: {addr: string; err: Error}[] = []
    results.forEach((r, i) => {
      const addr = unique[i] as string
      if (r.status === 'fulfilled') connected.push(addr)
      else failed.push({addr, err: r.reason as Error})
    })
    if (connected.length === 0) {
      for (const {addr} of failed) this.forgetNsqd(addr)
      const first = failed[0]
      if (first === undefined) return connected
      if (failed.length === 1 || first.err instanceof StoppedError) throw first.err
      throw new NotConnectedError('', `cannot connect to any nsqd (${failed.map(({addr, err}) => `${addr}: ${reasonOf(err)}`).join('; ')})`)
    }
    for (const {addr, err} of failed) {
      if (err instanceof StoppedError) continue
      this.logConnectFailure(addr, err)
      this.scheduleReconnect(addr, false)
    }
    return connected
  }

  /** Change max_in_flight (go-nsq ChangeMaxInFlight). 0: RDY 0 everywhere at once, nothing more comes. */
  changeMaxInFlight(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new ConfigError('max_in_flight', `invalid value for max_in_flight: ${n} (must be >= 0)`)
    this.rdy.setMaxInFlight(n)
  }

  /** Discover nsqd through lookupd (host:port or URL); the first one queries at once. */
  async connectToLookupd(...addrs: string[]): Promise<void> {
    if (this.stopped) throw new StoppedError('consumer')
    await this.lookupd.add(addrs)
  }

  private async connectOne(addr: string, direct: boolean): Promise<void> {
    if (this.stopped) throw new StoppedError('consumer')
    if (this.conns.has(addr) || this.pending.has(addr)) return
    if (direct && !this.nsqdAddrs.includes(addr)) this.nsqdAddrs.push(addr)
    this.pending.add(addr)
    const conn = new Connection(addr, this.config, this.delegate, this.deps)
    try {
      await conn.connect()
    } catch (err) {
      this.pending.delete(addr)
      throw err
    }
    this.pending.delete(addr)
    if (this.stopped) {
      conn.close()
      throw new StoppedError('consumer')
    }
    if (conn.maxRdyCount < this.rdy.maxInFlight) {
      this.log.warn(`(${addr}) max RDY count ${conn.maxRdyCount} < consumer max in flight ${this.rdy.maxInFlight}, truncation possible`)
    }
    conn.write(sub(this.topic, this.channel))
    this.conns.set(addr, new ConnState(conn, this.responder))
    this.log.info(`(${addr}) connected, subscribed to ${this.topic}/${this.channel}`)
    // re-spread max_in_flight: existing connections first, so they can hand RDY over
    this.rdy.spread()
  }

  // ---- messages ---------------------------------------------------------------------------

  private onMessage(conn: Connection, payload: Buffer): void {
    const cs = this.conns.get(conn.addr)
    if (cs === undefined || cs.conn !== conn) return
    cs.inFlight++
    cs.lastMsgAt = Date.now()
    this.stats_.messagesReceived++
    this.queue.push(new ConsumerMessage(payload, cs))
    this.pump()
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      this.active++
      this.handle(this.queue.shift() as ConsumerMessage)
    }
  }

  private handle(msg: ConsumerMessage): void {
    const max = this.config.max_attempts
    if (max > 0 && msg.attempts > max) {
      this.log.warn(`msg ${msg.id} attempted ${msg.attempts} times, giving up`)
      try {
        this.options.onGiveUp?.(msg)
      } catch (err) {
        this.log.error(`onGiveUp failed for msg ${msg.id} - ${(err as Error).message}`)
      }
      msg.finish()
      this.handled()
      return
    }
    let result: unknown
    try {
      result = this.handler(msg)
    } catch (err) {
      this.failed(msg, err)
      return
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      ;(result as PromiseLike<unknown>).then(
        () => {
          if (this.autoResponse) msg.finish()
          this.handled()
        },
        (err: unknown) => this.failed(msg, err),
      )
      return
    }
    if (this.autoResponse) msg.finish()
    this.handled()
  }

  /** A handler finished: its slot goes to the next message waiting. */
  private handled(): void {
    this.active--
    this.pump()
  }

  private failed(msg: ConsumerMessage, err: unknown): void {
    this.log.error(`handler returned error (${(err as Error)?.message ?? String(err)}) for msg ${msg.id}`)
    if (this.autoResponse) msg.requeue(-1)
    this.handled()
  }

  /** FIN or REQ of a message (ConsumerMessage calls this). */
  private respond(cs: ConnState, msg: ConsumerMessage, kind: 'fin' | 'req', delayMs: number, backoff: boolean): void {
    if (cs.inFlight > 0) cs.inFlight--
    if (kind === 'fin') {
      this.stats_.messagesFinished++
      this.rdy.signal('resume')
    } else {
      this.stats_.messagesRequeued++
      this.rdy.signal(backoff ? 'backoff' : 'continue')
    }
    if (cs.conn.connected) {
      if (kind === 'fin') cs.conn.writeFin(msg.payload)
      else {
        const delay = delayMs < 0 ? Math.min(this.config.default_requeue_delay * msg.attempts, this.config.max_requeue_delay) : delayMs
        cs.conn.write(req(msg.id, delay))
      }
    }
    // after CLS, close only once the broker said CLOSE_WAIT (messages it sent before reading
    // CLS may still come) and everything in flight was answered
    if (cs.closeWait && cs.inFlight === 0) cs.conn.close()
  }

  private touch(cs: ConnState, msg: ConsumerMessage): void {
    if (cs.conn.connected) cs.conn.write(touchCmd(msg.id))
  }

  // ---- connection events ----------------------------------------------------------------------

  private onResponse(conn: Connection, data: Buffer): void {
    if (data.length === 10 && data.toString('latin1') === 'CLOSE_WAIT') {
      const cs = this.conns.get(conn.addr)
      if (cs === undefined) return
      cs.closeWait = true
      if (cs.inFlight === 0) conn.close()
    }
    // "OK" to SUB and the like: nothing to do
  }

  private onError(conn: Connection, err: ProtocolResponseError): void {
    this.log.error(`(${conn.addr}) protocol error - ${err.message}`)
  }

  private onClose(conn: Connection, err: Error | null): void {
    const cs = this.conns.get(conn.addr)
    if (cs === undefined || cs.conn !== conn) return
    this.conns.delete(conn.addr)
    this.rdy.removed(cs)
    const left = this.conns.size
    // expected while stopping; worth a warning otherwise
    const line = `(${conn.addr}) connection closed${err ? ` (${err.message})` : ''}; ${left} left`
    if (this.stopped) this.log.info(line)
    else this.log.warn(line)
    if (this.stopped) {
      if (left === 0) this.finishStop()
      return
    }
    // the others may take over this connection's share of max_in_flight
    this.rdy.spread()
    if (this.lookupd.active) void this.lookupd.query()
    else if (this.nsqdAddrs.includes(conn.addr)) this.scheduleReconnect(conn.addr, true)
  }

  /** Try `addr` again after lookupd_poll_interval, and again after each failure (logged). */
  private scheduleReconnect(addr: string, announce: boolean): void {
    if (announce) this.log.info(`(${addr}) re-connecting in ${formatDuration(this.config.lookupd_poll_interval)}`)
    const t = setTimeout(() => {
      this.timers.delete(t)
      if (this.stopped || !this.nsqdAddrs.includes(addr)) return
      this.connectOne(addr, true).catch((err: unknown) => {
        if (this.stopped || err instanceof StoppedError) return
        this.logConnectFailure(addr, err as Error)
        this.scheduleReconnect(addr, false)
      })
    }, this.config.lookupd_poll_interval)
    t.unref()
    this.timers.add(t)
  }

  private logConnectFailure(addr: string, err: Error): void {
    this.log.error(`(${addr}) error connecting to nsqd - ${err.message}; retrying in ${formatDuration(this.config.lookupd_poll_interval)}`)
  }

  private forgetNsqd(addr: string): void {
    const i = this.nsqdAddrs.indexOf(addr)
    if (i >= 0) this.nsqdAddrs.splice(i, 1)
  }

  /** Stop reconnecting to an nsqd given to connectToNsqd (its connection stays until it closes). */
  disconnectFromNsqd(addr: string): void {
    this.forgetNsqd(addr)
    this.conns.get(addr)?.conn.close()
  }

  // ---- stop -------------------------------------------------------------------------------------

  /** CLS everywhere, wait (up to `timeoutMs`) for in-flight messages to be answered, close. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.stopped) {
      this.stopped = true
      this.rdy.stop()
      this.lookupd.halt()
      for (const t of this.timers) clearTimeout(t)
      this.timers.clear()
      for (const cs of this.conns.values()) {
        cs.closing = true
        try {
          cs.conn.write(cls())
        } catch {
          cs.conn.close()
        }
      }
    }
    if (this.conns.size > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          for (const cs of this.conns.values()) cs.conn.destroy()
          resolve()
        }, timeoutMs)
        t.unref()
        this.stopWaiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
    await this.lookupd.close()
  }

  private finishStop(): void {
    const w = this.stopWaiters.splice(0)
    for (const f of w) f()
  }
}

/** Why a connect failed, without the address (the caller names it). */
function reasonOf(err: Error): string {
  return err instanceof ConnectionRefusedError ? 'connection refused' : err.message
}
