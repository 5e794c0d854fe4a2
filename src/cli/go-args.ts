/**
 * Go `flag` syntax, so the lines users already have keep working (NSQ-SPEC §0.2):
 * `-flag=value`, `-flag value`, `--flag=value`, `--flag value`, and bools as `-flag`,
 * `-flag=true`, `-flag=false` (any of strconv.ParseBool's spellings). oclif wants
 * `--flag=value` and `--flag` / `--no-flag`, so argv is rewritten before oclif parses it: every
 * flag the command defines becomes `--name=value` or `--name` / `--no-name`, by its canonical
 * name. As in Go, an option flag given without `=` takes the next argument as its value whatever
 * it looks like (`-topic -xyz` is the topic `-xyz`, `-n -1` the value -1), and a bool never takes
 * the next argument. Everything after `--` is left alone.
 *
 * oclif refuses an option's value that looks like one of the command's flags, even joined
 * (`--topic=--version`, `--topic=-nope` where `-n` is a flag): such a value (any value starting
 * with `-`) goes to oclif behind VALUE_MARK, which NsqCommand removes before the flag's own
 * parse (src/cli/base.ts).
 *
 * The same reading of a command line also answers what the CLI needs before oclif runs
 * (`scanGoArgs`: a help flag, the first unknown flag as typed) and how the user spelled each
 * flag (`typedNames`), so error lines name a flag the way it was typed (`-max-in-flight`).
 */
import {parseGoBool} from '../core/util/go-bool.js'

export interface FlagShape {
  type: 'boolean' | 'option'
  char?: string
  allowNo?: boolean
}

type Shapes = Readonly<Record<string, FlagShape>>

/** A bool flag given a value Go's strconv.ParseBool refuses (`-print-topic=maybe`). */
export class GoArgsError extends Error {
  constructor(
    /** the flag as typed, without its value */
    readonly flag: string,
    readonly value: string,
  ) {
    super(`invalid boolean value "${value}" for ${flag} (true or false)`)
    this.name = 'GoArgsError'
  }
}

/** One argument read as a flag: its name, its dashes and value as typed. */
interface FlagToken {
  /** the name without dashes (`max-in-flight`, `n`, `no-print-topic`) */
  name: string
  /** the flag as typed, without `=value` (`-max-in-flight`, `--n`) */
  typed: string
  /** the `=value` part, if any */
  value: string | undefined
  /** a one-letter flag (`-n`, `-n=5`) */
  short: boolean
}

/** `a` read as a flag, or null for a positional argument (`-` and `--` are not flags here). */
function flagToken(a: string): FlagToken | null {
  const short = /^-([A-Za-z0-9])(?:=(.*))?$/s.exec(a)
  if (short) return {name: short[1] as string, typed: `-${short[1]}`, value: short[2], short: true}
  const long = /^(--?)([A-Za-z0-9][A-Za-z0-9_.-]*)(?:=(.*))?$/s.exec(a)
  if (!long) return null
  return {name: long[2] as string, typed: `${long[1]}${long[2]}`, value: long[3], short: false}
}

/** The flag `t` names: its canonical name and shape, or null when the command has none such. */
function resolve(t: FlagToken, flags: Shapes): {name: string; shape: FlagShape; negated: boolean} | null {
  const def = flags[t.name]
  if (def) return {name: t.name, shape: def, negated: false}
  if (t.short) {
    for (const [name, shape] of Object.entries(flags)) if (shape.char === t.name) return {name, shape, negated: false}
    return null
  }
  const base = t.name.startsWith('no-') ? flags[t.name.slice(3)] : undefined
  if (base?.type === 'boolean' && base.allowNo) return {name: t.name.slice(3), shape: base, negated: true}
  return null
}

/** Put before an option's value that starts with `-`: no argument of a process can hold a NUL. */
export const VALUE_MARK = '\0'

/** `input` without VALUE_MARK: the value as the user typed it. */
export const unmark = (input: string): string => (input.startsWith(VALUE_MARK) ? input.slice(1) : input)

/** Go's flag package answers -h and -help (one dash or two, any value) with the usage. */
const isHelpName = (name: string): boolean => name === 'h' || name === 'help'

/** `a` is a help flag (`-h`, `-help`, `--help`, `-h=true`) when the command defines no such flag. */
export function isHelpFlag(a: string): boolean {
  const t = flagToken(a)
  return t !== null && isHelpName(t.name)
}

/** The index of the first argument that is not a flag (`argv.length` when there is none). */
export function firstArgument(argv: readonly string[]): number {
  const i = argv.findIndex((a) => flagToken(a) === null)
  return i < 0 ? argv.length : i
}

/**
 * `a` as the bool flag `name` alone, or given a value Go reads as a bool (`-version`,
 * `--version=T`): its value; null when `a` is not that flag or its value is no Go bool.
 */
