/**
 * The command line as a whole, the way a user meets it before any flag: `nsqkit help`,
 * `nsqkit help <command>`, a stray word after a command, a command of a later release (as
 * `nsqkit <id>`, as `nsqkit <go name>` and as its Go-named shim), an unknown command, and the
 * version lines (one shape for every command and shim).
 */
import {after, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {NSQKIT, assertExit, assertOneLine, killChildren, runCli, shim} from '../helpers/cli.js'

const T = {timeout: 20_000}

after(() => killChildren())

describe('nsqkit help', {concurrency: true}, () => {
  test('nsqkit help lists the commands and exits 0', T, async () => {
    const r = await runCli([...NSQKIT, 'help'])
    assertExit(r, 0)
    assert.match(r.stdout, /^\s+serve\s+\S/m)
    assert.match(r.stdout, /^\s+tail\s+.*nsq_tail/m)
    assert.match(r.stdout, /^\s+pub\s+.*to_nsq/m)
    assert.equal(r.stderr, '')
  })

  test('nsqkit help tail shows the help of tail and exits 0', T, async () => {
    const r = await runCli([...NSQKIT, 'help', 'tail'])
    assertExit(r, 0)
    assert.match(r.stdout, /Go name: nsq_tail/)
    assert.match(r.stdout, /--nsqd-tcp-address/)
    assert.equal(r.stderr, '')
  })

  test('nsqkit help nope: one line naming the command, exit 2', T, async () => {
    const r = await runCli([...NSQKIT, 'help', 'nope'])
    assertExit(r, 2)
    assertOneLine(r, /^nsqkit: unknown command "nope"/)
    assert.equal(r.stdout, '')
  })
})

describe('command lines that name no command', {concurrency: true}, () => {
  test('nsqkit tail extra --topic x: "unexpected argument", exit 2 (not "command tail:extra not found")', T, async () => {
    const r = await runCli([...NSQKIT, 'tail', 'extra', '--topic', 'x'])
    assertExit(r, 2)
    assertOneLine(r, /^nsqkit tail: unexpected argument "extra"/)
    assert.doesNotMatch(r.stderr, /tail:extra/)
  })

  test('nsq_tail extra -topic=x names the shim', T, async () => {
    const r = await runCli([...shim('nsq_tail'), 'extra', '-topic=x'])
    assertExit(r, 2)
    assertOneLine(r, /^nsq_tail: unexpected argument "extra"/)
  })

  test('nsqkit nope: unknown command, exit 2', T, async () => {
    const r = await runCli([...NSQKIT, 'nope', '--topic', 'x'])
    assertExit(r, 2)
    assertOneLine(r, /^nsqkit: unknown command "nope" \(see nsqkit --help\)$/)
  })
})

describe('commands of later releases say "not built yet" the same way everywhere', {concurrency: true}, () => {
  const planned: [string, string][] = [
    ['to-file', 'nsq_to_file'],
    ['to-http', 'nsq_to_http'],
    ['relay', 'nsq_to_nsq'],
    ['lookupd', 'nsqlookupd'],
    ['stat', 'nsq_stat'],
  ]
  for (const [id, goName] of planned) {
    test(`nsqkit ${id}, nsqkit ${id} --help, nsqkit ${goName}, help ${id} and bin/${goName}: one line, exit 2`, T, async () => {
      const lines: string[] = []
      for (const argv of [[...NSQKIT, id], [...NSQKIT, id, '--help'], [...NSQKIT, goName, `-topic=x`], [...NSQKIT, 'help', id], [...shim(goName), '--help']]) {
        const r = await runCli(argv)
        assertExit(r, 2, argv.join(' '))
        assertOneLine(r, /not built yet/)
        if (argv[0]?.endsWith(goName)) assert.match(r.stderr, new RegExp(`^${goName}: `), 'the shim names itself')
        assert.equal(r.stdout, '')
        lines.push(r.stderr.replace(/^[^:]*: /, ''))
      }
      // the same sentence, whichever way it was asked (only the name typed differs)
      assert.equal(new Set(lines).size, 1, lines.join(''))
      assert.match(lines[0] as string, new RegExp(`nsqkit ${id}.*${goName}`))
    })
  }
  test('the shim names itself', T, async () => {
    const r = await runCli([...shim('nsq_to_file'), '-topic=x', '-output-dir=/tmp'])
    assertExit(r, 2)
    assertOneLine(r, /^nsq_to_file: not built yet/)
  })
})

describe('version lines: one shape for all', {concurrency: true}, () => {
  const SHAPE = (goName: string): RegExp => new RegExp(`^${goName} v1\\.3\\.0 \\(nsqkit v\\d+\\.\\d+\\.\\d+\\S*\\)\\n$`)
  const cases: [string[], string][] = [
    [[...NSQKIT, 'serve', '--version'], 'nsqd'],
    [[...shim('nsqd'), '-version'], 'nsqd'],
    [[...NSQKIT, 'tail', '--version'], 'nsq_tail'],
    [[...shim('nsq_tail'), '-version'], 'nsq_tail'],
    [[...NSQKIT, 'pub', '--version'], 'to_nsq'],
    [[...shim('to_nsq'), '-version'], 'to_nsq'],
  ]
  for (const [argv, goName] of cases) {
    test(`${argv.slice(1).join(' ')} prints "${goName} v1.3.0 (nsqkit v…)"`, T, async () => {
      const r = await runCli(argv)
      assertExit(r, 0)
      assert.match(r.stdout, SHAPE(goName))
    })
  }
})
