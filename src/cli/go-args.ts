/**
 * Go `flag` syntax, so the lines users already have keep working (NSQ-SPEC §0.2):
 * `-flag=value`, `-flag value`, `--flag=value`, `--flag value`, and bools as `-flag`,
 * `-flag=true`, `-flag=false`. oclif wants `--flag` and `--no-flag`, so argv is rewritten
 * before oclif parses it. Only names of two or more characters are rewritten: `-n 5` stays
 * a short flag. Everything after `--` is left alone.
 */
import {GO_FALSE, GO_TRUE} from '../core/util/go-bool.js'

export interface FlagShape {
  type: 'boolean' | 'option'
  char?: string
  allowNo?: boolean
}

const TRUE = GO_TRUE
const FALSE = GO_FALSE

export function normalizeGoArgs(argv: readonly string[], flags: Readonly<Record<string, FlagShape>>): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string
    if (a === '--') {
      out.push(...argv.slice(i))
      break
    }
    // a one-letter Go flag with a value: -n=5 → -n 5 (oclif's short-flag form)
    const short = /^-([A-Za-z0-9])=(.*)$/s.exec(a)
    if (short) {
      out.push(`-${short[1]}`, short[2] as string)
      continue
    }
    const m = /^--?([A-Za-z0-9][A-Za-z0-9_.-]+)(=(.*))?$/s.exec(a)
    if (!m) {
      out.push(a)
      continue
    }
    const name = m[1] as string
    const value = m[3]
    const def = flags[name]
    if (def?.type === 'boolean' && value !== undefined) {
      if (TRUE.has(value)) out.push(`--${name}`)
      else if (FALSE.has(value)) out.push(def.allowNo ? `--no-${name}` : `--${name}=false`)
      else out.push(`--${name}=${value}`)
      continue
    }
    out.push(value === undefined ? `--${name}` : `--${name}=${value}`)
  }
  return out
}
