import {Args, Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {argBytes, lostBytes, rawArgv} from '../cli/raw-argv.js'
import {programLine} from '../cli/misuse.js'
import {readableStdin} from '../cli/stdin.js'
import {startStatusLine} from '../cli/status-line.js'
import {checkAddress, clientConfig, toolLogLevel, nsqdTcpAddress, producerOpt, stderrLogger, userAgent, version, versionLine} from '../cli/tool-flags.js'
import {IoError} from '../core/tools/io-error.js'
import type {PubResult, PubRun} from '../core/tools/pub.js'

export default class Pub extends NsqCommand {
  static override summary = 'Publish records from stdin (or arguments) to nsqd (Go name: to_nsq)'
  static override description = `Reads stdin, splits it on the --delimiter byte (a newline by default), skips empty records and publishes every record, as the exact bytes read, to every --nsqd-tcp-address, in MPUB batches of --batch-size. With arguments, publishes the arguments instead of stdin.
Exits 0 only when every record was acknowledged by every nsqd; otherwise prints how many were read, published and not published (and which records were too big) and exits 1.`
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
    delimiter: Flags.string({summary: 'character to split input from stdin (one byte, any of 0-255)', default: '\n'}),
    rate: Flags.integer({summary: 'throttle messages to n/second; 0 to disable', default: 0, min: 0}),
    'producer-opt': producerOpt,
    'batch-size': Flags.integer({summary: 'records per MPUB (a batch also closes 10ms after its first record)', default: 200, min: 1}),
    'log-level': toolLogLevel,
    version,
  }

  protected override async init(): Promise<void> {
    // the bytes of arguments that are not valid UTF-8 (a Latin-1 message, --delimiter $'\xff')
    this.argv = rawArgv(this.argv)
    await super.init()
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
    const delimiter = argBytes(flags.delimiter)
    if (delimiter.length !== 1) {
      throw new UsageError(`--delimiter must be a single byte${lostBytes(flags.delimiter) ? ' (the argument is not valid UTF-8 and its bytes cannot be read back on this system)' : ''}`)
    }
    const config = clientConfig('--producer-opt', {user_agent: userAgent('to_nsq')}, flags['producer-opt'])
    const messages = (argv as string[]).map(argBytes)
    // with arguments, stdin is not read at all
    const input = messages.length > 0 ? process.stdin : readableStdin()
    const {signal, stopped} = this.stopSignal()
    let signalName = 'a signal'
    void stopped.then((s) => {
      signalName = s
    })
    const log = stderrLogger(flags['log-level'])
    // the engine (client, sockets) is loaded only to run: help and --version do without it
    const {PubRun} = await import('../core/tools/pub.js')
    const run = new PubRun(
      {
        topic: flags.topic,
        nsqdTcpAddresses: addrs,
        delimiter: delimiter[0] as number,
        rate: flags.rate,
        batchSize: flags['batch-size'],
        batchIdleMs: 10,
        messages,
        config,
      },
      {signal, input, inputName: 'stdin', log},
    )
    const progress = process.stderr.isTTY ? this.progress(run) : null
    const result = await run.run().finally(() => progress?.())
    if (result.error === null && result.failed === 0) return
    process.exitCode = 1
    // the name the user typed, as on the error lines (to_nsq: ...)
    process.stderr.write(`${programLine(this.id, summary(result, addrs, signal.aborted ? signalName : null))}\n`)
  }

  /** A live line on a terminal's stderr: records, published, rate. Returns the stopper. */
  private progress(run: PubRun): () => void {
    const t0 = Date.now()
    return startStatusLine(process.stderr, () => {
      const s = run.stats
      const secs = Math.max(0.001, (Date.now() - t0) / 1000)
      return `${s.records} records, ${s.published} published, ${Math.round(s.published / secs)}/s`
    })
  }
}

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`
const numbers = (ns: number[]): string => `${ns.slice(0, 10).join(', ')}${ns.length > 10 ? ', ...' : ''}`

/**
 * The line after a run that did not publish everything:
 *   3 of 5 records were published to H:P, 2 not published: 2 records over the broker's max-msg-size (2, 5)
 *   41 of 43 records read were published to H:P, 2 not published; the rest of the input was not read: <why>
 *   0 of 100 records were published to H:P, 100 not published: stopped by SIGINT with 100 records not acknowledged by the broker
 * `signal`: the name of the signal that stopped the run, if one did.
 */
function summary(r: PubResult, addrs: string[], signal: string | null): string {
  const e = r.error
  if (r.records === 0 && e !== null) return e instanceof IoError ? e.message : `${e.message}; nothing published`
  const why: string[] = []
  if (e !== null) why.push(e.message)
  else if (signal !== null && (r.abandoned > 0 || !r.complete)) {
    why.push(`stopped by ${signal}${r.abandoned > 0 ? ` with ${plural(r.abandoned, 'record')} not acknowledged by ${addrs.length === 1 ? 'the broker' : 'every broker'}` : ''}`)
  }
  if (r.oversized.length > 0) why.push(`${plural(r.oversized.length, 'record')} over the broker's max-msg-size (${numbers(r.oversized)})`)
  if (r.refused.length > 0) why.push(`${plural(r.refused.length, 'record')} on which the broker closed the connection without an answer (${numbers(r.refused)})`)
  const to = addrs.length === 1 ? addrs[0] : `all of ${addrs.join(', ')}`
  const counts = `${r.published} of ${r.records} records ${r.complete ? '' : 'read '}were published to ${to}, ${r.failed} not published`
  return `${counts}${r.complete ? '' : '; the rest of the input was not read'}: ${why.join('; ')}`
}
