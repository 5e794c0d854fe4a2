/**
 * One conformance test for every command and every Go-named shim, run from the command classes
 * themselves (dist/src/commands) and the shims in bin/, so a new command or flag is covered
 * without a line here:
 *
 *  - help: `-help`, `-h`, `--help` and `help` on the shim, `--help`, `-h`, `-help`, `help` and
 *    `nsqkit help <id>` on nsqkit, and a help flag after other flags: exit 0, the usage on
 *    stdout, every flag the command defines on a line of its own by its Go name (`  -channel
 *    string`), with its default on the usage line under it, and the command's examples
 *  - `-version` / `--version`: exit 0, one version line
 *  - an unknown flag: exit 2, one line naming the flag exactly as typed
 *  - a bad value in Go syntax (a number flag, a bool flag): exit 2, one line naming the flag as typed
 *  - the shims of later releases: `-version` exit 0; help and flags answer "not built yet", exit 2
 */
import {after, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {BUILT, PLANNED} from '../../src/cli/commands-table.js'
import {formatDuration} from '../../src/core/util/duration.js'
import {BIN, NSQKIT, assertExit, assertOneLine, killChildren, runCli, shim, type CliResult} from '../helpers/cli.js'
import {REPO_ROOT} from '../helpers/serve.js'

const T = {timeout: 30_000}

after(() => killChildren())

interface Flag {
  type: 'boolean' | 'option'
  char?: string
  default?: unknown
  helpValue?: string
  noCacheDefault?: boolean
}

/** Every command class in the build, with its flags. */
const COMMANDS_DIR = join(REPO_ROOT, 'dist', 'src', 'commands')
const commands = await Promise.all(
  readdirSync(COMMANDS_DIR)
    .filter((f) => f.endsWith('.js'))
    .sort()
    .map(async (file) => {
      const mod = (await import(pathToFileURL(join(COMMANDS_DIR, file)).href)) as {default: {flags?: Record<string, Flag>; examples?: string[]}}
      return {id: file.slice(0, -3), flags: mod.default.flags ?? {}, examples: mod.default.examples ?? []}
    }),
)

const SHIMS = readdirSync(BIN).filter((f) => f !== 'run.js' && f !== 'shim.js')
const VERSION = (goName: string): RegExp => new RegExp(`^${goName} v1\\.3\\.0 \\(nsqkit v\\d+\\.\\d+\\.\\d+\\S*\\)\\n$`)

test('every shim is a command of the table, installed as a bin; every Go name of the table has a shim', () => {
  const goNames = [...BUILT, ...PLANNED].map((c) => c.goName)
  for (const s of SHIMS) assert.ok(goNames.includes(s), `bin/${s} is in src/cli/commands-table.ts`)
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {bin: Record<string, string>}
  for (const s of SHIMS) assert.equal(pkg.bin[s], `bin/${s}`, `package.json "bin" installs ${s}`)
  // nsqadmin serves a web UI of its own: `nsqkit admin` has no Go-named shim
  for (const c of [...BUILT, ...PLANNED].filter((x) => x.id !== 'admin')) assert.ok(SHIMS.includes(c.goName), `bin/${c.goName} exists`)
  for (const c of BUILT) assert.ok(commands.some((k) => k.id === c.id), `${c.id} is built`)
  // and the other way round: a new command gets its Go name (its shim, its version line) in the table
  for (const k of commands.filter((x) => x.id !== 'help')) assert.ok(BUILT.some((c) => c.id === k.id), `${k.id} is in BUILT of src/cli/commands-table.ts`)
})

/** A flag's zero value, which Go's usage does not print as a default. */
const isZero = (v: unknown): boolean => v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0)

/** The default as it shows in the usage (without Go's quotes around strings). */
function shownDefault(f: Flag): string {
  if (typeof f.default === 'string') return JSON.stringify(f.default).slice(1, -1)
  if (typeof f.default === 'number' && f.helpValue === '<duration>') return formatDuration(f.default)
  return String(f.default)
}

