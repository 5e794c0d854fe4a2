/**
 * The command line as a whole, the way a user meets it before any flag: `nsqkit` and `nsqkit
 * help` (every command with its Go name), `nsqkit --version`, a stray word after a
 * command, an unknown command or flag. What every command and shim answers (help,
 * -version, unknown flags, bad values) is test/commands/conformance.test.ts.
 */
import {after, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {NSQKIT_VERSION} from '../../src/core/version.js'
import {NSQKIT, assertExit, assertOneLine, killChildren, runCli, shim} from '../helpers/cli.js'

const T = {timeout: 20_000}

after(() => killChildren())

describe('nsqkit help', {concurrency: true}, () => {
  for (const args of [['help'], [], ['--help'], ['-h'], ['--version=false']]) {
    test(`nsqkit ${args.join(' ')}: the commands and the Go names, exit 0`, T, async () => {
      const r = await runCli([...NSQKIT, ...args])
      assertExit(r, 0)
      assert.match(r.stdout, /^\s+serve\s+.*nsqd/m)
      assert.match(r.stdout, /^\s+tail\s+.*nsq_tail/m)
      assert.match(r.stdout, /^\s+pub\s+.*to_nsq/m)
      assert.match(r.stdout, /^\s+lookupd\s+.*nsqlookupd/m)
      assert.match(r.stdout, /^\s+stat\s+.*nsq_stat/m)
      assert.match(r.stdout, /^\s+admin\s+.*nsqadmin/m)
      assert.doesNotMatch(r.stdout, /LATER RELEASES|not built yet/)
      assert.match(r.stdout, /installed bins: nsq_stat, nsq_tail, nsq_to_file, nsq_to_http, nsq_to_nsq, nsqadmin, nsqd, nsqlookupd, to_nsq\./)
      assert.equal(r.stderr, '')
    })
  }

  test('nsqkit help nope: one line naming the command, exit 2', T, async () => {
    const r = await runCli([...NSQKIT, 'help', 'nope'])
    assertExit(r, 2)
    assertOneLine(r, /^nsqkit: unknown command "nope"/)
    assert.equal(r.stdout, '')
  })

  for (const args of [['--version'], ['-version'], ['-v'], ['--version=true'], ['--version=T'], ['-v=1'], ['--version=false', '--version']]) {
    test(`nsqkit ${args.join(' ')}: nsqkit/<version> <platform>-<arch> node-<version>, exit 0`, T, async () => {
      const r = await runCli([...NSQKIT, ...args])
      assertExit(r, 0)
      assert.equal(r.stdout, `nsqkit/${NSQKIT_VERSION} ${process.platform}-${process.arch} node-${process.version}\n`)
      assert.equal(r.stderr, '')
    })
  }

  // nsqkit's own flags come first, as Go's: the first unknown one is named, a bad bool too
  const rootMisuse: [string[], RegExp][] = [
    [['--version', '--bogus'], /^nsqkit: unknown flag --bogus \(see nsqkit --help\)$/],
    [['-bogus', '--version'], /^nsqkit: unknown flag -bogus \(see nsqkit --help\)$/],
    [['--version=maybe'], /^nsqkit: invalid boolean value "maybe" for --version \(true or false\)$/],
    [['--help', 'nope'], /^nsqkit: unknown command "nope" \(see nsqkit --help\)$/],
  ]
  for (const [args, line] of rootMisuse) {
    test(`nsqkit ${args.join(' ')}: one line, exit 2`, T, async () => {
      const r = await runCli([...NSQKIT, ...args])
      assertExit(r, 2)
      assertOneLine(r, line)
      assert.equal(r.stdout, '')
    })
  }

  test('nsqkit --bogus: an unknown flag before any command, named as typed, exit 2', T, async () => {
    const r = await runCli([...NSQKIT, '--bogus=1'])
    assertExit(r, 2)
    assertOneLine(r, /^nsqkit: unknown flag --bogus \(see nsqkit --help\)$/)
  })
})

describe('command lines that name no command', {concurrency: true}, () => {
  test('nsqkit tail extra --topic x: "unexpected argument", exit 2 (not "command tail:extra not found")', T, async () => {
    const r = await runCli([...NSQKIT, 'tail', 'extra', '--topic', 'x'])
    assertExit(r, 2)
    assertOneLine(r, /^tail: unexpected argument "extra" \(see nsqkit tail --help\)$/)
    assert.doesNotMatch(r.stderr, /tail:extra/)
  })

  test('nsq_tail extra -topic=x names the shim', T, async () => {
    const r = await runCli([...shim('nsq_tail'), 'extra', '-topic=x'])
    assertExit(r, 2)
    assertOneLine(r, /^nsq_tail: unexpected argument "extra" \(see nsq_tail -help\)$/)
  })

  test('nsqkit nope: unknown command, exit 2', T, async () => {
    const r = await runCli([...NSQKIT, 'nope', '--topic', 'x'])
    assertExit(r, 2)
    assertOneLine(r, /^nsqkit: unknown command "nope" \(see nsqkit --help\)$/)
  })
})

