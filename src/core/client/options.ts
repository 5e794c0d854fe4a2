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
 * - tls_v1, the tls_* settings, snappy and deflate take go-nsq's names and types here, but until
 *   TLS and compression land, unsupportedOption names any of them set to other than its default
 *   (the tools refuse it as misuse, Consumer and Connection refuse it before dialling).
 */
import {hostname} from 'node:os'
import {DurationError, formatDuration, parseDuration} from '../util/duration.js'
import {AddressError, parseHostPort} from '../util/hostport.js'
import {USER_AGENT} from '../version.js'
import {ConfigError} from './errors.js'

export {ConfigError}

export type BackoffStrategy = 'exponential' | 'full_jitter'

export interface ClientConfig {
  /** connect timeout (ms) */
  dial_timeout: number
  /** deadline of every read (ms); must be >= heartbeat_interval */
  read_timeout: number
  /** deadline of every write (ms) */
  write_timeout: number
  /** local `host:port` to dial from; '' lets the OS choose */
  local_addr: string
  /** lookupd poll period (ms); also the reconnect delay when not using lookupd */
  lookupd_poll_interval: number
  /** fraction of the interval the first poll is delayed by at random */
  lookupd_poll_jitter: number
  /** timeout of a lookupd HTTP query (ms) */
  lookupd_poll_timeout: number
  max_requeue_delay: number
  default_requeue_delay: number
  backoff_strategy: BackoffStrategy
  /** 0 = no backoff */
  max_backoff_duration: number
  backoff_multiplier: number
  /** 0 = unlimited */
  max_attempts: number
  low_rdy_idle_timeout: number
  low_rdy_timeout: number
  rdy_redistribute_interval: number
  client_id: string
  hostname: string
  user_agent: string
  /** ms; -1 disables heartbeats (nsqd then refuses SUB) */
  heartbeat_interval: number
  /** percentage of messages to receive, 0 = all */
  sample_rate: number
  tls_v1: boolean
  tls_root_ca_file: string
  tls_insecure_skip_verify: boolean
  tls_cert: string
  tls_key: string
  /** '' (default), 'ssl3.0', 'tls1.0', 'tls1.1' or 'tls1.2' */
  tls_min_version: string
  deflate: boolean
  deflate_level: number
  snappy: boolean
  /** bytes; -1 disables buffering, 0 = server default */
  output_buffer_size: number
  /** ms; -1 disables the timed flush, 0 = server default */
  output_buffer_timeout: number
  max_in_flight: number
  /** ms; 0 = server default */
  msg_timeout: number
  auth_secret: string
  /** despite the name, true means send `Authorization: Bearer <auth_secret>` to lookupd */
  skip_lookupd_authorization: boolean
}

// ---------------------------------------------------------------------------------------------
// The option table: one entry per key, in go-nsq's order

const SEC = 1000
const MIN = 60 * SEC

type OptionSpec = (
  /** milliseconds; `disable`: -1 is accepted as well as the range */
  | {kind: 'duration'; min?: number; max?: number; disable?: true}
  | {kind: 'int'; min: number; max?: number; disable?: true}
  | {kind: 'float'; min: number; max: number}
  | {kind: 'bool'}
  | {kind: 'string'; hostPort?: true}
  | {kind: 'enum'; values: readonly string[]; allowEmpty?: true}
) & {
  /** a feature nsqkit does not have yet: any value but the default is refused (unsupportedOption) */
  unsupported?: string
}

const NO_TLS = 'TLS is not supported by nsqkit yet'

