/**
 * The client's options: the one typed config, with go-nsq v1.1.0's option names, defaults and
 * bounds (NSQ-SPEC §4.1, go-nsq `config.go`; docs/ARCHITECTURE.md: defaults in one place, validated at
 * construction, errors that name the fix).
 *
 * - Keys are go-nsq's `opt` tags (snake_case), so `--consumer-opt key,value` and
 *   `--producer-opt key,value` (NSQ-SPEC §0.2) take exactly the keys a Go user knows.
 * - Durations are numbers of milliseconds. From strings they are Go duration strings ("60s",
 *   "250ms"); a bare number string such as "5" is an error, as with time.ParseDuration.
 * - setOption is go-nsq's Config.Set (coerce a string, check the bounds, leave the config
 *   untouched on error); resolveClientConfig and applyOptFlags are its Validate, which also
 *   cross-checks heartbeat_interval against read_timeout.
 * - The table below is the one declaration of each option (name, type, default, bounds, help),
 *   read through the engine the broker's options use too (util/options-table.ts).
 *
 * Where this differs from go-nsq, on purpose:
 * - heartbeat_interval: go-nsq accepts any duration. Here it must be -1ms (disabled) or
 *   1s..5m, which is what nsqd's IDENTIFY accepts (1000..--max-heartbeat-interval ms, NSQ-SPEC
 *   §2.2), capped by read_timeout's own maximum. 0 (nsqd: "use the server default") is refused
 *   so that a typo does not silently become 30s. As in go-nsq's Validate (`>` check),
 *   heartbeat_interval may equal read_timeout.
 * - user_agent defaults to `nsqkit/<version>` instead of `go-nsq/1.1.0`.
 * - output_buffer_size and output_buffer_timeout: -1 (disabled) or >= 0; go-nsq has no bound.
 * - Keys are matched case-insensitively (go-nsq only maps '-' to '_').
 * - local_addr is a string and must be `host:port` (go-nsq resolves it with
 *   net.ResolveTCPAddr, which needs the port too; use port 0 for "any").
 * - tls_config (a Go *tls.Config) is not an option; the TLS file options stand in for it.
 *   tls_min_version '' means the default (TLS 1.0 once TLS is configured).
 * - tls_v1 and the tls_* settings are go-nsq's. go-nsq keeps a tls_* setting without tls_v1 and
 *   never uses it (plain text, a certificate silently ignored); here that is refused, and so is
 *   tls_cert without tls_key or the other way round. go-nsq caps TLS at 1.2; this does not.
 * - snappy and deflate both set is refused (nsqd would answer E_IDENTIFY_FAILED).
 */
import {hostname} from 'node:os'
import {formatDuration} from '../util/duration.js'
import {OptionTable, option, type OptionValues} from '../util/options-table.js'
import {USER_AGENT} from '../version.js'
import {ConfigError} from './errors.js'

export {ConfigError}

// ---------------------------------------------------------------------------------------------
// The option table: one entry per key, in go-nsq's order

const SEC = 1000
const MIN = 60 * SEC
const HOSTNAME = hostname()

