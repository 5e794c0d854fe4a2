/**
 * nsq_to_file's file names: Go's computeFilenameFormat rules in order (<REV> check or removal,
 * <TOPIC>, <HOST>, <PID>, the .gz suffix), <DATETIME> per call, <REV> as -%06d, the host
 * identifier, and parse() reading names back (round trips, foreign names rejected).
 * Times are UTC (the utc flag), so the results do not depend on the machine's zone.
 */
import test from 'node:test'
import assert from 'node:assert/strict'

import {formatDatetime} from '../../../../src/core/tools/to-file/datetime.js'
import {FileNamer, MISSING_REV, hostIdentifier, revRequired, type NamerOptions} from '../../../../src/core/tools/to-file/naming.js'
import {mulberry32u} from '../../../helpers/prng.js'

const DEFAULT_FORMAT = '<TOPIC>.<HOST><REV>.<DATETIME>.log'
const AT = new Date('2024-05-01T13:45:30.250Z')

function namer(o: Partial<NamerOptions> = {}): FileNamer {
  return new FileNamer({
    filenameFormat: DEFAULT_FORMAT,
    datetimeFormat: '%Y-%m-%d_%H',
    utc: true,
    host: 'web01',
    pid: 4242,
    gzip: false,
    revRequired: true,
    ...o,
  })
}

const any = (): boolean => true

test('the spec example: events.web01-000000.2024-05-01_13.log.gz', () => {
  const n = namer({gzip: true})
  const base = n.base('events', AT)
  assert.equal(base, 'events.web01<REV>.2024-05-01_13.log.gz')
  assert.equal(n.withRev(base, 0), 'events.web01-000000.2024-05-01_13.log.gz')
})

test('every token, every occurrence replaced', () => {
  const n = namer({filenameFormat: '<TOPIC>/<TOPIC>.<HOST>.<HOST>.<PID>.<PID>.<DATETIME>.<DATETIME><REV><REV>', datetimeFormat: '%H%M'})
  const base = n.base('t1', AT)
  assert.equal(base, 't1/t1.web01.web01.4242.4242.1345.1345<REV><REV>')
  assert.equal(n.withRev(base, 3), 't1/t1.web01.web01.4242.4242.1345.1345-000003-000003')
  assert.equal(namer({filenameFormat: 'static<REV>'}).base('t', AT), 'static<REV>', 'no token but <REV>')
  assert.equal(namer({filenameFormat: '<topic><Host><REV>'}).base('t', AT), '<topic><Host><REV>', 'tokens are case-sensitive')
})

test('Go order: <TOPIC>, then <HOST>, then <PID>; <DATETIME> and <REV> anywhere in the result', () => {
  // a host identifier holding tokens: <TOPIC> was already replaced, <PID> and <DATETIME> come after
  const n = namer({filenameFormat: '<TOPIC>.<HOST><REV>', host: 'h<TOPIC>-<PID>-<DATETIME>', datetimeFormat: '%Y'})
  assert.equal(n.base('t', AT), 't.h<TOPIC>-4242-2024<REV>')
})

test('MISSING_REV exactly when <REV> is required and missing; removed when not required', () => {
  assert.equal(MISSING_REV, 'missing <REV> in --filename-format when gzip, rotation, or work dir enabled')
  assert.throws(() => namer({filenameFormat: '<TOPIC>.<DATETIME>.log', revRequired: true}), {message: MISSING_REV})
  assert.throws(() => namer({filenameFormat: '<TOPIC>.<rev>.log', revRequired: true}), {message: MISSING_REV})
  assert.doesNotThrow(() => namer({filenameFormat: '<TOPIC>.<DATETIME>.log', revRequired: false}))
  assert.doesNotThrow(() => namer({filenameFormat: 'x<REV>', revRequired: true}))
  const n = namer({revRequired: false})
  const base = n.base('events', AT)
  assert.equal(base, 'events.web01.2024-05-01_13.log')
  assert.equal(n.withRev(base, 7), base, 'nothing to fill in')
  assert.equal(namer({filenameFormat: '<REV>a<REV>b<REV>', revRequired: false}).base('t', AT), 'ab')
})

