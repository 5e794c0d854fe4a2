/**
 * nsqlookupd's registration DB (registration_db.go, NSQ-SPEC §3.2–3.3) on its own: what is
 * registered, what a lookup with `*` finds, what stays after the last producer leaves, and
 * which producers FilterByActive keeps (inactivity strictly over the timeout; tombstones for
 * strictly less than their lifetime, never with a lifetime of 0).
 */
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'

import {Producer, RegistrationDB, filterByActive, keysOf, subKeysOf, type PeerInfo, type Registration} from '../../../src/core/lookupd/registration-db.js'

const NOW = 1_700_000_000_000_000_000n
const MS = 1_000_000n

const peer = (id: string, lastUpdate = NOW): PeerInfo => ({
  id,
  remoteAddress: id,
  hostname: `host-${id}`,
  broadcastAddress: `bc-${id}`,
  tcpPort: 4150,
  httpPort: 4151,
  version: '1.3.0',
  lastUpdate,
})

const topic = (t: string): Registration => ({category: 'topic', key: t, subKey: ''})
const channel = (t: string, c: string): Registration => ({category: 'channel', key: t, subKey: c})
const CLIENT: Registration = {category: 'client', key: '', subKey: ''}

const ids = (pp: readonly Producer[]): string[] => pp.map((p) => p.peer.id)
const regs = (rr: readonly Registration[]): string[] => rr.map((r) => `${r.category}:${r.key}:${r.subKey}`).sort()

describe('RegistrationDB: adding and removing producers', () => {
  test('addProducer creates the registration and adds the peer; the same peer again is refused and keeps its first Producer', () => {
    const db = new RegistrationDB()
    const a = peer('a')
    const first = new Producer(a)
    assert.equal(db.addProducer(topic('t'), first), true)
    assert.deepEqual(regs(db.findRegistrations('topic', 't', '')), ['topic:t:'])
    first.tombstone(NOW)
    const again = new Producer(a)
    assert.equal(db.addProducer(topic('t'), again), false, 'a re-add of the same peer id is not new')
    const [p] = db.findProducers('topic', 't', '')
    assert.equal(p, first, 'the old Producer stays')
    assert.equal(p?.tombstoned, true, 'and with it its tombstone')
    assert.equal(p?.isTombstoned(45_000, NOW), true)
    assert.equal(db.findProducers('topic', 't', '').length, 1)
  })

  test('the same peer is its own Producer in each registration (a tombstone is per registration)', () => {
    const db = new RegistrationDB()
    const a = peer('a')
    db.addProducer(topic('t1'), new Producer(a))
    db.addProducer(topic('t2'), new Producer(a))
    db.findProducers('topic', 't1', '')[0]?.tombstone(NOW)
    assert.equal(db.findProducers('topic', 't1', '')[0]?.tombstoned, true)
    assert.equal(db.findProducers('topic', 't2', '')[0]?.tombstoned, false)
  })

  test('two peers in one registration, in the order they were added', () => {
    const db = new RegistrationDB()
    assert.equal(db.addProducer(topic('t'), new Producer(peer('a'))), true)
    assert.equal(db.addProducer(topic('t'), new Producer(peer('b'))), true)
    assert.deepEqual(ids(db.findProducers('topic', 't', '')), ['a', 'b'])
  })

  test('removeProducer says whether the peer was there and how many are left; the registration stays when empty', () => {
    const db = new RegistrationDB()
    db.addProducer(channel('t', 'c'), new Producer(peer('a')))
    db.addProducer(channel('t', 'c'), new Producer(peer('b')))
    assert.deepEqual(db.removeProducer(channel('t', 'c'), 'a'), {removed: true, left: 1})
    assert.deepEqual(db.removeProducer(channel('t', 'c'), 'a'), {removed: false, left: 1}, 'already gone')
    assert.deepEqual(db.removeProducer(channel('t', 'c'), 'b'), {removed: true, left: 0})
    assert.deepEqual(regs(db.findRegistrations('channel', 't', 'c')), ['channel:t:c'], 'an empty registration is still there')
    assert.deepEqual(db.findProducers('channel', 't', 'c'), [])
    assert.deepEqual(subKeysOf(db.findRegistrations('channel', 't', '*')), ['c'])
  })

  test('removeProducer of a registration that does not exist: not removed, 0 left, and nothing is created', () => {
    const db = new RegistrationDB()
    assert.deepEqual(db.removeProducer(topic('nope'), 'a'), {removed: false, left: 0})
    assert.deepEqual(db.findRegistrations('topic', '*', ''), [])
  })

  test('addRegistration creates an empty registration and does not clear an existing one', () => {
    const db = new RegistrationDB()
    db.addRegistration(topic('empty'))
    assert.deepEqual(regs(db.findRegistrations('topic', 'empty', '')), ['topic:empty:'])
    assert.deepEqual(db.findProducers('topic', 'empty', ''), [])
    db.addProducer(topic('full'), new Producer(peer('a')))
    db.addRegistration(topic('full'))
    assert.deepEqual(ids(db.findProducers('topic', 'full', '')), ['a'], 'its producers are kept')
  })

  test('removeRegistration forgets the registration and its producers', () => {
    const db = new RegistrationDB()
    db.addProducer(topic('t'), new Producer(peer('a')))
    db.addProducer(topic('u'), new Producer(peer('a')))
    db.removeRegistration(topic('t'))
    assert.deepEqual(db.findRegistrations('topic', 't', ''), [])
    assert.deepEqual(db.findProducers('topic', 't', ''), [])
    assert.deepEqual(regs(db.lookupRegistrations('a')), ['topic:u:'])
    // removing what is not there is harmless
    db.removeRegistration(topic('t'))
    assert.deepEqual(keysOf(db.findRegistrations('topic', '*', '')), ['u'])
  })

  test('a registration removed and added again starts empty (an old tombstone does not come back)', () => {
    const db = new RegistrationDB()
    const a = peer('a')
    db.addProducer(topic('t'), new Producer(a))
    db.findProducers('topic', 't', '')[0]?.tombstone(NOW)
    db.removeRegistration(topic('t'))
    assert.equal(db.addProducer(topic('t'), new Producer(a)), true)
    assert.equal(db.findProducers('topic', 't', '')[0]?.tombstoned, false)
  })
})

