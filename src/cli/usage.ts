/**
 * The help text of nsqkit and of each command, rendered from the command manifest (no command
 * is imported, no oclif loaded). Flags are listed the way Go's flag package prints them, one
 * per flag by its Go name, with its type and its default, so that `nsq_tail -help | grep
 * channel` finds the line and the usage line under it:
 *
 *     -max-in-flight int
 *       	max number of messages to allow in flight (default 200)
 *
 * A Go-named shim lists `-flag` (the syntax its users type); `nsqkit <command>` lists `--flag`.
 */
import {formatDuration} from '../core/util/duration.js'
import type {CommandInfo, Example, FlagInfo} from './manifest.js'

/** The helpValue of duration flags (src/cli/flags.ts): their default is milliseconds. */
export const DURATION_HELP_VALUE = '<duration>'

export interface UsageStyle {
  /** what the user typed to run the command: `nsq_tail`, `nsqkit tail` */
  program: string
  /** `-` for a Go-named shim, `--` for nsqkit */
  dash: '-' | '--'
  /** the CLI's own name, for examples written as `<%= config.bin %> tail ...` */
  bin: string
}

/** The usage of one command. */
export function commandUsage(cmd: CommandInfo, style: UsageStyle): string {
  const out: string[] = []
  if (cmd.summary) out.push(cmd.summary, '')
  const args = Object.values(cmd.args ?? {})
    .map((a) => ` [${a.name.toUpperCase()}${cmd.strict === false ? '...' : ''}]`)
    .join('')
  out.push('USAGE', `  $ ${style.program} [flags]${args}`, '')
  if (cmd.description) out.push('DESCRIPTION', ...cmd.description.split('\n').map((l) => `  ${l}`), '')
  const d = style.dash
  const names = Object.keys(cmd.flags).sort()
  if (names.length > 0) out.push(`FLAGS (${d}flag=value or ${d}flag value; one dash or two; ${d}no-flag or ${d}flag=false for a bool)`)
  for (const name of names) out.push(...flagLines(cmd.flags[name] as FlagInfo, d))
  const examples = (cmd.examples ?? []).map((e) => exampleLine(e, style.bin, cmd.id))
  if (examples.length > 0) out.push(...(names.length > 0 ? [''] : []), 'EXAMPLES', ...examples.map((e) => `  $ ${e}`))
  return `${out.join('\n')}\n`
}

/** Go's PrintDefaults format: `  -name type` and the usage on the next line after a tab. */
function flagLines(f: FlagInfo, dash: '-' | '--'): string[] {
  const names = f.char ? (f.char === f.name ? `-${f.char}` : `-${f.char}, ${dash}${f.name}`) : `${dash}${f.name}`
  const type = typeWord(f)
  const head = `  ${names}${type ? ` ${type}` : ''}`
  let usage = f.summary ?? f.description ?? ''
  const def = defaultText(f)
  // a summary that already says its default (serve's durations) is not told twice
  if (def !== null && !/\(default[ :]/.test(usage)) usage += `${usage ? ' ' : ''}(default ${def})`
  // as Go: a one-letter bool keeps its usage on the same line
  return head.length <= 4 ? [`${head}\t${usage}`] : [head, `    \t${usage}`]
}

/** Go's UnquoteUsage type word: bool flags have none. */
function typeWord(f: FlagInfo): string {
  if (f.type === 'boolean') return ''
  if (f.helpValue) return f.helpValue.replace(/^<(.*)>$/, '$1')
  if (f.options && f.options.length > 0) return f.options.join('|')
  return typeof f.default === 'number' ? 'int' : 'string'
}

/** The default as Go prints it (strings quoted), or null for a zero value (Go omits those). */
function defaultText(f: FlagInfo): string | null {
  const v = f.default
  if (v === undefined || v === null || v === '' || v === 0 || v === false) return null
  if (Array.isArray(v)) return v.length === 0 ? null : JSON.stringify(v)
  if (typeof v === 'number') return f.helpValue === DURATION_HELP_VALUE ? formatDuration(v) : String(v)
  if (typeof v === 'string') return JSON.stringify(v)
  return String(v)
}

function exampleLine(e: Example, bin: string, id: string): string {
  const text = typeof e === 'string' ? e : e.command
  return text.replace(/<%=\s*config\.bin\s*%>/g, bin).replace(/<%=\s*command\.id\s*%>/g, id)
}

export interface RootUsage {
  bin: string
  description: string
  /** `nsqkit/0.1.0 linux-x64 node-v20.20.2` */
  versionLine: string
  commands: CommandInfo[]
  /** commands of later releases: id and Go name */
  planned: readonly {id: string; goName: string}[]
  /** the Go names of the commands built (their shims) */
  goNames: readonly string[]
}

/** The usage of nsqkit itself: its commands, and those still to come. */
export function rootUsage(r: RootUsage): string {
  // plain code-unit order: the first localeCompare loads ICU's collator (~5 ms)
  const byId = (a: {id: string}, b: {id: string}): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
  const visible = r.commands.filter((c) => !c.hidden).sort(byId)
  const width = Math.max(...visible.map((c) => c.id.length), ...r.planned.map((c) => c.id.length))
  const goNames = [...r.goNames].sort()
  const out = [
    r.description,
    '',
    'VERSION',
    `  ${r.versionLine}`,
    '',
    'USAGE',
    `  $ ${r.bin} COMMAND [flags]`,
    `  $ ${r.bin} help COMMAND    (or ${r.bin} COMMAND --help)`,
    '',
    'COMMANDS',
    ...visible.map((c) => `  ${c.id.padEnd(width)}  ${c.summary ?? ''}`),
  ]
  if (r.planned.length > 0) {
    out.push('', 'LATER RELEASES (each answers "not built yet" for now)', ...[...r.planned].sort(byId).map((c) => `  ${c.id.padEnd(width)}  Go name: ${c.goName}`))
  }
  if (goNames.length > 0) {
    out.push('', `The Go names work too, as commands (${r.bin} ${goNames[0]} -help) and as installed bins: ${goNames.join(', ')}.`)
  }
  return `${out.join('\n')}\n`
}