test('revRequired: gzip, rotate-size, rotate-interval, a separate work dir', () => {
  const off = {gzip: false, rotateSize: 0, rotateIntervalMs: 0, workDir: '/tmp', outputDir: '/tmp'}
  assert.equal(revRequired(off), false)
  assert.equal(revRequired({...off, workDir: ''}), false, 'an empty work dir is the output dir')
  assert.equal(revRequired({...off, gzip: true}), true)
  assert.equal(revRequired({...off, rotateSize: 1}), true)
  assert.equal(revRequired({...off, rotateIntervalMs: 1}), true)
  assert.equal(revRequired({...off, workDir: '/work'}), true)
  assert.equal(revRequired({...off, workDir: '/tmp/'}), true, 'Go compares the strings as given')
  // and the namer it feeds
  assert.throws(() => namer({filenameFormat: '<TOPIC>.log', revRequired: revRequired({...off, gzip: true})}), {message: MISSING_REV})
  assert.doesNotThrow(() => namer({filenameFormat: '<TOPIC>.log', revRequired: revRequired(off)}))
})

test('.gz: appended with gzip unless the name already ends in it (checked before <DATETIME>)', () => {
  const gz = (filenameFormat: string, topic = 't', datetimeFormat = '%Y'): string =>
    namer({filenameFormat, datetimeFormat, gzip: true}).base(topic, AT)
  assert.equal(gz('<TOPIC><REV>.log'), 't<REV>.log.gz')
  assert.equal(gz('<TOPIC><REV>.gz'), 't<REV>.gz', 'not doubled')
  assert.equal(gz('<TOPIC><REV>.log.gz'), 't<REV>.log.gz')
  assert.equal(gz('<REV>/<TOPIC>', 'a.gz'), '<REV>/a.gz', 'Go checks after <TOPIC> is in')
  assert.equal(gz('<REV>/<TOPIC>', 'a'), '<REV>/a.gz')
  assert.equal(gz('<TOPIC><REV>.<DATETIME>', 't', '%Y.gz'), 't<REV>.2024.gz.gz', 'Go checks before <DATETIME> is in')
  assert.equal(gz('<TOPIC><REV>.gzip'), 't<REV>.gzip.gz')
  assert.equal(namer({filenameFormat: '<TOPIC><REV>.log'}).base('t', AT), 't<REV>.log', 'no gzip, no suffix')
})

test('withRev: -%06d, more digits from 1e6, integers >= 0 only', () => {
  const n = namer()
  const cases: [number, string][] = [
    [0, 'x-000000'],
    [7, 'x-000007'],
    [42, 'x-000042'],
    [999999, 'x-999999'],
    [1000000, 'x-1000000'],
    [123456789, 'x-123456789'],
  ]
  for (const [rev, want] of cases) assert.equal(n.withRev('x<REV>', rev), want)
  for (const bad of [-1, 1.5, NaN, Infinity]) assert.throws(() => n.withRev('x<REV>', bad), RangeError, String(bad))
})

test('hostIdentifier: short hostname, or the template with <SHORT_HOST> and <HOSTNAME>', () => {
  assert.equal(hostIdentifier('', 'web01.example.com'), 'web01')
  assert.equal(hostIdentifier('', 'web01'), 'web01')
  assert.equal(hostIdentifier('', ''), '')
  assert.equal(hostIdentifier('', '.hidden'), '')
  assert.equal(hostIdentifier('<SHORT_HOST>', 'web01.example.com'), 'web01')
  assert.equal(hostIdentifier('<HOSTNAME>', 'web01.example.com'), 'web01.example.com')
  assert.equal(hostIdentifier('<SHORT_HOST>-<HOSTNAME>-<SHORT_HOST>', 'a.b.c'), 'a-a.b.c-a')
  assert.equal(hostIdentifier('dc1-<SHORT_HOST>', 'web01.example.com'), 'dc1-web01')
  assert.equal(hostIdentifier('fixed', 'web01.example.com'), 'fixed')
  assert.equal(hostIdentifier('<short_host>', 'web01.x'), '<short_host>')
})

test('subdirectories: "/" in the filename format and in the datetime format', () => {
  const n = namer({filenameFormat: '<TOPIC>/<DATETIME>/<HOST><REV>.log', datetimeFormat: '%Y/%m/%d'})
  assert.equal(n.withRev(n.base('events', AT), 1), 'events/2024/05/01/web01-000001.log')
})

