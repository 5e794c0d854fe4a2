/**
 * nsq_to_file's strftime: Go's token set and literal rules, every conversion against Go's
 * reference time, the 12-hour clock, %z and %Z in several zones (a child `node` per TZ, since
 * local time is the process's zone), UTC in a zone with DST, and the per-second cache.
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

import {datetimeFormatter, datetimePattern, formatDatetime, tokenize} from '../../../../src/core/tools/to-file/datetime.js'
import {mulberry32u} from '../../../helpers/prng.js'

const run = promisify(execFile)
const MODULE_URL = new URL('../../../../src/core/tools/to-file/datetime.js', import.meta.url).href

/** Go's reference time, Mon Jan 2 15:04:05 2006, as UTC */
const REF = new Date('2006-01-02T15:04:05.678Z')
const utc = (format: string, date: Date = REF): string => formatDatetime(format, date, true)

type Case = [format: string, iso: string, utc: boolean]

/** formatDatetime of each case in a child node whose TZ is `tz` */
async function inZone(tz: string, cases: Case[]): Promise<string[]> {
  const script = [
    `import {formatDatetime} from ${JSON.stringify(MODULE_URL)}`,
    `const cases = JSON.parse(process.argv[1])`,
    `process.stdout.write(JSON.stringify(cases.map(([f, iso, u]) => formatDatetime(f, new Date(iso), u))))`,
  ].join('\n')
  const {stdout} = await run(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(cases)], {
    env: {...process.env, TZ: tz},
    timeout: 15_000,
  })
  return JSON.parse(stdout) as string[]
}

/** runs `cases` ([format, iso, utc, expected]) in TZ=tz and compares */
async function expectInZone(tz: string, cases: [...Case, string][]): Promise<void> {
  const got = await inZone(tz, cases.map(([f, iso, u]) => [f, iso, u]))
  assert.deepEqual(
    got.map((g, i) => [cases[i]![0], cases[i]![1], g]),
    cases.map(([f, iso, , want]) => [f, iso, want]),
    `TZ=${tz}`,
  )
}

test('every Go conversion, at Go reference time (UTC)', () => {
  const want: Record<string, string> = {
    '%B': 'January',
    '%b': 'Jan',
    '%m': '01',
    '%A': 'Monday',
    '%a': 'Mon',
    '%d': '02',
    '%H': '15',
    '%I': '03',
    '%M': '04',
    '%S': '05',
    '%Y': '2006',
    '%y': '06',
    '%p': 'PM',
    '%Z': 'UTC',
    '%z': '+0000',
    '%%': '%',
  }
  for (const [f, w] of Object.entries(want)) assert.equal(utc(f), w, f)
  assert.equal(utc('%Y-%m-%d_%H'), '2006-01-02_15', 'the default --datetime-format')
  assert.equal(utc('%A %d %B %Y, %I:%M:%S %p %Z (%z)'), 'Monday 02 January 2006, 03:04:05 PM UTC (+0000)')
  assert.equal(utc('%Y%m%d%H%M%S'), '20060102150405')
})

test('every month and weekday name, and two-digit fields padded', () => {
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
  for (let m = 0; m < 12; m++) {
    const d = new Date(Date.UTC(2023, m, 5, 6, 7, 8))
    assert.equal(utc('%B|%b|%m|%d|%H|%M|%S|%y', d), `${months[m]}|${months[m]!.slice(0, 3)}|${String(m + 1).padStart(2, '0')}|05|06|07|08|23`)
  }
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
  for (let i = 0; i < 7; i++) {
    const d = new Date(Date.UTC(2024, 0, 7 + i)) // 2024-01-07 was a Sunday
    assert.equal(utc('%A %a', d), `${days[i]} ${days[i]!.slice(0, 3)}`)
  }
  assert.equal(utc('%y', new Date(Date.UTC(2009, 0, 1))), '09')
  assert.equal(utc('%y %Y', new Date(Date.UTC(2100, 0, 1))), '00 2100')
})

