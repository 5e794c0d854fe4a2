/**
 * One conformance test for every command and every Go-named shim, run from the command classes
 * themselves (dist/src/commands) and the shims in bin/, so a new command or flag is covered
 * without a line here:
 *
 *  - help: `-help`, `-h`, `--help` and `help` on the shim, `--help`, `-h`, `-help`, `help` and
 *    `nsqkit help <id>` on nsqkit, and a help flag after other flags: exit 0, the usage on
 *    stdout, every flag the command defines on a line of its own by its Go name (`  -channel
 *    string`), with its default on the usage line under it, and the command's examples
 *  - `-version` / `--version` (and `-version=true`): exit 0, one version line; `-version=false`
 *    turns it off, the tool runs
 *  - every bool flag in Go's `-flag=false` / `-flag=true` forms, any strconv.ParseBool spelling
 *  - an option flag without `=` takes the next argument as its value, even `-version`
 *  - an unknown flag: exit 2, one line naming the flag exactly as typed
 *  - a stray argument, through oclif's parse and through the init hook: the same line
 *  - a bad value in Go syntax (a number flag, a bool flag): exit 2, one line naming the flag as typed
 *  - the shims of later releases: `-version` exit 0; help and flags answer "not built yet", exit 2
 *
 * And what the bins do around the commands: in a tree not built yet, one line and exit 1;
 * `npm start`'s build check; the modules the front door loads (help, -version and misuse lines
 * load neither oclif nor undici nor the broker).
 */
import {after, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'
import {BUILT, PLANNED} from '../../src/cli/commands-table.js'
import {formatDuration} from '../../src/core/util/duration.js'
import {GO_FALSE, GO_TRUE} from '../../src/core/util/go-bool.js'
import {BIN, NSQKIT, assertExit, assertOneLine, exitWithin, killChildren, runCli, shim, spawnCli, type CliResult} from '../helpers/cli.js'
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
      const mod = (await import(pathToFileURL(join(COMMANDS_DIR, file)).href)) as {default: {flags?: Record<string, Flag>; examples?: string[]; args?: Record<string, unknown>}}
      return {id: file.slice(0, -3), flags: mod.default.flags ?? {}, examples: mod.default.examples ?? [], hasArgs: Object.keys(mod.default.args ?? {}).length > 0}
    }),
)

const SHIMS = readdirSync(BIN).filter((f) => f !== 'run.js' && f !== 'shim.js')
const VERSION = (goName: string): RegExp => new RegExp(`^${goName} v1\\.3\\.0 \\(nsqkit v\\d+\\.\\d+\\.\\d+\\S*\\)\\n$`)

