/**
 * Producer: publishes to one nsqd (NSQ-SPEC §4.4, go-nsq producer.go).
 *
 * - Lazy: the first call connects; after a lost connection the next call reconnects. There
 *   is no background reconnect and no retry of a failed publish (the caller decides).
 * - Pipelined: commands go out without waiting; responses come back in order, so each is
 *   matched to the oldest pending transaction (FIFO). An error frame rejects that one call
 *   with a ProtocolResponseError carrying the E_* code.
 * - A lost connection rejects every pending call with NotConnectedError; after a fatal error
 *   frame, the calls pipelined behind the failed one carry its code (`afterCode`).
 * - stop() waits for what is pending (bounded), then closes; later calls reject with
 *   StoppedError.
 */
import {dpub, mpub, pub, type Command, type IdentifyResponse} from '../protocol/index.js'
import type {Logger} from '../util/logger.js'
import {Connection, type ConnectionDelegate, type Dialer} from './connection.js'
import {NotConnectedError, ProtocolResponseError, StoppedError, TimeoutError} from './errors.js'
import {resolveClientConfig, type ClientConfig} from './options.js'

/** What a Producer is built on; both optional. */
export interface ProducerDeps {
  /** where the client's log lines go (none by default) */
  logger?: Logger
  /** how the byte stream to nsqd is made (plain TCP by default) */
  dial?: Dialer
}

/** Characters a topic cannot carry on the command line (and that no valid topic name has). */
// eslint-disable-next-line no-control-regex
const UNSENDABLE_TOPIC = /[\s\x00-\x1f\x7f]/

interface Pending {
  resolve(): void
  reject(err: Error): void
}

/**
 * Publishes to one nsqd (go-nsq's Producer): `publish`, `multiPublish`, `deferredPublish`,
 * each resolving once nsqd answered OK and rejecting with an NsqClientError otherwise.
 */
export class Producer {
  /** the resolved config: the defaults with what was passed over them */
  readonly config: ClientConfig
  private conn: Connection | null = null
  private connecting: Promise<Connection> | null = null
  private readonly pending: Pending[] = []
  private stopped = false
  private idleWaiters: (() => void)[] = []
  /** the Connection's events, kept off the public surface */
  private readonly delegate: ConnectionDelegate = {
    message: (conn, msg) => this.onMessage(conn, msg),
    response: (conn, data) => this.onResponse(conn, data),
    error: (conn, err) => this.onError(conn, err),
    close: (conn, err) => this.onClose(conn, err),
  }

  /**
   * @param addr nsqd's TCP address, `host:port`
   * @param config go-nsq's options by their names (README "Options"); durations in ms
   * @throws ConfigError for an unknown option or a value out of bounds
   */
  constructor(
    readonly addr: string,
    config: Partial<ClientConfig> = {},
    private readonly deps: ProducerDeps = {},
  ) {
    this.config = resolveClientConfig(config)
  }

  /** Connect now (publishing connects anyway); resolves once IDENTIFY is done. */
  async ping(): Promise<void> {
    await this.connection()
  }

  /** PUB one message (a string is sent as UTF-8). */
  publish(topic: string, body: Buffer | string): Promise<void> {
    return this.send(pub(topic, body))
  }

  /** MPUB: all bodies published atomically, or none. */
  multiPublish(topic: string, bodies: readonly (Buffer | string)[]): Promise<void> {
    return this.send(mpub(topic, bodies))
  }

  /** DPUB: nsqd delivers the message `delayMs` milliseconds from now. */
  deferredPublish(topic: string, delayMs: number, body: Buffer | string): Promise<void> {
    return this.send(dpub(topic, delayMs, body))
  }

  /** Transactions written and not yet answered. */
  get inFlight(): number {
    return this.pending.length
  }

  /** true while a connection to nsqd is open and identified */
  get isConnected(): boolean {
    return this.conn?.connected ?? false
  }