describe('RegistrationDB: finding registrations and producers', () => {
  const build = (): RegistrationDB => {
    const db = new RegistrationDB()
    const a = peer('a')
    const b = peer('b')
    db.addProducer(CLIENT, new Producer(a))
    db.addProducer(CLIENT, new Producer(b))
    db.addProducer(topic('t1'), new Producer(a))
    db.addProducer(channel('t1', 'c1'), new Producer(a))
    db.addProducer(channel('t1', 'c2'), new Producer(a))
    db.addProducer(channel('t1', 'c2'), new Producer(b))
    db.addProducer(topic('t2'), new Producer(b))
    db.addProducer(channel('t2', 'c1'), new Producer(b))
    db.addRegistration(topic('t3'))
    return db
  }

  test('an exact key and subkey finds that registration only, or nothing', () => {
    const db = build()
    assert.deepEqual(regs(db.findRegistrations('channel', 't1', 'c1')), ['channel:t1:c1'])
    assert.deepEqual(db.findRegistrations('channel', 't1', 'c3'), [])
    assert.deepEqual(db.findRegistrations('topic', 't1', 'c1'), [], 'the category must match')
    assert.deepEqual(db.findRegistrations('channel', 't1', ''), [], 'a channel registration has a subkey')
  })

  test('* as the key matches any key, * as the subkey any subkey, within the category', () => {
    const db = build()
    assert.deepEqual(keysOf(db.findRegistrations('topic', '*', '')).sort(), ['t1', 't2', 't3'])
    assert.deepEqual(subKeysOf(db.findRegistrations('channel', 't1', '*')).sort(), ['c1', 'c2'])
    assert.deepEqual(regs(db.findRegistrations('channel', '*', 'c1')), ['channel:t1:c1', 'channel:t2:c1'])
    assert.deepEqual(regs(db.findRegistrations('channel', '*', '*')), ['channel:t1:c1', 'channel:t1:c2', 'channel:t2:c1'])
    assert.deepEqual(db.findRegistrations('channel', 'nope', '*'), [])
    assert.deepEqual(regs(db.findRegistrations('client', '', '')), ['client::'])
  })

  test('findProducers with * lists each peer once, whatever number of registrations it is in', () => {
    const db = build()
    assert.deepEqual(ids(db.findProducers('channel', '*', '*')).sort(), ['a', 'b'])
    assert.deepEqual(ids(db.findProducers('channel', 't1', '*')).sort(), ['a', 'b'])
    assert.deepEqual(ids(db.findProducers('channel', '*', 'c1')).sort(), ['a', 'b'])
    assert.deepEqual(ids(db.findProducers('topic', '*', '')).sort(), ['a', 'b'])
    assert.deepEqual(ids(db.findProducers('topic', 't3', '')), [], 'an empty registration has no producers')
    assert.deepEqual(ids(db.findProducers('topic', 'nope', '')), [])
  })

  test('findProducers with * gives a peer\'s first entry (its Producer of the first registration it matched)', () => {
    const db = new RegistrationDB()
    const a = peer('a')
    const inC1 = new Producer(a)
    db.addProducer(channel('t', 'c1'), inC1)
    db.addProducer(channel('t', 'c2'), new Producer(a))
    const found = db.findProducers('channel', 't', '*')
    assert.equal(found.length, 1)
    assert.equal(found[0], inC1)
  })

  test('findProducers with an exact key lists that registration\'s producers (the peers, even if in others too)', () => {
    const db = build()
    assert.deepEqual(ids(db.findProducers('channel', 't1', 'c2')), ['a', 'b'])
    assert.deepEqual(ids(db.findProducers('client', '', '')), ['a', 'b'])
  })

  test('lookupRegistrations lists every registration a peer is in, of every category, and none of the others\'', () => {
    const db = build()
    assert.deepEqual(regs(db.lookupRegistrations('a')), ['channel:t1:c1', 'channel:t1:c2', 'client::', 'topic:t1:'])
    assert.deepEqual(regs(db.lookupRegistrations('b')), ['channel:t1:c2', 'channel:t2:c1', 'client::', 'topic:t2:'])
    assert.deepEqual(db.lookupRegistrations('nobody'), [])
    db.removeProducer(channel('t1', 'c2'), 'a')
    assert.deepEqual(regs(db.lookupRegistrations('a')), ['channel:t1:c1', 'client::', 'topic:t1:'])
  })

  test('keysOf and subKeysOf map registrations in order, duplicates kept', () => {
    const rr: Registration[] = [channel('t1', 'c1'), channel('t2', 'c1'), topic('t1')]
    assert.deepEqual(keysOf(rr), ['t1', 't2', 't1'])
    assert.deepEqual(subKeysOf(rr), ['c1', 'c1', ''])
    assert.deepEqual(keysOf([]), [])
  })

  test('entries() lists every registration, the empty ones too, with their producers', () => {
    const db = build()
    const all = [...db.entries()].map((e) => `${e.reg.category}:${e.reg.key}:${e.reg.subKey}=${[...e.producers.keys()].join(',')}`).sort()
    assert.deepEqual(all, ['channel:t1:c1=a', 'channel:t1:c2=a,b', 'channel:t2:c1=b', 'client::=a,b', 'topic:t1:=a', 'topic:t2:=b', 'topic:t3:='])
  })
})

