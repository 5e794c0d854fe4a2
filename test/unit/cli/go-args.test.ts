/**
 * Go flag syntax (src/cli/go-args.ts) as the CLI reads it before oclif: the rewrite to oclif's
 * form, the scan for help and unknown flags (a flag's value is never taken for a flag, as in
 * Go's flag package), and misuse messages naming each flag as the user typed it.
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import {GoArgsError, asTyped, normalizeGoArgs, scanGoArgs, typedNames, type FlagShape} from '../../../src/cli/go-args.js'

const FLAGS: Record<string, FlagShape> = {
  topic: {type: 'option'},
  channel: {type: 'option'},
  n: {type: 'option', char: 'n'},
  'print-topic': {type: 'boolean', allowNo: true},
  version: {type: 'boolean'},
  'max-in-flight': {type: 'option'},
}

test('Go spellings become oclif\'s; a bool takes Go\'s true/false words; -n=5 becomes -n 5', () => {
  assert.deepEqual(normalizeGoArgs(['-topic=a', '-channel', 'c', '-n=5', '-print-topic=false', '-version=T', '--', '-x=1'], FLAGS), [
    '--topic=a',
    '--channel',
    'c',
    '-n',
    '5',
    '--no-print-topic',
    '--version',
    '--',
    '-x=1',
  ])
})

test('a bool given a word Go does not take is misuse naming the flag as typed', () => {
  assert.throws(() => normalizeGoArgs(['-print-topic=maybe'], FLAGS), (e: unknown) => e instanceof GoArgsError && e.flag === '-print-topic' && /"maybe"/.test(e.message))
  assert.throws(() => normalizeGoArgs(['--print-topic=yes'], FLAGS), (e: unknown) => e instanceof GoArgsError && e.flag === '--print-topic')
})

test('help: -h, -help, --help, -h=anything; not when it is a flag\'s value; not after --', () => {
  for (const argv of [['-h'], ['-help'], ['--help'], ['--h'], ['-h=true'], ['-topic', 'x', '-help'], ['-n=1', '-h']]) assert.equal(scanGoArgs(argv, FLAGS).help, true, argv.join(' '))
  for (const argv of [['-channel', '-h'], ['-topic', '--help'], ['--', '-help'], ['help'], ['-hx']]) assert.equal(scanGoArgs(argv, FLAGS).help, false, argv.join(' '))
})

test('the first unknown flag, as typed, without its value; the first of help and an unknown flag decides', () => {
  assert.equal(scanGoArgs(['-topic=x', '-bogus-flag=1', '--other'], FLAGS).unknown, '-bogus-flag')
  assert.equal(scanGoArgs(['--bogus'], FLAGS).unknown, '--bogus')
  assert.equal(scanGoArgs(['-x'], FLAGS).unknown, '-x')
  // a value is not a flag: -channel -bogus sets the channel to "-bogus" (Go and oclif alike)
  assert.equal(scanGoArgs(['-channel', '-bogus'], FLAGS).unknown, null)
  assert.equal(scanGoArgs(['--no-print-topic', '-n', '-1'], FLAGS).unknown, null)
  assert.equal(scanGoArgs(['-bogus', '-h'], FLAGS).help, false)
  assert.equal(scanGoArgs(['-h', '-bogus'], FLAGS).unknown, null)
})

test('flags given and positional arguments', () => {
  const s = scanGoArgs(['msg1', '-topic', 't', '-version', 'msg2', '--', '-n'], FLAGS)
  assert.deepEqual(s.given, ['topic', 'version'])
  assert.deepEqual(s.positional, ['msg1', 'msg2', '-n'])
})

test('misuse messages name the flags as typed', () => {
  const typed = typedNames(['-max-in-flight=x', '-n', '5', '--topic', 't', '--no-print-topic'], FLAGS)
  assert.equal(asTyped('--max-in-flight: expected an integer', typed), '-max-in-flight: expected an integer')
  assert.equal(asTyped('--n: below the minimum', typed), '-n: below the minimum')
  assert.equal(asTyped('--topic is required', typed), '--topic is required')
  // only whole flag names: --max-in-flight-ish and x--n are left alone
  assert.equal(asTyped('--max-in-flight-ish x--n --print-topic', typed), '--max-in-flight-ish x--n --print-topic')
  // a flag not typed keeps its canonical name
  assert.equal(asTyped('use --channel', typed), 'use --channel')
})