test('12-hour clock: midnight and noon are 12, %p flips at noon', () => {
  const at = (h: number, m = 0): string => utc('%I:%M %p|%H', new Date(Date.UTC(2024, 4, 1, h, m)))
  assert.equal(at(0), '12:00 AM|00')
  assert.equal(at(0, 30), '12:30 AM|00')
  assert.equal(at(1), '01:00 AM|01')
  assert.equal(at(11, 59), '11:59 AM|11')
  assert.equal(at(12), '12:00 PM|12')
  assert.equal(at(12, 1), '12:01 PM|12')
  assert.equal(at(13), '01:00 PM|13')
  assert.equal(at(23, 59), '11:59 PM|23')
})

test('Go literal rules: unknown %x kept as the two characters, trailing % kept, %% is one %', () => {
  // conversions and modifiers the strftime package knows but Go does not
  for (const f of ['%e', '%j', '%L', '%s', '%F', '%T', '%D', '%R', '%c', '%x', '%X', '%n', '%t', '%u', '%w', '%U', '%W', '%C', '%k', '%l', '%P', '%o', '%v', '%r', '%h', '%G', '%q', '%1', '%-', '%_', '%0', '%:', '% ', '%é', '%😀']) {
    assert.equal(utc(f), f, f)
  }
  assert.equal(utc('%-d'), '%-d', 'Go: "%-" is literal, then "d"')
  assert.equal(utc('%_H'), '%_H')
  assert.equal(utc('%0m'), '%0m')
  assert.equal(utc('%:z'), '%:z')
  assert.equal(utc('%e%d'), '%e02', 'an unknown %x consumes two characters, the next % starts afresh')
  assert.equal(utc('%'), '%')
  assert.equal(utc('%Y%'), '2006%')
  assert.equal(utc('100%'), '100%')
  assert.equal(utc('%%'), '%')
  assert.equal(utc('%%%'), '%%')
  assert.equal(utc('%%d'), '%d', '%% then a plain d')
  assert.equal(utc('%%%d'), '%02')
  assert.equal(utc('%%%%'), '%%')
  assert.equal(utc('%q%'), '%q%')
  assert.equal(utc(''), '')
  assert.equal(utc('plain text/with.dots-and_under'), 'plain text/with.dots-and_under')
  assert.equal(utc('%Y/%m/%d'), '2006/01/02')
})

test('tokenize: Go scan, adjacent text merged', () => {
  assert.deepEqual(tokenize('a%%b%e%Yc%'), [
    {kind: 'text', text: 'a%b%e'},
    {kind: 'conv', conv: 'Y'},
    {kind: 'text', text: 'c%'},
  ])
  assert.deepEqual(tokenize(''), [])
  assert.deepEqual(tokenize('%Z%z'), [
    {kind: 'conv', conv: 'Z'},
    {kind: 'conv', conv: 'z'},
  ])
})

/** an independent Go strftime over the UTC fields, for the fuzz below */
function reference(format: string, d: Date): string {
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December']
  const days = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday']
  const p2 = (n: number): string => String(n).padStart(2, '0')
  const h = d.getUTCHours()
  const conv: Record<string, string> = {
    B: months[d.getUTCMonth()]!,
    b: months[d.getUTCMonth()]!.slice(0, 3),
    m: p2(d.getUTCMonth() + 1),
    A: days[d.getUTCDay()]!,
    a: days[d.getUTCDay()]!.slice(0, 3),
    d: p2(d.getUTCDate()),
    H: p2(h),
    I: p2(h % 12 === 0 ? 12 : h % 12),
    M: p2(d.getUTCMinutes()),
    S: p2(d.getUTCSeconds()),
    Y: String(d.getUTCFullYear()),
    y: p2(d.getUTCFullYear() % 100),
    p: h < 12 ? 'AM' : 'PM',
    Z: 'UTC',
    z: '+0000',
  }
  let out = ''
  for (let i = 0; i < format.length; i++) {
    const c = format[i]
    if (c !== '%') out += c
    else if (i + 1 === format.length) out += '%'
    else {
      const n = format[++i]!
      out += n === '%' ? '%' : (conv[n] ?? '%' + n)
    }
  }
  return out
}