describe('Producer tombstones and filterByActive', () => {
  test('a new Producer is not tombstoned; tombstone() records the time; isTombstoned holds for strictly less than the lifetime', () => {
    const p = new Producer(peer('a'))
    assert.equal(p.tombstoned, false)
    assert.equal(p.tombstonedAt, 0n)
    assert.equal(p.isTombstoned(45_000, NOW), false)
    p.tombstone(NOW)
    assert.equal(p.tombstoned, true)
    assert.equal(p.tombstonedAt, NOW)
    assert.equal(p.isTombstoned(45_000, NOW), true)
    assert.equal(p.isTombstoned(45_000, NOW + 45_000n * MS - 1n), true)
    assert.equal(p.isTombstoned(45_000, NOW + 45_000n * MS), false, 'at exactly the lifetime it has expired')
    assert.equal(p.isTombstoned(0, NOW), false, 'a lifetime of 0: never tombstoned')
    assert.equal(p.tombstoned, true, 'the flag itself stays after expiry')
  })

  test('inactivity: kept at exactly the timeout, left out 1 ns past it', () => {
    const timeout = 300_000
    const atLimit = new Producer(peer('at-limit', NOW - 300_000n * MS))
    const past = new Producer(peer('past', NOW - 300_000n * MS - 1n))
    const fresh = new Producer(peer('fresh', NOW))
    assert.deepEqual(ids(filterByActive([atLimit, past, fresh], timeout, 45_000, NOW)), ['at-limit', 'fresh'])
  })

  test('a lastUpdate in the future (clock step back) counts as active', () => {
    const p = new Producer(peer('a', NOW + 10_000n * MS))
    assert.deepEqual(ids(filterByActive([p], 1, 45_000, NOW)), ['a'])
  })

  test('inactivity timeout 0: only a producer heard from at this very ns is active', () => {
    const now = new Producer(peer('now', NOW))
    const old = new Producer(peer('old', NOW - 1n))
    assert.deepEqual(ids(filterByActive([now, old], 0, 45_000, NOW)), ['now'])
  })

  test('tombstones: left out within the lifetime, back at it; a lifetime of 0 does not filter', () => {
    const t = new Producer(peer('tomb'))
    const ok = new Producer(peer('ok'))
    t.tombstone(NOW)
    const pp = [t, ok]
    assert.deepEqual(ids(filterByActive(pp, 300_000, 45_000, NOW)), ['ok'])
    assert.deepEqual(ids(filterByActive(pp, 300_000, 45_000, NOW + 44_999n * MS)), ['ok'])
    assert.deepEqual(ids(filterByActive(pp, 300_000, 45_000, NOW + 45_000n * MS)), ['tomb', 'ok'])
    assert.deepEqual(ids(filterByActive(pp, 300_000, 0, NOW)), ['tomb', 'ok'], '/nodes passes 0: tombstoned nodes are kept')
  })

  test('either reason leaves a producer out; the input list is not changed', () => {
    const inactiveAndTomb = new Producer(peer('both', NOW - 1000n * MS))
    inactiveAndTomb.tombstone(NOW)
    const inactive = new Producer(peer('inactive', NOW - 1000n * MS))
    const pp = [inactiveAndTomb, inactive]
    assert.deepEqual(filterByActive(pp, 500, 45_000, NOW), [])
    assert.deepEqual(filterByActive(pp, 500, 0, NOW), [], 'inactivity filters even when tombstones do not')
    assert.equal(pp.length, 2)
    assert.deepEqual(filterByActive([], 500, 45_000, NOW), [])
  })

  test('a PING (a new lastUpdate on the shared PeerInfo) makes every Producer of the peer active again', () => {
    const db = new RegistrationDB()
    const a = peer('a', NOW - 10_000n * MS)
    db.addProducer(CLIENT, new Producer(a))
    db.addProducer(topic('t'), new Producer(a))
    assert.deepEqual(filterByActive(db.findProducers('topic', 't', ''), 5_000, 0, NOW), [])
    a.lastUpdate = NOW
    assert.deepEqual(ids(filterByActive(db.findProducers('topic', 't', ''), 5_000, 0, NOW)), ['a'])
    assert.deepEqual(ids(filterByActive(db.findProducers('client', '', ''), 5_000, 0, NOW)), ['a'])
  })
})
