import {Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {duration, float} from '../cli/flags.js'
import {startStatusLine} from '../cli/status-line.js'
import {clientConfig, consumerOpt, lookupdHttpAddress, nsqdTcpAddress, requireOneSource, stderrLogger, toolLogLevel, userAgent, version, versionLine} from '../cli/tool-flags.js'
import {checkGetTemplate} from '../core/tools/to-http/query-escape.js'
import {GET_DEFAULT, POST_DEFAULT, parseSuccessStatus} from '../core/tools/to-http/success-status.js'
import {isValidTopicName} from '../core/protocol/names.js'

const MODES = ['hostpool', 'round-robin', 'epsilon-greedy', 'multicast'] as const
const DEFAULT_CONTENT_TYPE = 'application/octet-stream'

export default class ToHttp extends NsqCommand {
  static override summary = 'Send the messages of a topic to HTTP endpoints (Go name: nsq_to_http)'
  static override description = `Consumes --topic on one channel and sends each message to an HTTP endpoint: --post URL (the body as it is) or --get URL (its one %s replaced by the body, query-escaped). A message is FINed once delivered: a POST answered 2xx, a GET answered 200 (--success-status changes that); a failure is REQueued with go-nsq's delay and backoff, and given up on after max_attempts (5) — with --dead-letter-topic it is published there first, instead of vanishing.
The endpoint is picked by --mode: hostpool (round-robin over live hosts, a failing one rested for 30 s doubling up to 15 min), round-robin, epsilon-greedy (mostly the fastest), or multicast (every endpoint, at once; FIN when all took it; a redelivery goes only to those still owed). SIGINT/SIGTERM: the requests under way finish, the rest is requeued, exit 0.`
  static override hiddenAliases = ['nsq_to_http']
  static override examples = [
    'nsq_to_http -topic=events -lookupd-http-address=127.0.0.1:4161 -post=http://127.0.0.1:8080/ingest',
    '<%= config.bin %> to-http --topic events --nsqd-tcp-address 127.0.0.1:4150 --get "http://127.0.0.1:8080/hit?data=%s" --mode multicast',
  ]

  static override flags = {
    topic: Flags.string({summary: 'nsq topic', default: ''}),
    channel: Flags.string({summary: 'nsq channel', default: 'nsq_to_http'}),
    'max-in-flight': Flags.integer({summary: 'max number of messages to allow in flight', default: 200, min: 0}),
    post: Flags.string({summary: 'HTTP address to make a POST request to; data will be in the body (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: '<url>'}),
    get: Flags.string({summary: 'HTTP address to make a GET request to; "%s" will be replaced with the query-escaped body (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: '<url>'}),
    'content-type': Flags.string({summary: 'the Content-Type used for POST requests', default: DEFAULT_CONTENT_TYPE}),
    header: Flags.string({summary: 'custom header for HTTP requests, "Key: Value" (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: '<header>'}),
    mode: Flags.option({options: MODES, summary: 'the endpoint to send to: hostpool, round-robin, epsilon-greedy, or multicast (all of them)', default: 'hostpool' as const})(),
    n: Flags.integer({char: 'n', summary: 'number of concurrent publishers', default: 100, min: 1}),
    sample: float({summary: 'the fraction of messages to send, 0.0-1.0 (the others are FINed unsent)', default: 1}),
    'status-every': Flags.integer({summary: 'the number of requests between status lines; 0 = none', default: 250, min: 0}),
    'success-status': Flags.string({summary: 'the answers that count as delivered: 2xx, 200, or a list such as 200,201,3xx (default: 2xx for POST, 200 for GET)', default: ''}),
    'dead-letter-topic': Flags.string({summary: 'publish a message given up on (after max_attempts) to this topic, on the nsqd it came from, before FINing it', default: ''}),
    'http-client-connect-timeout': duration({summary: 'timeout for HTTP connect', default: 2000}),
    'http-client-request-timeout': duration({summary: 'timeout for HTTP request', default: 20_000}),
    'nsqd-tcp-address': nsqdTcpAddress,
    'lookupd-http-address': lookupdHttpAddress,
    'consumer-opt': consumerOpt,
    'log-level': toolLogLevel,
    version,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ToHttp)
    if (flags.version) {
      this.log(versionLine('nsq_to_http'))
      return
    }
    if (flags.topic === '' || flags.channel === '') throw new UsageError('--topic and --channel are required')
    if (!isValidTopicName(flags.topic)) throw new UsageError(`--topic: invalid topic name ${JSON.stringify(flags.topic)}`)
    const nsqd = flags['nsqd-tcp-address'] ?? []
    const lookupd = flags['lookupd-http-address'] ?? []
    requireOneSource(nsqd, lookupd)
    const posts = flags.post ?? []
    const gets = flags.get ?? []
    if (posts.length === 0 && gets.length === 0) throw new UsageError('--get or --post required')
    if (posts.length > 0 && gets.length > 0) throw new UsageError('use --get or --post not both')
    if (flags['content-type'] !== DEFAULT_CONTENT_TYPE) {
      if (posts.length === 0) throw new UsageError('--content-type only used with --post')
      if (flags['content-type'] === '') throw new UsageError('--content-type requires a value when used')
    }
    for (const g of gets) {
      const bad = checkGetTemplate(g)
      if (bad !== null) throw new UsageError(`--get: ${bad}`)
    }
    for (const u of [...posts, ...gets]) {
      if (!URL.canParse(u.replace('%s', 'x')) || !/^https?:$/.test(new URL(u.replace('%s', 'x')).protocol)) throw new UsageError(`--${posts.length > 0 ? 'post' : 'get'}: invalid URL ${JSON.stringify(u)} (want http:// or https://)`)
    }
    const headers = (flags.header ?? []).map((h) => parseHeader(h))
    if (flags.sample < 0 || flags.sample > 1) throw new UsageError(`--sample: invalid value ${flags.sample} (must be 0.0-1.0)`)
    for (const f of ['http-client-connect-timeout', 'http-client-request-timeout'] as const) {
      if (flags[f] <= 0) throw new UsageError(`--${f}: must be greater than 0`)
    }
    const method = posts.length > 0 ? ('POST' as const) : ('GET' as const)
    let success
    try {
      success = parseSuccessStatus(flags['success-status'] || (method === 'POST' ? POST_DEFAULT : GET_DEFAULT))
    } catch (err) {
      throw new UsageError(`--success-status: ${(err as Error).message}`)
    }
    const dlq = flags['dead-letter-topic']
    if (dlq !== '' && !isValidTopicName(dlq)) throw new UsageError(`--dead-letter-topic: invalid topic name ${JSON.stringify(dlq)}`)
    const config = clientConfig('--consumer-opt', {max_in_flight: flags['max-in-flight'], user_agent: userAgent('nsq_to_http')}, flags['consumer-opt'])
    const log = stderrLogger(flags['log-level'])
    // the engine (client, undici) is loaded only to run: help and --version do without it
    const {startToHttp} = await import('../core/tools/to-http/to-http.js')
    const {signal} = this.stopSignal()
    const tty = process.stderr.isTTY
    const run = startToHttp(
      {
        topic: flags.topic,
        channel: flags.channel,
        nsqdTcpAddresses: nsqd,
        lookupdHttpAddresses: lookupd,
        method,
        endpoints: method === 'POST' ? posts : gets,
        contentType: flags['content-type'],
        headers,
        mode: flags.mode,
        concurrency: flags.n,
        sample: flags.sample,
        // a terminal gets the live line instead
        statusEvery: tty ? 0 : flags['status-every'],
        success,
        config,
        connectTimeoutMs: flags['http-client-connect-timeout'],
        requestTimeoutMs: flags['http-client-request-timeout'],
        deadLetterTopic: dlq,
        userAgent: versionLine('nsq_to_http'),
      },
      {signal, log},
    )
    const t0 = Date.now()
    const stopLine = tty
      ? startStatusLine(process.stderr, () => {
          const s = run.stats()
          const t = run.timings()
          const secs = Math.max(0.001, (Date.now() - t0) / 1000)
          const times = t.count > 0 ? ` - p99 ${t.p99.toFixed(2)}ms p95 ${t.p95.toFixed(2)}ms avg ${t.avg.toFixed(2)}ms` : ''
          return `${s.delivered} delivered, ${s.requeued} requeued, ${s.givenUp} given up, ${Math.round(s.delivered / secs)}/s${times}`
        })
      : null
    try {
      await run.done
    } finally {
      stopLine?.()
    }
  }
}

/** `Key: Value`, split at the first colon, both sides trimmed and non-empty (nsq_to_http's rule). */
function parseHeader(h: string): [string, string] {
  const at = h.indexOf(':')
  const key = at < 0 ? '' : h.slice(0, at).trim()
  const value = at < 0 ? '' : h.slice(at + 1).trim()
  if (key === '' || value === '' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(key)) throw new UsageError(`--header: invalid header ${JSON.stringify(h)} (want "Key: Value")`)
  return [key, value]
}
