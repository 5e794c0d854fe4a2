/**
 * nsq_to_file's topic discovery (NSQ-SPEC §1.2 "Topic selection", §3.3 GET /topics): a
 * TopicDiscoverer polling lookupds that answer from real `nsqkit serve` children (StatsLookupd)
 * or say what a test needs (FakeLookupd), and LookupdClient.topics under it:
 *
 *  - the first refresh runs at once (Go waits one --topic-refresh), later refreshes find topics
 *    created since; the union of every lookupd's answer is reported in sorted order
 *  - --topic-pattern is matched unanchored (Go's MatchString), through goRegexp
 *  - a lookupd that fails (HTTP 500, a closed port) is logged and the others still count
 *    (Go drops the whole refresh); all of them failing still lets start() resolve
 *  - each topic is reported once, also when lookupd stops and starts naming it again
 *  - refreshes never overlap (a slow lookupd delays them), stop() ends the polling
 *  - /topics: the vnd.nsq Accept header, URL addresses (path replaced, query kept), the
 *    pre-1.0 envelope, the request timeout
 */
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {LookupdError} from '../../src/core/client/errors.js'
import {LookupdClient} from '../../src/core/client/lookupd.js'
import {TopicDiscoverer, type TopicDiscoveryOptions} from '../../src/core/tools/to-file/discovery.js'
import {goRegexp} from '../../src/core/util/go-regexp.js'
import type {Logger, LogLevel} from '../../src/core/util/logger.js'
import {Cleanup} from '../helpers/client-harness.js'
import {FakeLookupd, StatsLookupd} from '../helpers/fake-lookupd.js'
import {HOST, unusedPort} from '../helpers/net.js'
import {useServes, type ServeChild} from '../helpers/serve.js'
import {sleep, waitFor, withTimeout} from '../helpers/wait.js'

const T = {timeout: 20_000}
const ACCEPT = 'application/vnd.nsq; version=1.0'

interface LogLine {
  level: LogLevel
  msg: string
}