test('fuzz: random formats and instants (UTC) against an independent Go strftime', () => {
  const next = mulberry32u(0x5eed)
  const alphabet = 'BbmAadHIMSYypZz%ejLsF-_:0 x./'
  for (let i = 0; i < 3000; i++) {
    let f = ''
    const len = next() % 12
    for (let j = 0; j < len; j++) f += next() % 3 === 0 ? '%' : alphabet[next() % alphabet.length]
    // 1970 … 2100
    const d = new Date((next() % 4102444800) * 1000 + (next() % 1000))
    assert.equal(utc(f, d), reference(f, d), `${JSON.stringify(f)} at ${d.toISOString()}`)
  }
})

test('fuzz: one compiled formatter over a run of instants (the cache in use) against an independent Go strftime', () => {
  const next = mulberry32u(0xcac4e)
  const f = '%Y-%m-%d %I:%M:%S %p %a %b'
  const format = datetimeFormatter(f, true)
  let ms = Date.UTC(2024, 11, 31, 23, 58)
  for (let i = 0; i < 5000; i++) {
    // mostly small steps (within and across seconds), sometimes back, sometimes a jump
    const r = next() % 10
    ms += r < 6 ? next() % 700 : r < 8 ? -(next() % 1500) : (next() % 100_000_000) - 50_000_000
    const d = new Date(ms)
    assert.equal(format(d), reference(f, d), d.toISOString())
  }
})

test('datetimeFormatter: cached per second, and correct across a second, an hour and a year', () => {
  const f = datetimeFormatter('%Y-%m-%d_%H:%M:%S', true)
  const a = f(new Date('2024-12-31T23:59:59.000Z'))
  assert.equal(a, '2024-12-31_23:59:59')
  assert.equal(f(new Date('2024-12-31T23:59:59.999Z')), a)
  assert.equal(f(new Date('2025-01-01T00:00:00.000Z')), '2025-01-01_00:00:00')
  assert.equal(f(new Date('2024-12-31T23:59:59.500Z')), a, 'going back a second is not a stale cache')
  assert.equal(f(new Date('1969-12-31T23:59:59.500Z')), '1969-12-31_23:59:59', 'before the epoch')
  assert.equal(f(new Date('1970-01-01T00:00:00.000Z')), '1970-01-01_00:00:00')
  const g = datetimeFormatter('%H:%M:%S', true)
  assert.equal(g(new Date('2024-01-01T05:00:00.900Z')), '05:00:00')
  assert.equal(g(new Date('2024-01-01T05:00:01.000Z')), '05:00:01', 'the next second, same minute')
})

