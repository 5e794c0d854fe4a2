/**
 * An option table: one declaration per option (its names, type, default, bounds and help) from
 * which the flags, the validation and the config views are derived, so that no fact about an
 * option is written twice (docs/ARCHITECTURE.md; go-nsq `config.go` with its `opt`/`default`/`min`/`max`
 * tags, nsqd's Options struct with its `flag`/`cfg` tags read by `apps/nsqd/options.go` and by
 * `/config`).
 *
 * Values are typed: numbers (durations in milliseconds, sizes in bytes), booleans, strings and
 * string lists. Text (a flag, a `key,value` opt, a PUT body) becomes a value through `parse`,
 * which checks the value's bounds too; `resolve` puts a partial object over the defaults and
 * checks every value, then the checks across options. An error names the option the way its
 * users know it (nsqd's flags as `--max-msg-size`, go-nsq's options as `max_in_flight`) and
 * says what would be accepted.
 *
 * Text forms, as the Go programs read them:
 *   int, size  `[+-]digits` (strconv.ParseInt; sizes are whole bytes, as nsqd's int64 flags)
 *   float      a decimal or exponent number (strconv.ParseFloat, without Inf/NaN)
 *   duration   a Go duration: `60s`, `1m30s`, `250ms`, `-1ms`, `0` (time.ParseDuration)
 *   bool       strconv.ParseBool's spellings (`1 t T TRUE true True`, `0 f F FALSE false False`)
 *   address    `host:port` or `[host]:port`, port 0-65535
 *   enum       one of the values (or what the option's own `parse` accepts)
 *   string     anything; strings: one item per occurrence of a flag
 */
import {DurationError, formatDuration, parseDuration} from './duration.js'
import {GO_BOOL_SPELLINGS, parseGoBool} from './go-bool.js'
import {AddressError, parseHostPort} from './hostport.js'
import {LOG_LEVELS, parseLogLevel, type LogLevel} from './logger.js'

export type OptionKind = 'int' | 'size' | 'float' | 'duration' | 'bool' | 'string' | 'strings' | 'address' | 'enum'

interface BaseOption<K extends OptionKind, T> {
  readonly kind: K
  readonly default: T
  /** one line of help, as the flag's usage */
  readonly description: string
  /** the Go flag name (`max-msg-size`); none: the option is not a flag */
  readonly flag?: string
  /**
   * the name in config files and `/config` (nsqd's `cfg` tag): by default the flag with `_`
   * for `-`; null, or no flag: not shown there
   */
  readonly cfg?: string | null
  /** the default in words, when it depends on the machine (`the OS hostname`) */
  readonly defaultText?: string
  /** a feature nsqkit does not have yet: any value but the default is refused (`unsupported`) */
  readonly unsupported?: string
  /** may be changed while running (nsqd's `PUT /config/:opt`) */
  readonly settable?: boolean
}

export interface NumberOption<K extends 'int' | 'size' | 'float' | 'duration' = 'int' | 'size' | 'float' | 'duration'> extends BaseOption<K, number> {
  readonly min?: number
  readonly max?: number
  /** -1 is accepted besides the range: go-nsq's "disabled" */
  readonly disable?: boolean
}
export type BoolOption = BaseOption<'bool', boolean>
export type StringOption = BaseOption<'string', string>
export type StringsOption = BaseOption<'strings', readonly string[]>
export interface AddressOption extends BaseOption<'address', string> {
  /** '' is accepted too (nsqd's `--http-address=''` disables the listener) */
  readonly allowEmpty?: boolean
}
export interface EnumOption<V extends string = string> extends BaseOption<'enum', V> {
  readonly values: readonly V[]
  /** '' is a valid value (the untouched default) but cannot be given as text */
  readonly allowEmpty?: boolean
  /** how text becomes a value, when it is not the value itself (any case for log levels) */
  parse?(text: string): V | null
  /** the value in Go's JSON, when it is not the string (a log level is a number there) */
  json?(value: V): unknown
  /** how the accepted values are listed in errors, when `values` does not say it all */
  readonly valuesText?: string
}

export type OptionSpec = NumberOption | BoolOption | StringOption | StringsOption | AddressOption | EnumOption
export type OptionSpecs = Readonly<Record<string, OptionSpec>>