/** Every flag of `flags` is on a line of its own in `usage`, its default on the usage line under it. */
function assertListsFlags(usage: string, flags: Record<string, Flag>, dash: '-' | '--', what: string): void {
  const lines = usage.split('\n')
  for (const [name, f] of Object.entries(flags)) {
    const head = f.char === name ? `-${name}` : `${dash}${name}`
    const i = lines.findIndex((l) => l === `  ${head}` || l.startsWith(`  ${head} `) || l.startsWith(`  ${head}\t`))
    assert.ok(i >= 0, `${what}: no line for ${head} in:\n${usage}`)
    const text = `${lines[i]}\n${lines[i + 1] ?? ''}`
    const def = typeof f.default === 'function' ? undefined : f.default
    if (!isZero(def)) {
      assert.match(text, /\(default[ :]/, `${what}: ${head} shows its default`)
      if (!f.noCacheDefault) assert.ok(text.includes(shownDefault(f)), `${what}: ${head} shows its default ${shownDefault(f)}:\n${text}`)
    }
  }
}

function assertUsage(r: CliResult, cmd: {flags: Record<string, Flag>; examples: string[]}, dash: '-' | '--', what: string): void {
  assertExit(r, 0, what)
  assert.equal(r.stderr, '', what)
  assert.match(r.stdout, /^USAGE$/m, what)
  assertListsFlags(r.stdout, cmd.flags, dash, what)
  // the examples, both syntaxes, as the command declares them
  for (const ex of cmd.examples) assert.ok(r.stdout.includes(`  $ ${ex.replace('<%= config.bin %>', 'nsqkit')}\n`), `${what}: the example ${ex}:\n${r.stdout}`)
}

for (const {id, goName} of BUILT) {
  const cmd = commands.find((c) => c.id === id)
  if (!cmd) continue
  const SHIM = shim(goName)
  const NSQ = [...NSQKIT, id]
  const names = Object.keys(cmd.flags)
  const firstOption = names.find((n) => cmd.flags[n]?.type === 'option') as string
  const numeric = names.filter((n) => cmd.flags[n]?.type === 'option' && typeof cmd.flags[n]?.default === 'number')
  const bools = names.filter((n) => cmd.flags[n]?.type === 'boolean')

  describe(`${goName} / nsqkit ${id}`, {concurrency: true}, () => {
    for (const args of [['-help'], ['-h'], ['--help'], ['help'], [`-${firstOption}=x`, '-help'], ['-h=true']]) {
      test(`${goName} ${args.join(' ')}: the usage with every flag as -flag and its default, exit 0`, T, async () => {
        assertUsage(await runCli([...SHIM, ...args]), cmd, '-', `${goName} ${args.join(' ')}`)
      })
    }
    for (const argv of [[...NSQ, '--help'], [...NSQ, '-h'], [...NSQ, '-help'], [...NSQ, 'help'], [...NSQKIT, 'help', id], [...NSQKIT, goName, '--help']]) {
      const line = argv.slice(1).join(' ')
      test(`nsqkit ${line}: the usage with every flag as --flag, exit 0`, T, async () => {
        assertUsage(await runCli(argv), cmd, '--', `nsqkit ${line}`)
      })
    }

    for (const argv of [[...SHIM, '-version'], [...SHIM, '--version'], [...NSQ, '--version'], [...NSQ, '-version']]) {
      const line = `${argv[0]?.endsWith(goName) ? goName : 'nsqkit'} ${argv.slice(1).join(' ')}`
      test(`${line}: one version line, exit 0`, T, async () => {
        const r = await runCli(argv)
        assertExit(r, 0, line)
        assert.match(r.stdout, VERSION(goName))
        assert.equal(r.stderr, '')
      })
    }

    const unknown: [string[], string][] = [
      [[...SHIM, '-bogus-flag'], `${goName}: unknown flag -bogus-flag (see ${goName} -help)`],
      [[...SHIM, `-${firstOption}=x`, '--bogus-flag=1'], `${goName}: unknown flag --bogus-flag (see ${goName} -help)`],
      [[...SHIM, '-version', '-bogus-flag'], `${goName}: unknown flag -bogus-flag (see ${goName} -help)`],
      [[...NSQ, '--bogus-flag'], `${id}: unknown flag --bogus-flag (see nsqkit ${id} --help)`],
      [[...NSQ, '-bogus-flag=1'], `${id}: unknown flag -bogus-flag (see nsqkit ${id} --help)`],
    ]
    for (const [argv, line] of unknown) {
      test(`unknown flag: "${line}", exit 2`, T, async () => {
        const r = await runCli(argv)
        assertExit(r, 2, line)
        assertOneLine(r, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))
        assert.equal(r.stdout, '')
      })
    }

    // a bad value, in Go syntax and in nsqkit's: the flag named as typed
    const bad: [string[], RegExp][] = []
    // the first number flag, and a duration if there is one (else the second number flag)
    const picks = new Set([numeric[0], numeric.find((n) => cmd.flags[n]?.helpValue === '<duration>') ?? numeric[1]].filter((n) => n !== undefined))
    for (const n of picks) {
      bad.push([[...SHIM, `-${n}=notanumber`], new RegExp(`^${goName}: -${n}: .*notanumber`)])
      if (cmd.flags[n]?.char !== n) bad.push([[...NSQ, `--${n}`, 'notanumber'], new RegExp(`^${id}: --${n}: .*notanumber`)])
    }
    for (const n of bools.slice(0, 1)) bad.push([[...SHIM, `-${n}=maybe`], new RegExp(`^${goName}: invalid boolean value "maybe" for -${n}`)])
    for (const [argv, line] of bad) {
      test(`${argv.slice(1).join(' ')}: exit 2, ${line}`, T, async () => {
        const r = await runCli(argv)
        assertExit(r, 2)
        assertOneLine(r, line)
        assert.equal(r.stdout, '')
      })
    }
  })
}

describe('the shims of later releases', {concurrency: true}, () => {
  for (const {goName} of PLANNED.filter((c) => SHIMS.includes(c.goName))) {
    test(`${goName} -version: one line, exit 0; -help, -h, --help, help, -bogus-flag: "not built yet", exit 2`, T, async () => {
      const v = await runCli([...shim(goName), '-version'])
      assertExit(v, 0, `${goName} -version`)
      assert.match(v.stdout, new RegExp(`^${goName} \\(nsqkit v\\d+\\.\\d+\\.\\d+\\S*: not built yet\\)\\n$`))
      for (const args of [['-help'], ['-h'], ['--help'], ['help'], ['-bogus-flag']]) {
        const r = await runCli([...shim(goName), ...args])
        assertExit(r, 2, `${goName} ${args.join(' ')}`)
        assertOneLine(r, new RegExp(`^${goName}: not built yet`))
        assert.equal(r.stdout, '')
      }
    })
  }
})
