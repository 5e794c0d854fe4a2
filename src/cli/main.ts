/**
 * The front door of every entry point: `nsqkit` (bin/run.js) and the Go-named shims
 * (bin/nsq_tail, bin/nsqd, ...). What needs no command code is answered here, from the command
 * manifest, without loading oclif or any command (a shell loop or a cron line pays the start-up
 * on every call):
 *
 *  - help: `-h`, `-help`, `--help` (as a flag, not as a flag's value), `help` as the only word
 *    after the command, `nsqkit help <command>`, and `nsqkit` alone: the usage on stdout, exit 0;
 *  - an unknown flag: one line naming it as typed, exit 2 (`nsq_tail: unknown flag -bogus-flag
 *    (see nsq_tail -help)`);
 *  - `-version` alone: the command's version line, exit 0; `nsqkit --version`.
 *
 * As in Go's flag package, the first of a help flag and an unknown flag decides. Every other
 * command line goes to oclif, which parses the flags and runs the command; so do the commands
 * of later releases and unknown commands (the init hook answers those).
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {BUILT, PLANNED, goNameOf, plannedCommand, versionLine} from './commands-table.js'
import {scanGoArgs, type FlagShape} from './go-args.js'
import {PACKAGE_ROOT, loadManifest, type CommandInfo, type Manifest} from './manifest.js'
import {unknownFlagLine} from './misuse.js'
import {commandUsage, rootUsage} from './usage.js'
import {NSQKIT_VERSION} from '../core/version.js'

export const BIN = 'nsqkit'

export interface Entry {
  /** the command a Go-named shim runs (`tail` for nsq_tail); none for nsqkit itself */
  command?: string
  /** the name the user typed: a shim's basename (`nsq_tail`) */
  program?: string
  /** the arguments after the program */
  argv: readonly string[]
}

/** What the front door answers: stdout, stderr and the exit status. */
export interface Answer {
  out: string
  err: string
  code: number
}

/** `nsqkit/0.1.0 linux-x64 node-v20.20.2`, as oclif's `--version` has it. */
export const cliVersionLine = (): string => `${BIN}/${NSQKIT_VERSION} ${process.platform}-${process.arch} node-${process.version}`

const isHelpFlag = (a: string): boolean => /^--?(h|help)(=.*)?$/s.test(a)

/** The built command `word` names: its id or one of its aliases (the Go names). */
function findCommand(m: Manifest, word: string): CommandInfo | undefined {
  return m.commands[word] ?? Object.values(m.commands).find((c) => c.aliases.includes(word) || c.hiddenAliases.includes(word))
}

function shapes(cmd: CommandInfo): Record<string, FlagShape> {
  const out: Record<string, FlagShape> = {}
  for (const [name, f] of Object.entries(cmd.flags)) out[name] = {type: f.type, ...(f.char ? {char: f.char} : {}), allowNo: Boolean(f.allowNo)}
  return out
}

function rootHelp(m: Manifest): Answer {
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {description?: string}
  const commands = Object.values(m.commands)
  return {out: rootUsage({bin: BIN, description: pkg.description ?? BIN, versionLine: cliVersionLine(), commands, planned: PLANNED, goNames: BUILT.map((c) => c.goName)}), err: '', code: 0}
}

/**
 * The answer to `entry` that needs no command code, or null to hand the command line to oclif.
 * Pure but for reading package.json for the root help and NSQKIT_PROGRAM for misuse lines.
 */
export function frontAnswer(m: Manifest, entry: Entry): Answer | null {
  let args = entry.argv
  /** the command as named: a shim's id, or nsqkit's first word */
  let word: string
  let program: string
  if (entry.command !== undefined) {
    word = entry.command
    program = entry.program ?? entry.command
  } else {
    const first = args[0]
    if (first === undefined || (args.length === 1 && (isHelpFlag(first) || first === 'help'))) return rootHelp(m)
    if (args.length === 1 && /^(--?version|-v)$/.test(first)) return {out: `${cliVersionLine()}\n`, err: '', code: 0}
    if (first === 'help') {
      // `nsqkit help tail`: the usage of tail; anything else is the help command's to answer
      if (args.length !== 2) return null
      // `nsqkit help --help`: the usage of help itself
      const named = isHelpFlag(args[1] as string) ? 'help' : (args[1] as string)
      const cmd = findCommand(m, named)
      return cmd ? {out: commandUsage(cmd, {program: `${BIN} ${named}`, dash: '--', bin: BIN}), err: '', code: 0} : null
    }
    if (/^--?\w/.test(first)) return {out: '', err: `${unknownFlagLine(undefined, first.replace(/=.*$/s, ''), BIN)}\n`, code: 2}
    word = first
    program = `${BIN} ${first}`
    args = args.slice(1)
  }
  const cmd = findCommand(m, word)
  if (!cmd) {
    // a command of a later release tells its version (its other lines say "not built yet")
    const planned = plannedCommand(word)
    if (planned && args.length === 1 && /^--?version(=true)?$/.test(args[0] as string)) return {out: `${versionLine(planned.goName)}\n`, err: '', code: 0}
    return null
  }
  const style = {program, dash: entry.program ? '-' : '--', bin: BIN} as const
  const usage = (): Answer => ({out: commandUsage(cmd, style), err: '', code: 0})
  if (args.length === 1 && args[0] === 'help') return usage()
  const scan = scanGoArgs(args, shapes(cmd))
  if (scan.help) return usage()
  if (scan.unknown !== null) return {out: '', err: `${unknownFlagLine(cmd.id, scan.unknown, BIN)}\n`, code: 2}
  // `-version` alone (with other flags, oclif checks their values first, as Go's flag package)
  const goName = goNameOf(cmd.id)
  if (goName && args.length === 1 && scan.given[0] === 'version' && cmd.flags.version?.type === 'boolean' && !(args[0] as string).includes('=')) {
    return {out: `${versionLine(goName)}\n`, err: '', code: 0}
  }
  return null
}

export function writeAnswer(a: Answer): void {
  // `nsq_tail -help | head -1`: a reader that leaves early is no error
  process.stdout.on('error', () => undefined)
  if (a.out) process.stdout.write(a.out)
  if (a.err) process.stderr.write(a.err)
  process.exitCode = a.code
}

/** Answer `entry` here or run it through oclif. */
export async function main(entry: Entry): Promise<void> {
  // error lines then start with the name the user typed (nsq_tail: ...), as the Go tools' do
  if (entry.program) process.env.NSQKIT_PROGRAM = entry.program
  let answer: Answer | null
  try {
    answer = frontAnswer(await loadManifest(), entry)
  } catch (err) {
    // a manifest that cannot be read: one line, as every failure
    process.stderr.write(`${entry.program ?? BIN}: ${(err as Error).message}\n`)
    process.exitCode = 1
    return
  }
  if (answer) return writeAnswer(answer)
  // oclif checks its own "engines" with semver on load (~50 modules, 10-20 ms); nsqkit's stricter
  // "engines" is npm's to check at install. Unset again so no child inherits it.
  const skip = process.env.OCLIF_DISABLE_ENGINE_WARNING === undefined
  if (skip) process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  const {execute} = await import('@oclif/core')
  if (skip) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
  await execute({dir: PACKAGE_ROOT, args: entry.command === undefined ? [...entry.argv] : [entry.command, ...entry.argv]})
}
