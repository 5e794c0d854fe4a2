/**
 * Go `flag` syntax, so the lines users already have keep working (NSQ-SPEC §0.2):
 * `-flag=value`, `-flag value`, `--flag=value`, `--flag value`, and bools as `-flag`,
 * `-flag=true`, `-flag=false`. oclif wants `--flag` and `--no-flag`, so argv is rewritten
 * before oclif parses it. Only names of two or more characters are rewritten: `-n 5` stays
 * a short flag. Everything after `--` is left alone.
 *
 * The same reading of a command line also answers what the CLI needs before oclif runs
 * (`scanGoArgs`: a help flag, the first unknown flag as typed) and how the user spelled each
 * flag (`typedNames`), so error lines name a flag the way it was typed (`-max-in-flight`).
 */
import {GO_FALSE, GO_TRUE} from '../core/util/go-bool.js'

export interface FlagShape {
  type: 'boolean' | 'option'
  char?: string
  allowNo?: boolean
}

type Shapes = Readonly<Record<string, FlagShape>>

const TRUE = GO_TRUE
const FALSE = GO_FALSE

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

export function normalizeGoArgs(argv: readonly string[], flags: Shapes): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') {
      out.push(...argv.slice(i))
      break
    }
    const t = flagToken(a)
    if (t === null) {
      out.push(a)
      continue
    }
    // a one-letter Go flag with a value: -n=5 → -n 5 (oclif's short-flag form)
    if (t.short) {
      out.push(t.typed, ...(t.value === undefined ? [] : [t.value]))
      continue
    }
    const {name, value} = t
    if (name.length < 2) {
      out.push(a)
      continue
    }
    const def = flags[name]
    if (def?.type === 'boolean' && value !== undefined) {
      if (TRUE.has(value)) out.push(`--${name}`)
      else if (FALSE.has(value)) out.push(def.allowNo ? `--no-${name}` : `--${name}=false`)
      else throw new GoArgsError(t.typed, value)
      continue
    }
    out.push(value === undefined ? `--${name}` : `--${name}=${value}`)
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
      if (t.name === 'h' || t.name === 'help') scan.help = true
      else scan.unknown = t.typed
      break
    }
    scan.given.push(f.name)
    if (f.shape.type === 'option' && t.value === undefined) i++
  }
  return scan
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