const SPECS: Readonly<Record<keyof ClientConfig, OptionSpec>> = {
  dial_timeout: {kind: 'duration', min: 0},
  read_timeout: {kind: 'duration', min: 100, max: 5 * MIN},
  write_timeout: {kind: 'duration', min: 100, max: 5 * MIN},
  local_addr: {kind: 'string', hostPort: true},
  lookupd_poll_interval: {kind: 'duration', min: 10, max: 5 * MIN},
  lookupd_poll_jitter: {kind: 'float', min: 0, max: 1},
  lookupd_poll_timeout: {kind: 'duration', min: 0},
  max_requeue_delay: {kind: 'duration', min: 0, max: 60 * MIN},
  default_requeue_delay: {kind: 'duration', min: 0, max: 60 * MIN},
  backoff_strategy: {kind: 'enum', values: ['exponential', 'full_jitter']},
  max_backoff_duration: {kind: 'duration', min: 0, max: 60 * MIN},
  backoff_multiplier: {kind: 'duration', min: 0, max: 60 * MIN},
  max_attempts: {kind: 'int', min: 0, max: 65535},
  low_rdy_idle_timeout: {kind: 'duration', min: SEC, max: 5 * MIN},
  low_rdy_timeout: {kind: 'duration', min: SEC, max: 5 * MIN},
  rdy_redistribute_interval: {kind: 'duration', min: 1, max: 5 * SEC},
  client_id: {kind: 'string'},
  hostname: {kind: 'string'},
  user_agent: {kind: 'string'},
  heartbeat_interval: {kind: 'duration', min: SEC, max: 5 * MIN, disable: true},
  sample_rate: {kind: 'int', min: 0, max: 99},
  tls_v1: {kind: 'bool', unsupported: NO_TLS},
  tls_root_ca_file: {kind: 'string', unsupported: NO_TLS},
  tls_insecure_skip_verify: {kind: 'bool', unsupported: NO_TLS},
  tls_cert: {kind: 'string', unsupported: NO_TLS},
  tls_key: {kind: 'string', unsupported: NO_TLS},
  tls_min_version: {kind: 'enum', values: ['ssl3.0', 'tls1.0', 'tls1.1', 'tls1.2'], allowEmpty: true, unsupported: NO_TLS},
  deflate: {kind: 'bool', unsupported: 'deflate compression is not supported by nsqkit yet'},
  // only used with deflate: checked (1-9) and otherwise harmless
  deflate_level: {kind: 'int', min: 1, max: 9},
  snappy: {kind: 'bool', unsupported: 'snappy compression is not supported by nsqkit yet'},
  output_buffer_size: {kind: 'int', min: 0, disable: true},
  output_buffer_timeout: {kind: 'duration', min: 0, disable: true},
  max_in_flight: {kind: 'int', min: 0},
  msg_timeout: {kind: 'duration', min: 0},
  auth_secret: {kind: 'string'},
  skip_lookupd_authorization: {kind: 'bool'},
}

export const OPTION_KEYS: readonly (keyof ClientConfig)[] = Object.freeze(Object.keys(SPECS) as (keyof ClientConfig)[])

const HOSTNAME = hostname()

export const DEFAULT_CLIENT_CONFIG: Readonly<ClientConfig> = Object.freeze({
  dial_timeout: SEC,
  read_timeout: 60 * SEC,
  write_timeout: SEC,
  local_addr: '',
  lookupd_poll_interval: 60 * SEC,
  lookupd_poll_jitter: 0.3,
  lookupd_poll_timeout: MIN,
  max_requeue_delay: 15 * MIN,
  default_requeue_delay: 90 * SEC,
  backoff_strategy: 'exponential' as BackoffStrategy,
  max_backoff_duration: 2 * MIN,
  backoff_multiplier: SEC,
  max_attempts: 5,
  low_rdy_idle_timeout: 10 * SEC,
  low_rdy_timeout: 30 * SEC,
  rdy_redistribute_interval: 5 * SEC,
  client_id: HOSTNAME.split('.')[0] ?? HOSTNAME,
  hostname: HOSTNAME,
  user_agent: USER_AGENT,
  heartbeat_interval: 30 * SEC,
  sample_rate: 0,
  tls_v1: false,
  tls_root_ca_file: '',
  tls_insecure_skip_verify: false,
  tls_cert: '',
  tls_key: '',
  tls_min_version: '',
  deflate: false,
  deflate_level: 6,
  snappy: false,
  output_buffer_size: 16384,
  output_buffer_timeout: 250,
  max_in_flight: 1,
  msg_timeout: 0,
  auth_secret: '',
  skip_lookupd_authorization: true,
})

// ---------------------------------------------------------------------------------------------
// Public API

