/**
 * nsqd's options: the one place their defaults live (NSQ-SPEC §2.1; nsqd `NewOptions()`).
 * Flags read their defaults from DEFAULT_BROKER_OPTIONS; the broker validates the merged
 * options at construction and names the offending option in its error.
 *
 * Durations are milliseconds. One deliberate difference from nsqd: the addresses default to
 * 127.0.0.1 instead of 0.0.0.0, so a broker started by hand is not open to the network.
 */
import {createHash} from 'node:crypto'
import {hostname} from 'node:os'
import {crc32} from '../util/crc32.js'
import type {LogLevel} from '../util/logger.js'

export interface BrokerOptions {
  /** unique part of message ids, [0, 1024) */
  nodeId: number
  /** `host:port` for the TCP protocol; port 0 picks a free port */
  tcpAddress: string
  /** `host:port` for the HTTP API; '' disables it */
  httpAddress: string
  /** address registered with lookupd and shown in /info (default: the OS hostname) */
  broadcastAddress: string
  broadcastTcpPort: number
  broadcastHttpPort: number
  lookupdTcpAddresses: string[]
  dataPath: string
  logLevel: LogLevel
  memQueueSize: number
  maxBytesPerFile: number
  syncEvery: number
  syncTimeout: number
  msgTimeout: number
  maxMsgTimeout: number
  maxMsgSize: number
  maxBodySize: number
  maxReqTimeout: number
  maxRdyCount: number
  maxHeartbeatInterval: number
  maxOutputBufferSize: number
  maxOutputBufferTimeout: number
  minOutputBufferTimeout: number
  outputBufferTimeout: number
  maxChannelConsumers: number
  /** how often in-flight and deferred deadlines are scanned (nsqd QueueScanInterval) */
  queueScanInterval: number
  /** nsqd ClientTimeout: the default heartbeat is half of it */
  clientTimeout: number
  deflate: boolean
  maxDeflateLevel: number
  snappy: boolean
}

/** nsqd's default node id: crc32(md5(hostname)) % 1024. */
export function defaultNodeId(host = hostname()): number {
  const md5 = createHash('md5').update(host).digest()
  return crc32(md5) % 1024
}

export const DEFAULT_BROKER_OPTIONS: Readonly<BrokerOptions> = Object.freeze({
  nodeId: defaultNodeId(),
  tcpAddress: '127.0.0.1:4150',
  httpAddress: '127.0.0.1:4151',
  broadcastAddress: hostname(),
  broadcastTcpPort: 0,
  broadcastHttpPort: 0,
  lookupdTcpAddresses: [],
  dataPath: '',
  logLevel: 'info' as LogLevel,
  memQueueSize: 10000,
  maxBytesPerFile: 104857600,
  syncEvery: 2500,
  syncTimeout: 2000,
  msgTimeout: 60_000,
  maxMsgTimeout: 15 * 60_000,
  maxMsgSize: 1048576,
  maxBodySize: 5 * 1048576,
  maxReqTimeout: 3_600_000,
  maxRdyCount: 2500,
  maxHeartbeatInterval: 60_000,
  maxOutputBufferSize: 65536,
  maxOutputBufferTimeout: 30_000,
  minOutputBufferTimeout: 25,
  outputBufferTimeout: 250,
  maxChannelConsumers: 0,
  queueScanInterval: 100,
  clientTimeout: 60_000,
  deflate: true,
  maxDeflateLevel: 6,
  snappy: true,
})

/** The nsqd flag (and `/config/:opt` name with `_`) of each option. */
export const OPTION_FLAGS: Readonly<Record<keyof BrokerOptions, string>> = {
  nodeId: 'node-id',
  tcpAddress: 'tcp-address',
  httpAddress: 'http-address',
  broadcastAddress: 'broadcast-address',
  broadcastTcpPort: 'broadcast-tcp-port',
  broadcastHttpPort: 'broadcast-http-port',
  lookupdTcpAddresses: 'lookupd-tcp-address',
  dataPath: 'data-path',
  logLevel: 'log-level',
  memQueueSize: 'mem-queue-size',
  maxBytesPerFile: 'max-bytes-per-file',
  syncEvery: 'sync-every',
  syncTimeout: 'sync-timeout',
  msgTimeout: 'msg-timeout',
  maxMsgTimeout: 'max-msg-timeout',
  maxMsgSize: 'max-msg-size',
  maxBodySize: 'max-body-size',
  maxReqTimeout: 'max-req-timeout',
  maxRdyCount: 'max-rdy-count',
  maxHeartbeatInterval: 'max-heartbeat-interval',
  maxOutputBufferSize: 'max-output-buffer-size',
  maxOutputBufferTimeout: 'max-output-buffer-timeout',
  minOutputBufferTimeout: 'min-output-buffer-timeout',
  outputBufferTimeout: 'output-buffer-timeout',
  maxChannelConsumers: 'max-channel-consumers',
  queueScanInterval: 'queue-scan-interval',
  clientTimeout: 'client-timeout',
  deflate: 'deflate',
  maxDeflateLevel: 'max-deflate-level',
  snappy: 'snappy',
}

export class OptionError extends Error {
  readonly code = 'ERR_INVALID_OPTION'
  constructor(
    readonly option: keyof BrokerOptions,
    why: string,
  ) {
    super(`--${OPTION_FLAGS[option]}: ${why}`)
    this.name = 'OptionError'
  }
}

/** Merge over the defaults and validate; throws OptionError naming the flag. */
export function resolveBrokerOptions(partial: Partial<BrokerOptions> = {}): BrokerOptions {
  const o: BrokerOptions = {...DEFAULT_BROKER_OPTIONS, lookupdTcpAddresses: [], ...stripUndefined(partial)}
  const int = (k: keyof BrokerOptions, min: number, max = Number.MAX_SAFE_INTEGER): void => {
    const v = o[k]
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      throw new OptionError(k, `must be an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? '' : max} (got ${String(v)})`)
    }
  }
  const dur = (k: keyof BrokerOptions, min: number): void => {
    const v = o[k]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new OptionError(k, `must be a duration of at least ${min}ms (got ${String(v)})`)
  }
  int('nodeId', 0, 1023)
  int('memQueueSize', 0)
  int('maxMsgSize', 1)
  int('maxBodySize', 5)
  int('maxRdyCount', 1)
  int('maxOutputBufferSize', 64)
  int('maxChannelConsumers', 0)
  int('maxDeflateLevel', 1, 9)
  int('broadcastTcpPort', 0, 65535)
  int('broadcastHttpPort', 0, 65535)
  dur('msgTimeout', 1)
  dur('maxMsgTimeout', 1)
  dur('maxReqTimeout', 0)
  dur('maxHeartbeatInterval', 1)
  dur('maxOutputBufferTimeout', 1)
  dur('minOutputBufferTimeout', 1)
  dur('outputBufferTimeout', 0)
  dur('queueScanInterval', 1)
  dur('clientTimeout', 2)
  if (o.maxBodySize < o.maxMsgSize) throw new OptionError('maxBodySize', `must be at least --max-msg-size (${o.maxMsgSize})`)
  if (o.msgTimeout > o.maxMsgTimeout) throw new OptionError('msgTimeout', `must not exceed --max-msg-timeout (${o.maxMsgTimeout}ms)`)
  return o
}

function stripUndefined<T extends object>(p: T): Partial<T> {
  const out: Partial<T> = {}
  for (const [k, v] of Object.entries(p)) if (v !== undefined) (out as Record<string, unknown>)[k] = v
  return out
}
