/** oclif flags generated from an option table: names, defaults, help values, and the table's parse. */
import test from 'node:test'
import assert from 'node:assert/strict'

import {acceptedFlags, givenFlags, optionsFromFlags, tableFlags} from '../../../src/cli/table-flags.js'
import {OptionTable, option} from '../../../src/core/util/options-table.js'

const table = new OptionTable(
  {
    size: option.size({flag: 'max-size', default: 10, min: 1, description: 'a size'}),
    wait: option.duration({flag: 'wait', default: 1500, description: 'a wait'}),
    on: option.bool({flag: 'on', default: true, description: 'a switch'}),
    host: option.string({flag: 'host', default: 'h', defaultText: 'the hostname', description: 'a host'}),
    peers: option.strings({flag: 'peer', default: [], description: 'peers'}),
    level: option.enum({flag: 'level', default: 'a', values: ['a', 'b'], description: 'a level'}),
    internal: option.int({default: 1, description: 'no flag'}),
  },
  {label: (k, s) => (s.flag ? `--${s.flag}` : k)},
)

interface FlagView {
  type: string
  default?: unknown
  multiple?: boolean
  allowNo?: boolean
  hidden?: boolean
  helpValue?: string
  summary?: string
  noCacheDefault?: boolean
  parse?: (input: string, ctx: unknown, opts: unknown) => Promise<unknown>
}

const flags = tableFlags(table) as unknown as Record<string, FlagView>

test('one flag per option with a Go flag name, typed by its kind', () => {
  assert.deepEqual(Object.keys(flags), ['max-size', 'wait', 'on', 'host', 'peer', 'level'])
  assert.deepEqual([flags['max-size']?.type, flags['max-size']?.default, flags['max-size']?.helpValue], ['option', 10, '<int>'])
  assert.deepEqual([flags.wait?.type, flags.wait?.default, flags.wait?.helpValue], ['option', 1500, '<duration>'])
  assert.deepEqual([flags.on?.type, flags.on?.default, flags.on?.allowNo], ['boolean', true, true])
  assert.deepEqual([flags.peer?.type, flags.peer?.multiple, flags.peer?.default], ['option', true, undefined])
  assert.equal(flags.level?.helpValue, '<a|b>')
})

test('summaries: the description, with the default where oclif would show it wrong or it is the machine\'s', () => {
  assert.equal(flags['max-size']?.summary, 'a size')
  assert.equal(flags.wait?.summary, 'a wait (default 1.5s)')
  assert.equal(flags.host?.summary, 'a host (default: the hostname)')
  assert.equal(flags.host?.noCacheDefault, true, "a machine's default stays out of the manifest")
  assert.equal(flags['max-size']?.noCacheDefault, undefined)
})

test("parse: the table's, bounds included; the error says what is wrong and oclif names the flag", async () => {
  assert.equal(await flags['max-size']?.parse?.('5', {}, {}), 5)
  assert.equal(await flags.wait?.parse?.('2m', {}, {}), 120_000)
  await assert.rejects(async () => flags['max-size']?.parse?.('0', {}, {}), {message: 'invalid value 0 (must be >= 1)'})
  await assert.rejects(async () => flags.wait?.parse?.('5', {}, {}), {message: 'invalid duration "5" (use a Go duration such as 60s, 250ms, 1m30s)'})
  await assert.rejects(async () => flags.level?.parse?.('c', {}, {}), {message: 'invalid value "c" (must be one of a, b)'})
})

test('accepted flags: hidden repeatable strings, bools with --no-, no defaults', () => {
  const f = acceptedFlags(table, 'not yet') as unknown as Record<string, FlagView>
  assert.deepEqual([f['max-size']?.type, f['max-size']?.hidden, f['max-size']?.multiple, f['max-size']?.default], ['option', true, true, undefined])
  assert.deepEqual([f.on?.type, f.on?.allowNo, f.on?.hidden, f.on?.default], ['boolean', true, undefined, undefined])
  assert.equal(f.on?.summary, 'a switch (not yet)')
})

test('optionsFromFlags and givenFlags: only the flags given, by the table\'s keys', () => {
  const parsed = {'max-size': 5, wait: undefined, on: false, peer: ['a:1'], unrelated: 1}
  assert.deepEqual(optionsFromFlags(table, parsed), {size: 5, on: false, peers: ['a:1']})
  assert.deepEqual(givenFlags(table, parsed), ['--max-size', '--on', '--peer'])
})
