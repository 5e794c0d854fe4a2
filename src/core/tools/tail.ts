/**
 * The engine of `nsqkit tail` (nsq_tail, NSQ-SPEC §1.1): one Consumer per topic, all on one
 * channel (by default a random `tail%06d#ephemeral`), printing every message body and a newline.
 *
 * Beyond nsq_tail:
 *  - `count` (-n) is a total across topics, and every printed message is FINed before the run
 *    ends (nsq_tail exits inside its handler and leaves the last ones to time out). Messages
 *    that arrive after the count was reached are requeued at once, not printed.
 *  - A message is FINed only once its line was accepted by the output (LineWriter: batched
 *    writes, paced on a pipe so a reader that stops early is handed little it will not read).
 *  - When the output fails, and at every other end: RDY 0 on every connection first, then
 *    everything unprinted is requeued (REQ 0, no backoff) exactly once, then CLS. A closed pipe
 *    (`| head -3`, EPIPE) ends the run normally; any other output error (ENOSPC) is an
 *    IoError ("cannot write to stdout: …", exit 1).
 *  - Several --nsqd-tcp-address: one that cannot be reached is retried (and logged) while the
 *    others are consumed; only when none can be reached at start does the run fail.
 *  - `format: 'json'`: one object per line, {"topic","id","attempts","timestamp","body"}, the
 *    body as text when it is valid UTF-8, else base64 with "encoding":"base64".
 */
import type {Writable} from 'node:stream'
import type {Logger} from '../util/logger.js'
import {Consumer} from '../client/consumer.js'
import type {ClientConfig} from '../client/options.js'
import {IoError} from './io-error.js'
import {formatRecord, type RecordFormat} from './record-format.js'
import {isBrokenPipe, LineWriter, type OutputMode} from './line-writer.js'

/** tail's --format: raw or json (record-format.ts) */
export type TailFormat = Extract<RecordFormat, 'raw' | 'json'>

export interface TailOptions {
  topics: string[]
  /** '' picks nsq_tail's random ephemeral channel */
  channel: string
  nsqdTcpAddresses: string[]
  lookupdHttpAddresses: string[]
  /** total messages to print, 0 for no limit */
  count: number
  printTopic: boolean
  format: TailFormat
  /** the consumer config (max_in_flight, user_agent and --consumer-opt already applied) */
  config: ClientConfig
  /** how the output is written (default: paced for a pipe or socket, see LineWriter) */
  outputMode?: OutputMode
}

export interface ToolContext {
  signal: AbortSignal
  out: Writable
  log: Logger
}

export interface TailResult {
  printed: number
  channel: string
  /** why it ended: -n reached, SIGINT/SIGTERM, the reader went away (EPIPE), another output error */
  reason: 'count' | 'signal' | 'closed-output' | 'output-error'
}

/** nsq_tail's default channel: `tail%06d#ephemeral` with rand.Int()%999999. */
export function randomTailChannel(random: () => number = Math.random): string {
  return `tail${String(Math.floor(random() * 999999)).padStart(6, '0')}#ephemeral`
}

export async function tail(opts: TailOptions, ctx: ToolContext): Promise<TailResult> {
  const channel = opts.channel || randomTailChannel()
  const limit = opts.count > 0 ? opts.count : Infinity
  let printed = 0
  let taken = 0
  let stopping = false
  let reason: TailResult['reason'] = 'signal'
  let finish!: () => void
  const ended = new Promise<void>((resolve) => (finish = resolve))
  const consumers: Consumer[] = []
  let flowing = true
  /** RDY 0 everywhere, before any REQ: a message requeued with RDY open would come straight back */
  const stopFlow = (): void => {
    if (!flowing) return
    flowing = false
    for (const c of consumers) c.changeMaxInFlight(0)
  }
  /** the run is over */
  const end = (why: TailResult['reason']): void => {
    if (stopping) return
    stopping = true
    reason = why
    stopFlow()
    finish()
  }
  const writer = new LineWriter(ctx.out, {mode: opts.outputMode, onError: (err) => end(isBrokenPipe(err) ? 'closed-output' : 'output-error')})

  const config: ClientConfig = {...opts.config}
  if (Number.isFinite(limit)) config.max_in_flight = Math.min(config.max_in_flight, limit)

  for (const topic of opts.topics) {
    consumers.push(
      new Consumer(
        topic,
        channel,
        async (msg) => {
          // past the count, after the output failed or once stopping: back at once, no backoff
          if (taken >= limit || stopping) {
            msg.requeue(0, false)
            return
          }
          // the last one wanted: nothing more may come (those already sent are requeued once)
          if (++taken === limit) stopFlow()
          try {
            await writer.push(formatRecord(topic, msg, opts.format, opts.printTopic))
          } catch {
            msg.requeue(0, false)
            return
          }
          msg.finish()
          if (++printed === limit) end('count')
        },
        // the writer keeps order; handlers only wait for their line to be written
        {config, concurrency: Math.max(1, config.max_in_flight), disableAutoResponse: true},
        {logger: ctx.log},
      ),
    )
  }

  const onAbort = (): void => end('signal')
  ctx.signal.addEventListener('abort', onAbort, {once: true})
  // the consumers' timers (reconnect to a lost nsqd, lookupd polls) are unref'd: without this,
  // a tail left with no connection would fall out of the event loop (exit 13) instead of waiting
  const keepAlive = setInterval(() => undefined, 1 << 30)
  try {
    if (ctx.signal.aborted) end('signal')
    for (const c of consumers) {
      if (stopping) break
      // an nsqd that cannot be reached is retried (and logged); none at all is an error
      if (opts.nsqdTcpAddresses.length > 0) await c.connectToNsqdsRetrying(opts.nsqdTcpAddresses)
      if (opts.lookupdHttpAddresses.length > 0) await c.connectToLookupd(...opts.lookupdHttpAddresses)
    }
    await ended
  } finally {
    clearInterval(keepAlive)
    ctx.signal.removeEventListener('abort', onAbort)
    stopping = true
    stopFlow()
    // what is queued goes out now (and is FINed), while the consumers CLS and drain
    await Promise.all([writer.flush(), ...consumers.map((c) => c.stop())])
  }
  if (writer.error && !isBrokenPipe(writer.error)) throw new IoError('write', 'stdout', writer.error)
  return {printed, channel, reason}
}
