import {mkdir} from 'node:fs/promises'
import {Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {address, duration, integer, logLevel} from '../cli/flags.js'
import {versionLine} from '../cli/tool-flags.js'
import type {Broker, BrokerOptions} from '../core/broker/index.js'
// the defaults alone, for the flags: the broker itself is loaded only to run
import {DEFAULT_BROKER_OPTIONS as D} from '../core/broker/options.js'
import {formatDuration} from '../core/util/duration.js'

const dur = (summary: string, def: number) => duration({summary: `${summary} (default ${formatDuration(def)})`, default: def})

/** nsqd flags nsqkit accepts but does not act on yet (TLS, auth, statsd: later issues). */
const NOT_YET = [
  'https-address',
  'auth-http-address',
  'http-client-connect-timeout',
  'http-client-request-timeout',
  'statsd-address',
  'statsd-interval',
  'statsd-prefix',
  'statsd-udp-packet-size',
  'e2e-processing-latency-percentile',
  'e2e-processing-latency-window-time',
  'tls-cert',
  'tls-key',
  'tls-client-auth-policy',
  'tls-root-ca-file',
  'tls-required',
  'tls-min-version',
  'queue-scan-worker-pool-max',
  'queue-scan-selection-count',
  'config',
  'log-prefix',
] as const

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
    'tcp-address': address({summary: `<addr>:<port> for TCP clients (default ${D.tcpAddress})`, default: D.tcpAddress}),
    'http-address': Flags.string({summary: `<addr>:<port> for the HTTP API, '' to disable (default ${D.httpAddress})`, default: D.httpAddress}),
    // noCacheDefault: the build machine's hostname stays out of the shipped manifest
    'broadcast-address': Flags.string({summary: 'address registered with lookupd and shown in /info (default: the hostname)', default: D.broadcastAddress, noCacheDefault: true}),
    'broadcast-tcp-port': integer({summary: 'TCP port to advertise (default: the listening port)', default: 0, min: 0, max: 65535}),
    'broadcast-http-port': integer({summary: 'HTTP port to advertise (default: the listening port)', default: 0, min: 0, max: 65535}),
    'lookupd-tcp-address': Flags.string({summary: 'nsqlookupd TCP address (repeatable)', multiple: true}),
    'data-path': Flags.string({summary: 'directory for data (created if missing)', default: ''}),
    'node-id': integer({summary: 'unique part of message ids, 0-1023 (default crc32(md5(hostname)) % 1024)', default: D.nodeId, min: 0, max: 1023, noCacheDefault: true}),
    'log-level': logLevel({summary: 'debug, info, warn, error or fatal (any case)', default: 'info'}),
    'mem-queue-size': integer({summary: 'messages kept in memory per topic and per channel before the backend', default: D.memQueueSize, min: 0}),
    'max-bytes-per-file': integer({summary: 'disk queue file size (accepted for compatibility)', default: D.maxBytesPerFile, min: 1}),
    'sync-every': integer({summary: 'disk queue fsync interval in messages (accepted for compatibility)', default: D.syncEvery, min: 1}),
    'sync-timeout': dur('disk queue fsync interval (accepted for compatibility)', D.syncTimeout),
    'msg-timeout': dur('default time a message may stay in flight', D.msgTimeout),
    'max-msg-timeout': dur('largest msg_timeout a client may ask for', D.maxMsgTimeout),
    'max-msg-size': integer({summary: 'largest message body in bytes', default: D.maxMsgSize, min: 1}),
    'max-body-size': integer({summary: 'largest command body (MPUB, IDENTIFY) in bytes', default: D.maxBodySize, min: 5}),
    'max-req-timeout': dur('largest REQ delay and DPUB defer', D.maxReqTimeout),
    'max-rdy-count': integer({summary: 'largest RDY a client may send', default: D.maxRdyCount, min: 1}),
    'max-heartbeat-interval': dur('largest heartbeat_interval a client may ask for', D.maxHeartbeatInterval),
    'max-output-buffer-size': integer({summary: 'largest output_buffer_size a client may ask for', default: D.maxOutputBufferSize, min: 64}),
    'max-output-buffer-timeout': dur('largest output_buffer_timeout a client may ask for', D.maxOutputBufferTimeout),
    'min-output-buffer-timeout': dur('smallest output_buffer_timeout a client may ask for', D.minOutputBufferTimeout),
    'output-buffer-timeout': dur('default output_buffer_timeout', D.outputBufferTimeout),
    'max-channel-consumers': integer({summary: 'most consumers per channel, 0 = unlimited', default: D.maxChannelConsumers, min: 0}),
    deflate: Flags.boolean({summary: 'allow deflate negotiation (not available yet: reported as false)', default: D.deflate, allowNo: true}),
    'max-deflate-level': integer({summary: 'largest deflate level a client may ask for, 1-9', default: D.maxDeflateLevel, min: 1, max: 9}),
    snappy: Flags.boolean({summary: 'allow snappy negotiation (not available yet: reported as false)', default: D.snappy, allowNo: true}),
    'statsd-mem-stats': Flags.boolean({summary: 'accepted for compatibility; statsd is not available yet', allowNo: true}),
    'statsd-exclude-ephemeral': Flags.boolean({summary: 'accepted for compatibility; statsd is not available yet', allowNo: true}),
    verbose: Flags.boolean({summary: 'deprecated in nsqd; no effect', hidden: true}),
    'worker-id': Flags.boolean({summary: 'deprecated in nsqd; no effect', hidden: true}),
    ...Object.fromEntries(
      NOT_YET.map((n) => [n, Flags.string({summary: 'accepted for compatibility with nsqd; not acted on yet', hidden: true, multiple: true})]),
    ),
    version: Flags.boolean({summary: 'print the version and exit'}),
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Serve)
    if (flags.version) {
      this.log(versionLine('nsqd'))
      return
    }
    const f = flags as Record<string, unknown>
    const opts: Partial<BrokerOptions> = {
      tcpAddress: flags['tcp-address'],
      httpAddress: flags['http-address'],
      broadcastAddress: flags['broadcast-address'],
      broadcastTcpPort: flags['broadcast-tcp-port'],
      broadcastHttpPort: flags['broadcast-http-port'],
      lookupdTcpAddresses: flags['lookupd-tcp-address'] ?? [],
      dataPath: flags['data-path'],
      nodeId: flags['node-id'],
      logLevel: flags['log-level'],
      memQueueSize: flags['mem-queue-size'],
      maxBytesPerFile: flags['max-bytes-per-file'],
      syncEvery: flags['sync-every'],
      syncTimeout: flags['sync-timeout'],
      msgTimeout: flags['msg-timeout'],
      maxMsgTimeout: flags['max-msg-timeout'],
      maxMsgSize: flags['max-msg-size'],
      maxBodySize: flags['max-body-size'],
      maxReqTimeout: flags['max-req-timeout'],
      maxRdyCount: flags['max-rdy-count'],
      maxHeartbeatInterval: flags['max-heartbeat-interval'],
      maxOutputBufferSize: flags['max-output-buffer-size'],
      maxOutputBufferTimeout: flags['max-output-buffer-timeout'],
      minOutputBufferTimeout: flags['min-output-buffer-timeout'],
      outputBufferTimeout: flags['output-buffer-timeout'],
      maxChannelConsumers: flags['max-channel-consumers'],
      deflate: flags.deflate,
      maxDeflateLevel: flags['max-deflate-level'],
      snappy: flags.snappy,
    }
    const {Broker, OptionError} = await import('../core/broker/index.js')
    let broker: Broker
    try {
      broker = new Broker(opts)
    } catch (err) {
      if (err instanceof OptionError) throw new UsageError(err.message)
      throw err
    }
    // accepted for nsqd's command lines, not acted on: one warning each (lookupd: the broker's own)
    for (const n of NOT_YET) if (f[n] !== undefined) broker.log.warn(`--${n} is not supported by nsqkit serve yet; ignored`)
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