  /** The IDENTIFY answer of the current connection (null when not connected or a plain OK). */
  get identity(): IdentifyResponse | null {
    return this.conn?.identity ?? null
  }

  /** Wait (up to `timeoutMs`) for pending publishes, then close; later calls reject with StoppedError. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.stopped) return
    this.stopped = true
    if (this.pending.length > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, timeoutMs)
        t.unref()
        this.idleWaiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
    this.failAll(new StoppedError())
    this.conn?.close()
    this.conn = null
  }

  private async send(cmd: Command): Promise<void> {
    if (this.stopped) throw new StoppedError()
    // a space or control character in the topic would split the command line ("PUB a b" is a
    // PUB to "a"): refuse it here with the answer nsqd gives for an invalid name
    const topic = cmd.params[0] ?? ''
    if (UNSENDABLE_TOPIC.test(topic)) throw new ProtocolResponseError('E_BAD_TOPIC', `${cmd.name} topic name ${JSON.stringify(topic)} is not valid`, this.addr)
    const conn = await this.connection()
    // stop() or a fatal error may have come while this call waited for the connection
    if (this.stopped) throw new StoppedError()
    if (conn !== this.conn) throw new NotConnectedError(this.addr, 'connection closed')
    return new Promise<void>((resolve, reject) => {
      this.pending.push({resolve, reject})
      try {
        conn.write(cmd)
      } catch (err) {
        this.pending.pop()
        reject(err as Error)
      }
    })
  }

  private connection(): Promise<Connection> {
    if (this.stopped) return Promise.reject(new StoppedError())
    if (this.conn?.connected) return Promise.resolve(this.conn)
    if (this.connecting) return this.connecting
    const conn = new Connection(this.addr, this.config, this.delegate, this.deps)
    this.connecting = conn.connect().then(
      () => {
        this.connecting = null
        if (this.stopped) {
          conn.close()
          throw new StoppedError()
        }
        this.conn = conn
        return conn
      },
      (err: unknown) => {
        this.connecting = null
        throw err
      },
    )
    return this.connecting
  }

  // ---- connection events ------------------------------------------------------------------

  private onMessage(conn: Connection, _payload: Buffer): void {
    this.deps.logger?.error(`(${conn.addr}) producer got a message frame; ignored`)
  }

  private onResponse(conn: Connection, data: Buffer): void {
    // the pending transactions belong to the current connection only
    if (conn !== this.conn) return
    const p = this.pending.shift()
    if (p === undefined) return
    if (data.length === 2 && data[0] === 0x4f && data[1] === 0x4b) p.resolve()
    else p.reject(new ProtocolResponseError('E_UNEXPECTED', data.toString('utf8'), this.addr))
    this.checkIdle()
  }

  private onError(conn: Connection, err: ProtocolResponseError): void {
    if (conn !== this.conn) return
    this.pending.shift()?.reject(err)
    if (err.fatal) {
      // the broker closes the connection after a fatal error: what was pipelined behind the
      // failed command will not be answered, and the next call must reconnect
      if (this.conn === conn) this.conn = null
      this.failAll(new NotConnectedError(this.addr, `connection closed by nsqd after ${err.nsqCode}`, err.nsqCode))
      conn.close()
    }
    this.checkIdle()
  }

  private onClose(conn: Connection, err: Error | null): void {
    // a connection given up after a fatal error already failed its transactions; what is
    // pending now was written on a newer connection
    if (this.conn !== conn) return
    this.conn = null
    const why = err instanceof TimeoutError ? err : new NotConnectedError(this.addr, err ? `connection lost: ${err.message}` : 'connection closed')
    this.failAll(why)
  }

  private failAll(err: Error): void {
    const all = this.pending.splice(0)
    for (const p of all) p.reject(err)
    this.checkIdle()
  }

  private checkIdle(): void {
    if (this.pending.length > 0) return
    const w = this.idleWaiters.splice(0)
    for (const f of w) f()
  }
}