/** The typed value of one option. */
export type OptionValue<O> = O extends StringsOption ? string[] : O extends BaseOption<OptionKind, infer T> ? T : never
/** The typed object a table's options make up. */
export type OptionValues<S extends OptionSpecs> = {-readonly [K in keyof S]: OptionValue<S[K]>}

/** Builders that fill in `kind` and keep the value types (an enum's literal values) for inference. */
export const option = {
  int: (o: Omit<NumberOption<'int'>, 'kind'>): NumberOption<'int'> => ({kind: 'int', ...o}),
  size: (o: Omit<NumberOption<'size'>, 'kind'>): NumberOption<'size'> => ({kind: 'size', ...o}),
  float: (o: Omit<NumberOption<'float'>, 'kind'>): NumberOption<'float'> => ({kind: 'float', ...o}),
  duration: (o: Omit<NumberOption<'duration'>, 'kind'>): NumberOption<'duration'> => ({kind: 'duration', ...o}),
  bool: (o: Omit<BoolOption, 'kind'>): BoolOption => ({kind: 'bool', ...o}),
  string: (o: Omit<StringOption, 'kind'>): StringOption => ({kind: 'string', ...o}),
  strings: (o: Omit<StringsOption, 'kind'>): StringsOption => ({kind: 'strings', ...o}),
  address: (o: Omit<AddressOption, 'kind'>): AddressOption => ({kind: 'address', ...o}),
  enum: <V extends string>(o: Omit<EnumOption<V>, 'kind'>): EnumOption<V> => ({kind: 'enum', ...o}),
  /** the daemons' and tools' --log-level: nsq's levels, in any case, `info` by default */
  logLevel: (o: Partial<Omit<EnumOption<LogLevel>, 'kind' | 'values'>> = {}): EnumOption<LogLevel> => ({
    kind: 'enum',
    flag: 'log-level',
    default: 'info',
    values: LOG_LEVELS,
    valuesText: `one of ${LOG_LEVELS.join(', ')}, in any case`,
    parse: parseLogLevel,
    description: 'log verbosity: debug, info, warn, error or fatal (any case)',
    ...o,
  }),
}

// ---- errors --------------------------------------------------------------------------------

export interface OptionErrorInit {
  /** the option's key in the table (or the unknown key as given) */
  key: string
  /** the option as the error names it: `--max-msg-size`, `max_in_flight` */
  label: string
  /** what is wrong without naming the option (for a flag parser that names it itself) */
  detail: string
  message: string
  cause?: unknown
}

/** A value that does not fit its option, or an unknown option. */
export class OptionError extends Error {
  readonly code: string = 'ERR_INVALID_OPTION'
  readonly key: string
  readonly label: string
  readonly detail: string

  constructor(init: OptionErrorInit) {
    super(init.message, init.cause === undefined ? undefined : {cause: init.cause})
    this.name = 'OptionError'
    this.key = init.key
    this.label = init.label
    this.detail = init.detail
  }
}

/** Why a value is refused, before it is said which option it was for. */
class Refusal {
  constructor(
    /** the value as the message prints it */
    readonly shown: string,
    /** why, and what would do */
    readonly why: string,
    /** a whole text instead of `invalid value <shown> (<why>)` (Go's duration errors) */
    readonly text?: string,
    readonly cause?: unknown,
  ) {}
}

// ---- one value -----------------------------------------------------------------------------

const INT_RE = /^[+-]?\d+$/
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/

/** A value as a message prints it: strings quoted, durations as Go prints them. */
export function showValue(spec: OptionSpec, v: unknown): string {
  if (spec.kind === 'duration' && typeof v === 'number' && Number.isFinite(v)) return formatDuration(v)
  if (typeof v === 'string') return JSON.stringify(v)
  if (Array.isArray(v)) return JSON.stringify(v)
  return String(v)
}

/** The accepted range in words: `between 100ms and 5m0s`, `>= 0`, `-1 to disable, or >= 0`. */
export function rangeText(spec: NumberOption): string {
  const fmt = (n: number): string => (spec.kind === 'duration' ? formatDuration(n) : String(n))
  const {min, max} = spec
  const range =
    min !== undefined && max !== undefined ? `between ${fmt(min)} and ${fmt(max)}` : min !== undefined ? `>= ${fmt(min)}` : max !== undefined ? `<= ${fmt(max)}` : 'any value'
  return spec.disable ? `${fmt(-1)} to disable, or ${range}` : range
}