test('base: the datetime rolls over at the hour; topics do not mix; local time by default', () => {
  const n = namer()
  const a = n.base('a', new Date('2024-05-01T13:59:59.999Z'))
  assert.equal(a, 'a.web01<REV>.2024-05-01_13.log')
  assert.equal(n.base('b', new Date('2024-05-01T13:59:59.999Z')), 'b.web01<REV>.2024-05-01_13.log')
  assert.equal(n.base('a', new Date('2024-05-01T13:00:00.100Z')), a)
  assert.equal(n.base('a', new Date('2024-05-01T14:00:00.000Z')), 'a.web01<REV>.2024-05-01_14.log')
  assert.equal(n.base('b', new Date('2024-05-01T14:00:00.000Z')), 'b.web01<REV>.2024-05-01_14.log')
  assert.equal(n.base('a', new Date('2024-05-01T13:00:00.000Z')), 'a.web01<REV>.2024-05-01_13.log', 'back in time too')
  assert.equal(namer({filenameFormat: '<TOPIC><REV>.log'}).base('a', AT), 'a<REV>.log', 'no <DATETIME>')
  assert.equal(namer({datetimeFormat: ''}).base('a', AT), 'a.web01<REV>..log', 'an empty datetime')
  // utc: false is the process's local time
  const local = namer({utc: false, datetimeFormat: '%Y-%m-%d_%H:%M %z'})
  assert.equal(local.base('a', AT), `a.web01<REV>.${formatDatetime('%Y-%m-%d_%H:%M %z', AT, false)}.log`)
})

test('parse: round trips (default, gzip, subdirectories, odd characters, no <REV>)', () => {
  const formats: [Partial<NamerOptions>, string[]][] = [
    [{}, ['events', 'a.b.c', 'x-1_y', 'e#ephemeral', 'T'.repeat(64)]],
    [{gzip: true}, ['events', 'a.gz', 'web01']],
    [{filenameFormat: '<TOPIC>/<DATETIME>/<HOST><REV>.log', datetimeFormat: '%Y/%m/%d'}, ['events', 'a.b']],
    [{filenameFormat: '[<TOPIC>]+(<REV>)^$.*|?{<PID>}\\.log', datetimeFormat: 'x(%y)+.', host: 'h.o+st'}, ['t.1']],
    [{filenameFormat: '<DATETIME>-<TOPIC>-<HOST>-<PID><REV>', datetimeFormat: '%A %B %d %I %p %z %Z %% %e'}, ['events']],
    [{filenameFormat: '<TOPIC>.<PID>.<DATETIME>.log', revRequired: false}, ['events']],
    [{filenameFormat: '<TOPIC>/<TOPIC><REV>-<DATETIME>-<DATETIME>', datetimeFormat: '%H'}, ['events']],
  ]
  for (const [o, topics] of formats) {
    const n = namer(o)
    for (const topic of topics) {
      for (const rev of [0, 1, 999999, 1000000, 31415926]) {
        const base = n.base(topic, AT)
        const name = n.withRev(base, rev)
        const seen: string[] = []
        const p = n.parse(name, (t) => (seen.push(t), t === topic))
        const what = `${JSON.stringify(o)} ${name}`
        assert.ok(p, what)
        assert.equal(p.topic, topic, what)
        assert.equal(p.rev, base.includes('<REV>') ? rev : 0, what)
        assert.deepEqual(seen, [topic], `${what}: topicOk asked about the topic`)
        for (const m of [0, 5, 1234567]) assert.equal(p.withRev(m), n.withRev(base, m), what)
      }
    }
  }
})

test('parse: a name written by another run (another pid) is ours; its pid is kept', () => {
  const f = '<TOPIC>.<HOST>.<PID><REV>.<DATETIME>.log'
  const theirs = namer({filenameFormat: f, pid: 111})
  const name = theirs.withRev(theirs.base('events', AT), 2)
  assert.equal(name, 'events.web01.111-000002.2024-05-01_13.log')
  const p = namer({filenameFormat: f, pid: 222}).parse(name, any)
  assert.ok(p)
  assert.equal(p.rev, 2)
  assert.equal(p.withRev(3), 'events.web01.111-000003.2024-05-01_13.log')
})

