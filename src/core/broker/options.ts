/**
 * nsqd's options: the one declaration of each (NSQ-SPEC §2.1; nsqd `NewOptions()` and the
 * `flag`/`cfg` tags of its Options struct). `serve`'s flags are generated from these tables,
 * the broker validates the merged options with them at construction, and `/config/:opt` reads
 * and sets them through them: a name, a default or a bound is written here and nowhere else.
 *
 * Durations are milliseconds. One deliberate difference from nsqd: the addresses default to
 * 127.0.0.1 instead of 0.0.0.0, so a broker started by hand is not open to the network. nsqd
 * itself checks only --node-id and --max-deflate-level; the other bounds are nsqkit's, so that a
 * value the broker cannot work with (--max-rdy-count=0) is refused at start instead.
 */
import {createHash} from 'node:crypto'
import {hostname} from 'node:os'
import {crc32} from '../util/crc32.js'
import {formatDuration} from '../util/duration.js'
import {LOG_LEVEL_NUMBER} from '../util/logger.js'
import {OptionError, OptionTable, option, type OptionValues} from '../util/options-table.js'

/** nsqd's default node id: crc32(md5(hostname)) % 1024. */
export function defaultNodeId(host = hostname()): number {
  const md5 = createHash('md5').update(host).digest()
  return crc32(md5) % 1024
}

const SEC = 1000
const MIN = 60 * SEC