const CLIENT_OPTION_SPECS = {
  dial_timeout: option.duration({default: SEC, min: 0, description: 'connect timeout'}),
  read_timeout: option.duration({default: 60 * SEC, min: 100, max: 5 * MIN, description: 'deadline of every read; must be >= heartbeat_interval'}),
  write_timeout: option.duration({default: SEC, min: 100, max: 5 * MIN, description: 'deadline of every write'}),
  local_addr: option.address({default: '', allowEmpty: true, description: "local host:port to dial from; '' lets the OS choose"}),
  lookupd_poll_interval: option.duration({default: 60 * SEC, min: 10, max: 5 * MIN, description: 'lookupd poll period; also the reconnect delay when not using lookupd'}),
  lookupd_poll_jitter: option.float({default: 0.3, min: 0, max: 1, description: 'fraction of the interval the first poll is delayed by at random'}),
  lookupd_poll_timeout: option.duration({default: MIN, min: 0, description: 'timeout of a lookupd HTTP query'}),
  max_requeue_delay: option.duration({default: 15 * MIN, min: 0, max: 60 * MIN, description: 'largest delay of a requeue'}),
  default_requeue_delay: option.duration({default: 90 * SEC, min: 0, max: 60 * MIN, description: 'requeue delay unit (multiplied by attempts)'}),
  backoff_strategy: option.enum({default: 'exponential', values: ['exponential', 'full_jitter'], description: 'exponential, or full_jitter (random in [0, multiplier x 2^n))'}),
  max_backoff_duration: option.duration({default: 2 * MIN, min: 0, max: 60 * MIN, description: 'longest backoff; 0 = no backoff'}),
  backoff_multiplier: option.duration({default: SEC, min: 0, max: 60 * MIN, description: 'backoff unit'}),
  max_attempts: option.int({default: 5, min: 0, max: 65535, description: 'attempts before a message is given up; 0 = unlimited'}),
  low_rdy_idle_timeout: option.duration({default: 10 * SEC, min: SEC, max: 5 * MIN, description: 'idle time before RDY moves to another connection'}),
  low_rdy_timeout: option.duration({default: 30 * SEC, min: SEC, max: 5 * MIN, description: 'time without a message before RDY moves'}),
  rdy_redistribute_interval: option.duration({default: 5 * SEC, min: 1, max: 5 * SEC, description: 'how often RDY is redistributed'}),
  client_id: option.string({default: HOSTNAME.split('.')[0] ?? HOSTNAME, defaultText: 'the short hostname', description: 'client_id sent in IDENTIFY'}),
  hostname: option.string({default: HOSTNAME, defaultText: 'the hostname', description: 'hostname sent in IDENTIFY'}),
  user_agent: option.string({default: USER_AGENT, description: 'user_agent sent in IDENTIFY'}),
  heartbeat_interval: option.duration({default: 30 * SEC, min: SEC, max: 5 * MIN, disable: true, description: 'heartbeat interval asked of nsqd; -1ms disables heartbeats (nsqd then refuses SUB)'}),
  sample_rate: option.int({default: 0, min: 0, max: 99, description: 'percentage of messages to receive; 0 = all'}),
  tls_v1: option.bool({default: false, description: 'negotiate TLS'}),
  tls_root_ca_file: option.string({default: '', description: 'CA file to verify nsqd with'}),
  tls_insecure_skip_verify: option.bool({default: false, description: "do not verify nsqd's certificate"}),
  tls_cert: option.string({default: '', description: 'client certificate file'}),
  tls_key: option.string({default: '', description: 'client key file'}),
  tls_min_version: option.enum<string>({default: '', values: ['ssl3.0', 'tls1.0', 'tls1.1', 'tls1.2'], allowEmpty: true, description: "oldest TLS version; '' = TLS 1.0 once TLS is configured"}),
  deflate: option.bool({default: false, description: 'negotiate deflate compression'}),
  // only used with deflate: checked (1-9) and otherwise harmless
  deflate_level: option.int({default: 6, min: 1, max: 9, description: 'deflate level'}),
  snappy: option.bool({default: false, description: 'negotiate snappy compression'}),
  output_buffer_size: option.int({default: 16384, min: 0, disable: true, description: 'output buffer size asked of nsqd, bytes; -1 disables buffering, 0 = the server default'}),
  output_buffer_timeout: option.duration({default: 250, min: 0, disable: true, description: 'output buffer flush timeout asked of nsqd; -1ms disables it, 0 = the server default'}),
  max_in_flight: option.int({default: 1, min: 0, description: 'messages in flight at once, over all connections'}),
  msg_timeout: option.duration({default: 0, min: 0, description: 'message timeout asked of nsqd; 0 = the server default'}),
  auth_secret: option.string({default: '', description: 'secret sent in AUTH'}),
  skip_lookupd_authorization: option.bool({default: true, description: 'despite the name, true means send `Authorization: Bearer <auth_secret>` to lookupd'}),
}

/** go-nsq's Validate: heartbeats must come at least as often as the read deadline. */
export const CLIENT_OPTIONS = new OptionTable(CLIENT_OPTION_SPECS, {
  label: (key) => key,
  error: (e) => new ConfigError(e.key, e.message, {cause: e.cause}),
  crossCheck: (cfg) =>
    cfg.heartbeat_interval !== -1 && cfg.heartbeat_interval > cfg.read_timeout
      ? {key: 'heartbeat_interval', why: `must be <= read_timeout ${formatDuration(cfg.read_timeout)}, or -1ms to disable heartbeats`}
      : null,
})

/** The client config: go-nsq's Config with its option names (durations in ms). */
export type ClientConfig = OptionValues<typeof CLIENT_OPTION_SPECS>
export type BackoffStrategy = ClientConfig['backoff_strategy']

export const OPTION_KEYS: readonly (keyof ClientConfig)[] = CLIENT_OPTIONS.keys

export const DEFAULT_CLIENT_CONFIG: Readonly<ClientConfig> = CLIENT_OPTIONS.defaults

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * The defaults with `partial` over them, every value checked against its type and bounds, then
 * the cross-checks. Keys whose value is undefined keep their default. Throws ConfigError.
 */
