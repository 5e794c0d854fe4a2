/**
 * goRegexp: Go RE2 patterns as JS RegExps, matched unanchored (Go's regexp.MatchString). Each
 * case lists what Go matches and does not match; the rewrites are the places where JS would
 * otherwise read the same text differently, and the rejections name the pattern.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {goRegexp} from '../../../src/core/util/go-regexp.js'

function check(pattern: string, yes: string[], no: string[]): void {
  const re = goRegexp(pattern)
  for (const s of yes) assert.ok(re.test(s), `${pattern} should match ${JSON.stringify(s)} (as ${re})`)
  for (const s of no) assert.ok(!re.test(s), `${pattern} should not match ${JSON.stringify(s)} (as ${re})`)
}

test('plain RE2 syntax passes through, matched unanchored', () => {
  check('', ['', 'anything'], [])
  check('events', ['events', 'app_events_v2'], ['event'])
  check('^events$', ['events'], ['events2', 'my_events'])
  check('^(web|api)_[0-9]+\\.log$', ['web_1.log', 'api_22.log'], ['web_.log', 'db_1.log', 'web_1xlog'])
  check('a{2,3}', ['aa', 'xaaax'], ['a'])
  check('\\d+-\\w', ['12-x'], ['ab-x'])
  check('a\\-b\\.c', ['a-b.c'], ['a-bxc'])
  check('(?:ab)+?c', ['ababc'], ['ac'])
})

test('(?i) (?s) (?m) at the start become flags; (?i) makes the match case-blind', () => {
  const re = goRegexp('(?i)^Events_')
  assert.equal(re.flags, 'i')
  check('(?i)^Events_', ['events_x', 'EVENTS_y'], ['x_events_'])
  check('(?s)a.b', ['a\nb'], [])
  check('a.b', [], ['a\nb'])
  check('(?m)^b$', ['a\nb\nc'], [])
  check('^b$', [], ['a\nb\nc'])
  assert.equal(goRegexp('(?is)x').flags, 'is')
})

test('(?P<name>re) becomes (?<name>re); (?<name>re) is kept', () => {
  const m = goRegexp('^(?P<app>[a-z]+)_(?<kind>[a-z]+)$').exec('web_logs')
  assert.equal(m?.groups?.app, 'web')
  assert.equal(m?.groups?.kind, 'logs')
})

test('\\A and \\z are the text start and end, also under (?m); \\Q...\\E is literal', () => {
  check('logs\\z', ['web.logs'], ['logs.web', 'logs\n'])
  check('(?m)logs\\z', ['a\nlogs'], ['logs\nb'])
  check('\\Aweb', ['web_x'], ['x_web', 'x\nweb'])
  check('(?m)\\Aweb', ['web'], ['x\nweb'])
  check('\\Qa.b*\\E$', ['xa.b*'], ['aab', 'a.bbb'])
  check('^\\Qa+b', ['a+b'], ['aab'])
})

test('escapes JS would read otherwise: \\a, \\x{HH}, octal; POSIX classes; a ] first in a class', () => {
  check('\\a', ['\x07'], ['a'])
  check('\\x{41}\\x42', ['AB'], ['x{41}B'])
  check('\\101\\0', ['A\0'], [])
  check('^[[:alpha:]_]+$', ['ab_C'], ['a1', ':'])
  check('^[[:digit:][:upper:]]+$', ['9Z'], ['z'])
  check('^[]a]+$', [']a]'], ['b'])
  check('^[^]a]$', ['b'], [']', 'a'])
  check('[a[]', ['['], ['b'])
})

test('what RE2 rejects or JS cannot mean the same way is an Error naming the pattern', () => {
  const rejects = (pattern: string, why: RegExp): void => {
    assert.throws(
      () => goRegexp(pattern),
      (err: unknown) => err instanceof Error && err.message.startsWith(`error parsing regexp ${JSON.stringify(pattern)}: `) && why.test(err.message),
      pattern,
    )
  }
  rejects('(a', /group|\)/i)
  rejects('a)', /\)|unmatched/i)
  rejects('[a', /missing closing \]/)
  rejects('*a', /repeat/i)
  rejects('a\\', /trailing backslash/)
  rejects('(?U)a*', /U \(ungreedy\)/)
  rejects('a(?i)b', /unsupported/)
  rejects('(?i:a)', /unsupported/)
  rejects('a(?=b)', /lookaround/)
  rejects('(?<!a)b', /lookaround/)
  rejects('(a)\\1', /backreference/)
  rejects('(?P<n>a)(?P=n)', /backreference/)
  rejects('\\pL', /Unicode classes/)
  rejects('\\p{Greek}', /Unicode classes/)
  rejects('\\q', /invalid escape/)
  rejects('\\8', /invalid escape/)
  rejects('[\\b]', /invalid escape/)
  rejects('[\\z]', /invalid escape/)
  rejects('[[:nope:]]', /\[:nope:\]/)
  rejects('[[:^alpha:]]', /negated/)
  rejects('\\x{1F600}', /above U\+FFFF/)
  rejects('\\xZZ', /invalid escape/)
})
