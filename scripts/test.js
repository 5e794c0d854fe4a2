// `npm test` runs this (after `pretest` built dist/): every dist/test/**/*.test.js, sorted, in one
// `node --test`. The files are listed because Node 21+ reads `node --test <arg>` as a glob, so a
// directory argument matches no test file. Extra arguments go to node before the files:
// `npm test -- --test-name-pattern=heartbeat`. Exits with node's code.
//
// On a Node older than package.json's engines it says so in one line and exits 1, instead of
// the obscure failures of the APIs it lacks.
import {spawn} from 'node:child_process'
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {join} from 'node:path'

const {engines} = JSON.parse(readFileSync('package.json', 'utf8'))
const need = /^>=\s*(\d+)\.(\d+)(?:\.(\d+))?$/.exec(engines?.node ?? '')
if (need) {
  const want = need.slice(1).map((n) => Number(n ?? 0))
  const have = process.versions.node.split('.').map(Number)
  const older = want.findIndex((w, i) => have[i] !== w) // first part that differs
  if (older >= 0 && have[older] < want[older]) {
    process.stderr.write(`nsqkit's tests need Node.js ${engines.node} (package.json "engines"); this is ${process.version}\n`)
    process.exit(1)
  }
}

const root = join('dist', 'test')
const files = []
const walk = (dir) => {
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, e.name)
    if (e.isDirectory()) walk(p)
    else if (e.name.endsWith('.test.js')) files.push(p)
  }
}
if (existsSync(root)) walk(root)
if (files.length === 0) {
  process.stderr.write(`no test files in ${root}/: build first (npm run build)\n`)
  process.exit(1)
}
files.sort()

// --test-timeout bounds each test and each file as a whole: the longest file (to-file's crash
// test, six setups of kills and restarts) takes ~90 s on a quiet 2-core machine, so 240 s
const args = ['--test', '--test-concurrency=2', '--test-timeout=240000', ...process.argv.slice(2), ...files]
const child = spawn(process.execPath, args, {stdio: 'inherit'})
child.once('error', (err) => {
  process.stderr.write(`could not start node --test: ${err.message}\n`)
  process.exit(1)
})
child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
