import {Args, Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {checkAddress, clientConfig, logLevel, nsqdTcpAddress, producerOpt, stderrLogger, userAgent, version, versionLine} from '../cli/tool-flags.js'
import {PubRun} from '../core/tools/pub.js'
import type {LogLevel} from '../core/util/logger.js'

export default class Pub extends NsqCommand {
  static override summary = 'Publish records from stdin (or arguments) to nsqd (Go name: to_nsq)'
  static override description = `Reads stdin, splits it on --delimiter (a newline by default), skips empty records and publishes every record to every --nsqd-tcp-address, in MPUB batches of --batch-size. With arguments, publishes the arguments instead of stdin.
Exits 0 only when every record was acknowledged by every nsqd; otherwise prints how many were and were not published (and which records were too big) and exits 1.`
  static override hiddenAliases = ['to_nsq']
  static override strict = false
  static override examples = [
    'tail -F app.log | to_nsq -topic=logs -nsqd-tcp-address=127.0.0.1:4150',
    '<%= config.bin %> pub --topic events --nsqd-tcp-address 127.0.0.1:4150 "one message" "another"',
  ]

  static override args = {
    message: Args.string({description: 'messages to publish instead of reading stdin', required: false, ignoreStdin: true}),
  }

  static override flags = {
    topic: Flags.string({summary: 'NSQ topic to publish to'}),
    'nsqd-tcp-address': nsqdTcpAddress,
    delimiter: Flags.string({summary: 'character to split input from stdin (one byte)', default: '\n'}),
    rate: Flags.integer({summary: 'throttle messages to n/second; 0 to disable', default: 0, min: 0}),
    'producer-opt': producerOpt,
    'batch-size': Flags.integer({summary: 'records per MPUB (a batch also closes after 10ms without input)', default: 200, min: 1}),
    'log-level': logLevel(),
    version,
  }

  async run(): Promise<void> {
    const {flags, argv} = await this.parse(Pub)
    if (flags.version) {
      this.log(versionLine('to_nsq'))
      return
    }
    if (!flags.topic) throw new UsageError('--topic required')
    const addrs = flags['nsqd-tcp-address'] ?? []
    if (addrs.length === 0) throw new UsageError('--nsqd-tcp-address required')
    for (const a of addrs) checkAddress('--nsqd-tcp-address', a)
    if (Buffer.byteLength(flags.delimiter) !== 1) throw new UsageError('--delimiter must be a single byte')
    const config = clientConfig('--producer-opt', {user_agent: userAgent('to_nsq')}, flags['producer-opt'])
    const {signal} = this.stopSignal()
    const log = stderrLogger(flags['log-level'] as LogLevel)
    const run = new PubRun(
      {
        topic: flags.topic,
        nsqdTcpAddresses: addrs,
        delimiter: flags.delimiter,
        rate: flags.rate,
        batchSize: flags['batch-size'],
        batchIdleMs: 10,
        messages: argv as string[],
        config,
      },
      {signal, input: process.stdin, log},
    )
    const progress = process.stderr.isTTY ? this.progress(run) : null
    const result = await run.run().finally(() => progress?.())
    if (result.error === null && result.failed === 0) return
    process.exitCode = 1
    if (result.records === 0 && result.error) {
      process.stderr.write(`pub: ${result.error.message}; nothing published\n`)
      return
    }
    const reason = result.error ? result.error.message : `${result.oversized.length} record(s) over the broker's max-msg-size (${result.oversized.slice(0, 10).join(', ')}${result.oversized.length > 10 ? ', ...' : ''})`
    process.stderr.write(`pub: ${result.published} of ${result.records} records published to ${addrs.length === 1 ? addrs[0] : `all of ${addrs.join(', ')}`}, ${result.failed} not published: ${reason}\n`)
  }

  /** A live line on a terminal's stderr: records, published, rate. Returns the stopper. */
  private progress(run: PubRun): () => void {
    const t0 = Date.now()
    const draw = (): void => {
      const s = run.stats
      const secs = Math.max(0.001, (Date.now() - t0) / 1000)
      process.stderr.write(`\r\x1b[K${s.records} records, ${s.published} published, ${Math.round(s.published / secs)}/s`)
    }
    const timer = setInterval(draw, 250)
    return () => {
      clearInterval(timer)
      draw()
      process.stderr.write('\n')
    }
  }
}
