/**
 * `npm test`'s runner (scripts/test.js), run as npm runs it (cwd = a package root) in temporary
 * packages: it runs every dist/test/**\/*.test.js and nothing else, passes extra arguments to
 * `node --test`, exits with its code, and on a Node older than the package's engines says so in
 * one line instead of running anything.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {REPO_ROOT} from '../helpers/serve.js'

const RUNNER = join(REPO_ROOT, 'scripts', 'test.js')

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

function runner(cwd: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    // without the NODE_TEST_CONTEXT this file runs under: with it, a nested `node --test` runs no file
    const outer = {...process.env}
    delete outer.NODE_TEST_CONTEXT
    const proc = spawn(process.execPath, [RUNNER, ...args], {cwd, env: {...outer, ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const t = setTimeout(() => proc.kill('SIGKILL'), 60_000)
    proc.once('error', reject)
    proc.once('close', (code) => {
      clearTimeout(t)
      resolve({code, stdout, stderr})
    })
  })
}

/** A package at `dir` with `engines.node` and the given files (paths relative to it). */
function makePackage(dir: string, engines: string, files: Record<string, string> = {}): void {
  mkdirSync(dir, {recursive: true})
  writeFileSync(join(dir, 'package.json'), JSON.stringify({name: 'runner-probe', private: true, engines: {node: engines}}))
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), {recursive: true})
    writeFileSync(join(dir, rel), text)
  }
}

/** A CommonJS test file whose test, when it runs, appends `name` to $RUNNER_LOG. */
const logging = (name: string, body = ''): string =>
  `const {test} = require('node:test')\ntest(${JSON.stringify(name)}, () => { require('node:fs').appendFileSync(process.env.RUNNER_LOG, ${JSON.stringify(`${name}\n`)}); ${body} })\n`

const [major, minor, patch] = process.versions.node.split('.').map(Number) as [number, number, number]

describe('the test runner (scripts/test.js)', () => {
  let tmp = ''
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'nsqkit-runner-'))
  })
  after(() => {
    if (tmp) rmSync(tmp, {recursive: true, force: true})
  })

  const logOf = (log: string): string[] => (existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n').sort() : [])

  test('runs each dist/test/**/*.test.js, not the helpers beside them, and passes options through', async () => {
    const pkg = join(tmp, 'ok')
    makePackage(pkg, `>=${major}.${minor}.${patch}`, {
      'dist/test/unit/one.test.js': logging('one'),
      'dist/test/commands/deep/two.test.js': logging('two'),
      'dist/test/helpers/helper.js': logging('helper'),
      'dist/other/three.test.js': logging('three'),
    })
    const log = join(tmp, 'ok.log')
    const all = await runner(pkg, [], {RUNNER_LOG: log})
    assert.equal(all.code, 0, all.stdout + all.stderr)
    assert.deepEqual(logOf(log), ['one', 'two'])

    rmSync(log)
    const some = await runner(pkg, ['--test-name-pattern=^two$'], {RUNNER_LOG: log})
    assert.equal(some.code, 0, some.stdout + some.stderr)
    assert.deepEqual(logOf(log), ['two'])
  })

  test('exits non-zero when a test fails', async () => {
    const pkg = join(tmp, 'failing')
    makePackage(pkg, `>=${major}.${minor}`, {
      'dist/test/a.test.js': logging('passes'),
      'dist/test/b.test.js': logging('fails', "throw new Error('boom')"),
    })
    const log = join(tmp, 'failing.log')
    const r = await runner(pkg, [], {RUNNER_LOG: log})
    assert.equal(r.code, 1, r.stdout + r.stderr)
    assert.deepEqual(logOf(log), ['fails', 'passes'])
  })

  for (const engines of [`>=${major}.${minor}.${patch + 1}`, `>=${major}.${minor + 1}`, `>=${major + 1}.0.0`]) {
    test(`on a Node older than engines ${engines}: one line, exit 1, no test run`, async () => {
      const pkg = join(tmp, `old-${engines.slice(2)}`)
      makePackage(pkg, engines, {'dist/test/a.test.js': logging('ran')})
      const log = join(pkg, 'log')
      const r = await runner(pkg, [], {RUNNER_LOG: log})
      assert.equal(r.code, 1)
      assert.equal(r.stdout, '')
      assert.equal(r.stderr, `nsqkit's tests need Node.js ${engines} (package.json "engines"); this is ${process.version}\n`)
      assert.equal(existsSync(log), false)
    })
  }

  test('without a build: says to build, exit 1', async () => {
    const pkg = join(tmp, 'unbuilt')
    makePackage(pkg, `>=${major}.0.0`)
    const r = await runner(pkg)
    assert.equal(r.code, 1)
    assert.equal(r.stderr, 'no test files in dist/test/: build first (npm run build)\n')
  })
})