test('local time is the process zone; utc ignores it (several TZ in children)', async () => {
  const summer = '2024-07-15T12:00:00Z'
  const winter = '2024-01-15T12:00:00Z'
  const F = '%Y-%m-%d %H:%M %z %Z'
  await Promise.all([
    expectInZone('UTC', [
      [F, summer, false, '2024-07-15 12:00 +0000 UTC'],
      [F, summer, true, '2024-07-15 12:00 +0000 UTC'],
    ]),
    expectInZone('Europe/Berlin', [
      [F, summer, false, '2024-07-15 14:00 +0200 CEST'],
      [F, winter, false, '2024-01-15 13:00 +0100 CET'],
      [F, summer, true, '2024-07-15 12:00 +0000 UTC'],
      // the spring-forward hour: local skips 02:00-03:00, UTC must not
      ['%Y-%m-%d %H:%M', '2024-03-31T01:30:00Z', false, '2024-03-31 03:30'],
      ['%Y-%m-%d %H:%M:%S %z', '2024-03-31T02:30:00Z', true, '2024-03-31 02:30:00 +0000'],
      ['%H:%M', '2024-03-31T02:00:00Z', true, '02:00'],
      ['%H:%M', '2024-03-31T02:59:59Z', true, '02:59'],
      // fall back: 02:00-03:00 local happens twice
      ['%H:%M %z %Z', '2024-10-27T00:30:00Z', false, '02:30 +0200 CEST'],
      ['%H:%M %z %Z', '2024-10-27T01:30:00Z', false, '02:30 +0100 CET'],
      ['%H:%M', '2024-10-27T01:30:00Z', true, '01:30'],
    ]),
    expectInZone('Europe/London', [
      [F, summer, false, '2024-07-15 13:00 +0100 BST'],
      [F, winter, false, '2024-01-15 12:00 +0000 GMT'],
    ]),
    expectInZone('America/New_York', [
      [F, summer, false, '2024-07-15 08:00 -0400 EDT'],
      [F, winter, false, '2024-01-15 07:00 -0500 EST'],
      ['%H:%M %z', '2024-03-10T07:30:00Z', true, '07:30 +0000'],
      // local midnight: 12 AM, and the day before in UTC terms
      ['%Y-%m-%d %I %p %A', '2024-07-15T04:00:00Z', false, '2024-07-15 12 AM Monday'],
      ['%Y-%m-%d %I %p %A', '2024-07-15T03:59:59Z', false, '2024-07-14 11 PM Sunday'],
    ]),
    expectInZone('Asia/Kolkata', [
      [F, winter, false, '2024-01-15 17:30 +0530 GMT+5:30'],
      [F, winter, true, '2024-01-15 12:00 +0000 UTC'],
      ['%I:%M %p', '2024-01-15T06:30:00Z', false, '12:00 PM'],
    ]),
    expectInZone('America/St_Johns', [
      ['%H:%M %z', winter, false, '08:30 -0330'],
      ['%H:%M %z', summer, false, '09:30 -0230'],
    ]),
    expectInZone('Asia/Tokyo', [
      // still GMT+n in en-GB: kept
      ['%Y-%m-%d %H %a %z %Z', '2024-12-31T20:00:00Z', false, '2025-01-01 05 Wed +0900 GMT+9'],
      ['%Y-%m-%d %H %a %z %Z', '2024-12-31T20:00:00Z', true, '2024-12-31 20 Tue +0000 UTC'],
    ]),
  ])
})

test('datetimePattern matches what the formatter prints, and only that shape', () => {
  const formats = ['%Y-%m-%d_%H', '%B %b %A %a %p %z %Z', '%Y/%m/%d', 'x(%y)+.[%I]', '%e%%%', '']
  const next = mulberry32u(7)
  for (const f of formats) {
    const re = new RegExp(`^${datetimePattern(f)}$`)
    assert.equal(new RegExp(datetimePattern(f) + '|').exec('')!.length, 1, `${f}: no capturing group`)
    for (let i = 0; i < 200; i++) {
      const d = new Date((next() % 4102444800) * 1000)
      const s = utc(f, d)
      assert.match(s, re, `${f}: ${s}`)
    }
  }
  const re = new RegExp(`^${datetimePattern('%Y-%m-%d_%H')}$`)
  for (const bad of ['2024-5-01_13', '2024-05-01-13', '2024-05-01_1', 'x2024-05-01_13', '2024/05/01_13']) assert.doesNotMatch(bad, re, bad)
  assert.doesNotMatch('x(24)+a[03]', new RegExp(`^${datetimePattern('x(%y)+.[%I]')}$`), 'literal "." is escaped')
  assert.match('%e%%', new RegExp(`^${datetimePattern('%e%%%')}$`))
  for (const zone of ['UTC', 'CEST', 'GMT+5:30', 'GMT-3', '-03', '+0530']) assert.match(zone, new RegExp(`^${datetimePattern('%Z')}$`))
})
