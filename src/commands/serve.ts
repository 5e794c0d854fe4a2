import {mkdir} from 'node:fs/promises'
import {Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {acceptedFlags, givenFlags, optionsFromFlags, tableFlags} from '../cli/table-flags.js'
import {version, versionLine} from '../cli/tool-flags.js'
import type {Broker} from '../core/broker/index.js'
// the option tables alone, for the flags: the broker itself is loaded only to run
import {BROKER_OPTIONS, NSQD_COMPAT_OPTIONS} from '../core/broker/options.js'

export default class Serve extends NsqCommand {
  static override summary = 'Run an nsqd-compatible broker (Go name: nsqd)'
  static override description = `An in-memory broker that speaks NSQ's TCP protocol V2 and nsqd's HTTP API: nsqjs, go-nsq, pynsq and the NSQ tools cannot tell it from nsqd 1.3.0.
Flags and defaults are nsqd's, except that addresses default to 127.0.0.1 instead of 0.0.0.0. Port 0 picks a free port; the chosen ports are logged ("TCP: listening on 127.0.0.1:PORT").`
  static override hiddenAliases = ['nsqd']
  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --tcp-address=0.0.0.0:4150 --http-address=0.0.0.0:4151 --mem-queue-size=100000',
    'nsqd -tcp-address=127.0.0.1:0 -http-address=127.0.0.1:0 -msg-timeout=30s',
  ]

  static override flags = {
    // every nsqd option nsqkit acts on, with its default and bounds (core/broker/options.ts)
    ...tableFlags(BROKER_OPTIONS),
    // nsqd's flags for what nsqkit does not have yet (TLS, auth, statsd, ...): taken, warned about
    ...acceptedFlags(NSQD_COMPAT_OPTIONS, 'accepted for compatibility with nsqd; not acted on yet'),
    verbose: Flags.boolean({summary: 'deprecated in nsqd; no effect', hidden: true, allowNo: true}),
    'worker-id': Flags.boolean({summary: 'deprecated in nsqd; no effect', hidden: true, allowNo: true}),
    version,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    if (flags.version) {
      this.log(versionLine('nsqd'))
      return
    }
    const opts = optionsFromFlags(BROKER_OPTIONS, flags)
    const {Broker, OptionError} = await import('../core/broker/index.js')
    let broker: Broker
    try {
      broker = new Broker(opts)
    } catch (err) {
      if (err instanceof OptionError) throw new UsageError(err.message)
      throw err
    }
    // accepted for nsqd's command lines, not acted on: one warning each (lookupd: the broker's own)
    for (const n of givenFlags(NSQD_COMPAT_OPTIONS, flags)) broker.log.warn(`${n} is not supported by nsqkit serve yet; ignored`)
    if (flags.verbose !== undefined) broker.log.warn('--verbose is deprecated in nsqd and has no effect; use --log-level')
    if (flags['worker-id'] !== undefined) broker.log.warn('--worker-id is deprecated in nsqd and has no effect; use --node-id')
    if (opts.dataPath) await mkdir(opts.dataPath, {recursive: true})
    const {stopped} = this.stopSignal()
    try {
      await broker.listen()
    } catch (err) {
      await broker.close()
      throw new Error(`cannot listen: ${(err as Error).message}`)
    }
    const sig = await stopped
    broker.log.info(`${sig}: shutting down`)
    await broker.close()
  }
}