test('every shim is a command of the table, installed as a bin; every Go name of the table has a shim', () => {
  const goNames = [...BUILT, ...PLANNED].map((c) => c.goName)
  for (const s of SHIMS) assert.ok(goNames.includes(s), `bin/${s} is in src/cli/commands-table.ts`)
  const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {bin: Record<string, string>}
  for (const s of SHIMS) assert.equal(pkg.bin[s], `bin/${s}`, `package.json "bin" installs ${s}`)
  for (const c of [...BUILT, ...PLANNED]) assert.ok(SHIMS.includes(c.goName), `bin/${c.goName} exists`)
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

const SERVE_DATA = mkdtempSync(join(tmpdir(), 'nsqkit-conformance-'))
after(() => rmSync(SERVE_DATA, {recursive: true, force: true}))

/**
 * For each command, a command line on which it runs rather than printing its version, and the
 * stderr that shows it ran (a broker is stopped once it listens).
 */
const RUNS: Record<string, {args: string[]; ran: RegExp}> = {
  tail: {args: [], ran: /-?-topic is required/},
  pub: {args: [], ran: /-?-topic required/},
  'to-file': {args: [], ran: /-?-nsqd-tcp-address or -?-lookupd-http-address required/},
  'to-http': {args: [], ran: /-?-topic and -?-channel are required/},
  relay: {args: [], ran: /-?-topic and -?-channel are required/},
  // its own data path: the default (the working directory, as nsqd) would leave nsqd.dat in the repo
  serve: {args: ['-tcp-address=127.0.0.1:0', '-http-address=127.0.0.1:0', `-data-path=${SERVE_DATA}`], ran: /TCP: listening on/},
  lookupd: {args: ['-tcp-address=127.0.0.1:0', '-http-address=127.0.0.1:0'], ran: /TCP: listening on/},
  stat: {args: [], ran: /-?-nsqd-http-address or -?-lookupd-http-address required/},
  admin: {args: [], ran: /-?-nsqd-http-address or -?-lookupd-http-address required/},
}

/** Resolves once the child's stderr matches `re` (never rejects; race it with the exit). */
function waitStderr(child: ReturnType<typeof spawnCli>, re: RegExp): Promise<'matched'> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (re.test(child.stderr())) {
        child.proc.stderr?.off('data', check)
        resolve('matched')
      }
    }
    child.proc.stderr?.on('data', check)
    check()
  })
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
    // nsqkit's own help flag before a command word is the help of that command (= help <id>)
    const nsqkitHelp = [[...NSQ, '--help'], [...NSQ, '-h'], [...NSQ, '-help'], [...NSQ, 'help'], [...NSQKIT, 'help', id], [...NSQKIT, goName, '--help'], [...NSQKIT, '--help', id], [...NSQKIT, '-h', goName]]
    for (const argv of nsqkitHelp) {
      const line = argv.slice(1).join(' ')
      test(`nsqkit ${line}: the usage with every flag as --flag, exit 0`, T, async () => {
        assertUsage(await runCli(argv), cmd, '--', `nsqkit ${line}`)
      })
    }

    for (const argv of [[...SHIM, '-version'], [...SHIM, '--version'], [...SHIM, '-version=true'], [...NSQ, '--version'], [...NSQ, '-version'], [...NSQ, '--version=T']]) {
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

    // Go: `-flag=false` for every bool (any ParseBool spelling); the -version last proves the
    // parse went through (the version is printed only once every flag has been read)
    const spellings = (set: ReadonlySet<string>): string[] => bools.map((b, i) => `-${b}=${[...set][i % set.size] as string}`)
    const boolLines: [string, string[]][] = [
      ['false', [...SHIM, ...spellings(GO_FALSE), '-version']],
      ['true', [...SHIM, ...spellings(GO_TRUE), '-version']],
      ['--flag=false', [...NSQ, ...bools.map((b) => `--${b}=false`), '--version']],
    ]
    for (const [what, argv] of boolLines) {
      test(`every bool flag as ${what === '--flag=false' ? 'nsqkit --flag=false' : `-flag=<each Go spelling of ${what}>`}, then -version: accepted, the version line, exit 0`, T, async () => {
        const r = await runCli(argv)
        assertExit(r, 0, argv.slice(1).join(' '))
        assert.match(r.stdout, VERSION(goName))
        assert.equal(r.stderr, '')
      })
    }

    // -version=false turns the version off, as in Go: the tool runs (what it then does: RUNS)
    const run = RUNS[id]
    test(`${goName} -version -version=false: the version is off, the tool runs`, T, async () => {
      assert.ok(run, `add ${id} to RUNS in this file: a command line on which it runs and how to tell`)
      for (const off of ['false', 'F', '0']) {
        const child = spawnCli([...SHIM, '-version', `-version=${off}`, ...run.args])
        const r = await Promise.race([child.done, waitStderr(child, run.ran)])
        if (r === 'matched') child.proc.kill('SIGTERM')
        const done = await exitWithin(child, 10_000, `${goName} -version=${off}`)
        assert.doesNotMatch(done.stdout, /v1\.3\.0/, `-version=${off} printed the version`)
        assert.match(done.stderr, run.ran, `-version=${off}`)
      }
    })

    // Go: a non-bool flag given as `-flag` takes the next argument, whatever it looks like: a
    // flag of the command (oclif refuses those as values), a help flag (oclif shows its help)
    const char = names.map((x) => cmd.flags[x]?.char).find((c) => c !== undefined)
    const esc = (v: string): string => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    for (const n of numeric.slice(0, 1)) {
      const values = ['-version', '--version', '--help', '-h', ...(char ? [`-${char}1`] : [])]
      const flagLines: [string[], RegExp][] = values.map((v) => [[...SHIM, `-${n}`, v], new RegExp(`^${goName}: -${n}: .*${esc(v)}\\b`)])
      if (cmd.flags[n]?.char !== n) flagLines.push([[...NSQ, `--${n}`, '--version'], new RegExp(`^${id}: --${n}: .*--version\\b`)])
      for (const [argv, line] of flagLines) {
        test(`${argv.slice(1).join(' ')}: ${argv[2]} is the value of ${argv[1]}, refused as a number, exit 2`, T, async () => {
          const r = await runCli(argv)
          assertExit(r, 2)
          assertOneLine(r, line)
          assert.equal(r.stdout, '')
        })
      }
    }

    // a stray word: the same line from the init hook (before the flags) and from oclif's parse
    if (!cmd.hasArgs) {
      const stray: [string[], string][] = [
        [[...SHIM, 'extra'], `${goName}: unexpected argument "extra" (see ${goName} -help)`],
        [[...SHIM, '-version', 'extra'], `${goName}: unexpected argument "extra" (see ${goName} -help)`],
        [[...NSQ, 'extra'], `${id}: unexpected argument "extra" (see nsqkit ${id} --help)`],
        [[...NSQ, '--version', 'extra'], `${id}: unexpected argument "extra" (see nsqkit ${id} --help)`],
        [[...NSQ, 'extra', 'more'], `${id}: unexpected arguments "extra" "more" (see nsqkit ${id} --help)`],
        [[...NSQ, '--version', 'extra', 'more'], `${id}: unexpected arguments "extra" "more" (see nsqkit ${id} --help)`],
      ]
      for (const [argv, line] of stray) {
        test(`${argv.slice(1).join(' ')}: "${line}", exit 2`, T, async () => {
          const r = await runCli(argv)
          assertExit(r, 2, line)
          assertOneLine(r, new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`))
          assert.equal(r.stdout, '')
        })
      }
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

describe('a tree not built yet (no dist/): one line, exit 1, never a stack', {concurrency: true}, () => {
  /** bin/ and package.json of this tree, copied, with `dist` files of the test's choosing. */
  function tree(dist: Record<string, string> = {}): string {
    const root = mkdtempSync(join(tmpdir(), 'nsqkit-unbuilt-'))
    cpSync(BIN, join(root, 'bin'), {recursive: true})
    writeFileSync(join(root, 'package.json'), '{"type": "module"}\n')
    for (const [path, text] of Object.entries(dist)) {
      mkdirSync(join(root, 'dist', path, '..'), {recursive: true})
      writeFileSync(join(root, 'dist', path), text)
    }
    return root
  }
  const roots: string[] = []
  after(() => {
    for (const r of roots) rmSync(r, {recursive: true, force: true})
  })

  test('bin/nsq_tail -help, bin/nsqd -version, bin/run.js --version: "<program>: not built (run npm run build)"', T, async () => {
    const root = tree()
    roots.push(root)
    for (const [bin, args, program] of [['nsq_tail', ['-help'], 'nsq_tail'], ['nsqd', ['-version'], 'nsqd'], ['run.js', ['--version'], 'nsqkit']] as const) {
      const r = await runCli([join(root, 'bin', bin), ...args])
      assertExit(r, 1, bin)
      assertOneLine(r, new RegExp(`^${program}: not built \\(run npm run build\\)$`))
      assert.equal(r.stdout, '')
    }
  })

  test('a failure that is not the missing build (a package the build imports, an exception): its first line, exit 1', T, async () => {
    const missing = tree({'src/cli/main.js': "import 'nsqkit-no-such-package'\nexport async function main() {}\n"})
    const throws = tree({'src/cli/main.js': "export async function main() { throw new Error('boom\\nat the second line') }\n"})
    roots.push(missing, throws)
    const a = await runCli([join(missing, 'bin', 'nsq_tail'), '-help'])
    assertExit(a, 1)
    assertOneLine(a, /^nsq_tail: Cannot find package 'nsqkit-no-such-package' imported from /)
    const b = await runCli([join(throws, 'bin', 'run.js'), 'tail'])
    assertExit(b, 1)
    assertOneLine(b, /^nsqkit: boom$/)
  })
})

describe("npm start's build check (scripts/build-if-needed.js)", () => {
  test('builds when dist/src/cli/main.js or oclif.manifest.json is missing or older than a file under src/', async () => {
    const {staleStamp} = (await import(pathToFileURL(join(REPO_ROOT, 'scripts', 'build-if-needed.js')).href)) as {staleStamp: (root: string) => string | null}
    const root = mkdtempSync(join(tmpdir(), 'nsqkit-stamps-'))
    try {
      const at = (path: string, secs: number): void => {
        mkdirSync(join(root, path, '..'), {recursive: true})
        writeFileSync(join(root, path), '')
        utimesSync(join(root, path), secs, secs)
      }
      at('src/cli/main.ts', 1000)
      at('src/core/a.ts', 2000)
      assert.equal(staleStamp(root), 'dist/src/cli/main.js', 'nothing built')
      at('oclif.manifest.json', 3000)
      // `rm -rf dist` leaves the manifest: still a build to do
      assert.equal(staleStamp(root), 'dist/src/cli/main.js', 'the manifest alone')
      at('dist/src/cli/main.js', 1500)
      assert.equal(staleStamp(root), 'dist/src/cli/main.js', 'dist older than src/core/a.ts')
      at('dist/src/cli/main.js', 3000)
      assert.equal(staleStamp(root), null, 'both newer than every source')
      at('src/core/a.ts', 4000)
      assert.equal(staleStamp(root), 'dist/src/cli/main.js', 'a source edited after the build')
    } finally {
      rmSync(root, {recursive: true, force: true})
    }
  })
})

describe('what the bins load (the start-up budget, not by time: by the modules)', {concurrency: true}, () => {
  // a module hook that records every module resolved (ESM) and, at exit, every CommonJS module
  // loaded (oclif and undici are CommonJS), one URL a line, in the file NSQKIT_LOAD_LOG names
  const dir = mkdtempSync(join(tmpdir(), 'nsqkit-loads-'))
  after(() => rmSync(dir, {recursive: true, force: true}))
  writeFileSync(
    join(dir, 'hooks.mjs'),
    "import {appendFileSync} from 'node:fs'\nexport async function resolve(specifier, context, next) {\n  const r = await next(specifier, context)\n  appendFileSync(process.env.NSQKIT_LOAD_LOG, `${r.url}\\n`)\n  return r\n}\n",
  )
  writeFileSync(
    join(dir, 'record.mjs'),
    "import {appendFileSync} from 'node:fs'\nimport {createRequire, register} from 'node:module'\nimport {pathToFileURL} from 'node:url'\nregister('./hooks.mjs', import.meta.url)\nconst cache = createRequire(import.meta.url).cache\nprocess.on('exit', () => appendFileSync(process.env.NSQKIT_LOAD_LOG, Object.keys(cache).map((f) => `${pathToFileURL(f).href}\\n`).join('')))\n",
  )
  let n = 0
  async function loads(argv: string[]): Promise<{r: CliResult; urls: string[]}> {
    const log = join(dir, `load-${n++}.log`)
    writeFileSync(log, '')
    process.env.NSQKIT_LOAD_LOG = log
    const r = await runCli([`--import=${pathToFileURL(join(dir, 'record.mjs')).href}`, ...argv])
    return {r, urls: readFileSync(log, 'utf8').split('\n').filter(Boolean)}
  }
  const OCLIF = /\/node_modules\/@oclif\/core\//
  const UNDICI = /\/node_modules\/undici\//
  const BROKER = /\/dist\/src\/core\/broker\//
  const COMMANDS = /\/dist\/src\/commands\//

  const front: [string, string[], number][] = [
    ['nsq_tail -help', [...shim('nsq_tail'), '-help'], 0],
    ['nsq_tail -version', [...shim('nsq_tail'), '-version'], 0],
    ['nsq_tail -bogus', [...shim('nsq_tail'), '-bogus'], 2],
    ['nsqkit --version', [...NSQKIT, '--version'], 0],
    ['nsqkit --help tail', [...NSQKIT, '--help', 'tail'], 0],
    ['to_nsq -version', [...shim('to_nsq'), '-version'], 0],
    ['nsqd -help', [...shim('nsqd'), '-help'], 0],
  ]
  for (const [line, argv, code] of front) {
    test(`${line}: the front door alone (no oclif, no undici, no broker, no command)`, T, async () => {
      const {r, urls} = await loads(argv)
      assertExit(r, code, line)
      assert.ok(urls.some((u) => u.endsWith('/dist/src/cli/main.js')), `the recorder saw the front door:\n${urls.join('\n')}`)
      for (const re of [OCLIF, UNDICI, BROKER, COMMANDS]) assert.ok(!urls.some((u) => re.test(u)), `${line} loaded ${urls.find((u) => re.test(u))}`)
    })
  }

  const runs: [string, string[]][] = [
    ['nsqkit tail --topic x --nsqd-tcp-address 127.0.0.1:1 -n 1', [...NSQKIT, 'tail', '--topic', 'x', '--nsqd-tcp-address', '127.0.0.1:1', '-n', '1']],
    ['to_nsq -topic x -nsqd-tcp-address 127.0.0.1:1 msg', [...shim('to_nsq'), '-topic', 'x', '-nsqd-tcp-address', '127.0.0.1:1', 'msg']],
  ]
  for (const [line, argv] of runs) {
    test(`${line}: oclif and the client, not undici (lookupd only) nor the broker`, T, async () => {
      const {r, urls} = await loads(argv)
      // nothing listens on port 1
      assertExit(r, 1, line)
      assertOneLine(r, /cannot connect to nsqd at 127\.0\.0\.1:1/)
      assert.ok(urls.some((u) => OCLIF.test(u)), `the recorder saw oclif:\n${urls.join('\n')}`)
      for (const re of [UNDICI, BROKER]) assert.ok(!urls.some((u) => re.test(u)), `${line} loaded ${urls.find((u) => re.test(u))}`)
    })
  }
})