function enumText(spec: EnumOption): string {
  return spec.valuesText ?? `one of ${spec.values.join(', ')}`
}

/**
 * Text (or a number or boolean given programmatically) as the option's type; the bounds are
 * left to checkValue. Throws a Refusal for text the type cannot read.
 */
function coerce(spec: OptionSpec, input: string | number | boolean): unknown {
  switch (spec.kind) {
    case 'duration':
      if (typeof input !== 'string') return input
      try {
        return parseDuration(input)
      } catch (err) {
        if (err instanceof DurationError) throw new Refusal(JSON.stringify(input), '', err.message, err)
        throw err
      }
    case 'int':
    case 'size':
      // `|| 0`: "-0" is 0
      return typeof input === 'string' && INT_RE.test(input) ? Number(input) || 0 : input
    case 'float':
      return typeof input === 'string' && FLOAT_RE.test(input) ? Number(input) || 0 : input
    case 'bool':
      if (typeof input === 'string') {
        const b = parseGoBool(input)
        if (b === null) throw new Refusal(JSON.stringify(input), `must be one of ${GO_BOOL_SPELLINGS.join(', ')}`)
        return b
      }
      // go-nsq: an integer is true when it is not 0
      if (typeof input === 'number') return Number.isInteger(input) ? input !== 0 : input
      return input
    case 'enum': {
      const text = String(input)
      // '' is only ever the untouched default: go-nsq's Set knows no "default" value
      if (text === '') throw new Refusal('""', `must be ${enumText(spec)}`)
      if (spec.parse) {
        const v = spec.parse(text)
        if (v === null) throw new Refusal(JSON.stringify(text), `must be ${enumText(spec)}`)
        return v
      }
      return text
    }
    case 'strings':
      return typeof input === 'string' ? [input] : input
    case 'string':
    case 'address':
      return String(input)
  }
}

/** Check a typed value against its option's type and bounds; throws a Refusal. */
function checkValue(spec: OptionSpec, v: unknown): void {
  const bad = (why: string): Refusal => new Refusal(showValue(spec, v), why)
  switch (spec.kind) {
    case 'duration':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`not a finite number of milliseconds; must be ${rangeText(spec)}`)
      if (!inRange(spec, v)) throw bad(`must be ${rangeText(spec)}`)
      return
    case 'int':
    case 'size':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw bad(`not an integer; must be ${rangeText(spec)}`)
      if (!inRange(spec, v)) throw bad(`must be ${rangeText(spec)}`)
      return
    case 'float':
      if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`not a number; must be ${rangeText(spec)}`)
      if (!inRange(spec, v)) throw bad(`must be ${rangeText(spec)}`)
      return
    case 'bool':
      if (typeof v !== 'boolean') throw bad('must be true or false')
      return
    case 'string':
      if (typeof v !== 'string') throw bad('must be a string')
      return
    case 'strings':
      if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw bad('must be a list of strings')
      return
    case 'address':
      if (typeof v !== 'string') throw bad('must be a string')
      if (v === '' && spec.allowEmpty) return
      try {
        parseHostPort(v)
      } catch (err) {
        // "missing port (expected host:port)" → "missing port": the rest is said after it
        if (err instanceof AddressError) throw new Refusal(showValue(spec, v), `${err.reason.replace(/ \(.*\)$/, '')}; must be host:port, with port 0 for any port`, undefined, err)
        throw err
      }
      return
    case 'enum':
      if (typeof v !== 'string' || !(spec.values.includes(v) || (spec.allowEmpty === true && v === ''))) {
        throw bad(`must be ${enumText(spec)}${spec.allowEmpty ? " (or '' for the default)" : ''}`)
      }
      return
  }
}

function inRange(spec: NumberOption, v: number): boolean {
  if (spec.disable && v === -1) return true
  return (spec.min === undefined || v >= spec.min) && (spec.max === undefined || v <= spec.max)
}

// ---- the table -----------------------------------------------------------------------------

