import {Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {duration} from '../cli/flags.js'
import {checkAddress, lookupdHttpAddress, stderrLogger, toolLogLevel, version, versionLine} from '../cli/tool-flags.js'
import type {LogLevel} from '../core/util/logger.js'

export default class Admin extends NsqCommand {
  static override summary = "Serve nsqadmin's JSON API and actions over an NSQ cluster (Go name: nsqadmin)"
  static override description = `An HTTP server over any NSQ cluster — Go nsqd and nsqlookupd, or nsqkit serve and lookupd — that answers nsqadmin 1.3.0's API with its routes, shapes and status codes: /api/topics, /api/topics/<topic>, /api/topics/<topic>/<channel>, /api/nodes, /api/nodes/<node>, /api/counter and /ping. Each answer is a fresh fan-out: the lookupds' topics, producers and nodes (--lookupd-http-address), or each nsqd's /stats and /info (--nsqd-http-address), then /stats of each nsqd, merged. A node that does not answer gives the rest with "WARNING: …" in the answer's message; nothing answering is 502 UPSTREAM_ERROR.
The actions too, as nsqadmin's: POST /api/topics/<topic>[/<channel>] {"action":"pause"|"unpause"|"empty"}, POST /api/topics {"topic","channel"} (create), DELETE /api/topics/<topic>[/<channel>], DELETE /api/nodes/<node> {"topic"} (tombstone). With --admin-user, only a request whose --acl-http-header names one of them may act (403 FORBIDDEN otherwise). Each action done is POSTed as nsqadmin's event JSON to --notification-http-endpoint; an endpoint that does not answer is a warning, never fatal.
Flags and defaults are nsqadmin's, except --http-address, 127.0.0.1:4171 (loopback by default, as all of nsqkit). The web pages come next.`
  static override hiddenAliases = ['nsqadmin']
  static override examples = [
    '<%= config.bin %> admin --lookupd-http-address 127.0.0.1:4161',
    'nsqadmin -lookupd-http-address=127.0.0.1:4161 -http-address=127.0.0.1:4171',
    '<%= config.bin %> admin --nsqd-http-address 127.0.0.1:4151 --nsqd-http-address 127.0.0.1:4251',
  ]

  static override flags = {
    'http-address': Flags.string({summary: '<addr>:<port> to listen on for HTTP clients', default: '127.0.0.1:4171', helpValue: '<host:port>'}),
    'base-path': Flags.string({summary: 'URL base path', default: '/'}),
    'lookupd-http-address': lookupdHttpAddress,
    'nsqd-http-address': Flags.string({summary: 'nsqd HTTP address (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: '<host:port>'}),
    'acl-http-header': Flags.string({summary: 'HTTP header to check for authenticated admin users', default: 'X-Forwarded-User'}),
    'admin-user': Flags.string({summary: 'admin user (repeatable): only they may act (pause, empty, delete, create, tombstone)', multiple: true, multipleNonGreedy: true, helpValue: '<user>'}),
    'notification-http-endpoint': Flags.string({summary: 'HTTP endpoint (fully qualified) to which POST notifications of admin actions will be sent', default: ''}),
    'sample-interval': duration({summary: "beyond nsqadmin: how often every node's /stats is read for the rates, the sparklines (the last hour) and /metrics; 0 = never", default: 5000}),
    'http-client-connect-timeout': duration({summary: 'timeout for HTTP connect', default: 2000}),
    'http-client-request-timeout': duration({summary: 'timeout for HTTP request', default: 5000}),
    'log-level': toolLogLevel,
    version,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Admin)
    if (flags.version) {
      this.log(versionLine('nsqadmin'))
      return
    }
    const nsqd = flags['nsqd-http-address'] ?? []
    const lookupd = flags['lookupd-http-address'] ?? []
    // nsqadmin's texts
    if (nsqd.length === 0 && lookupd.length === 0) throw new UsageError('--nsqd-http-address or --lookupd-http-address required')
    if (nsqd.length > 0 && lookupd.length > 0) throw new UsageError('use --nsqd-http-address or --lookupd-http-address not both')
    for (const [flag, addrs] of [['--nsqd-http-address', nsqd], ['--lookupd-http-address', lookupd]] as const) {
      for (const a of addrs) checkAddress(flag, a)
    }
    checkAddress('--http-address', flags['http-address'])
    const endpoint = flags['notification-http-endpoint']
    if (endpoint !== '' && !/^https?:\/\/[^/]/.test(endpoint)) throw new UsageError(`--notification-http-endpoint: not an http(s) URL (${JSON.stringify(endpoint)})`)
    if (flags['sample-interval'] < 0) throw new UsageError('--sample-interval: must not be negative')
    for (const f of ['http-client-connect-timeout', 'http-client-request-timeout'] as const) {
      if (flags[f] <= 0) throw new UsageError(`--${f}: must be greater than 0`)
    }
    const log = stderrLogger(flags['log-level'] as LogLevel, '[nsqadmin] ')
    const {AdminServer} = await import('../core/admin/server.js')
    const server = new AdminServer(
      {
        httpAddress: flags['http-address'],
        basePath: flags['base-path'],
        lookupdHttpAddresses: lookupd,
        nsqdHttpAddresses: nsqd,
        httpClientConnectTimeout: flags['http-client-connect-timeout'],
        httpClientRequestTimeout: flags['http-client-request-timeout'],
        adminUsers: flags['admin-user'] ?? [],
        aclHttpHeader: flags['acl-http-header'],
        notificationHttpEndpoint: flags['notification-http-endpoint'],
        sampleIntervalMs: flags['sample-interval'],
      },
      log,
    )
    const {stopped} = this.stopSignal()
    log.info(versionLine('nsqadmin'))
    try {
      await server.listen()
    } catch (err) {
      await server.close()
      throw new Error(`cannot listen: ${(err as Error).message}`)
    }
    const sig = await stopped
    log.info(`${sig}: shutting down`)
    await server.close()
  }
}
