/**
 * The engine of `nsqkit to-file` (nsq_to_file, NSQ-SPEC §1.2): one FileLogger and one Consumer
 * per topic, all on one channel; every message one record in that topic's current file, FINed
 * only once the bytes holding it are fsynced (file-logger.ts).
 *
 * A run:
 *  1. recovery (leftovers.ts): the files a crashed run left are cut back to their last whole
 *     gzip member or record and, from a separate work dir, moved to the output dir;
 *  2. the topics: the --topic list (filtered by the pattern, if any), or discovery through the
 *     lookupds' /topics (discovery.ts), which starts at once and adds a logger and a consumer per
 *     new topic that matches;
 *  3. every --sync-interval: each logger's tick (rotation if due, sync);
 *  4. hangup() (SIGHUP): every logger syncs, FINs, closes and moves its file;
 *  5. the end (the signal aborts, or a logger's disk failed): RDY 0 everywhere, then CLS while
 *     every pending message is synced and FINed (what still arrives too), then every file is
 *     closed and moved. Nothing is left in flight: a logger that failed requeued its messages.
 *
 * Beyond nsq_to_file: --status-every N logs a line every N messages written; stats() for a
 * live status line; discovery at once and despite a failing lookupd.
 */
import {hostname as osHostname} from 'node:os'
import {Consumer} from '../../client/consumer.js'
import type {ClientConfig} from '../../client/options.js'
import type {Logger} from '../../util/logger.js'
import {connectConsumer} from '../consumer-run.js'
import type {RecordFormat} from '../record-format.js'
import {TopicDiscoverer} from './discovery.js'
import {FileLogger, type FileLoggerOptions} from './file-logger.js'
import {recoverLeftovers} from './leftovers.js'
import {FileNamer, hostIdentifier, revRequired} from './naming.js'

export interface ToFileOptions {
  /** --topic; empty: discovery through the lookupds */
  topics: string[]
  /** --topic-pattern (unanchored); null: every topic */
  topicPattern: RegExp | null
  topicRefreshMs: number
  channel: string
  nsqdTcpAddresses: string[]
  lookupdHttpAddresses: string[]
  outputDir: string
  /** '' = the output dir */
  workDir: string
  filenameFormat: string
  datetimeFormat: string
  /** <DATETIME> in UTC instead of local time */
  utc: boolean
  /** '' = the short hostname; <SHORT_HOST> and <HOSTNAME> are replaced */
  hostIdentifier: string
  gzip: boolean
  gzipLevel: number
  rotateSize: number
  rotateIntervalMs: number
  syncIntervalMs: number
  skipEmptyFiles: boolean
  format: RecordFormat
  /** the consumer config (max_in_flight, user_agent, --consumer-opt applied) */
  config: ClientConfig
  httpConnectTimeoutMs: number
  httpRequestTimeoutMs: number
  /** a log line every N messages written; 0 = none */
  statusEvery: number
}

export interface ToFileContext {
  signal: AbortSignal
  log: Logger
  /** wall time in ms (Date.now by default) */
  now?: () => number
  hostname?: string
  pid?: number
}

export interface ToFileStats {
  /** messages written, fsynced and FINed */
  messages: number
  /** record bytes written (before compression) */
  bytes: number
  /** files opened */
  files: number
  topics: number
}

export interface ToFileRun {
  /** resolves when the run has ended and every file is closed; rejects with the disk error that ended it */
  readonly done: Promise<ToFileStats>
  stats(): ToFileStats
  /** SIGHUP: close (and move) every file; the next message of a topic opens a new one */
  hangup(): void
}

/** Start a run; it ends when ctx.signal aborts. */
export function startToFile(opts: ToFileOptions, ctx: ToFileContext): ToFileRun {
  return new ToFileEngine(opts, ctx)
}

class ToFileEngine implements ToFileRun {
  readonly done: Promise<ToFileStats>
  private readonly loggers = new Map<string, FileLogger>()
  private readonly consumers: Consumer[] = []
  private readonly namer: FileNamer
  private readonly workDir: string
  private stopping = false
  private fatal: Error | null = null
  private finish!: () => void
  private readonly ended = new Promise<void>((resolve) => (this.finish = resolve))
  private lastStatus = 0

  constructor(
    private readonly opts: ToFileOptions,
    private readonly ctx: ToFileContext,
  ) {
    this.workDir = opts.workDir || opts.outputDir
    this.namer = new FileNamer({
      filenameFormat: opts.filenameFormat,
      datetimeFormat: opts.datetimeFormat,
      utc: opts.utc,
      host: hostIdentifier(opts.hostIdentifier, ctx.hostname ?? osHostname()),
      pid: ctx.pid ?? process.pid,
      gzip: opts.gzip,
      revRequired: revRequired({...opts, workDir: this.workDir}),
    })
    this.done = this.run()
  }

  stats(): ToFileStats {
    const s: ToFileStats = {messages: 0, bytes: 0, files: 0, topics: this.loggers.size}
    for (const l of this.loggers.values()) {
      const ls = l.stats
      s.messages += ls.messages
      s.bytes += ls.bytes
      s.files += ls.files
    }
    return s
  }