export interface OptionTableConfig<S extends OptionSpecs> {
  /** how errors name an option: `--max-msg-size` for nsqd's flags, `max_in_flight` for go-nsq's keys */
  label(key: keyof S & string, spec: OptionSpec): string
  /** the error to throw instead of an OptionError (the caller's own class, with its own code) */
  error?(init: OptionErrorInit): Error
  /** checks across options, after each value was checked alone: the option at fault and why */
  crossCheck?(values: OptionValues<S>): {key: keyof S & string; why: string} | null
}

/** One row of a table as help or documentation shows it. */
export interface OptionDescription {
  key: string
  kind: OptionKind
  flag: string | null
  cfg: string | null
  /** the default as Go prints it (`1m0s`, `127.0.0.1:4150`), or in words when it depends on the machine */
  default: string
  /** the accepted values in words ('' when anything of the type goes) */
  accepts: string
  description: string
}

export class OptionTable<S extends OptionSpecs> {
  /** the keys in declaration order */
  readonly keys: readonly (keyof S & string)[]
  /** the defaults, frozen */
  readonly defaults: Readonly<OptionValues<S>>
  private readonly flagIndex = new Map<string, keyof S & string>()
  private readonly cfgIndex = new Map<string, keyof S & string>()

  constructor(
    readonly specs: S,
    private readonly config: OptionTableConfig<S>,
  ) {
    this.keys = Object.freeze(Object.keys(specs) as (keyof S & string)[])
    const defaults: Record<string, unknown> = {}
    for (const key of this.keys) {
      const spec = specs[key] as OptionSpec
      checkDeclared(key, spec)
      defaults[key] = Array.isArray(spec.default) ? Object.freeze([...(spec.default as string[])]) : spec.default
      if (spec.flag !== undefined) this.flagIndex.set(spec.flag, key)
      const cfg = this.cfgName(key)
      if (cfg !== null) this.cfgIndex.set(cfg, key)
    }
    this.defaults = Object.freeze(defaults) as Readonly<OptionValues<S>>
  }

  /** The spec of `key`, or undefined when the table has no such option (own keys only). */
  spec(key: string): OptionSpec | undefined {
    return Object.hasOwn(this.specs, key) ? (this.specs[key] as OptionSpec) : undefined
  }

  has(key: string): key is keyof S & string {
    return Object.hasOwn(this.specs, key)
  }

  /** The option whose Go flag is `flag` (`max-msg-size`). */
  byFlag(flag: string): (keyof S & string) | undefined {
    return this.flagIndex.get(flag)
  }

  /** The option whose config name is `cfg` (`max_msg_size`, nsqd's `id`). */
  byCfg(cfg: string): (keyof S & string) | undefined {
    return this.cfgIndex.get(cfg)
  }

  /** The config name of `key`, or null when it has none. */
  cfgName(key: keyof S & string): string | null {
    const spec = this.specs[key] as OptionSpec
    if (spec.cfg !== undefined) return spec.cfg
    return spec.flag === undefined ? null : spec.flag.replace(/-/g, '_')
  }

  /** How errors name `key`. */
  label(key: keyof S & string): string {
    return this.config.label(key, this.specs[key] as OptionSpec)
  }

  /**
   * Text (or a number or boolean) as `key`'s value: read by its type, then checked against its
   * bounds. Throws an OptionError naming the option.
   */
  parse<K extends keyof S & string>(key: K, input: string | number | boolean): OptionValue<S[K]> {
    const spec = this.specs[key] as OptionSpec
    try {
      const v = coerce(spec, input)
      checkValue(spec, v)
      return v as OptionValue<S[K]>
    } catch (err) {
      if (err instanceof Refusal) throw this.refused(key, err)
      throw err
    }
  }

  /** Check a typed value for `key`; throws an OptionError naming the option. */
  check(key: keyof S & string, value: unknown): void {
    try {
      checkValue(this.specs[key] as OptionSpec, value)
    } catch (err) {
      if (err instanceof Refusal) throw this.refused(key, err)
      throw err
    }
  }

