/**
 * The front door of every entry point: `nsqkit` (bin/run.js) and the Go-named shims
 * (bin/nsq_tail, bin/nsqd, ...). What needs no command code is answered here, from the command
 * manifest, without loading oclif or any command (a shell loop or a cron line pays the start-up
 * on every call):
 *
 *  - help: `-h`, `-help`, `--help` (as a flag, not as a flag's value), `help` as the only word
 *    after the command, `nsqkit help <command>` (= `nsqkit --help <command>`), and `nsqkit`
 *    alone: the usage on stdout, exit 0;
 *  - an unknown flag: one line naming it as typed, exit 2 (`nsq_tail: unknown flag -bogus-flag
 *    (see nsq_tail -help)`);
 *  - `-version` alone (or `-version=true`): the command's version line, exit 0; `nsqkit
 *    --version` (nsqkit's own flags come before the command word, as Go reads flags first).
 *
 * As in Go's flag package, the first of a help flag and an unknown flag decides. Every other
 * command line goes to oclif, which parses the flags and runs the command; so do the commands
 * of later releases and unknown commands (the init hook answers those).
 */
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {BUILT, PLANNED, goNameOf, noCommandLine, plannedCommand, versionLine} from './commands-table.js'
import {GoArgsError, boolFlagValue, firstArgument, isHelpFlag, joinOptionValues, normalizeGoArgs, scanGoArgs, type FlagShape} from './go-args.js'
import {PACKAGE_ROOT, loadManifest, type CommandInfo, type Manifest} from './manifest.js'
import {programLine, unknownFlag} from './misuse.js'
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

/** nsqkit's own flags, read before the command word (as Go's flag package reads flags first). */
const ROOT_FLAGS: Record<string, FlagShape> = {version: {type: 'boolean', char: 'v', allowNo: true}}

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

const misuse = (line: string): Answer => ({out: '', err: `${line}\n`, code: 2})

/**
 * `nsqkit help <words>` (and `nsqkit --help <words>`): nsqkit's usage, a command's usage
 * (`help tail`, `help nsq_tail`; `help --help` is the help command's own), or the line the
 * init hook gives for the same words (`help to-file`: not built yet; `help bogus`).
 */
export function helpAnswer(m: Manifest, words: readonly string[]): Answer {
  const first = words[0]
  if (first === undefined) return rootHelp(m)
  if (words.length === 1) {
    const named = isHelpFlag(first) ? 'help' : first
    const cmd = findCommand(m, named)
    if (cmd) return {out: commandUsage(cmd, {program: `${BIN} ${named}`, dash: '--', bin: BIN}), err: '', code: 0}
  }
  return misuse(noCommandLine(words, BIN, (w) => findCommand(m, w)?.id))
}

/**
 * What nsqkit's own flags before the command word ask for (`nsqkit --help tail`, `nsqkit
 * --version`, `nsqkit -v=false`), or null when they ask for nothing (`--version=false`).
 * As in Go's flag package the first of a help flag and an unknown flag decides, and the last
 * `--version` counts.
 */
function rootFlagsAnswer(m: Manifest, flags: readonly string[], words: readonly string[]): Answer | null {
  const scan = scanGoArgs(flags, ROOT_FLAGS)
  if (scan.help) return helpAnswer(m, words)
  if (scan.unknown !== null) return misuse(programLine(undefined, unknownFlag(undefined, scan.unknown, BIN)))
  let version: string[]
  try {
    version = normalizeGoArgs(flags, ROOT_FLAGS)
  } catch (err) {
    if (err instanceof GoArgsError) return misuse(programLine(undefined, err.message))
    throw err
  }
  if (version[version.length - 1] === '--version') return {out: `${cliVersionLine()}\n`, err: '', code: 0}
  return words.length === 0 ? rootHelp(m) : null
}

/** What the front door decides: an answer, or the arguments to run the command with through oclif. */
export type FrontResult = Answer | {oclif: string[]}

/**
 * The answer to `entry` that needs no command code, or the command line to hand to oclif.
 * Pure but for reading package.json for the root help and NSQKIT_PROGRAM for misuse lines.
 */
export function frontAnswer(m: Manifest, entry: Entry): FrontResult {
  let args = entry.argv
  /** the command as named: a shim's id, or nsqkit's first word */
  let word: string
  let program: string
  if (entry.command !== undefined) {
    word = entry.command
    program = entry.program ?? entry.command
  } else {
    const at = firstArgument(args)
    if (at > 0) {
      const answer = rootFlagsAnswer(m, args.slice(0, at), args.slice(at))
      if (answer) return answer
      args = args.slice(at)
    }
    const first = args[0]
    if (first === undefined) return rootHelp(m)
    if (first === 'help') return helpAnswer(m, args.slice(1))
    word = first
    program = `${BIN} ${first}`
    args = args.slice(1)
  }
  const oclif = {oclif: [word, ...args]}
  const cmd = findCommand(m, word)
  if (!cmd) {
    // a command of a later release tells its version (its other lines say "not built yet")
    const planned = plannedCommand(word)
    if (planned && args.length === 1 && boolFlagValue(args[0] as string, 'version') === true) return {out: `${versionLine(planned.goName)}\n`, err: '', code: 0}
    return oclif
  }
  const style = {program, dash: entry.program ? '-' : '--', bin: BIN} as const
  const usage = (): Answer => ({out: commandUsage(cmd, style), err: '', code: 0})
  if (args.length === 1 && args[0] === 'help') return usage()
  const flags = shapes(cmd)
  const scan = scanGoArgs(args, flags)
  if (scan.help) return usage()
  if (scan.unknown !== null) return misuse(programLine(cmd.id, unknownFlag(cmd.id, scan.unknown, BIN)))
  // `-version` alone (with other flags, oclif checks their values first, as Go's flag package)
  const goName = goNameOf(cmd.id)
  if (goName && args.length === 1 && cmd.flags.version?.type === 'boolean' && boolFlagValue(args[0] as string, 'version') === true) {
    return {out: `${versionLine(goName)}\n`, err: '', code: 0}
  }
  // a `--help` that is a flag's value (`-channel --help`) must not make oclif show its own help
  return args.includes('--help') ? {oclif: [word, ...joinOptionValues(args, flags, (v) => v === '--help')]} : oclif
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
  let front: FrontResult
  try {
    front = frontAnswer(await loadManifest(), entry)
  } catch (err) {
    // a manifest that cannot be read: one line, as every failure
    process.stderr.write(`${entry.program ?? BIN}: ${(err as Error).message}\n`)
    process.exitCode = 1
    return
  }
  if (!('oclif' in front)) return writeAnswer(front)
  // oclif checks its own "engines" with semver on load (~50 modules, 10-20 ms); nsqkit's stricter
  // "engines" is npm's to check at install. Unset again so no child inherits it.
  const skip = process.env.OCLIF_DISABLE_ENGINE_WARNING === undefined
  if (skip) process.env.OCLIF_DISABLE_ENGINE_WARNING = '1'
  const {execute} = await import('@oclif/core')
  if (skip) delete process.env.OCLIF_DISABLE_ENGINE_WARNING
  await execute({dir: PACKAGE_ROOT, args: front.oclif})
}