  hangup(): void {
    this.ctx.log.info('SIGHUP: closing every file; the next message opens a new one')
    for (const l of this.loggers.values()) l.reopen()
  }

  private wanted(topic: string): boolean {
    const explicit = this.opts.topics
    if (explicit.length > 0 && !explicit.includes(topic)) return false
    return this.opts.topicPattern === null || this.opts.topicPattern.test(topic)
  }

  private end(err: Error | null): void {
    if (err !== null) this.fatal ??= err
    if (this.stopping) return
    this.stopping = true
    this.finish()
  }

  private async run(): Promise<ToFileStats> {
    const {opts, ctx} = this
    const onAbort = (): void => this.end(null)
    ctx.signal.addEventListener('abort', onAbort, {once: true})
    if (ctx.signal.aborted) this.end(null)
    let ticker: NodeJS.Timeout | null = null
    let discoverer: TopicDiscoverer | null = null
    try {
      await recoverLeftovers({
        namer: this.namer,
        workDir: this.workDir,
        outputDir: opts.outputDir,
        gzip: opts.gzip,
        format: opts.format,
        topicOk: (t) => this.wanted(t),
        log: ctx.log,
      })
      // the --sync-interval ticker also keeps a run with no connection alive (the consumers' timers are unref'd)
      ticker = setInterval(() => {
        for (const l of this.loggers.values()) l.tick()
      }, opts.syncIntervalMs)
      if (!this.stopping) {
        if (opts.topics.length > 0) {
          for (const t of opts.topics) if (this.wanted(t)) await this.addTopic(t)
        } else {
          discoverer = new TopicDiscoverer(
            {
              lookupdHttpAddresses: opts.lookupdHttpAddresses,
              pattern: opts.topicPattern,
              refreshMs: opts.topicRefreshMs,
              connectTimeoutMs: opts.httpConnectTimeoutMs,
              requestTimeoutMs: opts.httpRequestTimeoutMs,
              logger: ctx.log,
              // beyond nsq_to_file (its topic discovery sends none): the consumers' lookupd header
              authSecret: opts.config.skip_lookupd_authorization ? opts.config.auth_secret : '',
            },
            (topic) => {
              this.addTopic(topic).catch((err: unknown) => ctx.log.error(`[${topic}/${opts.channel}] cannot consume: ${(err as Error).message}`))
            },
          )
          await discoverer.start()
        }
      }
      await this.ended
    } finally {
      ctx.signal.removeEventListener('abort', onAbort)
      this.stopping = true
      if (ticker) clearInterval(ticker)
      await discoverer?.stop()
      await this.shutdown()
    }
    if (this.fatal) throw this.fatal
    return this.stats()
  }

  /** A logger and a consumer for `topic` (once). */
  private async addTopic(topic: string): Promise<void> {
    if (this.stopping || this.loggers.has(topic)) return
    const {opts, ctx} = this
    const loggerOpts: FileLoggerOptions = {
      topic,
      channel: opts.channel,
      namer: this.namer,
      outputDir: opts.outputDir,
      workDir: this.workDir,
      gzip: opts.gzip,
      gzipLevel: opts.gzipLevel,
      rotateSize: opts.rotateSize,
      rotateIntervalMs: opts.rotateIntervalMs,
      skipEmptyFiles: opts.skipEmptyFiles,
      format: opts.format,
      maxInFlight: Math.max(1, opts.config.max_in_flight),
    }
    let consumer: Consumer | null = null
    const logger = new FileLogger(loggerOpts, {
      now: ctx.now,
      log: ctx.log,
      isStarved: () => consumer?.isStarved() ?? false,
      onFatal: (err) => this.end(err),
      onWritten: () => this.maybeStatus(),
    })
    consumer = new Consumer(topic, opts.channel, (msg) => logger.add(msg), {config: opts.config, concurrency: Math.max(1, opts.config.max_in_flight), disableAutoResponse: true}, {logger: ctx.log})
    this.loggers.set(topic, logger)
    this.consumers.push(consumer)
    await connectConsumer(consumer, opts.nsqdTcpAddresses, opts.lookupdHttpAddresses)
  }

  private maybeStatus(): void {
    const every = this.opts.statusEvery
    if (every <= 0) return
    const s = this.stats()
    if (Math.floor(s.messages / every) === Math.floor(this.lastStatus / every)) return
    this.lastStatus = s.messages
    this.ctx.log.info(`status: ${s.messages} messages written, ${s.bytes} bytes, ${s.files} files, ${s.topics} topics`)
  }

  /** RDY 0, CLS, sync and FIN what is pending (and what still arrives), then close every file. */
  private async shutdown(): Promise<void> {
    for (const c of this.consumers) c.changeMaxInFlight(0)
    const stops = this.consumers.map((c) => c.stop())
    for (const l of this.loggers.values()) l.sync()
    await Promise.all(stops)
    await Promise.all([...this.loggers.values()].map((l) => l.close()))
  }
}