  /**
   * The defaults with `partial` over them, every value checked, then the checks across
   * options. A key whose value is undefined keeps its default; lists are copied. Throws an
   * OptionError for the first value refused, or for a key the table does not have.
   */
  resolve(partial?: Readonly<Partial<OptionValues<S>>>): OptionValues<S> {
    const out: Record<string, unknown> = {}
    for (const key of this.keys) {
      const d = this.defaults[key] as unknown
      out[key] = Array.isArray(d) ? [...(d as string[])] : d
    }
    for (const [key, value] of Object.entries(partial ?? {})) {
      if (value === undefined) continue
      if (!this.has(key)) throw this.unknown(key)
      this.check(key, value)
      out[key] = Array.isArray(value) ? [...(value as string[])] : value
    }
    const values = out as OptionValues<S>
    this.crossCheck(values)
    return values
  }

  /** Only the checks across options (go-nsq's Validate after a series of Set). */
  crossCheck(values: OptionValues<S>): void {
    const fault = this.config.crossCheck?.(values)
    if (!fault) return
    const spec = this.specs[fault.key] as OptionSpec
    throw this.refused(fault.key, new Refusal(showValue(spec, values[fault.key]), fault.why))
  }

  /** The first option of `values` that asks for a feature nsqkit does not have yet, with why. */
  unsupported(values: Readonly<OptionValues<S>>): {key: keyof S & string; reason: string} | null {
    for (const key of this.keys) {
      const reason = (this.specs[key] as OptionSpec).unsupported
      if (reason !== undefined && values[key] !== this.defaults[key]) return {key, reason}
    }
    return null
  }

  /** The value as Go's encoding/json writes the Go field: durations as integer nanoseconds. */
  json<K extends keyof S & string>(key: K, value: OptionValue<S[K]>): unknown {
    const spec = this.specs[key] as OptionSpec
    if (spec.kind === 'duration') return Math.round((value as number) * 1e6)
    if (spec.kind === 'enum' && spec.json) return spec.json(value as string)
    return value
  }

  /** Help for `key`: its names, its default as Go prints it, what it accepts. */
  describe(key: keyof S & string): OptionDescription {
    const spec = this.specs[key] as OptionSpec
    return {
      key,
      kind: spec.kind,
      flag: spec.flag ?? null,
      cfg: this.cfgName(key),
      default: spec.defaultText ?? goText(spec, spec.default),
      accepts: acceptsText(spec),
      description: spec.description,
    }
  }

  /** An OptionError for a key the table does not have, with the nearest known key if one is close. */
  unknown(key: string): Error {
    const near = this.closest(key)
    const detail = `unknown option ${JSON.stringify(key)}${near === undefined ? '' : ` (did you mean ${JSON.stringify(near)}?)`}`
    return this.error({key, label: key, detail, message: detail})
  }

  /** The known key nearest to a misspelt one (edit distance <= 2). */
  closest(key: string): (keyof S & string) | undefined {
    let best: (keyof S & string) | undefined
    let bestDist = 3
    for (const k of this.keys) {
      const d = editDistance(key, k)
      if (d < bestDist) {
        best = k
        bestDist = d
      }
    }
    return best
  }

  private refused(key: keyof S & string, err: Refusal): Error {
    const label = this.label(key)
    const detail = err.text ?? `invalid value ${err.shown} (${err.why})`
    const message = err.text === undefined ? `invalid value for ${label}: ${err.shown} (${err.why})` : `${label}: ${err.text}`
    return this.error({key, label, detail, message, cause: err.cause})
  }

  private error(init: OptionErrorInit): Error {
    return this.config.error ? this.config.error(init) : new OptionError(init)
  }
}

/** A default that does not fit its own option is a bug in the table: fail at load. */
function checkDeclared(key: string, spec: OptionSpec): void {
  try {
    checkValue(spec, spec.default)
  } catch (err) {
    if (err instanceof Refusal) throw new Error(`option table: the default of ${key} is refused: ${err.why}`)
    throw err
  }
}

/** A value as Go's flag package prints a default. */
function goText(spec: OptionSpec, v: unknown): string {
  if (spec.kind === 'duration') return formatDuration(v as number)
  if (Array.isArray(v)) return v.join(',')
  return String(v)
}

function acceptsText(spec: OptionSpec): string {
  switch (spec.kind) {
    case 'int':
    case 'size':
    case 'float':
    case 'duration': {
      const r = rangeText(spec)
      return r === 'any value' ? '' : r
    }
    case 'enum':
      return enumText(spec)
    case 'address':
      return spec.allowEmpty ? "host:port, or '' for none" : 'host:port'
    default:
      return ''
  }
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
