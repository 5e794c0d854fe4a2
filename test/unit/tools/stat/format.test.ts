/**
 * core/tools/stat/format.ts: nsq_stat's table byte for byte (NSQ-SPEC §1.6): the two header
 * lines as its format strings make them, Go's %Nd (right-aligned, a wider number never cut, a
 * negative one with its '-'), the --extended column and the paint hook that never changes a width.
 */
import assert from 'node:assert/strict'
import test from 'node:test'
import {COLUMNS, dataLine, goInt, header, header1, header2, padLeft, pausedText, type StatRow} from '../../../../src/core/tools/stat/format.js'

const row = (over: Partial<StatRow> = {}): StatRow => ({ingress: 0, egress: 0, total: 0, mem: 0, disk: 0, inflt: 0, def: 0, req: 0, 't-o': 0, msgs: 0, clients: 0, ...over})

// nsq_stat's own output (NSQ-SPEC §1.6, from its format strings)
const GO_H1 = '------rate------+----------------depth----------------+--------------metadata---------------\n'
const GO_H2 = 'ingress  egress |   total     mem    disk inflt   def |     req     t-o         msgs clients\n'
const GO_ROW = '    120     118 |   24660   24660       0     2    20 |  102688       0    132492418       1\n'

test('header lines: exactly nsq_stat\'s, byte for byte', () => {
  assert.equal(header1(), GO_H1)
  assert.equal(header2(), GO_H2)
  assert.equal(header(), GO_H1 + GO_H2)
  assert.equal(header1().length, header2().length, 'the + of line 1 sit over the | of line 2')
  for (const at of [16, 54]) {
    assert.equal(GO_H1[at], '+')
    assert.equal(GO_H2[at], '|')
  }
})

test('a data line: the spec\'s example, byte for byte', () => {
  assert.equal(dataLine(row({ingress: 120, egress: 118, total: 24660, mem: 24660, inflt: 2, def: 20, req: 102688, msgs: 132492418, clients: 1})), GO_ROW)
  assert.equal(dataLine(row()), '      0       0 |       0       0       0     0     0 |       0       0            0       0\n')
  assert.equal(dataLine(row()).length, GO_H2.length)
})

test('every column: its width, right-aligned (%7d %7d | %7d %7d %7d %5d %5d | %7d %7d %12d %7d)', () => {
  const widths = [7, 7, 7, 7, 7, 5, 5, 7, 7, 12, 7]
  COLUMNS.forEach((c, n) => {
    const line = dataLine(row({[c]: 1}))
    const cells = line.replace(/ \| /g, ' ').replace(/\n$/, '').split(/(?<=\d) /)
    assert.equal(cells.length, 11, line)
    assert.equal(cells[n], `${' '.repeat((widths[n] as number) - 1)}1`, `${c}: ${line}`)
  })
})

test('a number wider than its column is printed whole, pushing the rest right (Go never truncates)', () => {
  assert.equal(dataLine(row({inflt: 1234567})), '      0       0 |       0       0       0 1234567     0 |       0       0            0       0\n')
  assert.equal(dataLine(row({msgs: 12345678901234})), '      0       0 |       0       0       0     0     0 |       0       0 12345678901234       0\n')
  assert.equal(dataLine(row({ingress: 123456789})), '123456789       0 |       0       0       0     0     0 |       0       0            0       0\n')
})

test('negative numbers keep their sign and are right-aligned', () => {
  assert.equal(dataLine(row({ingress: -5, mem: -1234567, def: -12345})), '     -5       0 |       0 -1234567       0     0 -12345 |       0       0            0       0\n')
})

test('goInt: Go\'s %d of int64(v): truncated toward zero, no -0, no exponent', () => {
  assert.equal(goInt(0), '0')
  assert.equal(goInt(-0), '0')
  assert.equal(goInt(7.9), '7')
  assert.equal(goInt(-7.9), '-7')
  assert.equal(goInt(-0.5), '0')
  assert.equal(goInt(9007199254740991), '9007199254740991')
  assert.equal(goInt(1e21), '1000000000000000000000')
  assert.equal(goInt(Number.NaN), '0')
})

test('padLeft: Go\'s %Ns', () => {
  assert.equal(padLeft('ab', 5), '   ab')
  assert.equal(padLeft('abcde', 5), 'abcde')
  assert.equal(padLeft('abcdefg', 5), 'abcdefg')
  assert.equal(padLeft('', 3), '   ')
})

test('--extended: one more column, " | %6s" paused; header 1 widened so its + sits over the |', () => {
  const h1 = header1(true)
  const h2 = header2(true)
  assert.equal(h2, `${GO_H2.slice(0, -1)} | paused\n`)
  assert.equal(h1, `${GO_H1.slice(0, -1)}-+-------\n`)
  assert.equal(h1.length, h2.length)
  assert.equal(h1[93], '+')
  assert.equal(h2[93], '|')
  assert.equal(dataLine(row(), 'no'), `${dataLine(row()).slice(0, -1)} |     no\n`)
  assert.equal(dataLine(row(), '12/345'), `${dataLine(row()).slice(0, -1)} | 12/345\n`)
  assert.equal(dataLine(row(), '1234/5678'), `${dataLine(row()).slice(0, -1)} | 1234/5678\n`)
})

test('pausedText: no, yes, or k/n', () => {
  assert.equal(pausedText(0, 3), 'no')
  assert.equal(pausedText(3, 3), 'yes')
  assert.equal(pausedText(1, 3), '1/3')
  assert.equal(pausedText(0, 0), 'no')
})

test('paint colours a padded cell: the widths are the plain ones once the colour is taken out', () => {
  const seen: string[] = []
  const line = dataLine(row({total: 42}), 'no', (c, s) => {
    seen.push(c)
    return c === 'total' ? `<${s}>` : s
  })
  assert.deepEqual(seen, [...COLUMNS, 'paused'])
  assert.equal(line.replace(/[<>]/g, ''), dataLine(row({total: 42}), 'no'))
  assert.match(line, /\| < {5}42> /)
})