/**
 * The defaults with `partial` over them, every value checked against its type and bounds, then
 * the cross-checks. Keys whose value is undefined keep their default. Throws ConfigError.
 */
export function resolveClientConfig(partial: Partial<ClientConfig> = {}): ClientConfig {
  const cfg: ClientConfig = {...DEFAULT_CLIENT_CONFIG}
  const out = cfg as unknown as Record<string, unknown>
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue
    checkValue(key, specOf(key), value)
    out[key] = value
  }
  crossCheck(cfg)
  return cfg
}

/**
 * go-nsq's Config.Set: set one option on `cfg` from a string (as given on a command line) or a
 * typed value. The key is normalised ('-' becomes '_', any case). Strings are coerced by the
 * option's type; numbers for duration options are milliseconds. On error `cfg` is unchanged.
 * The cross-checks between options are left to resolveClientConfig/applyOptFlags, so options
 * can be set in any order.
 */
export function setOption(cfg: ClientConfig, key: string, value: string | number | boolean): void {
  const k = normaliseOptionKey(key)
  const spec = specOf(k)
  const v = coerce(k, spec, value)
  checkValue(k, spec, v)
  const out = cfg as unknown as Record<string, unknown>
  out[k] = v
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
 * The first option of `cfg` that asks for a feature nsqkit does not have yet (TLS, snappy,
 * deflate), with why; null when there is none. Such an option at its default (`tls_v1` false,
 * `tls_cert` '') is fine: it asks for nothing. The tls_* settings only configure TLS, so any of
 * them set is refused like `tls_v1` itself (go-nsq would keep them and use them only with
 * tls_v1; silently ignoring a certificate is worse than saying no).
 */
export function unsupportedOption(cfg: ClientConfig): {key: keyof ClientConfig; reason: string} | null {
  for (const key of OPTION_KEYS) {
    const reason = SPECS[key].unsupported
    if (reason !== undefined && cfg[key] !== DEFAULT_CLIENT_CONFIG[key]) return {key, reason}
  }
  return null
}

/** Throw a ConfigError ("tls_v1: TLS is not supported by nsqkit yet") if unsupportedOption finds one. */
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

function specOf(key: string): OptionSpec {
  if (Object.hasOwn(SPECS, key)) return SPECS[key as keyof ClientConfig]
  if (key === 'tls_config') {
    throw new ConfigError(key, 'option "tls_config" cannot be set here: use tls_root_ca_file, tls_cert, tls_key, tls_insecure_skip_verify and tls_min_version')
  }
  const near = closestKey(key)
  throw new ConfigError(key, `unknown option ${JSON.stringify(key)}${near === undefined ? '' : ` (did you mean ${JSON.stringify(near)}?)`}`)
}

/** Go's strconv.ParseBool. */
const BOOL_STRINGS: ReadonlyMap<string, boolean> = new Map([
  ...['1', 't', 'T', 'TRUE', 'true', 'True'].map((s): [string, boolean] => [s, true]),
  ...['0', 'f', 'F', 'FALSE', 'false', 'False'].map((s): [string, boolean] => [s, false]),
])
const INT_RE = /^[+-]?\d+$/
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/** A string/number/boolean turned into the option's type, not yet bounds-checked. */
function coerce(key: string, spec: OptionSpec, value: string | number | boolean): unknown {
  switch (spec.kind) {
    case 'duration':
      if (typeof value === 'string') {
        try {
          return parseDuration(value)
        } catch (err) {
          if (err instanceof DurationError) throw new ConfigError(key, `${key}: ${err.message}`, {cause: err})
          throw err
        }
      }
      return value
    case 'int':
      if (typeof value === 'string') return INT_RE.test(value) ? Number(value) || 0 : value
      return value
    case 'float':
      if (typeof value === 'string') return FLOAT_RE.test(value) ? Number(value) || 0 : value
      return value
    case 'bool':
      if (typeof value === 'string') {
        const b = BOOL_STRINGS.get(value)
        if (b === undefined) throw badValue(key, show(value), `must be one of ${[...BOOL_STRINGS.keys()].join(', ')}`)
        return b
      }
      // go-nsq: an integer is true when it is not 0
      if (typeof value === 'number') return Number.isInteger(value) ? value !== 0 : value
      return value
    case 'enum':
      // go-nsq's Set knows no "default" value: '' is only the untouched default
      if (value === '') throw badValue(key, show(value), `must be one of ${spec.values.join(', ')}`)
      return String(value)
    case 'string':
      return String(value)
  }
}

/** Check a typed value against its option's type and bounds. */
function checkValue(key: string, spec: OptionSpec, v: unknown): void {
  switch (spec.kind) {
    case 'duration':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw badValue(key, show(v), `not a finite number of milliseconds; must be ${rangeText(spec)}`)
      if (!inRange(spec, v)) throw badValue(key, formatDuration(v), `must be ${rangeText(spec)}`)
      return
    case 'int':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw badValue(key, show(v), `not an integer; must be ${rangeText(spec)}`)
      if (!inRange(spec, v)) throw badValue(key, show(v), `must be ${rangeText(spec)}`)
      return
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw badValue(key, show(v), `not a number; must be ${rangeText(spec)}`)
      if (!inRange(spec, v)) throw badValue(key, show(v), `must be ${rangeText(spec)}`)
      return
    case 'bool':
      if (typeof v !== 'boolean') throw badValue(key, show(v), 'must be true or false')
      return
    case 'string':
      if (typeof v !== 'string') throw badValue(key, show(v), 'must be a string')
      if (spec.hostPort && v !== '') {
        try {
          parseHostPort(v)
        } catch (err) {
          if (err instanceof AddressError) throw new ConfigError(key, `invalid value for ${key}: ${show(v)} (must be host:port, with port 0 for any port)`, {cause: err})
          throw err
        }
      }
      return
    case 'enum':
      if (typeof v !== 'string' || !(spec.values.includes(v) || (spec.allowEmpty === true && v === ''))) {
        throw badValue(key, show(v), `must be one of ${spec.values.join(', ')}${spec.allowEmpty ? " (or '' for the default)" : ''}`)
      }
      return
  }
}

type RangeSpec = {kind: 'duration' | 'int' | 'float'; min?: number; max?: number; disable?: true}

function inRange(spec: RangeSpec, v: number): boolean {
  if (spec.disable && v === -1) return true
  return (spec.min === undefined || v >= spec.min) && (spec.max === undefined || v <= spec.max)
}

function rangeText(spec: RangeSpec): string {
  const fmt = (n: number): string => (spec.kind === 'duration' ? formatDuration(n) : String(n))
  const {min, max} = spec
  const range =
    min !== undefined && max !== undefined ? `between ${fmt(min)} and ${fmt(max)}` : min !== undefined ? `>= ${fmt(min)}` : max !== undefined ? `<= ${fmt(max)}` : 'any value'
  return spec.disable ? `${fmt(-1)} to disable, or ${range}` : range
}

/** `shown`: the value as the message prints it (strings quoted, durations formatted). */
function badValue(key: string, shown: string, why: string): ConfigError {
  return new ConfigError(key, `invalid value for ${key}: ${shown} (${why})`)
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value)
}

/** go-nsq's Validate: heartbeats must come at least as often as the read deadline. */
function crossCheck(cfg: ClientConfig): void {
  if (cfg.heartbeat_interval !== -1 && cfg.heartbeat_interval > cfg.read_timeout) {
    throw new ConfigError(
      'heartbeat_interval',
      `invalid value for heartbeat_interval: ${formatDuration(cfg.heartbeat_interval)} (must be <= read_timeout ${formatDuration(cfg.read_timeout)}, or -1ms to disable heartbeats)`,
    )
  }
}

/** The known key nearest to a misspelt one (edit distance <= 2), for the error message. */
function closestKey(key: string): string | undefined {
  let best: string | undefined
  let bestDist = 3
  for (const k of OPTION_KEYS) {
    const d = editDistance(key, k)
    if (d < bestDist) {
      best = k
      bestDist = d
    }
  }
  return best
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const cur = [i]
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min((prev[j] as number) + 1, (cur[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    prev = cur
  }
  return prev[b.length] as number
}