const BROKER_OPTION_SPECS = {
  nodeId: option.int({flag: 'node-id', cfg: 'id', default: defaultNodeId(), defaultText: 'crc32(md5(hostname)) % 1024', min: 0, max: 1023, description: 'unique part of message ids, 0-1023'}),
  tcpAddress: option.address({flag: 'tcp-address', default: '127.0.0.1:4150', description: '<addr>:<port> to listen on for TCP clients; port 0 picks a free port'}),
  httpAddress: option.address({flag: 'http-address', default: '127.0.0.1:4151', allowEmpty: true, description: "<addr>:<port> to listen on for HTTP clients; '' disables the HTTP API"}),
  broadcastAddress: option.string({flag: 'broadcast-address', default: hostname(), defaultText: 'the OS hostname', description: 'address registered with lookupd and shown in /info'}),
  broadcastTcpPort: option.int({flag: 'broadcast-tcp-port', default: 0, min: 0, max: 65535, description: 'TCP port registered with lookupd; 0 = the port it listens on'}),
  broadcastHttpPort: option.int({flag: 'broadcast-http-port', default: 0, min: 0, max: 65535, description: 'HTTP port registered with lookupd; 0 = the port it listens on'}),
  lookupdTcpAddresses: option.strings({flag: 'lookupd-tcp-address', cfg: 'nsqlookupd_tcp_addresses', default: [], settable: true, description: 'nsqlookupd TCP address (repeatable)'}),
  dataPath: option.string({flag: 'data-path', default: '', description: 'directory for the disk queues, nsqd.dat and the lock (created if missing); empty = the working directory'}),
  logLevel: option.logLevel({json: (l) => LOG_LEVEL_NUMBER[l], settable: true}),
  memQueueSize: option.int({flag: 'mem-queue-size', default: 10000, min: 0, description: 'messages kept in memory per topic and per channel before the disk queue; 0 = every message through disk'}),
  maxBytesPerFile: option.size({flag: 'max-bytes-per-file', default: 100 * 1024 * 1024, min: 1, description: 'bytes per disk queue segment file before rolling to the next'}),
  syncEvery: option.int({flag: 'sync-every', default: 2500, min: 1, description: 'disk queue operations (writes + reads) between fsyncs'}),
  syncTimeout: option.duration({flag: 'sync-timeout', default: 2 * SEC, min: 0, description: 'longest time between fsyncs of a disk queue that had activity'}),
  msgTimeout: option.duration({flag: 'msg-timeout', default: 60 * SEC, min: 1, description: 'default time a message may stay in flight'}),
  maxMsgTimeout: option.duration({flag: 'max-msg-timeout', default: 15 * MIN, min: 1, description: 'largest msg_timeout a client may ask for'}),
  maxMsgSize: option.size({flag: 'max-msg-size', default: 1024 * 1024, min: 1, description: 'largest message body in bytes'}),
  maxBodySize: option.size({flag: 'max-body-size', default: 5 * 1024 * 1024, min: 5, description: 'largest command body (MPUB, IDENTIFY) in bytes'}),
  maxReqTimeout: option.duration({flag: 'max-req-timeout', default: 60 * MIN, min: 0, description: 'largest REQ delay and DPUB defer'}),
  maxRdyCount: option.int({flag: 'max-rdy-count', default: 2500, min: 1, description: 'largest RDY a client may send'}),
  maxHeartbeatInterval: option.duration({flag: 'max-heartbeat-interval', default: 60 * SEC, min: 1, description: 'largest heartbeat_interval a client may ask for'}),
  maxOutputBufferSize: option.size({flag: 'max-output-buffer-size', default: 64 * 1024, min: 64, description: 'largest output_buffer_size a client may ask for'}),
  maxOutputBufferTimeout: option.duration({flag: 'max-output-buffer-timeout', default: 30 * SEC, min: 1, description: 'largest output_buffer_timeout a client may ask for'}),
  minOutputBufferTimeout: option.duration({flag: 'min-output-buffer-timeout', default: 25, min: 1, description: 'smallest output_buffer_timeout a client may ask for'}),
  outputBufferTimeout: option.duration({flag: 'output-buffer-timeout', default: 250, min: 0, description: 'default output_buffer_timeout'}),
  maxChannelConsumers: option.int({flag: 'max-channel-consumers', default: 0, min: 0, description: 'most consumers per channel, 0 = unlimited'}),
  /** nsqd's QueueScanInterval: how often in-flight and deferred deadlines are scanned (no flag) */
  queueScanInterval: option.duration({default: 100, min: 1, description: 'how often in-flight and deferred deadlines are scanned'}),
  /** nsqd's ClientTimeout: the default heartbeat is half of it (no flag) */
  clientTimeout: option.duration({default: 60 * SEC, min: 2, description: 'client timeout; the default heartbeat interval is half of it'}),
  deflate: option.bool({flag: 'deflate', default: true, description: 'enable deflate feature negotiation (client compression)'}),
  maxDeflateLevel: option.int({flag: 'max-deflate-level', default: 6, min: 1, max: 9, description: 'largest deflate level a client may ask for, 1-9'}),
  snappy: option.bool({flag: 'snappy', default: true, description: 'enable snappy feature negotiation (client compression)'}),
  httpsAddress: option.address({flag: 'https-address', default: '127.0.0.1:4152', description: '<addr>:<port> to listen on for HTTPS clients (only with --tls-cert and --tls-key)'}),
  tlsCert: option.string({flag: 'tls-cert', default: '', description: 'path to the certificate file (with --tls-key: TLS is offered)'}),
  tlsKey: option.string({flag: 'tls-key', default: '', description: 'path to the key file'}),
  tlsClientAuthPolicy: option.enum({flag: 'tls-client-auth-policy', default: '', values: ['require', 'require-verify'], allowEmpty: true, description: "client certificate auth policy ('', require, require-verify); setting it makes --tls-required true"}),
  tlsRootCaFile: option.string({flag: 'tls-root-ca-file', default: '', description: 'path to a certificate authority file'}),
  /** nsqd's TLSRequired: 0 not required, 1 for TCP but not HTTP, 2 required */
  tlsRequired: option.enum({flag: 'tls-required', default: 'false', values: ['false', 'tcp-https', 'true'], json: (v) => ({false: 0, 'tcp-https': 1, true: 2})[v], description: 'require TLS for client connections (true, false, tcp-https)'}),
  authHttpAddresses: option.strings({flag: 'auth-http-address', cfg: 'auth_http_addresses', default: [], description: '<addr>:<port> or a URL of an auth server to query (repeatable); clients must then AUTH'}),
  httpClientConnectTimeout: option.duration({flag: 'http-client-connect-timeout', default: 2 * SEC, min: 0, description: 'timeout for HTTP connect (auth servers)'}),
  httpClientRequestTimeout: option.duration({flag: 'http-client-request-timeout', default: 5 * SEC, min: 0, description: 'timeout for HTTP request (auth servers)'}),
  /** Go's tls.VersionTLS1x numbers */
  tlsMinVersion: option.enum({
    flag: 'tls-min-version',
    default: 'tls1.0',
    values: ['ssl3.0', 'tls1.0', 'tls1.1', 'tls1.2', 'tls1.3'],
    json: (v) => ({'ssl3.0': 0x0300, 'tls1.0': 0x0301, 'tls1.1': 0x0302, 'tls1.2': 0x0303, 'tls1.3': 0x0304})[v],
    description: 'minimum TLS version (ssl3.0, tls1.0, tls1.1, tls1.2, tls1.3)',
  }),
}