export function boolFlagValue(a: string, name: string): boolean | null {
  const t = flagToken(a)
  if (t === null || t.name !== name) return null
  return t.value === undefined ? true : parseGoBool(t.value)
}

/** The bool `value` (as typed) as oclif reads it: `--name` or `--no-name`. */
function boolArg(name: string, value: string | undefined, negated: boolean, typed: string): string {
  const on = value === undefined ? true : parseGoBool(value)
  if (on === null) throw new GoArgsError(typed, value as string)
  return on !== negated ? `--${name}` : `--no-${name}`
}

export function normalizeGoArgs(argv: readonly string[], flags: Shapes): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') {
      out.push(...argv.slice(i))
      break
    }
    const t = flagToken(a)
    const f = t === null ? null : resolve(t, flags)
    if (t === null || f === null) {
      // a positional argument, or a flag the command does not have (oclif names it)
      out.push(t === null || t.short ? a : `--${t.name}${t.value === undefined ? '' : `=${t.value}`}`)
      continue
    }
    if (f.shape.type === 'boolean') {
      out.push(boolArg(f.name, t.value, f.negated, t.typed))
      continue
    }
    // Go: an option flag without `=value` takes the next argument, whatever it looks like;
    // joined, so that oclif cannot read a value such as `-version` or `--` as a flag
    const value = t.value ?? argv[++i]
    out.push(value === undefined ? `--${f.name}` : `--${f.name}=${value.startsWith('-') ? VALUE_MARK : ''}${value}`)
  }
  return out
}

/** What the CLI answers before parsing: help or the first unknown flag, whichever comes first. */
export interface GoArgsScan {
  /** -h, -help or --help, as a flag (not as another flag's value) */
  help: boolean
  /** the first flag the command does not define, as typed (`-bogus-flag`, `--bogus`) */
  unknown: string | null
  /** the canonical names of the flags given, in order */
  given: string[]
  /** the arguments that are not flags or flag values */
  positional: string[]
}

/** Read `argv` as Go's flag package and oclif would: an option flag without `=` takes the next argument. */
export function scanGoArgs(argv: readonly string[], flags: Shapes): GoArgsScan {
  const scan: GoArgsScan = {help: false, unknown: null, given: [], positional: []}
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') {
      scan.positional.push(...argv.slice(i + 1))
      break
    }
    const t = flagToken(a)
    if (t === null) {
      scan.positional.push(a)
      continue
    }
    const f = resolve(t, flags)
    if (f === null) {
      // as Go's flag package: -h and -help are help unless the command defines them; the
      // first of help and an unknown flag ends the scan
      if (isHelpName(t.name)) scan.help = true
      else scan.unknown = t.typed
      break
    }
    scan.given.push(f.name)
    if (f.shape.type === 'option' && t.value === undefined) i++
  }
  return scan
}

/**
 * `argv` with each option flag given without `=` joined to its next argument when `join(value)`
 * (`-channel --help` → `-channel=--help`), the flag as typed: oclif, before any parse, shows its
 * own help for a `--help` anywhere on the line, even as a flag's value.
 */
export function joinOptionValues(argv: readonly string[], flags: Shapes, join: (value: string) => boolean): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') {
      out.push(...argv.slice(i))
      break
    }
    const t = flagToken(a)
    const f = t === null ? null : resolve(t, flags)
    const next = argv[i + 1]
    if (t !== null && f?.shape.type === 'option' && t.value === undefined && next !== undefined) {
      out.push(...(join(next) ? [`${a}=${next}`] : [a, next]))
      i++
    } else out.push(a)
  }
  return out
}

/** canonical flag name → the way the user typed it (the last time), for error lines. */
export function typedNames(argv: readonly string[], flags: Shapes): Map<string, string> {
  const typed = new Map<string, string>()
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') break
    const t = flagToken(a)
    if (t === null) continue
    const f = resolve(t, flags)
    if (f === null) {
      typed.set(t.name, t.typed)
      continue
    }
    // oclif names a negated bool by its base name: `--no-x` is not a spelling of `--x`
    if (!f.negated) typed.set(f.name, t.typed)
    if (f.shape.type === 'option' && t.value === undefined) i++
  }
  return typed
}

/**
 * `message` with every `--name` of a flag the user typed otherwise (`-max-in-flight`, `-n`)
 * written as typed, so a misuse line names the flag the way it is on the command line.
 */
export function asTyped(message: string, typed: ReadonlyMap<string, string>): string {
  let out = message
  for (const [name, spelling] of typed) {
    if (spelling === `--${name}`) continue
    out = out.replace(new RegExp(`(?<![\\w-])--${name.replace(/[.]/g, '\\.')}(?![\\w-])`, 'g'), spelling)
  }
  return out
}