test('parse: foreign names are rejected', () => {
  const n = namer({gzip: true})
  const ok = 'events.web01-000000.2024-05-01_13.log.gz'
  assert.ok(n.parse(ok, any))
  const rejected = [
    'events.web02-000000.2024-05-01_13.log.gz', // another host
    'events.web01-000000.2024-05-01_13.log', // no .gz
    'events.web01-000000.2024-05-01_13.log.gz.tmp', // another suffix
    'events.web01-000000.2024-05-01_13.txt.gz',
    'events.web01.2024-05-01_13.log.gz', // no rev
    'events.web01-00000.2024-05-01_13.log.gz', // 5 digits
    'events.web01-0000001.2024-05-01_13.log.gz', // -%06d never prints a leading zero past 6 digits
    'events.web01-00000a.2024-05-01_13.log.gz',
    'events.web01-000000.2024-5-01_13.log.gz', // not what %Y-%m-%d_%H prints
    'events.web01-000000.2024-05-01.log.gz',
    'sub/events.web01-000000.2024-05-01_13.log.gz', // another directory
    'bad!topic.web01-000000.2024-05-01_13.log.gz', // not a topic name
    `${'t'.repeat(65)}.web01-000000.2024-05-01_13.log.gz`, // 65 characters
    '.web01-000000.2024-05-01_13.log.gz', // empty topic
    '',
  ]
  for (const name of rejected) assert.equal(n.parse(name, any), null, name)
  assert.equal(n.parse(ok, (t) => t !== 'events'), null, 'a topic topicOk refuses')
  assert.equal(namer().parse(ok, any), null, 'a .gz name is not what a plain namer writes')
  assert.equal(namer({host: 'web.1'}).parse('events.webX1-000000.2024-05-01_13.log', any), null, 'the host is literal')
  assert.ok(namer({host: 'web.1'}).parse('events.web.1-000000.2024-05-01_13.log', any))
})

test('parse: a token that occurs twice must match the same text', () => {
  const topics = namer({filenameFormat: '<TOPIC>/<TOPIC><REV>.log'})
  assert.ok(topics.parse('a/a-000000.log', any))
  assert.equal(topics.parse('a/b-000000.log', any), null)
  const pids = namer({filenameFormat: '<TOPIC>.<PID>.<PID><REV>'})
  assert.ok(pids.parse('t.7.7-000000', any))
  assert.equal(pids.parse('t.7.8-000000', any), null)
  const revs = namer({filenameFormat: '<TOPIC><REV>/<REV>'})
  assert.equal(revs.parse('t-000001/-000001', any)?.rev, 1)
  assert.equal(revs.parse('t-000001/-000002', any), null)
  const dts = namer({filenameFormat: '<TOPIC><REV>.<DATETIME>.<DATETIME>', datetimeFormat: '%H'})
  assert.ok(dts.parse('t-000000.13.13', any))
  assert.equal(dts.parse('t-000000.13.14', any), null)
})

test('parse: a format without <TOPIC> asks topicOk about ""', () => {
  const n = namer({filenameFormat: 'all<REV>.<DATETIME>.log'})
  const seen: string[] = []
  const p = n.parse('all-000004.2024-05-01_13.log', (t) => (seen.push(t), true))
  assert.deepEqual([p?.topic, p?.rev, seen], ['', 4, ['']])
  assert.equal(n.parse('all-000004.2024-05-01_13.log', () => false), null)
})

test('parse fuzz: random topics, revs and instants round trip', () => {
  const next = mulberry32u(0xf11e)
  const chars = 'abcXYZ019._-'
  const n = namer({gzip: true, filenameFormat: '<TOPIC>/<HOST>.<PID><REV>.<DATETIME>.log', datetimeFormat: '%Y%m%d-%H%M%S %p'})
  for (let i = 0; i < 2000; i++) {
    let topic = ''
    const len = 1 + (next() % 20)
    for (let j = 0; j < len; j++) topic += chars[next() % chars.length]
    if (next() % 5 === 0) topic += '#ephemeral'
    const rev = next() % 3 === 0 ? next() % 2_000_000 : next() % 10
    const date = new Date((next() % 4102444800) * 1000)
    const base = n.base(topic, date)
    const p = n.parse(n.withRev(base, rev), (t) => t === topic)
    assert.ok(p, `${topic} ${rev} ${date.toISOString()}`)
    assert.deepEqual([p.topic, p.rev, p.withRev(rev + 1)], [topic, rev, n.withRev(base, rev + 1)])
  }
})
