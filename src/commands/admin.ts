import {Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {duration} from '../cli/flags.js'
import {checkAddress, lookupdHttpAddress, stderrLogger, toolLogLevel, version, versionLine} from '../cli/tool-flags.js'
import type {LogLevel} from '../core/util/logger.js'

/** nsqadmin's flags taken and not acted on, each with why (its name, the notice, is it a bool). */
const ACCEPTED: [string, string, boolean][] = [
  ['graphite-url', 'the rates and sparklines come from nsqkit\'s own samples (--sample-interval)', false],
  ['proxy-graphite', 'no Graphite is read', true],
  ['statsd-prefix', 'no Graphite is read', false],
  ['statsd-counter-format', 'no Graphite is read', false],
  ['statsd-gauge-format', 'no Graphite is read', false],
  ['statsd-interval', 'no Graphite is read', false],
  ['allow-config-from-cidr', 'no /config routes yet', false],
  ['http-client-tls-insecure-skip-verify', 'upstream TLS is not there yet', true],
  ['http-client-tls-root-ca-file', 'upstream TLS is not there yet', false],
  ['http-client-tls-cert', 'upstream TLS is not there yet', false],
  ['http-client-tls-key', 'upstream TLS is not there yet', false],
  ['dev-static-dir', 'the pages are served from the package', false],
  ['log-prefix', 'the prefix is [nsqadmin] ', false],
  ['config', 'no config file yet: give the flags', false],
]

export default class Admin extends NsqCommand {
  static override summary = "The cluster's web UI, with nsqadmin's pages, JSON API and actions (Go name: nsqadmin)"
  static override description = `An HTTP server over any NSQ cluster — Go nsqd and nsqlookupd, or nsqkit serve and lookupd — that answers nsqadmin 1.3.0's API with its routes, shapes and status codes: /api/topics, /api/topics/<topic>, /api/topics/<topic>/<channel>, /api/nodes, /api/nodes/<node>, /api/counter and /ping. Each answer is a fresh fan-out: the lookupds' topics, producers and nodes (--lookupd-http-address), or each nsqd's /stats and /info (--nsqd-http-address), then /stats of each nsqd, merged. A node that does not answer gives the rest with "WARNING: …" in the answer's message; nothing answering is 502 UPSTREAM_ERROR.
The actions too, as nsqadmin's: POST /api/topics/<topic>[/<channel>] {"action":"pause"|"unpause"|"empty"}, POST /api/topics {"topic","channel"} (create), DELETE /api/topics/<topic>[/<channel>], DELETE /api/nodes/<node> {"topic"} (tombstone). With --admin-user, only a request whose --acl-http-header names one of them may act (403 FORBIDDEN otherwise). Each action done is POSTed as nsqadmin's event JSON to --notification-http-endpoint; an endpoint that does not answer is a warning, never fatal.
The pages (Streams, Topic, Channel, Nodes, Node, Counter, Lookup) show the same, with rates and depth sparklines from the server's own samples (--sample-interval; no Graphite), a live tail and publish on a topic's page, and GET /metrics in Prometheus' format. --basic-auth-file makes every request log in (--hash-password makes its lines).
Flags and defaults are nsqadmin's, except --http-address, 127.0.0.1:4171 (loopback by default, as all of nsqkit).`
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
    'basic-auth-file': Flags.string({summary: 'beyond nsqadmin: built-in login: a file of user:scrypt:<salt>:<key> lines (make one with --hash-password); every request but /ping must log in, and --admin-user names who may act', helpValue: '<path>'}),
    'hash-password': Flags.string({summary: 'print the --basic-auth-file line for this user, the password read from stdin, and exit', helpValue: '<user>'}),
    'sample-interval': duration({summary: "beyond nsqadmin: how often every node's /stats is read for the rates, the sparklines (the last hour) and /metrics; 0 = never", default: 5000}),
    'http-client-connect-timeout': duration({summary: 'timeout for HTTP connect', default: 2000}),
    'http-client-request-timeout': duration({summary: 'timeout for HTTP request', default: 5000}),
    'log-level': toolLogLevel,
    version,
    // nsqadmin's flags for what nsqkit does differently or not yet: taken, one notice each
    ...Object.fromEntries(
      ACCEPTED.map(([name, summary, bool]) => [name, bool ? Flags.boolean({summary: `accepted for nsqadmin's command lines; ${summary}`, allowNo: true}) : Flags.string({summary: `accepted for nsqadmin's command lines; ${summary}`})]),
    ),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Admin)
    if (flags.version) {
      this.log(versionLine('nsqadmin'))
      return
    }
    if (flags['hash-password'] !== undefined) {
      const {hashPassword, LoginFileError} = await import('../core/admin/login.js')
      const {readFileSync} = await import('node:fs')
      const password = readFileSync(0, 'utf8').split('\n')[0] ?? ''
      if (password === '') throw new UsageError('--hash-password: no password on stdin')
      try {
        this.log(hashPassword(flags['hash-password'], password))
      } catch (err) {
        if (err instanceof LoginFileError) throw new UsageError(`--hash-password: ${err.message}`)
        throw err
      }
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
    let logins = null
    if (flags['basic-auth-file'] !== undefined) {
      const {Logins, LoginFileError} = await import('../core/admin/login.js')
      const {readFileSync} = await import('node:fs')
      let text: string
      try {
        text = readFileSync(flags['basic-auth-file'], 'utf8')
      } catch (err) {
        throw new UsageError(`--basic-auth-file: cannot read ${flags['basic-auth-file']}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
      }
      try {
        logins = new Logins(text)
      } catch (err) {
        if (err instanceof LoginFileError) throw new UsageError(`--basic-auth-file: ${err.message}`)
        throw err
      }
    }
    const log = stderrLogger(flags['log-level'] as LogLevel, '[nsqadmin] ')
    for (const [name, why] of ACCEPTED) if ((flags as Record<string, unknown>)[name] !== undefined) log.warn(`--${name} is accepted for nsqadmin's command lines and not acted on: ${why}`)
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
        logins,
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