function collectingLogger(): Logger & {lines: LogLine[]} {
  const lines: LogLine[] = []
  const at = (level: LogLevel) => (msg: string): void => {
    lines.push({level, msg})
  }
  return {level: 'debug', lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error')}
}

interface Discovering {
  discoverer: TopicDiscoverer
  /** every onTopic call, in order */
  reported: string[]
  log: LogLine[]
  /** the reported topics that start with `prefix`, in order */
  reportedWith(prefix: string): string[]
  waitReported(topic: string, timeoutMs?: number): Promise<void>
}

/** A TopicDiscoverer (not started) on `addrs`, stopped in cleanup. */
function discoverer(cleanup: Cleanup, addrs: string[], opts: Partial<TopicDiscoveryOptions> = {}): Discovering {
  const reported: string[] = []
  const logger = collectingLogger()
  const d = new TopicDiscoverer(
    {lookupdHttpAddresses: addrs, pattern: null, refreshMs: 60_000, connectTimeoutMs: 2000, requestTimeoutMs: 5000, logger, ...opts},
    (t) => reported.push(t),
  )
  cleanup.add('discoverer', () => d.stop())
  return {
    discoverer: d,
    reported,
    log: logger.lines,
    reportedWith: (prefix) => reported.filter((t) => t.startsWith(prefix)),
    waitReported: (topic, timeoutMs = 3000) => waitFor(() => `${topic} reported (got ${JSON.stringify(reported)})`, () => reported.includes(topic), {timeoutMs}).then(() => undefined),
  }
}

async function nsqdPost(b: ServeChild, path: string, topic: string): Promise<void> {
  const res = await fetch(`http://${HOST}:${b.httpPort}${path}?topic=${encodeURIComponent(topic)}`, {method: 'POST', signal: AbortSignal.timeout(3000)})
  assert.equal(res.status, 200, `${path} ${topic}: ${await res.text()}`)
}

const createTopic = (b: ServeChild, topic: string): Promise<void> => nsqdPost(b, '/topic/create', topic)
const deleteTopic = (b: ServeChild, topic: string): Promise<void> => nsqdPost(b, '/topic/delete', topic)

const errors = (log: LogLine[]): string[] => log.filter((l) => l.level === 'error').map((l) => l.msg)

describe('TopicDiscoverer against lookupds of real brokers', () => {
  const [a, b] = useServes(2)

  test('the first refresh runs at once (refresh 60 s): the union of the brokers, sorted, with the vnd.nsq Accept header', T, async () => {
    const cleanup = new Cleanup()
    try {
      await createTopic(a, 'first_b')
      await createTopic(b, 'first_a')
      await createTopic(b, 'first_c')
      const lookupd = await StatsLookupd.start([a, b])
      cleanup.add('lookupd', () => lookupd.close())
      const d = discoverer(cleanup, [lookupd.addr], {refreshMs: 60_000})
      const t0 = Date.now()
      await withTimeout(d.discoverer.start(), 1000, 'start()')
      assert.ok(Date.now() - t0 < 1000, `first refresh took ${Date.now() - t0} ms`)
      assert.deepEqual(d.reportedWith('first_'), ['first_a', 'first_b', 'first_c'])
      const [asked] = lookupd.requests
      assert.equal(asked?.method, 'GET')
      assert.equal(asked?.path, '/topics')
      assert.equal(asked?.accept, ACCEPT)
      await sleep(300)
      assert.equal(lookupd.requests.length, 1, 'no second refresh before refreshMs')
      assert.deepEqual(errors(d.log), [])
    } finally {
      await cleanup.run()
    }
  })

  test('a topic created after start is reported on a later refresh (refresh 200 ms)', T, async () => {
    const cleanup = new Cleanup()
    try {
      const lookupd = await StatsLookupd.start([a, b])
      cleanup.add('lookupd', () => lookupd.close())
      const d = discoverer(cleanup, [lookupd.addr], {refreshMs: 200})
      await d.discoverer.start()
      assert.deepEqual(d.reportedWith('later_'), [])
      await createTopic(b, 'later_one')
      await d.waitReported('later_one')
      await createTopic(a, 'later_two')
      await d.waitReported('later_two')
      assert.deepEqual(d.reportedWith('later_'), ['later_one', 'later_two'])
      assert.ok(lookupd.asked('/topics').length >= 3)
    } finally {
      await cleanup.run()
    }
  })

  test('the pattern is matched unanchored (Go MatchString), (?i) through goRegexp; the others are skipped at debug level', T, async () => {
    const cleanup = new Cleanup()
    try {
      for (const t of ['pat_x_keep', 'pat_x_drop', 'zz_pat_y_keep_zz', 'PAT_Z_KEEP', 'keep_pat']) await createTopic(a, t)
      const lookupd = await StatsLookupd.start([a, b])
      cleanup.add('lookupd', () => lookupd.close())
      const d = discoverer(cleanup, [lookupd.addr], {pattern: goRegexp('(?i)pat_._keep')})
      await d.discoverer.start()
      assert.deepEqual(
        d.reported.filter((t) => /pat/i.test(t)),
        ['PAT_Z_KEEP', 'pat_x_keep', 'zz_pat_y_keep_zz'],
      )
      const skipped = d.log.filter((l) => l.level === 'debug' && l.msg.startsWith('skipping topic')).map((l) => l.msg)
      assert.ok(skipped.some((m) => m.includes('pat_x_drop')), JSON.stringify(skipped))
      assert.ok(skipped.some((m) => m.includes('keep_pat')), JSON.stringify(skipped))
    } finally {
      await cleanup.run()
    }
  })

  test('a lookupd answering HTTP 500 among two: the other one\'s topics still count, the error is logged with the address', T, async () => {
    const cleanup = new Cleanup()
    try {
      await createTopic(a, 'fail500_t')
      const broken = await FakeLookupd.start(() => ({status: 500, body: {message: 'INTERNAL_ERROR'}}))
      const good = await StatsLookupd.start([a, b])
      cleanup.add('lookupds', () => Promise.all([broken.close(), good.close()]))
      const d = discoverer(cleanup, [broken.addr, good.addr])
      await d.discoverer.start()
      assert.deepEqual(d.reportedWith('fail500_'), ['fail500_t'])
      assert.equal(broken.asked('/topics').length, 1)
      const errs = errors(d.log)
      assert.equal(errs.length, 1, JSON.stringify(errs))
      assert.match(errs[0] as string, new RegExp(`${broken.addr}.*HTTP 500.*INTERNAL_ERROR`))
    } finally {
      await cleanup.run()
    }
  })

  test('a lookupd on a closed port among two: the other one\'s topics still count, the error is logged with the address', T, async () => {
    const cleanup = new Cleanup()
    try {
      await createTopic(b, 'failport_t')
      const closed = `${HOST}:${await unusedPort()}`
      const good = await StatsLookupd.start([a, b])
      cleanup.add('lookupd', () => good.close())
      const d = discoverer(cleanup, [good.addr, closed])
      await d.discoverer.start()
      assert.deepEqual(d.reportedWith('failport_'), ['failport_t'])
      const errs = errors(d.log)
      assert.equal(errs.length, 1, JSON.stringify(errs))
      assert.match(errs[0] as string, new RegExp(`could not retrieve topic list: lookupd ${closed}: request failed`))
    } finally {
      await cleanup.run()
    }
  })

  test('every lookupd failing: start() still resolves, each failure is logged, polling goes on and finds the topics once one answers', T, async () => {
    const cleanup = new Cleanup()
    try {
      await createTopic(a, 'allfail_t')
      const fake = await FakeLookupd.start(() => ({status: 503, body: {message: 'DOWN'}}))
      cleanup.add('lookupd', () => fake.close())
      const closed = `${HOST}:${await unusedPort()}`
      const d = discoverer(cleanup, [fake.addr, closed], {refreshMs: 100})
      await withTimeout(d.discoverer.start(), 3000, 'start() with every lookupd failing')
      assert.equal(errors(d.log).length, 2, JSON.stringify(errors(d.log)))
      assert.deepEqual(d.reported, [])
      await waitFor('more refreshes', () => fake.asked('/topics').length >= 3)
      fake.answer = () => ({status: 200, body: {topics: ['allfail_t']}})
      await d.waitReported('allfail_t')
    } finally {
      await cleanup.run()
    }
  })

  test('no topic is reported twice: two lookupds naming the same topics, many refreshes, concurrent refresh() calls, a topic deleted and created again', T, async () => {
    const cleanup = new Cleanup()
    try {
      await createTopic(a, 'dup_t')
      await createTopic(b, 'dup_t')
      await createTopic(b, 'dup_u')
      const l1 = await StatsLookupd.start([a, b])
      const l2 = await StatsLookupd.start([b, a])
      cleanup.add('lookupds', () => Promise.all([l1.close(), l2.close()]))
      const d = discoverer(cleanup, [l1.addr, l2.addr], {refreshMs: 50})
      await d.discoverer.start()
      await Promise.all([d.discoverer.refresh(), d.discoverer.refresh(), d.discoverer.refresh()])
      await waitFor('several refreshes', () => l1.asked('/topics').length >= 6)
      assert.deepEqual(d.reportedWith('dup_'), ['dup_t', 'dup_u'])

      await deleteTopic(b, 'dup_u')
      const n = l1.asked('/topics').length
      await waitFor('refreshes without dup_u', () => l1.asked('/topics').length >= n + 3)
      await createTopic(a, 'dup_u')
      const m = l1.asked('/topics').length
      await waitFor('refreshes with dup_u again', () => l1.asked('/topics').length >= m + 3)
      assert.deepEqual(d.reportedWith('dup_'), ['dup_t', 'dup_u'])
      assert.equal(new Set(d.reported).size, d.reported.length, JSON.stringify(d.reported))
    } finally {
      await cleanup.run()
    }
  })
})

describe('TopicDiscoverer polling', () => {
  test('refreshes never overlap: a lookupd answering in 400 ms with refresh 50 ms is asked one at a time', T, async () => {
    const cleanup = new Cleanup()
    try {
      let inFlight = 0
      let most = 0
      const slow = await FakeLookupd.start(async () => {
        most = Math.max(most, ++inFlight)
        await sleep(400)
        inFlight--
        return {status: 200, body: {topics: ['slow_t']}}
      })
      cleanup.add('lookupd', () => slow.close())
      const d = discoverer(cleanup, [slow.addr], {refreshMs: 50})
      await d.discoverer.start()
      void d.discoverer.refresh()
      void d.discoverer.refresh()
      await sleep(1500)
      const asked = slow.asked('/topics').length
      assert.equal(most, 1, 'two /topics requests were in flight at once')
      assert.ok(asked >= 2 && asked <= 5, `${asked} requests in ~1.9 s, at 400 ms each`)
      assert.deepEqual(d.reported, ['slow_t'])
    } finally {
      await cleanup.run()
    }
  })

  test('stop() ends the polling: no request and no report after it, refresh() then does nothing', T, async () => {
    const cleanup = new Cleanup()
    try {
      let topics = ['stop_a']
      const fake = await FakeLookupd.start(() => ({status: 200, body: {topics}}))
      cleanup.add('lookupd', () => fake.close())
      const d = discoverer(cleanup, [fake.addr], {refreshMs: 50})
      await d.discoverer.start()
      await waitFor('a few refreshes', () => fake.asked('/topics').length >= 3)
      await withTimeout(d.discoverer.stop(), 2000, 'stop()')
      const n = fake.requests.length
      topics = ['stop_a', 'stop_b']
      await d.discoverer.refresh()
      await sleep(400)
      assert.equal(fake.requests.length, n, 'lookupd asked after stop()')
      assert.deepEqual(d.reported, ['stop_a'])
      assert.deepEqual(errors(d.log), [])
    } finally {
      await cleanup.run()
    }
  })

  test('stop() during a refresh: it waits for that refresh, which reports nothing', T, async () => {
    const cleanup = new Cleanup()
    try {
      const slow = await FakeLookupd.start(async () => {
        await sleep(300)
        return {status: 200, body: {topics: ['late_t']}}
      })
      cleanup.add('lookupd', () => slow.close())
      const d = discoverer(cleanup, [slow.addr])
      const refreshed = d.discoverer.refresh()
      await waitFor('the /topics request', () => slow.requests.length === 1)
      await withTimeout(d.discoverer.stop(), 2000, 'stop()')
      await refreshed
      assert.deepEqual(d.reported, [])
      assert.deepEqual(errors(d.log), [])
    } finally {
      await cleanup.run()
    }
  })
})

describe('LookupdClient.topics', () => {
  test('GET /topics: URL addresses get the path /topics with their query kept; the pre-1.0 envelope is read', T, async () => {
    const cleanup = new Cleanup()
    try {
      const fake = await FakeLookupd.start((r) =>
        r.query.get('old') === '1'
          ? {status: 200, body: {status_code: 200, status_txt: 'OK', data: {topics: ['wrapped']}}}
          : {status: 200, body: {topics: ['b', 'a']}},
      )
      cleanup.add('lookupd', () => fake.close())
      const client = new LookupdClient({connectTimeoutMs: 1000, requestTimeoutMs: 1000})
      cleanup.add('client', () => client.close())
      assert.deepEqual(await client.topics(fake.addr), ['b', 'a'])
      assert.deepEqual(await client.topics(`http://${fake.addr}`), ['b', 'a'])
      assert.deepEqual(await client.topics(`http://${fake.addr}/nsq/lookup?dc=eu`), ['b', 'a'])
      assert.deepEqual(await client.topics(`http://${fake.addr}/?old=1`), ['wrapped'])
      const asked = fake.requests.map((r) => `${r.path}${r.query.size ? `?${r.query.toString()}` : ''}`)
      assert.deepEqual(asked, ['/topics', '/topics', '/topics?dc=eu', '/topics?old=1'])
      assert.ok(fake.requests.every((r) => r.accept === ACCEPT))
    } finally {
      await cleanup.run()
    }
  })

  test('errors are LookupdErrors naming the lookupd: a bad shape, not JSON, HTTP 404, the request timeout', T, async () => {
    const cleanup = new Cleanup()
    try {
      let release: () => void = () => {}
      const held = new Promise<void>((resolve) => (release = resolve))
      const fake = await FakeLookupd.start(async (r) => {
        if (r.query.has('shape')) return {status: 200, body: {topics: 'nope'}}
        if (r.query.has('text')) return {status: 200, body: 'not json'}
        if (r.query.has('hang')) {
          await held
          return {status: 200, body: {topics: []}}
        }
        return {status: 404, body: {message: 'NOT_FOUND'}}
      })
      cleanup.add('lookupd', () => fake.close())
      cleanup.add('held answer', () => release())
      const client = new LookupdClient({connectTimeoutMs: 1000, requestTimeoutMs: 300})
      cleanup.add('client', () => client.close())
      const failure = async (query: string): Promise<LookupdError> => {
        const err = await client.topics(`http://${fake.addr}/?${query}`).then(
          () => assert.fail(`?${query} answered`),
          (e: unknown) => e,
        )
        assert.ok(err instanceof LookupdError, String(err))
        assert.ok(err.message.includes(fake.addr), err.message)
        return err
      }
      assert.match((await failure('shape')).message, /unexpected \/topics answer/)
      assert.match((await failure('text')).message, /not JSON/)
      const notFound = await failure('none')
      assert.equal(notFound.status, 404)
      const t0 = Date.now()
      assert.match((await failure('hang')).message, /request failed/)
      const took = Date.now() - t0
      assert.ok(took >= 250 && took < 2000, `the 300 ms request timeout fired after ${took} ms`)
    } finally {
      await cleanup.run()
    }
  })
})
