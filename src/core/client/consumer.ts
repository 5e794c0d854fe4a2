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
 * RDY: max_in_flight is spread over the connections (per connection
 * min(max(1, max_in_flight / conns), max_in_flight), capped by the broker's max_rdy_count),
 * re-spread when a connection comes or goes, never more than max_in_flight in total, and RDY
 * is written only when it changes. When there are more connections than max_in_flight (or in
 * backoff), every rdy_redistribute_interval idle connections give up their RDY and RDY 1 goes
 * to randomly chosen ones.
 *
 * Backoff: a REQ with backoff raises a counter (while multiplier × 2^n fits under
 * max_backoff_duration), a FIN lowers it. While it is above 0 every connection gets RDY 0 for
 * the strategy's wait (exponential, or full_jitter), then one random connection gets RDY 1 as
 * a probe. At 0 every connection is restored.
 *
 * changeMaxInFlight(n) re-spreads at once (go-nsq ChangeMaxInFlight); 0 sends RDY 0 on every
 * connection, even in backoff, so nothing more is delivered and what is in flight can still be
 * answered (a tool whose output closed stops the flow this way before requeueing).
 *
 * Discovery: connectToNsqd(addr) connects directly (a lost connection is retried every
 * lookupd_poll_interval) and, as go-nsq, rejects if the first connect fails;
 * connectToNsqdsRetrying(addrs) connects to all at once and retries the ones it cannot reach
 * like lost connections, failing only when it reaches none. connectToLookupd(addr) queries
 * lookupd at once, then after a random jitter every lookupd_poll_interval, one lookupd per poll
 * round-robin (3 tries), and connects to every new producer. A lost connection triggers a lookupd re-query instead.
 *
 * stop(): CLS on every connection, wait for in-flight messages to drain (bounded), close.
 */
import {cls, fin, isValidChannelName, isValidTopicName, rdy, req, sub, touch as touchCmd, type Message} from '../protocol/index.js'
import {formatDuration} from '../util/duration.js'
import {silentLogger, type Logger} from '../util/logger.js'
import {Connection, type ConnectionDelegate, type Dialer} from './connection.js'
import {ConnectionRefusedError, NotConnectedError, StoppedError, type ProtocolResponseError} from './errors.js'
import {LookupdClient, producerAddress} from './lookupd.js'
import {ConfigError, assertSupported, resolveClientConfig, type ClientConfig} from './options.js'

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

/** How a ConsumerMessage answers: through the consumer that received it. */
export interface MessageResponder {
  respond(cs: ConnState, msg: ConsumerMessage, kind: 'fin' | 'req', delayMs: number, backoff: boolean): void
  touch(cs: ConnState, msg: ConsumerMessage): void
}

/** The per-connection state the consumer keeps (go-nsq keeps it on Conn). */
export class ConnState {
  rdy = 0
  inFlight = 0
  lastMsgAt = 0
  lastRdyAt = 0
  /** CLS sent */
  closing = false
  /** the broker answered CLS with CLOSE_WAIT: nothing more will be sent */
  closeWait = false
  rdyRetry: NodeJS.Timeout | null = null
  constructor(
    readonly conn: Connection,
    readonly responder: MessageResponder,
  ) {}
  get addr(): string {
    return this.conn.addr
  }
}

/** A delivered message (go-nsq's Message), with the verbs to answer it. */
export class ConsumerMessage implements Message {
  /** publish time, nanoseconds since the epoch */
  readonly timestamp: bigint
  /** deliveries so far, the first being 1 */
  readonly attempts: number
  /** 16 hex characters, nsqd's message id */
  readonly id: string
  /** the bytes as published */
  readonly body: Buffer
  private responded = false

  constructor(
    msg: Message,
    private readonly cs: ConnState,
  ) {
    this.timestamp = msg.timestamp
    this.attempts = msg.attempts
    this.id = msg.id
    this.body = msg.body
  }

  /** the nsqd it came from */
  get nsqdAddress(): string {
    return this.cs.addr
  }

  /** true once finish() or a requeue was called (by the handler or automatically) */
  get hasResponded(): boolean {
    return this.responded
  }

  /** FIN: the message is done. Only the first answer counts. */
  finish(): void {
    if (this.responded) return
    this.responded = true
    this.cs.responder.respond(this.cs, this, 'fin', 0, false)
  }

  /**
   * REQ: deliver it again after `delayMs` (-1: default_requeue_delay × attempts, capped by
   * max_requeue_delay). `backoff` tells the consumer this was a failure, so it slows down.
   */
  requeue(delayMs = -1, backoff = true): void {
    if (this.responded) return
    this.responded = true
    this.cs.responder.respond(this.cs, this, 'req', delayMs, backoff)
  }

  /** REQ without backoff (go-nsq RequeueWithoutBackoff). */
  requeueWithoutBackoff(delayMs = -1): void {
    this.requeue(delayMs, false)
  }

  /** TOUCH: reset the server-side timeout of this message. */
  touch(): void {
    if (this.responded) return
    this.cs.responder.touch(this.cs, this)
  }
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
  private readonly lookupdAddrs: string[] = []
  private lookupdIndex = 0
  private lookupdClient: LookupdClient | null = null
  private lookupdTimer: NodeJS.Timeout | null = null
  private lookupdRecheck = false
  private lookupdQuerying: Promise<void> | null = null
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly rdyTimer: NodeJS.Timeout
  private needRedistribute = false
  private totalRdy = 0
  private maxInFlight: number
  private backoffCounter = 0
  private backoffTimer: NodeJS.Timeout | null = null
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
    this.maxInFlight = this.config.max_in_flight
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1))
    this.autoResponse = !options.disableAutoResponse
    this.log = deps.logger ?? silentLogger
    this.random = deps.random ?? Math.random
    this.rdyTimer = setInterval(() => this.redistributeRdy(), this.config.rdy_redistribute_interval)
    this.rdyTimer.unref()
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
    this.maxInFlight = n
    for (const cs of this.conns.values()) {
      if (n === 0) this.updateRdy(cs, 0)
      else this.maybeUpdateRdy(cs)
    }
    if (n > 0 && this.backoffCounter > 0 && this.backoffTimer === null) this.resume()
  }

  /** Discover nsqd through lookupd (host:port or URL); the first one queries at once. */
  async connectToLookupd(...addrs: string[]): Promise<void> {
    if (this.stopped) throw new StoppedError('consumer')
    for (const addr of addrs) {
      if (this.lookupdAddrs.includes(addr)) continue
      this.lookupdAddrs.push(addr)
      if (this.lookupdAddrs.length === 1) {
        this.lookupdClient = new LookupdClient(this.config.lookupd_poll_timeout, this.config.skip_lookupd_authorization ? this.config.auth_secret : '')
        await this.queryLookupd()
        const jitter = this.random() * this.config.lookupd_poll_jitter * this.config.lookupd_poll_interval
        // as go-nsq: the jitter, then a ticker of lookupd_poll_interval
        this.lookupdTimer = setTimeout(() => this.scheduleLookupdPoll(), jitter)
        this.lookupdTimer.unref()
      }
    }
  }

  private scheduleLookupdPoll(): void {
    if (this.stopped) return
    this.lookupdTimer = setTimeout(() => {
      if (this.stopped) return
      void this.queryLookupd().finally(() => this.scheduleLookupdPoll())
    }, this.config.lookupd_poll_interval)
    this.lookupdTimer.unref()
  }

  /** Query one lookupd (round-robin, up to 3 tries) and connect to new producers. */
  private async queryLookupd(): Promise<void> {
    if (this.lookupdQuerying) {
      this.lookupdRecheck = true
      return this.lookupdQuerying
    }
    const run = async (): Promise<void> => {
      const client = this.lookupdClient
      if (!client) return
      for (let attempt = 0; attempt < 3 && !this.stopped; attempt++) {
        const addr = this.lookupdAddrs[this.lookupdIndex % this.lookupdAddrs.length] as string
        this.lookupdIndex = (this.lookupdIndex + 1) % this.lookupdAddrs.length
        try {
          const res = await client.lookup(addr, this.topic)
          for (const p of res.producers) {
            const nsqd = producerAddress(p)
            if (this.conns.has(nsqd) || this.pending.has(nsqd)) continue
            this.connectOne(nsqd, false).catch((err: unknown) => this.log.error(`(${nsqd}) error connecting to nsqd - ${(err as Error).message}`))
          }
          return
        } catch (err) {
          this.log.error(`error querying nsqlookupd (${addr}) - ${(err as Error).message}`)
        }
      }
    }
    this.lookupdQuerying = run().finally(() => {
      this.lookupdQuerying = null
      if (this.lookupdRecheck && !this.stopped) {
        this.lookupdRecheck = false
        void this.queryLookupd()
      }
    })
    return this.lookupdQuerying
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
    if (conn.maxRdyCount < this.maxInFlight) {
      this.log.warn(`(${addr}) max RDY count ${conn.maxRdyCount} < consumer max in flight ${this.maxInFlight}, truncation possible`)
    }
    conn.write(sub(this.topic, this.channel))
    this.conns.set(addr, new ConnState(conn, this.responder))
    this.log.info(`(${addr}) connected, subscribed to ${this.topic}/${this.channel}`)
    // re-spread max_in_flight: existing connections first, so they can hand RDY over
    for (const cs of this.conns.values()) this.maybeUpdateRdy(cs)
  }

  // ---- messages ---------------------------------------------------------------------------

  private onMessage(conn: Connection, msg: Message): void {
    const cs = this.conns.get(conn.addr)
    if (cs === undefined || cs.conn !== conn) return
    cs.inFlight++
    cs.lastMsgAt = Date.now()
    this.stats_.messagesReceived++
    this.queue.push(new ConsumerMessage(msg, cs))
    this.pump()
  }

  private pump(): void {
    while (this.active < this.concurrency && this.queue.length > 0) {
      this.active++
      this.handle(this.queue.shift() as ConsumerMessage)
    }
  }

  private handle(msg: ConsumerMessage): void {
    const done = (): void => {
      this.active--
      this.pump()
    }
    const max = this.config.max_attempts
    if (max > 0 && msg.attempts > max) {
      this.log.warn(`msg ${msg.id} attempted ${msg.attempts} times, giving up`)
      try {
        this.options.onGiveUp?.(msg)
      } catch (err) {
        this.log.error(`onGiveUp failed for msg ${msg.id} - ${(err as Error).message}`)
      }
      msg.finish()
      done()
      return
    }
    const fail = (err: unknown): void => {
      this.log.error(`handler returned error (${(err as Error)?.message ?? String(err)}) for msg ${msg.id}`)
      if (this.autoResponse) msg.requeue(-1)
      done()
    }
    let result: unknown
    try {
      result = this.handler(msg)
    } catch (err) {
      fail(err)
      return
    }
    if (result !== null && typeof result === 'object' && typeof (result as PromiseLike<unknown>).then === 'function') {
      ;(result as PromiseLike<unknown>).then(
        () => {
          if (this.autoResponse) msg.finish()
          done()
        },
        fail,
      )
      return
    }
    if (this.autoResponse) msg.finish()
    done()
  }

  /** FIN or REQ of a message (ConsumerMessage calls this). */
  private respond(cs: ConnState, msg: ConsumerMessage, kind: 'fin' | 'req', delayMs: number, backoff: boolean): void {
    if (cs.inFlight > 0) cs.inFlight--
    if (kind === 'fin') {
      this.stats_.messagesFinished++
      this.signal('resume')
    } else {
      this.stats_.messagesRequeued++
      this.signal(backoff ? 'backoff' : 'continue')
    }
    if (cs.conn.connected) {
      let delay = delayMs
      if (kind === 'req' && delay < 0) delay = Math.min(this.config.default_requeue_delay * msg.attempts, this.config.max_requeue_delay)
      cs.conn.write(kind === 'fin' ? fin(msg.id) : req(msg.id, delay))
    }
    // after CLS, close only once the broker said CLOSE_WAIT (messages it sent before reading
    // CLS may still come) and everything in flight was answered
    if (cs.closeWait && cs.inFlight === 0) cs.conn.close()
  }

  private touch(cs: ConnState, msg: ConsumerMessage): void {
    if (cs.conn.connected) cs.conn.write(touchCmd(msg.id))
  }

  // ---- RDY ----------------------------------------------------------------------------------

  private perConnMaxInFlight(): number {
    const b = this.maxInFlight
    const n = Math.max(1, this.conns.size)
    return Math.min(Math.max(1, Math.floor(b / n)), b)
  }

  private maybeUpdateRdy(cs: ConnState): void {
    if (this.backoffCounter > 0 || this.backoffTimer !== null) return
    this.updateRdy(cs, this.perConnMaxInFlight())
  }

  private updateRdy(cs: ConnState, wanted: number): boolean {
    if (cs.closing || !cs.conn.connected) return false
    let count = Math.min(wanted, cs.conn.maxRdyCount)
    if (cs.rdyRetry) {
      clearTimeout(cs.rdyRetry)
      this.timers.delete(cs.rdyRetry)
      cs.rdyRetry = null
    }
    // lowering RDY never takes more than max_in_flight
    if (count <= cs.rdy) {
      this.sendRdy(cs, count)
      return true
    }
    const maxPossible = this.maxInFlight - this.totalRdy + cs.rdy
    if (maxPossible > 0 && maxPossible < count) count = maxPossible
    if (maxPossible <= 0 && count > 0) {
      if (cs.rdy === 0) {
        // could not leave RDY 0 now: try again, so this connection does not starve for ever
        const t = setTimeout(() => {
          this.timers.delete(t)
          cs.rdyRetry = null
          this.updateRdy(cs, count)
        }, 5000)
        t.unref()
        this.timers.add(t)
        cs.rdyRetry = t
      }
      return false
    }
    this.sendRdy(cs, count)
    return true
  }

  private sendRdy(cs: ConnState, count: number): void {
    if (count === cs.rdy) return
    this.totalRdy += count - cs.rdy
    cs.rdy = count
    cs.lastRdyAt = Date.now()
    cs.conn.write(rdy(count))
  }

  private redistributeRdy(): void {
    if (this.backoffTimer !== null || this.stopped) return
    const conns = [...this.conns.values()]
    if (conns.length === 0) return
    const maxInFlight = this.maxInFlight
    if (conns.length > maxInFlight) this.needRedistribute = true
    if (this.backoffCounter > 0 && conns.length > 1) this.needRedistribute = true
    if (!this.needRedistribute) return
    this.needRedistribute = false
    const now = Date.now()
    const possible: ConnState[] = []
    for (const cs of conns) {
      if (cs.rdy > 0) {
        if (now - cs.lastMsgAt > this.config.low_rdy_idle_timeout) this.updateRdy(cs, 0)
        else if (now - cs.lastRdyAt > this.config.low_rdy_timeout) this.updateRdy(cs, 0)
      }
      possible.push(cs)
    }
    let available = Math.min(this.backoffCounter > 0 ? 1 : maxInFlight, maxInFlight) - this.totalRdy
    while (possible.length > 0 && available > 0) {
      available--
      const i = Math.floor(this.random() * possible.length) % possible.length
      const [cs] = possible.splice(i, 1)
      this.updateRdy(cs as ConnState, 1)
    }
  }

  // ---- backoff ------------------------------------------------------------------------------

  /** The wait for backoff level `n`. */
  private backoffDuration(n: number): number {
    const d = this.config.backoff_multiplier * 2 ** n
    return this.config.backoff_strategy === 'full_jitter' ? Math.floor(this.random() * d) : d
  }

  private signal(kind: 'resume' | 'backoff' | 'continue'): void {
    if (this.backoffTimer !== null) return
    let updated = false
    if (kind === 'resume' && this.backoffCounter > 0) {
      this.backoffCounter--
      updated = true
    } else if (kind === 'backoff' && this.backoffDuration(this.backoffCounter + 1) <= this.config.max_backoff_duration) {
      this.backoffCounter++
      updated = true
    }
    if (this.backoffCounter === 0 && updated) {
      const count = this.perConnMaxInFlight()
      this.log.warn(`exiting backoff, returning all to RDY ${count}`)
      for (const cs of this.conns.values()) this.updateRdy(cs, count)
    } else if (this.backoffCounter > 0) {
      const d = Math.min(this.backoffDuration(this.backoffCounter), this.config.max_backoff_duration)
      this.log.warn(`backing off for ${d}ms (backoff level ${this.backoffCounter}), setting all to RDY 0`)
      for (const cs of this.conns.values()) this.updateRdy(cs, 0)
      this.startBackoff(d)
    }
  }

  private startBackoff(ms: number): void {
    this.backoffTimer = setTimeout(() => this.resume(), ms)
    this.backoffTimer.unref()
  }

  /** After a backoff wait: RDY 1 to one random connection, to test the waters. */
  private resume(): void {
    this.backoffTimer = null
    if (this.stopped || this.maxInFlight === 0) return
    const conns = [...this.conns.values()].filter((c) => !c.closing)
    if (conns.length === 0) {
      this.startBackoff(1000)
      return
    }
    const choice = conns[Math.floor(this.random() * conns.length) % conns.length] as ConnState
    if (!this.updateRdy(choice, 1)) this.startBackoff(1000)
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
    this.totalRdy -= cs.rdy
    if (cs.rdyRetry) {
      clearTimeout(cs.rdyRetry)
      this.timers.delete(cs.rdyRetry)
    }
    const left = this.conns.size
    // expected while stopping; worth a warning otherwise
    const line = `(${conn.addr}) connection closed${err ? ` (${err.message})` : ''}; ${left} left`
    if (this.stopped) this.log.info(line)
    else this.log.warn(line)
    if (cs.rdy > 0 && (left === this.maxInFlight || this.backoffCounter > 0)) this.needRedistribute = true
    if (this.stopped) {
      if (left === 0) this.finishStop()
      return
    }
    // the others may take over this connection's share of max_in_flight
    for (const other of this.conns.values()) this.maybeUpdateRdy(other)
    if (this.lookupdAddrs.length > 0) void this.queryLookupd()
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
      clearInterval(this.rdyTimer)
      if (this.lookupdTimer) clearTimeout(this.lookupdTimer)
      if (this.backoffTimer) clearTimeout(this.backoffTimer)
      this.backoffTimer = null
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
    await this.lookupdClient?.close()
    this.lookupdClient = null
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
