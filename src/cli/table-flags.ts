/**
 * oclif flags generated from an option table (core/util/options-table.ts): each option with a
 * Go flag name becomes that flag, with the table's default and help, parsed and bounds-checked
 * by the table, so a flag says nothing the table does not. A bad value is refused while the
 * flags are parsed, which names the flag as the user typed it.
 */
import {Flags, type Interfaces} from '@oclif/core'
import {OptionError, type OptionKind, type OptionSpec, type OptionSpecs, type OptionTable, type OptionValues} from '../core/util/options-table.js'

type FlagMap = Interfaces.FlagInput

const HELP_VALUE: Partial<Record<OptionKind, string>> = {
  int: '<int>',
  size: '<int>',
  float: '<float>',
  // the Go-style help renders a default of a <duration> flag as a Go duration, not as ms
  duration: '<duration>',
  address: '<host:port>',
}

/** The flag's usage line: the description, and the default where oclif would show it wrong. */
function summary<S extends OptionSpecs>(table: OptionTable<S>, key: keyof S & string): string {
  const spec = table.specs[key] as OptionSpec
  const {default: def, description} = table.describe(key)
  // the machine's default in words; a duration as Go prints it (oclif would print milliseconds)
  if (spec.defaultText !== undefined) return `${description} (default: ${def})`
  if (spec.kind === 'duration') return `${description} (default ${def})`
  return description
}

/** Every option of `table` that has a Go flag, as that flag. */
export function tableFlags<S extends OptionSpecs>(table: OptionTable<S>): FlagMap {
  const out: FlagMap = {}
  for (const key of table.keys) {
    const spec = table.specs[key] as OptionSpec
    if (spec.flag === undefined) continue
    // a default that depends on the machine stays out of the shipped command manifest
    const noCacheDefault = spec.defaultText !== undefined ? {noCacheDefault: true} : {}
    const common = {summary: summary(table, key), ...noCacheDefault}
    switch (spec.kind) {
      case 'bool':
        out[spec.flag] = Flags.boolean({...common, default: spec.default, allowNo: true})
        break
      case 'strings':
        out[spec.flag] = Flags.string({...common, multiple: true})
        break
      case 'string':
        out[spec.flag] = Flags.string({...common, default: spec.default})
        break
      default: {
        const helpValue = spec.kind === 'enum' ? `<${spec.values.join('|')}>` : (HELP_VALUE[spec.kind] as string)
        out[spec.flag] = Flags.custom<unknown>({
          parse: async (input: string) => parseFlag(table, key, input),
          helpValue,
        })({...common, default: spec.default})
      }
    }
  }
  return out
}

/**
 * The options of `table` as flags that are accepted and not acted on (nsqd's flags for features
 * nsqkit does not have yet): a bool takes `--x`/`--no-x`, anything else any text, repeatable,
 * hidden from the help. No defaults, so that a flag given can be told from one not given.
 */
export function acceptedFlags<S extends OptionSpecs>(table: OptionTable<S>, note: string): FlagMap {
  const out: FlagMap = {}
  for (const key of table.keys) {
    const spec = table.specs[key] as OptionSpec
    if (spec.flag === undefined) continue
    out[spec.flag] =
      spec.kind === 'bool'
        ? Flags.boolean({summary: `${spec.description} (${note})`, allowNo: true})
        : Flags.string({summary: `${spec.description} (${note})`, hidden: true, multiple: true})
  }
  return out
}

/** The flags of `table` that were given, as the user would name them (`--statsd-address`). */
export function givenFlags<S extends OptionSpecs>(table: OptionTable<S>, flags: Readonly<Record<string, unknown>>): string[] {
  const out: string[] = []
  for (const key of table.keys) {
    const flag = (table.specs[key] as OptionSpec).flag
    if (flag !== undefined && flags[flag] !== undefined) out.push(`--${flag}`)
  }
  return out
}

/** The parsed flags as a partial options object for `table.resolve` (flags not given are left out). */
export function optionsFromFlags<S extends OptionSpecs>(table: OptionTable<S>, flags: Readonly<Record<string, unknown>>): Partial<OptionValues<S>> {
  const out: Record<string, unknown> = {}
  for (const key of table.keys) {
    const flag = (table.specs[key] as OptionSpec).flag
    if (flag !== undefined && flags[flag] !== undefined) out[key] = flags[flag]
  }
  return out as Partial<OptionValues<S>>
}

/** One flag's text as the table reads it; the error says what is wrong, oclif names the flag. */
function parseFlag<S extends OptionSpecs>(table: OptionTable<S>, key: keyof S & string, input: string): unknown {
  try {
    return table.parse(key, input)
  } catch (err) {
    if (err instanceof OptionError) throw new Error(err.detail)
    throw err
  }
}
