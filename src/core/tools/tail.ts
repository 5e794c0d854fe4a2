/**
 * The engine of `nsqkit tail` (nsq_tail, NSQ-SPEC §1.1): one Consumer per topic, all on one
 * channel (by default a random `tail%06d#ephemeral`), printing every message body and a newline.
 *
 * Beyond nsq_tail:
 *  - `count` (-n) is a total across topics, and every printed message is FINed before the run
 *    ends (nsq_tail exits inside its handler and leaves the last ones to time out). Messages
 *    that arrive after the count was reached are requeued at once, not printed.
 *  - Output is batched (one write per I/O turn) and a message is FINed only once its line was
 *    written; a closed pipe (`| head -3`) ends the run normally.
 *  - `format: 'json'`: one object per line, {"topic","id","attempts","timestamp","body"}, the
 *    body as text when it is valid UTF-8, else base64 with "encoding":"base64".
 */
import {isUtf8} from 'node:buffer'
import type {Writable} from 'node:stream'
import type {Logger} from '../util/logger.js'
import {Consumer, type ConsumerMessage} from '../client/consumer.js'
import type {ClientConfig} from '../client/options.js'
import {isBrokenPipe, LineWriter} from './line-writer.js'

export type TailFormat = 'raw' | 'json'

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
}

export interface ToolContext {
  signal: AbortSignal
  out: Writable
  log: Logger
}

export interface TailResult {
  printed: number
  channel: string
  /** why it ended */
  reason: 'count' | 'signal' | 'closed-output'
}

/** nsq_tail's default channel: `tail%06d#ephemeral` with rand.Int()%999999. */
export function randomTailChannel(random: () => number = Math.random): string {
  return `tail${String(Math.floor(random() * 999999)).padStart(6, '0')}#ephemeral`
}

/** The output of one message, as parts the writer copies once into its batch. */
export function formatMessage(topic: string, msg: ConsumerMessage, format: TailFormat, printTopic: boolean): (Buffer | string)[] {
  if (format === 'json') {
    const text = isUtf8(msg.body)
    const o: Record<string, unknown> = {topic, id: msg.id, attempts: msg.attempts, timestamp: '__TS__'}
    o.body = text ? msg.body.toString('utf8') : msg.body.toString('base64')
    if (!text) o.encoding = 'base64'
    // the nanosecond timestamp is an exact integer (beyond a double's precision)
    return [JSON.stringify(o).replace('"__TS__"', msg.timestamp.toString()) + '\n']
  }
  return printTopic ? [`${topic} | `, msg.body, '\n'] : [msg.body, '\n']
}

export async function tail(opts: TailOptions, ctx: ToolContext): Promise<TailResult> {
  const channel = opts.channel || randomTailChannel()
  const writer = new LineWriter(ctx.out)
  const limit = opts.count > 0 ? opts.count : Infinity
  let printed = 0
  let reason: TailResult['reason'] = 'signal'
  let finish!: () => void
  const ended = new Promise<void>((resolve) => (finish = resolve))
  const end = (why: TailResult['reason']): void => {
    if (reason === 'signal') reason = why
    finish()
  }

  const config: ClientConfig = {...opts.config}
  if (Number.isFinite(limit)) config.max_in_flight = Math.min(config.max_in_flight, limit)

  const consumers = opts.topics.map(
    (topic) =>
      new Consumer(
        topic,
        channel,
        async (msg) => {
          if (printed >= limit || writer.error) {
            msg.requeue(0, false)
            return
          }
          printed++
          const last = printed === limit
          try {
            await writer.push(formatMessage(topic, msg, opts.format, opts.printTopic))
          } catch (err) {
            msg.requeue(0, false)
            if (isBrokenPipe(err)) end('closed-output')
            else end('closed-output')
            return
          }
          msg.finish()
          if (last) end('count')
        },
        // the writer keeps order; handlers only wait for their line to be written
        {config, concurrency: Math.max(1, config.max_in_flight), disableAutoResponse: true},
        {logger: ctx.log},
      ),
  )

  const onAbort = (): void => end('signal')
  ctx.signal.addEventListener('abort', onAbort, {once: true})
  // the consumers' timers (reconnect to a lost nsqd, lookupd polls) are unref'd: without this,
  // a tail left with no connection would fall out of the event loop (exit 13) instead of waiting
  const keepAlive = setInterval(() => undefined, 1 << 30)
  try {
    if (ctx.signal.aborted) end('signal')
    for (const c of consumers) {
      if (opts.nsqdTcpAddresses.length > 0) await c.connectToNsqd(...opts.nsqdTcpAddresses)
      if (opts.lookupdHttpAddresses.length > 0) await c.connectToLookupd(...opts.lookupdHttpAddresses)
    }
    await ended
  } finally {
    clearInterval(keepAlive)
    ctx.signal.removeEventListener('abort', onAbort)
    await Promise.all(consumers.map((c) => c.stop()))
    await writer.flush()
  }
  if (writer.error && !isBrokenPipe(writer.error)) throw writer.error
  return {printed, channel, reason}
}
