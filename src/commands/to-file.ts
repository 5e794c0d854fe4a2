import {Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {duration} from '../cli/flags.js'
import {startStatusLine} from '../cli/status-line.js'
import {clientConfig, consumerOpt, lookupdHttpAddress, nsqdTcpAddress, requireOneSource, stderrLogger, toolLogLevel, userAgent, version, versionLine} from '../cli/tool-flags.js'
import {goRegexp} from '../core/util/go-regexp.js'
import {MISSING_REV, revRequired} from '../core/tools/to-file/naming.js'
import type {RecordFormat} from '../core/tools/record-format.js'

export default class ToFile extends NsqCommand {
  static override summary = 'Archive topics to files, with rotation and gzip (Go name: nsq_to_file)'
  static override description = `Consumes every --topic (or, with only --lookupd-http-address, every topic the lookupds know that matches --topic-pattern, found at once and every --topic-refresh) on one channel and writes each message as one record to the topic's current file: the body and a newline. A message is FINed only after the bytes holding it are fsynced.
Files are named by --filename-format and rotate when <DATETIME> rolls over, after --rotate-interval, past --rotate-size, and on SIGHUP; with --gzip each sync is one complete gzip member. With --work-dir a file is moved to --output-dir (never overwriting) once closed. After a crash, the next start cuts the files left unfinished back to their last whole member or record (nothing FINed is lost) and moves them on. SIGINT/SIGTERM: sync, FIN, close, move, exit 0.`
  static override hiddenAliases = ['nsq_to_file']
  static override examples = [
    'nsq_to_file -topic=events -lookupd-http-address=127.0.0.1:4161 -output-dir=/archive -gzip -rotate-size=104857600',
    '<%= config.bin %> to-file --topic-pattern "^logs\\." --lookupd-http-address 127.0.0.1:4161 --work-dir /archive/.work --output-dir /archive',
  ]

  static override flags = {
    topic: Flags.string({summary: 'nsq topic (repeatable)', multiple: true, multipleNonGreedy: true}),
    'topic-pattern': Flags.string({summary: 'only log topics matching the following pattern (a Go regexp, unanchored)', default: ''}),
    'topic-refresh': duration({summary: 'how frequently the topic list should be refreshed', default: 60_000}),
    channel: Flags.string({summary: 'nsq channel', default: 'nsq_to_file'}),
    'max-in-flight': Flags.integer({summary: 'max number of messages to allow in flight (also the most messages written per sync)', default: 200, min: 1}),
    'output-dir': Flags.string({summary: 'directory to write output files to', default: '/tmp'}),
    'work-dir': Flags.string({summary: 'directory for in-progress files before moving to output-dir', default: ''}),
    'datetime-format': Flags.string({summary: 'strftime compatible format for <DATETIME> in filename format', default: '%Y-%m-%d_%H'}),
    'filename-format': Flags.string({summary: 'output filename format (<TOPIC>, <HOST>, <PID>, <DATETIME>, <REV> are replaced. <REV> is increased when file already exists)', default: '<TOPIC>.<HOST><REV>.<DATETIME>.log'}),
    'host-identifier': Flags.string({summary: 'value to output in log filename in place of hostname. <SHORT_HOST> and <HOSTNAME> are valid replacement tokens', default: ''}),
    gzip: Flags.boolean({summary: 'gzip output files', allowNo: true}),
    'gzip-level': Flags.integer({summary: 'gzip compression level (1-9, 1=BestSpeed, 9=BestCompression)', default: 6}),
    'skip-empty-files': Flags.boolean({summary: 'skip writing empty files', allowNo: true}),
    'rotate-size': Flags.integer({summary: 'rotate the file when it grows bigger than `rotate-size` bytes', default: 0, min: 0}),
    'rotate-interval': duration({summary: 'rotate the file every duration', default: 0}),
    'sync-interval': duration({summary: 'sync file to disk every duration', default: 30_000}),
    'http-client-connect-timeout': duration({summary: 'timeout for HTTP connect', default: 2000}),
    'http-client-request-timeout': duration({summary: 'timeout for HTTP request', default: 5000}),
    'nsqd-tcp-address': nsqdTcpAddress,
    'lookupd-http-address': lookupdHttpAddress,
    'consumer-opt': consumerOpt,
    'log-level': toolLogLevel,
    'log-prefix': Flags.string({summary: 'log message prefix', default: '[nsq_to_file] '}),
    utc: Flags.boolean({summary: '<DATETIME> in UTC instead of local time', allowNo: true}),
    'output-format': Flags.option({options: ['raw', 'json', 'length-prefixed'] as const, summary: 'raw: the body and a newline; json: {"topic","id","attempts","timestamp","body"} per line; length-prefixed: a 4-byte big-endian length, then the body', default: 'raw' as const})(),
    'status-every': Flags.integer({summary: 'log a status line every N messages written (a terminal gets a live line instead); 0 = never', default: 0, min: 0}),
    version,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(ToFile)
    if (flags.version) {
      this.log(versionLine('nsq_to_file'))
      return
    }
    const topics = flags.topic ?? []
    const nsqd = flags['nsqd-tcp-address'] ?? []
    const lookupd = flags['lookupd-http-address'] ?? []
    requireOneSource(nsqd, lookupd)
    if (topics.length === 0 && lookupd.length === 0) throw new UsageError('--lookupd-http-address must be specified when no --topic specified')
    if (flags.channel === '') throw new UsageError('--channel is required')
    const gzipLevel = flags['gzip-level']
    if (gzipLevel < 1 || gzipLevel > 9) throw new UsageError(`--gzip-level: invalid value ${gzipLevel} (must be 1-9)`)
    for (const f of ['http-client-connect-timeout', 'http-client-request-timeout', 'sync-interval', 'topic-refresh'] as const) {
      if (flags[f] <= 0) throw new UsageError(`--${f}: must be greater than 0`)
    }
    const workDir = flags['work-dir'] || flags['output-dir']
    const rev = {gzip: flags.gzip ?? false, rotateSize: flags['rotate-size'], rotateIntervalMs: flags['rotate-interval'], workDir, outputDir: flags['output-dir']}
    if (revRequired(rev) && !flags['filename-format'].includes('<REV>')) throw new UsageError(`--filename-format: ${MISSING_REV}`)
    let topicPattern: RegExp | null = null
    if (flags['topic-pattern'] !== '') {
      try {
        topicPattern = goRegexp(flags['topic-pattern'])
      } catch (err) {
        throw new UsageError(`--topic-pattern: ${(err as Error).message}`)
      }
    }
    const config = clientConfig('--consumer-opt', {max_in_flight: flags['max-in-flight'], user_agent: userAgent('nsq_to_file')}, flags['consumer-opt'])
    const log = stderrLogger(flags['log-level'], flags['log-prefix'])
    // the engine (client, sockets, zlib) is loaded only to run: help and --version do without it
    const {startToFile} = await import('../core/tools/to-file/to-file.js')
    const {signal} = this.stopSignal()
    const run = startToFile(
      {
        topics,
        topicPattern,
        topicRefreshMs: flags['topic-refresh'],
        channel: flags.channel,
        nsqdTcpAddresses: nsqd,
        lookupdHttpAddresses: lookupd,
        outputDir: flags['output-dir'],
        workDir: flags['work-dir'],
        filenameFormat: flags['filename-format'],
        datetimeFormat: flags['datetime-format'],
        utc: flags.utc ?? false,
        hostIdentifier: flags['host-identifier'],
        gzip: flags.gzip ?? false,
        gzipLevel,
        rotateSize: flags['rotate-size'],
        rotateIntervalMs: flags['rotate-interval'],
        syncIntervalMs: flags['sync-interval'],
        skipEmptyFiles: flags['skip-empty-files'] ?? false,
        format: flags['output-format'] as RecordFormat,
        config,
        httpConnectTimeoutMs: flags['http-client-connect-timeout'],
        httpRequestTimeoutMs: flags['http-client-request-timeout'],
        // a terminal gets the live line instead
        statusEvery: process.stderr.isTTY ? 0 : flags['status-every'],
      },
      {signal, log},
    )
    const onHup = (): void => run.hangup()
    process.on('SIGHUP', onHup)
    const t0 = Date.now()
    const stopLine = process.stderr.isTTY
      ? startStatusLine(process.stderr, () => {
          const s = run.stats()
          const secs = Math.max(0.001, (Date.now() - t0) / 1000)
          return `${s.messages} messages written, ${s.files} files, ${s.topics} topics, ${s.bytes} bytes, ${Math.round(s.messages / secs)}/s`
        })
      : null
    try {
      await run.done
    } finally {
      stopLine?.()
      process.off('SIGHUP', onHup)
    }
  }
}
