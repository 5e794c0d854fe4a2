/**
 * Go flag syntax (src/cli/go-args.ts) as the CLI reads it before oclif: the rewrite to oclif's
 * form, the scan for help and unknown flags (a flag's value is never taken for a flag, as in
 * Go's flag package), and misuse messages naming each flag as the user typed it.
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import {GoArgsError, VALUE_MARK, asTyped, boolFlagValue, isHelpFlag, joinOptionValues, normalizeGoArgs, scanGoArgs, typedNames, type FlagShape} from '../../../src/cli/go-args.js'
import {GO_FALSE, GO_TRUE} from '../../../src/core/util/go-bool.js'

const FLAGS: Record<string, FlagShape> = {
  topic: {type: 'option'},
  channel: {type: 'option'},
  n: {type: 'option', char: 'n'},
  'print-topic': {type: 'boolean', allowNo: true},
  version: {type: 'boolean', allowNo: true},
  'max-in-flight': {type: 'option'},
}

test('Go spellings become oclif\'s, joined to their value; a bool takes Go\'s true/false words', () => {
  assert.deepEqual(normalizeGoArgs(['-topic=a', '-channel', 'c', '-n=5', '-n', '6', '-print-topic=false', '-version=T', 'msg', '--', '-x=1'], FLAGS), [
    '--topic=a',
    '--channel=c',
    '--n=5',
    '--n=6',
    '--no-print-topic',
    '--version',
    'msg',
    '--',
    '-x=1',
  ])
})

test('an option flag without =value takes the next argument, whatever it looks like (Go\'s flag package)', () => {
  // a value starting with `-` goes behind VALUE_MARK: oclif would take `--version` or `-n…` for a flag
  const M = VALUE_MARK
  // nsq_tail -topic -xyz subscribes to "-xyz"; -topic -version sets the topic to "-version"
  assert.deepEqual(normalizeGoArgs(['-topic', '-xyz'], FLAGS), [`--topic=${M}-xyz`])
  assert.deepEqual(normalizeGoArgs(['-topic', '-version'], FLAGS), [`--topic=${M}-version`])
  assert.deepEqual(normalizeGoArgs(['--channel', '--help', '-version'], FLAGS), [`--channel=${M}--help`, '--version'])
  assert.deepEqual(normalizeGoArgs(['-topic', '--', 'x'], FLAGS), [`--topic=${M}--`, 'x'])
  assert.deepEqual(normalizeGoArgs(['-topic=-nope', '-channel=c'], FLAGS), [`--topic=${M}-nope`, '--channel=c'])
  // -n -1 is the value -1 (tail then refuses it by its minimum)
  assert.deepEqual(normalizeGoArgs(['-n', '-1'], FLAGS), [`--n=${M}-1`])
  // the last argument, with no value after it: oclif says the flag needs an argument
  assert.deepEqual(normalizeGoArgs(['-topic'], FLAGS), ['--topic'])
  // a bool never takes the next argument
  assert.deepEqual(normalizeGoArgs(['-print-topic', 'false', '-version', '-topic', 't'], FLAGS), ['--print-topic', 'false', '--version', '--topic=t'])
})

test('joinOptionValues: an option\'s next argument joined to the flag as typed when asked; nothing else moves', () => {
  const helpValue = (v: string): boolean => v === '--help'
  assert.deepEqual(joinOptionValues(['-channel', '--help', '-topic', 't', '-version', '--help'], FLAGS, helpValue), ['-channel=--help', '-topic', 't', '-version', '--help'])
  assert.deepEqual(joinOptionValues(['-topic=--help', '--', '-channel', '--help'], FLAGS, helpValue), ['-topic=--help', '--', '-channel', '--help'])
})

test('every bool takes every spelling of strconv.ParseBool, with and without allowNo in its shape', () => {
  for (const v of GO_TRUE) {
    assert.deepEqual(normalizeGoArgs([`-version=${v}`, `--print-topic=${v}`, `-no-print-topic=${v}`], FLAGS), ['--version', '--print-topic', '--no-print-topic'], v)
  }
  for (const v of GO_FALSE) {
    assert.deepEqual(normalizeGoArgs([`-version=${v}`, `--print-topic=${v}`, `-no-print-topic=${v}`], FLAGS), ['--no-version', '--no-print-topic', '--print-topic'], v)
  }
})

test('the front door (scanGoArgs) and oclif (normalizeGoArgs) read the same flags from a command line', () => {
  const lines = [
    ['-topic', '-xyz', '-n', '-1', '-version'],
    ['-topic', '-version'],
    ['-channel', '-h', '-print-topic', 'msg'],
    ['--max-in-flight', '--', '-n=3'],
    ['-print-topic=false', '-topic=-x', 'a', '-channel', '--no-print-topic'],
  ]
  for (const argv of lines) {
    const scanned = scanGoArgs(argv, FLAGS).given
    const normalized = normalizeGoArgs(argv, FLAGS)
      .filter((a) => a.startsWith('--') && a !== '--')
      .map((a) => a.replace(/^--(no-(?=print-topic|version))?/, '').replace(/=.*$/s, ''))
    assert.deepEqual(normalized, scanned, argv.join(' '))
  }
})

test('isHelpFlag and boolFlagValue read a flag as Go does', () => {
  for (const a of ['-h', '--h', '-help', '--help', '-h=false', '--help=x']) assert.equal(isHelpFlag(a), true, a)
  for (const a of ['help', '-hx', '---help', '-', '--']) assert.equal(isHelpFlag(a), false, a)
  assert.equal(boolFlagValue('-version', 'version'), true)
  assert.equal(boolFlagValue('--version=T', 'version'), true)
  assert.equal(boolFlagValue('-version=0', 'version'), false)
  assert.equal(boolFlagValue('-version=yes', 'version'), null)
  assert.equal(boolFlagValue('-versions', 'version'), null)
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
