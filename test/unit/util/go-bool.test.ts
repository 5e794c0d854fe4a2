/** Go's strconv.ParseBool, the one copy (flags and go-nsq options both read bools with it). */
import test from 'node:test'
import assert from 'node:assert/strict'

import {GO_BOOL_SPELLINGS, GO_FALSE, GO_TRUE, parseGoBool} from '../../../src/core/util/go-bool.js'
import {normalizeGoArgs} from '../../../src/cli/go-args.js'

test('parseGoBool: exactly the spellings strconv.ParseBool accepts', () => {
  for (const s of ['1', 't', 'T', 'TRUE', 'true', 'True']) assert.equal(parseGoBool(s), true, s)
  for (const s of ['0', 'f', 'F', 'FALSE', 'false', 'False']) assert.equal(parseGoBool(s), false, s)
  for (const s of ['', 'yes', 'no', 'on', 'off', 'tRUE', 'fALSE', ' true', 'true ', '2', '-1', 'y']) assert.equal(parseGoBool(s), null, JSON.stringify(s))
  assert.deepEqual(GO_BOOL_SPELLINGS, ['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'])
  assert.equal(GO_TRUE.size + GO_FALSE.size, 12)
})

test('Go flag syntax reads bool values with the same spellings', () => {
  const shapes = {deflate: {type: 'boolean' as const, allowNo: true}}
  for (const s of GO_TRUE) assert.deepEqual(normalizeGoArgs([`-deflate=${s}`], shapes), ['--deflate'], s)
  for (const s of GO_FALSE) assert.deepEqual(normalizeGoArgs([`-deflate=${s}`], shapes), ['--no-deflate'], s)
  assert.throws(() => normalizeGoArgs(['-deflate=yes'], shapes), /^GoArgsError: invalid boolean value "yes" for -deflate \(true or false\)$/, 'anything else is refused, naming the flag as typed')
})
