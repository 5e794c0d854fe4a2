import {Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {acceptedFlags, givenFlags, optionsFromFlags, tableFlags} from '../cli/table-flags.js'
import {version, versionLine} from '../cli/tool-flags.js'
import type {Lookupd} from '../core/lookupd/index.js'
// the option tables alone, for the flags: the daemon itself is loaded only to run
import {LOOKUPD_COMPAT_OPTIONS, LOOKUPD_OPTIONS} from '../core/lookupd/options.js'

export default class LookupdCommand extends NsqCommand {
  static override summary = 'Run an nsqlookupd-compatible discovery daemon (Go name: nsqlookupd)'
  static override description = `The directory of an NSQ cluster: nsqd nodes register their topics and channels with it over TCP (protocol V1), consumers and tools ask it over HTTP where a topic lives (/lookup, /topics, /channels, /nodes), as with nsqlookupd 1.3.0.
Flags and defaults are nsqlookupd's, except that addresses default to 127.0.0.1 instead of 0.0.0.0. Port 0 picks a free port; the chosen ports are logged ("TCP: listening on 127.0.0.1:PORT").`
  static override hiddenAliases = ['nsqlookupd']
  static override examples = [
    '<%= config.bin %> lookupd',
    '<%= config.bin %> lookupd --tcp-address=0.0.0.0:4160 --http-address=0.0.0.0:4161 --broadcast-address=lookupd1.example.com',
    'nsqlookupd -tcp-address=127.0.0.1:0 -http-address=127.0.0.1:0 -tombstone-lifetime=10s',
  ]

  static override flags = {
    ...tableFlags(LOOKUPD_OPTIONS),
    ...acceptedFlags(LOOKUPD_COMPAT_OPTIONS, 'accepted for compatibility with nsqlookupd; not acted on yet'),
    verbose: Flags.boolean({summary: 'deprecated in nsqlookupd; no effect', hidden: true, allowNo: true}),
    version,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(LookupdCommand)
    if (flags.version) {
      this.log(versionLine('nsqlookupd'))
      return
    }
    const opts = optionsFromFlags(LOOKUPD_OPTIONS, flags)
    const {Lookupd, OptionError} = await import('../core/lookupd/index.js')
    let lookupd: Lookupd
    try {
      lookupd = new Lookupd(opts)
    } catch (err) {
      if (err instanceof OptionError) throw new UsageError(err.message)
      throw err
    }
    for (const n of givenFlags(LOOKUPD_COMPAT_OPTIONS, flags)) lookupd.log.warn(`${n} is not supported by nsqkit lookupd yet; ignored`)
    if (flags.verbose !== undefined) lookupd.log.warn('--verbose is deprecated in nsqlookupd and has no effect; use --log-level')
    const {stopped} = this.stopSignal()
    try {
      await lookupd.listen()
    } catch (err) {
      await lookupd.close()
      throw new Error(`cannot listen: ${(err as Error).message}`)
    }
    const sig = await stopped
    lookupd.log.info(`${sig}: shutting down`)
    await lookupd.close()
  }
}