export function resolveClientConfig(partial: Partial<ClientConfig> = {}): ClientConfig {
  for (const [key, value] of Object.entries(partial)) if (value !== undefined) knownKey(key)
  return CLIENT_OPTIONS.resolve(partial)
}

/**
 * go-nsq's Config.Set: set one option on `cfg` from a string (as given on a command line) or a
 * typed value. The key is normalised ('-' becomes '_', any case). Strings are coerced by the
 * option's type; numbers for duration options are milliseconds. On error `cfg` is unchanged.
 * The cross-checks between options are left to resolveClientConfig/applyOptFlags, so options
 * can be set in any order.
 */
export function setOption(cfg: ClientConfig, key: string, value: string | number | boolean): void {
  const k = knownKey(normaliseOptionKey(key))
  const out = cfg as unknown as Record<string, unknown>
  out[k] = CLIENT_OPTIONS.parse(k, value)
}

/**
 * One `--consumer-opt`/`--producer-opt` value: `key,value` split at the FIRST comma (the value
 * may hold more commas); a bare `key` means "true"; '-' in the key becomes '_'.
 */
export function parseOptFlag(flag: string): {key: string; value: string} {
  const comma = flag.indexOf(',')
  const rawKey = comma < 0 ? flag : flag.slice(0, comma)
  const value = comma < 0 ? 'true' : flag.slice(comma + 1)
  const key = rawKey.replace(/-/g, '_')
  if (key.trim() === '') {
    throw new ConfigError('', `invalid option flag ${JSON.stringify(flag)}: expected key,value (for example max_in_flight,100) or a bare key for true`)
  }
  return {key, value}
}

/** A copy of `base` with every flag applied through setOption, then fully validated. */
export function applyOptFlags(base: ClientConfig, flags: readonly string[]): ClientConfig {
  const cfg: ClientConfig = {...base}
  for (const flag of flags) {
    const {key, value} = parseOptFlag(flag)
    setOption(cfg, key, value)
  }
  return resolveClientConfig(cfg)
}

/**
 * The first option of `cfg` that cannot work as set, with why; null when there is none: a tls_*
 * setting without tls_v1 (go-nsq would keep it and never use it; silently ignoring a certificate
 * is worse than saying no), tls_cert without tls_key or the other way round, snappy with deflate
 * (nsqd refuses both), and an option the table marks unsupported.
 */
export function unsupportedOption(cfg: ClientConfig): {key: keyof ClientConfig; reason: string} | null {
  const u = CLIENT_OPTIONS.unsupported(cfg)
  if (u !== null) return u
  if (!cfg.tls_v1) {
    for (const key of TLS_SETTINGS) if (cfg[key] !== CLIENT_OPTIONS.defaults[key]) return {key, reason: 'is used only with tls_v1=true (set it too, or drop this one)'}
  }
  if (cfg.snappy && cfg.deflate) return {key: 'snappy', reason: 'cannot be used with deflate (nsqd refuses both at once)'}
  if ((cfg.tls_cert === '') !== (cfg.tls_key === '')) return cfg.tls_cert === '' ? {key: 'tls_key', reason: 'needs tls_cert too'} : {key: 'tls_cert', reason: 'needs tls_key too'}
  return null
}

/** What configures TLS without asking for it. */
const TLS_SETTINGS = ['tls_root_ca_file', 'tls_insecure_skip_verify', 'tls_cert', 'tls_key', 'tls_min_version'] as const

/** Throw a ConfigError ("tls_cert: needs tls_key too") if unsupportedOption finds one. */
export function assertSupported(cfg: ClientConfig): void {
  const u = unsupportedOption(cfg)
  if (u !== null) throw new ConfigError(u.key, `${u.key}: ${u.reason}`)
}

/** An option key as the config spells it: '-' becomes '_', any case. */
export function normaliseOptionKey(key: string): string {
  return key.replace(/-/g, '_').toLowerCase()
}

// ---------------------------------------------------------------------------------------------
// Internals

/** `key` if the table has it; else a ConfigError naming it (and the nearest key, or the fix for tls_config). */
function knownKey(key: string): keyof ClientConfig {
  if (CLIENT_OPTIONS.has(key)) return key
  if (key === 'tls_config') {
    throw new ConfigError(key, 'option "tls_config" cannot be set here: use tls_root_ca_file, tls_cert, tls_key, tls_insecure_skip_verify and tls_min_version')
  }
  throw CLIENT_OPTIONS.unknown(key)
}
