import {Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {duration} from '../cli/flags.js'
import {checkAddress, lookupdHttpAddress, stderrLogger, version, versionLine} from '../cli/tool-flags.js'
import {isValidChannelName, isValidTopicName} from '../core/protocol/names.js'

export default class Stat extends NsqCommand {
  static override summary = 'Poll the stats of a topic/channel across nsqd nodes and print a line per interval (Go name: nsq_stat)'
  static override description = `Every --interval, finds the nsqd nodes of --topic (from --lookupd-http-address or the --nsqd-http-address given), reads each one's /stats for --channel and prints the channel's counters summed over the nodes, in nsq_stat's table: rates (ingress; egress = messages finished per second, never negative), depths (total, mem, disk, in flight, deferred) and totals (requeued, timed out, messages, clients). The first line comes after one interval; --count N prints N lines, then exits 0.
Beyond nsq_stat: a node that does not answer is reported on stderr and skipped for that interval (exit 1 only when nothing answers at the first poll); --json prints one JSON object per interval; --extended adds a paused column; without --channel (or --topic) every channel found gets its own block, titled topic/channel. SIGINT, SIGTERM, SIGHUP: exit 0 at once.`
  static override hiddenAliases = ['nsq_stat']
  static override examples = [
    'nsq_stat -topic=events -channel=archive -lookupd-http-address=127.0.0.1:4161',
    '<%= config.bin %> stat --topic events --channel archive --nsqd-http-address 127.0.0.1:4151 --interval 1s --count 10',
    '<%= config.bin %> stat --lookupd-http-address 127.0.0.1:4161 --json',
  ]

  static override flags = {
    topic: Flags.string({summary: 'NSQ topic (without it: every topic)', default: ''}),
    channel: Flags.string({summary: 'NSQ channel (without it: every channel of the topic)', default: ''}),
    interval: duration({summary: 'duration of time between polling/printing output', default: 2000}),
    count: Flags.integer({summary: 'number of reports (default: until stopped)', helpValue: '<N>'}),
    'lookupd-http-address': lookupdHttpAddress,
    'nsqd-http-address': Flags.string({summary: 'nsqd HTTP address (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: '<host:port>'}),
    'http-client-connect-timeout': duration({summary: 'timeout for HTTP connect', default: 2000}),
    'http-client-request-timeout': duration({summary: 'timeout for HTTP request', default: 5000}),
    json: Flags.boolean({summary: 'one JSON object per interval per topic/channel instead of the table', allowNo: true}),
    extended: Flags.boolean({summary: 'add a paused column to the table', allowNo: true}),
    version,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Stat)
    if (flags.version) {
      this.log(versionLine('nsq_stat'))
      return
    }
    const {topic, channel} = flags
    if (channel !== '' && topic === '') throw new UsageError('--channel needs --topic')
    if (topic !== '' && !isValidTopicName(topic)) throw new UsageError(`--topic: invalid topic name ${JSON.stringify(topic)}`)
    if (channel !== '' && !isValidChannelName(channel)) throw new UsageError(`--channel: invalid channel name ${JSON.stringify(channel)}`)
    if (flags.interval <= 0) throw new UsageError('--interval: must be greater than 0')
    if (flags.count !== undefined && flags.count <= 0) throw new UsageError('--count: must be greater than 0')
    for (const f of ['http-client-connect-timeout', 'http-client-request-timeout'] as const) {
      if (flags[f] <= 0) throw new UsageError(`--${f}: must be greater than 0`)
    }
    const nsqd = flags['nsqd-http-address'] ?? []
    const lookupd = flags['lookupd-http-address'] ?? []
    if (nsqd.length === 0 && lookupd.length === 0) throw new UsageError('--nsqd-http-address or --lookupd-http-address required')
    if (nsqd.length > 0 && lookupd.length > 0) throw new UsageError('use --nsqd-http-address or --lookupd-http-address not both')
    for (const [flag, addrs] of [['--nsqd-http-address', nsqd], ['--lookupd-http-address', lookupd]] as const) {
      for (const a of addrs) {
        if (a.includes('://')) throw new UsageError(`${flag}: address should not contain scheme (${JSON.stringify(a)})`)
        checkAddress(flag, a)
      }
    }
    // the engine (undici) and the renderer (chalk) are loaded only to run
    const [{runStat, StatFatal}, {statRenderer}, {isBrokenPipe}, {IoError}] = await Promise.all([
      import('../core/tools/stat/stat.js'),
      import('../cli/stat-render.js'),
      import('../core/tools/line-writer.js'),
      import('../core/tools/io-error.js'),
    ])
    const {signal} = this.stopSignal()
    // SIGHUP ends it too (nsq_stat's), and so does stdout failing: a reader that went away
    // (`| head -3`) ends the run, exit 0; another failure is one line, exit 1. oclif's own
    // listener would rethrow it as an uncaught exception with a stack.
    const stop = new AbortController()
    const onHup = (): void => stop.abort()
    process.once('SIGHUP', onHup)
    let outError: Error | null = null
    process.stdout.removeAllListeners('error')
    process.stdout.on('error', (err: Error) => {
      outError ??= err
      stop.abort()
    })
    const log = stderrLogger('info')
    const render = statRenderer({
      json: flags.json,
      extended: flags.extended,
      // one table, exactly nsq_stat's, when both are given
      titled: topic === '' || channel === '',
      color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
    })
    try {
      await runStat(
        {
          topic,
          channel,
          nsqdHttpAddresses: nsqd,
          lookupdHttpAddresses: lookupd,
          intervalMs: flags.interval,
          count: flags.count ?? 0,
          connectTimeoutMs: flags['http-client-connect-timeout'],
          requestTimeoutMs: flags['http-client-request-timeout'],
        },
        {
          signal: AbortSignal.any([signal, stop.signal]),
          report: (r) => {
            const text = render(r)
            if (text !== '' && outError === null) process.stdout.write(text)
          },
          failed: (line) => log.warn(line),
        },
      )
    } catch (err) {
      if (err instanceof StatFatal) throw new Error(err.message)
      throw err
    } finally {
      process.off('SIGHUP', onHup)
    }
    if (outError !== null && !isBrokenPipe(outError)) throw new IoError('write', 'stdout', outError)
  }
}