/** The options of the broker, typed from the table (durations in ms). */
export type BrokerOptions = OptionValues<typeof BROKER_OPTION_SPECS>

/** How errors name an option: by its flag, as `serve` users know it (`--max-msg-size`). */
const flagLabel = (key: string, spec: {flag?: string}): string => (spec.flag === undefined ? key : `--${spec.flag}`)

export const BROKER_OPTIONS = new OptionTable(BROKER_OPTION_SPECS, {
  label: flagLabel,
  crossCheck: (o) => {
    if (o.maxBodySize < o.maxMsgSize) return {key: 'maxBodySize', why: `must be >= --max-msg-size ${o.maxMsgSize}`}
    if (o.msgTimeout > o.maxMsgTimeout) return {key: 'msgTimeout', why: `must be <= --max-msg-timeout ${formatDuration(o.maxMsgTimeout)}`}
    return null
  },
})

export const DEFAULT_BROKER_OPTIONS: Readonly<BrokerOptions> = BROKER_OPTIONS.defaults

/**
 * nsqd's options that `serve` accepts but does not act on yet (statsd, e2e latency,
 * the queue-scan workers, the log prefix, the config file): their flags are taken and warned
 * about, and `/config` shows nsqd's defaults for them. Only their names, defaults and Go JSON
 * matter here; their values are never parsed.
 */
const NSQD_COMPAT_SPECS = {
  config: option.string({flag: 'config', cfg: null, default: '', description: 'path to a TOML config file'}),
  logPrefix: option.string({flag: 'log-prefix', default: '[nsqd] ', description: 'log message prefix'}),
  queueScanSelectionCount: option.int({flag: 'queue-scan-selection-count', default: 20, description: 'channels sampled per queue scan'}),
  queueScanWorkerPoolMax: option.int({flag: 'queue-scan-worker-pool-max', default: 4, description: 'most queue scan workers'}),
  statsdAddress: option.string({flag: 'statsd-address', default: '', description: 'UDP <addr>:<port> of a statsd daemon for pushing stats'}),
  /** `%s` expands to the broadcast host and HTTP port at start (`/config` shows the expansion) */
  statsdPrefix: option.string({flag: 'statsd-prefix', default: 'nsq.%s', description: 'prefix of statsd keys (%s = host_port)'}),
  statsdInterval: option.duration({flag: 'statsd-interval', default: 60 * SEC, description: 'duration between pushing to statsd'}),
  statsdMemStats: option.bool({flag: 'statsd-mem-stats', default: true, description: 'toggle sending memory and GC stats to statsd'}),
  statsdUdpPacketSize: option.size({flag: 'statsd-udp-packet-size', default: 508, description: 'size of the statsd UDP packets'}),
  statsdExcludeEphemeral: option.bool({flag: 'statsd-exclude-ephemeral', default: false, description: 'skip ephemeral topics and channels when sending stats to statsd'}),
  e2eProcessingLatencyPercentiles: option.strings({flag: 'e2e-processing-latency-percentile', cfg: 'e2e_processing_latency_percentiles', default: [], description: 'message processing time percentiles to track (repeatable)'}),
  e2eProcessingLatencyWindowTime: option.duration({flag: 'e2e-processing-latency-window-time', default: 10 * MIN, description: 'window of the e2e latency percentiles'}),
}

export const NSQD_COMPAT_OPTIONS = new OptionTable(NSQD_COMPAT_SPECS, {label: flagLabel})

export {OptionError}

/** Merge over the defaults and validate; throws OptionError naming the flag. */
export function resolveBrokerOptions(partial: Partial<BrokerOptions> = {}): BrokerOptions {
  return BROKER_OPTIONS.resolve(partial)
}
