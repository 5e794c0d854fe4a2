import {mkdir} from 'node:fs/promises'
import {Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {acceptedFlags, givenFlags, optionsFromFlags, tableFlags} from '../cli/table-flags.js'
import {checkAddress, stderrLogger, version, versionLine} from '../cli/tool-flags.js'
import type {AdminServer} from '../core/admin/server.js'
import {formatHostPort} from '../core/util/hostport.js'
import type {Broker} from '../core/broker/index.js'
import type {Lookupd} from '../core/lookupd/index.js'
// the option tables alone, for the flags: the broker itself is loaded only to run
import {BROKER_OPTIONS, NSQD_COMPAT_OPTIONS} from '../core/broker/options.js'

export default class Serve extends NsqCommand {
  static override summary = 'Run an nsqd-compatible broker (Go name: nsqd)'
  static override description = `A broker that speaks NSQ's TCP protocol V2 and nsqd's HTTP API: nsqjs, go-nsq, pynsq and the NSQ tools cannot tell it from nsqd 1.3.0.
Messages past --mem-queue-size, and all of them at a clean shutdown, are kept in --data-path (the working directory when not given) in nsqd's own files, so serve and nsqd 1.3.0 can take over each other's data.
Flags and defaults are nsqd's, except that addresses default to 127.0.0.1 instead of 0.0.0.0. Port 0 picks a free port; the chosen ports are logged ("TCP: listening on 127.0.0.1:PORT").`
  static override hiddenAliases = ['nsqd']
  static override examples = [
    '<%= config.bin %> serve',
    '<%= config.bin %> serve --lookupd',
    '<%= config.bin %> serve --tcp-address=0.0.0.0:4150 --http-address=0.0.0.0:4151 --mem-queue-size=100000',
    'nsqd -tcp-address=127.0.0.1:0 -http-address=127.0.0.1:0 -msg-timeout=30s',
  ]

  static override flags = {
    // every nsqd option nsqkit acts on, with its default and bounds (core/broker/options.ts)
    ...tableFlags(BROKER_OPTIONS),
    // nsqd's flags for what nsqkit does not have yet (TLS, auth, statsd, ...): taken, warned about
    ...acceptedFlags(NSQD_COMPAT_OPTIONS, 'accepted for compatibility with nsqd; not acted on yet'),
    lookupd: Flags.boolean({
      summary: 'also run a lookupd in this process and register with it: a one-machine cluster',
      description: 'The lookupd listens on --embedded-lookupd-tcp-address and --embedded-lookupd-http-address (127.0.0.1:4160 and 127.0.0.1:4161), so every tool\'s --lookupd-http-address=127.0.0.1:4161 finds this broker. Unless --broadcast-address is given, the broker registers as 127.0.0.1 (the host of --tcp-address when it names one).',
      allowNo: true,
    }),
    'embedded-lookupd-tcp-address': Flags.string({summary: '<addr>:<port> the --lookupd lookupd listens on for nsqd (default 127.0.0.1:4160)', helpValue: '<addr:port>'}),
    'embedded-lookupd-http-address': Flags.string({summary: '<addr>:<port> the --lookupd lookupd listens on for HTTP (default 127.0.0.1:4161)', helpValue: '<addr:port>'}),
    admin: Flags.boolean({
      summary: 'also serve the admin UI (nsqkit admin) in this process, over this broker (and its --lookupd)',
      description: 'The UI listens on --embedded-admin-http-address (127.0.0.1:4171) and reads the cluster through the embedded lookupd with --lookupd, else through this broker\'s HTTP API.',
      allowNo: true,
    }),
    'embedded-admin-http-address': Flags.string({summary: '<addr>:<port> the --admin UI listens on (default 127.0.0.1:4171)', helpValue: '<addr:port>'}),
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
    if (!flags.lookupd) {
      for (const f of ['embedded-lookupd-tcp-address', 'embedded-lookupd-http-address'] as const) if (flags[f] !== undefined) throw new UsageError(`--${f} needs --lookupd`)
    }
    if (!flags.admin && flags['embedded-admin-http-address'] !== undefined) throw new UsageError('--embedded-admin-http-address needs --admin')
    const adminAddress = flags['embedded-admin-http-address'] ?? '127.0.0.1:4171'
    if (flags.admin) checkAddress('--embedded-admin-http-address', adminAddress)
    const lookupd = flags.lookupd ? await this.embeddedLookupd(flags['embedded-lookupd-tcp-address'], flags['embedded-lookupd-http-address']) : null
    let lookupdHttp = ''
    if (lookupd !== null) {
      const tcp = await lookupd.listen().catch(async (err: unknown) => {
        await lookupd.close()
        throw new Error(`cannot listen (lookupd): ${(err as Error).message}`)
      })
      lookupdHttp = formatHostPort(tcp.http)
      opts.lookupdTcpAddresses = [...(opts.lookupdTcpAddresses ?? []), `${tcp.tcp.host}:${tcp.tcp.port}`]
      // registered as a name every tool on this machine can reach, unless told otherwise
      if (!this.argv.some((a) => /^--?broadcast-address(=|$)/.test(a))) opts.broadcastAddress = loopbackOr(opts.tcpAddress ?? BROKER_OPTIONS.defaults.tcpAddress)
    }
    const {Broker, OptionError} = await import('../core/broker/index.js')
    let broker: Broker
    try {
      // nsqd's data path when --data-path is not given: the working directory
      broker = new Broker(opts, {defaultDataPath: process.cwd()})
    } catch (err) {
      await lookupd?.close()
      if (err instanceof OptionError) throw new UsageError(err.message)
      throw err
    }
    // accepted for nsqd's command lines, not acted on: one warning each (lookupd: the broker's own)
    for (const n of givenFlags(NSQD_COMPAT_OPTIONS, flags)) broker.log.warn(`${n} is not supported by nsqkit serve yet; ignored`)
    if (flags.verbose !== undefined) broker.log.warn('--verbose is deprecated in nsqd and has no effect; use --log-level')
    if (flags['worker-id'] !== undefined) broker.log.warn('--worker-id is deprecated in nsqd and has no effect; use --node-id')
    if (opts.dataPath) await mkdir(opts.dataPath, {recursive: true})
    try {
      // the lock, then the topics, channels and messages of the last run
      broker.open()
    } catch (err) {
      await broker.close()
      await lookupd?.close()
      throw new Error((err as Error).message)
    }
    const {stopped} = this.stopSignal()
    let listening
    try {
      listening = await broker.listen()
    } catch (err) {
      await broker.close()
      await lookupd?.close()
      throw new Error(`cannot listen: ${(err as Error).message}`)
    }
    // --admin: the UI over this one-machine cluster, through the lookupd when there is one
    let admin: AdminServer | null = null
    if (flags.admin) {
      const {AdminServer} = await import('../core/admin/server.js')
      const http = listening.http === null ? '' : formatHostPort({host: loopbackOr(formatHostPort(listening.http)), port: listening.http.port})
      admin = new AdminServer(
        {
          httpAddress: adminAddress,
          basePath: '/',
          lookupdHttpAddresses: lookupdHttp === '' ? [] : [lookupdHttp],
          nsqdHttpAddresses: lookupdHttp === '' ? [http] : [],
          httpClientConnectTimeout: 2000,
          httpClientRequestTimeout: 5000,
          adminUsers: [],
          aclHttpHeader: 'X-Forwarded-User',
          notificationHttpEndpoint: '',
        },
        stderrLogger(opts.logLevel ?? 'info', '[nsqadmin] '),
      )
      try {
        await admin.listen()
      } catch (err) {
        await admin.close()
        await broker.close()
        await lookupd?.close()
        throw new Error(`cannot listen (admin): ${(err as Error).message}`)
      }
    }
    const sig = await stopped
    broker.log.info(`${sig}: shutting down`)
    await admin?.close()
    await broker.close()
    await lookupd?.close()
  }

  /** The lookupd of --lookupd, on its two addresses (checked as lookupd's own flags are). */
  private async embeddedLookupd(tcp: string | undefined, http: string | undefined): Promise<Lookupd> {
    const {Lookupd, LOOKUPD_OPTIONS, OptionError} = await import('../core/lookupd/index.js')
    const tcpAddress = tcp ?? LOOKUPD_OPTIONS.defaults.tcpAddress
    const httpAddress = http ?? LOOKUPD_OPTIONS.defaults.httpAddress
    for (const [flag, key, v] of [['embedded-lookupd-tcp-address', 'tcpAddress', tcpAddress], ['embedded-lookupd-http-address', 'httpAddress', httpAddress]] as const) {
      try {
        LOOKUPD_OPTIONS.parse(key, v)
      } catch (err) {
        if (err instanceof OptionError) throw new UsageError(`invalid value ${JSON.stringify(v)} for --${flag}: ${err.detail}`)
        throw err
      }
    }
    // its broadcast address is where the broker asks it for channels: the host it listens on
    return new Lookupd({tcpAddress, httpAddress, broadcastAddress: loopbackOr(httpAddress)})
  }
}

/** The host of `addr`, or 127.0.0.1 when it is a wildcard (0.0.0.0, ::, empty). */
function loopbackOr(addr: string): string {
  const host = addr.slice(0, addr.lastIndexOf(':')).replace(/^\[|\]$/g, '')
  return host === '' || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
}
