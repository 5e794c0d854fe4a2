/**
 * `nsqkit to-file` killed with SIGKILL at random moments (NSQ-SPEC §1.2, upstream #716: a crash
 * leaves a malformed .gz) and restarted with the same flags each time, until it has drained the
 * topic; then SIGTERM. What must hold at the end, whatever moments the kills hit:
 *
 *  - every file in the output dir passes `gzip -t` (and a strict member-by-member read);
 *  - no file is left in the work dir;
 *  - the lines of all files together hold every message published at least once (a message is
 *    FINed only once fsynced, so a kill may duplicate but never lose) and nothing else (no torn
 *    or foreign line);
 *  - the broker has nothing queued, deferred or in flight.
 *
 * Two setups: --gzip with a separate --work-dir and --rotate-size (recovery cuts the work-dir
 * files back to their last whole member and moves them), and --gzip alone (recovery repairs an
 * unfinished .gz in place). Three seeds each (test/helpers/prng.ts), up to six kills per seed
 * while messages remain: about half at a random point of the progress (what is left falling below
 * a random 30-90% of it, then a random few ms), the others at a random time within a second of
 * the start (during recovery, start-up or the first writes).
 * The broker runs with --msg-timeout=2s so what a killed run had in flight comes back quickly.
 */
import assert from 'node:assert/strict'
import {appendFileSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {after, describe, test} from 'node:test'
import {Producer} from '../../src/core/client/producer.js'
import type {ChannelJson} from '../helpers/client-harness.js'
import {NSQKIT, assertExit, assertNoStack, createChannel, exitWithin, killChildren, spawnCli} from '../helpers/cli.js'
import {topicNames} from '../helpers/names.js'
import {TempDirs, assertGzipOk, gzipMembers, lengthPrefixed, listFiles} from '../helpers/out-files.js'
import {mulberry32} from '../helpers/prng.js'
import {useServe} from '../helpers/serve.js'
import {sleep, waitFor} from '../helpers/wait.js'

const N = 100_000
const KILLS = 6
const SEEDS = [0x5eed1, 0xc0ffee, 0xbad5eed]
const CHANNEL = 'nsq_to_file'
const TO_FILE = [...NSQKIT, 'to-file']

const broker = useServe(['--msg-timeout=2s'])
const topicName = topicNames('tofile_crash')
const dirs = new TempDirs('nsqkit-tofile-crash')
let producer: Producer | null = null

after(async () => {
  killChildren()
  await producer?.stop(3000)
  dirs.cleanup()
})

async function channel(topic: string): Promise<ChannelJson> {
  const c = await broker.channel(topic, CHANNEL)
  assert.ok(c, `channel ${topic}/${CHANNEL}`)
  return c
}

/** What the broker still holds for the channel: queued, deferred, in flight. */
const remaining = (c: ChannelJson): number => c.depth + c.deferred_count + c.in_flight_count

interface Setup {
  name: string
  /** the flags after the topic, broker and naming ones */
  flags: (work: string, out: string) => string[]
  /** work dir in use */
  work: boolean
}

const SETUPS: Setup[] = [
  {name: '--gzip --work-dir --rotate-size=200000', flags: (w, o) => ['--gzip', '--work-dir', w, '--output-dir', o, '--rotate-size=200000'], work: true},
  {name: '--gzip, no work dir', flags: (_w, o) => ['--gzip', '--output-dir', o], work: false},
]

describe('to-file killed with SIGKILL at random moments, restarted each time', () => {
  for (const setup of SETUPS) {
    for (const seed of SEEDS) {
      test(`${setup.name}, seed ${seed.toString(16)}: after ${KILLS} kills and a drain, every file is valid gzip and every message is there`, {timeout: 40_000}, async (t) => {
        const rng = mulberry32(seed)
        const topic = topicName(`s${seed.toString(16)}_${setup.work ? 'work' : 'plain'}`)
        const work = dirs.make()
        const out = dirs.make()
        await createChannel(broker.httpPort, topic, CHANNEL)
        // distinct, and hard to compress (a random hex tail), so members are as big as the batches
        const hex = (): string => Math.floor(rng() * 2 ** 32).toString(16).padStart(8, '0')
        const bodies = Array.from({length: N}, (_, i) => `${seed.toString(16)}-${String(i).padStart(6, '0')}-${hex()}${hex()}${hex()}${hex()}${hex()}`)
        producer ??= new Producer(broker.tcpAddress)
        for (let i = 0; i < N; i += 5000) await producer.multiPublish(topic, bodies.slice(i, i + 5000))
        const argv = [...TO_FILE, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '--host-identifier=h1', '--datetime-format=fixed', ...setup.flags(work, out)]
        const log: string[] = []
        for (let k = 0; k < KILLS; k++) {
          const left = remaining(await channel(topic))
          if (left === 0) break
          const child = spawnCli(argv, {timeoutMs: 30_000})
          const t0 = Date.now()
          if (rng() < 0.5) {
            // at a random point of the progress: once what is left falls below a random share of it
            // (at least 30% of it stays, so the later kills still find messages to cut into)
            const below = Math.floor(left * (0.3 + 0.6 * rng()))
            await waitFor(
              () => `${topic}: below ${below} left (run ${k}); stderr:\n${child.stderr()}`,
              async () => child.proc.exitCode !== null || remaining(await channel(topic)) <= below,
              {timeoutMs: 20_000, everyMs: 5},
            )
            await sleep(Math.floor(rng() * 20))
          } else {
            // at a random time from the start: during recovery, start-up or the first writes
            const until = t0 + Math.floor(rng() * 1000)
            while (Date.now() < until && remaining(await channel(topic)) > 0) await sleep(10)
          }
          assert.equal(child.proc.exitCode, null, `to-file exited by itself before the kill; stderr:\n${child.stderr()}`)
          child.proc.kill('SIGKILL')
          const r = await exitWithin(child, 5000, 'to-file after SIGKILL')
          assert.equal(r.signal, 'SIGKILL')
          assertNoStack(r.stderr)
          log.push(`run ${k}: killed after ${Date.now() - t0} ms, ${remaining(await channel(topic))} left`)
        }
        // the last run drains what is left (what the killed ones had in flight comes back after 2 s)
        const child = spawnCli(argv, {timeoutMs: 30_000})
        await waitFor(
          () => `${topic} drained; ${log.join('; ')}; stderr:\n${child.stderr()}`,
          async () => {
            if (child.proc.exitCode !== null) assert.fail(`the last run exited with ${child.proc.exitCode}; stderr:\n${child.stderr()}`)
            // subscribed (so it is past recovery and handles SIGTERM), and nothing left
            const c = await channel(topic)
            return c.client_count > 0 && remaining(c) === 0
          },
          {timeoutMs: 25_000, everyMs: 50},
        )
        child.proc.kill('SIGTERM')
        const r = await exitWithin(child, 10_000, 'the last run after SIGTERM')
        assertExit(r, 0, 'the last run')
        assertNoStack(r.stderr)

        if (setup.work) assert.deepEqual(listFiles(work), [], 'nothing left in the work dir')
        const files = listFiles(out)
        assert.ok(files.length > 0, 'files in the output dir')
        const name = new RegExp(`^${topic}\\.h1-\\d{6}\\.fixed\\.log\\.gz$`)
        for (const f of files) assert.match(f, name, 'only the topic’s files')
        await assertGzipOk(files.map((f) => join(out, f)))

        const published = new Set(bodies)
        const seen = new Map<string, number>()
        for (const f of files) {
          let content: string
          try {
            content = Buffer.concat(gzipMembers(readFileSync(join(out, f)))).toString('utf8')
          } catch (err) {
            assert.fail(`${f}: ${(err as Error).message}`)
          }
          if (content === '') continue
          assert.ok(content.endsWith('\n'), `${f} ends with a whole record`)
          for (const line of content.slice(0, -1).split('\n')) {
            assert.ok(published.has(line), `${f}: a line that was never published: ${JSON.stringify(line.slice(0, 80))}`)
            seen.set(line, (seen.get(line) ?? 0) + 1)
          }
        }
        const lost = bodies.filter((b) => !seen.has(b))
        assert.equal(lost.length, 0, `${lost.length} messages lost (first: ${lost.slice(0, 5).join(', ')}); ${log.join('; ')}`)
        const c = await channel(topic)
        assert.equal(c.depth, 0)
        assert.equal(c.in_flight_count, 0)
        assert.equal(c.deferred_count, 0)
        assert.equal(c.client_count, 0)
        let dups = 0
        for (const n of seen.values()) dups += n - 1
        // for the report: how much the kills cost
        t.diagnostic(`${files.length} files, ${dups} duplicates; ${log.join('; ')}`)
      })
    }
  }
})

/**
 * The states a SIGKILL inside a write leaves, made on purpose (a kill only rarely lands inside one
 * write() of a member, so the random kills above seldom tear a file): the files a real run wrote,
 * with what a torn write leaves appended — half a gzip member, a record without its end. A
 * restart with the same flags must cut each back to what was whole (the bytes as they were) and
 * write on in a valid file; nothing torn ever shows up in the output.
 */
describe('to-file restarted over the files a torn write left', () => {
  const T = {timeout: 20_000}
  const base = (topic: string, more: string[]): string[] => [...TO_FILE, '--topic', topic, '--nsqd-tcp-address', broker.tcpAddress, '--host-identifier=h1', '--datetime-format=fixed', ...more]
  const tornMember = (): Buffer => {
    const m = gzipSync(Buffer.from('torn-1\ntorn-2\ntorn-3\n'))
    return m.subarray(0, Math.floor(m.length / 2))
  }

  /** Run until `n` messages in all are FINed on the channel, then end it with `signal`. */
  async function runUntil(argv: string[], topic: string, n: number, signal: NodeJS.Signals): Promise<void> {
    const child = spawnCli(argv, {timeoutMs: 15_000})
    await waitFor(
      () => `${n} FINed on ${topic}; stderr:\n${child.stderr()}`,
      async () => {
        if (child.proc.exitCode !== null) assert.fail(`exited with ${child.proc.exitCode}; stderr:\n${child.stderr()}`)
        const c = await channel(topic)
        return c.client_count > 0 && c.message_count === n && remaining(c) === 0
      },
      {timeoutMs: 10_000},
    )
    child.proc.kill(signal)
    const r = await exitWithin(child, 10_000, `to-file after ${signal}`)
    if (signal === 'SIGKILL') assert.equal(r.signal, 'SIGKILL')
    else assertExit(r, 0, `to-file after ${signal}`)
    assertNoStack(r.stderr)
  }

  const publish = async (topic: string, bodies: string[]): Promise<void> => {
    producer ??= new Producer(broker.tcpAddress)
    await producer.multiPublish(topic, bodies)
  }
  const lines = (tag: string, n: number): string[] => Array.from({length: n}, (_, i) => `${tag}-${i}`)

  test('--gzip, no work dir: half a member after the last whole one, and an empty .gz (killed between open and write): cut back in place / removed; the next file is valid', T, async () => {
    const topic = topicName('torn_gz')
    const out = dirs.make()
    const argv = base(topic, ['--gzip', '--output-dir', out])
    await createChannel(broker.httpPort, topic, CHANNEL)
    const first = lines('a', 50)
    await publish(topic, first)
    await runUntil(argv, topic, 50, 'SIGTERM')
    const f0 = join(out, `${topic}.h1-000000.fixed.log.gz`)
    const whole = readFileSync(f0)
    appendFileSync(f0, tornMember())
    writeFileSync(join(out, `${topic}.h1-000001.fixed.log.gz`), '')
    const second = lines('b', 5)
    await publish(topic, second)
    await runUntil(argv, topic, 55, 'SIGTERM')
    assert.deepEqual(readFileSync(f0), whole, 'cut back to exactly its whole members')
    const files = listFiles(out)
    await assertGzipOk(files.map((f) => join(out, f)))
    const all = files.flatMap((f) => Buffer.concat(gzipMembers(readFileSync(join(out, f)))).toString('utf8').split('\n').filter((l) => l !== ''))
    assert.deepEqual(all, [...first, ...second])
  })

  test('--gzip --work-dir: a killed run’s file in the work dir with half a member at its end: cut back, moved to the output dir, nothing left in the work dir', T, async () => {
    const topic = topicName('torn_work')
    const out = dirs.make()
    const work = dirs.make()
    const argv = base(topic, ['--gzip', '--work-dir', work, '--output-dir', out])
    await createChannel(broker.httpPort, topic, CHANNEL)
    const first = lines('a', 50)
    await publish(topic, first)
    await runUntil(argv, topic, 50, 'SIGKILL')
    const name = `${topic}.h1-000000.fixed.log.gz`
    assert.deepEqual(listFiles(work), [name], 'the killed run left its open file in the work dir')
    assert.deepEqual(listFiles(out), [])
    const whole = readFileSync(join(work, name))
    appendFileSync(join(work, name), tornMember())
    const second = lines('b', 5)
    await publish(topic, second)
    await runUntil(argv, topic, 55, 'SIGTERM')
    assert.deepEqual(listFiles(work), [])
    assert.deepEqual(readFileSync(join(out, name)), whole, 'moved, cut back to exactly its whole members')
    const files = listFiles(out)
    assert.equal(files.length, 2, files.join(' '))
    await assertGzipOk(files.map((f) => join(out, f)))
    const all = files.flatMap((f) => Buffer.concat(gzipMembers(readFileSync(join(out, f)))).toString('utf8').split('\n').filter((l) => l !== ''))
    assert.deepEqual(all, [...first, ...second])
  })

  test('plain (appended to): a record without its newline at the end is cut, so the next run does not continue it', T, async () => {
    const topic = topicName('torn_raw')
    const out = dirs.make()
    const argv = base(topic, ['--output-dir', out])
    await createChannel(broker.httpPort, topic, CHANNEL)
    await publish(topic, lines('a', 20))
    await runUntil(argv, topic, 20, 'SIGTERM')
    const f = join(out, `${topic}.h1.fixed.log`)
    appendFileSync(f, 'torn-partial-reco')
    await publish(topic, lines('b', 3))
    await runUntil(argv, topic, 23, 'SIGTERM')
    assert.equal(readFileSync(f, 'utf8'), [...lines('a', 20), ...lines('b', 3)].join('\n') + '\n')
  })

  test('--output-format length-prefixed: a record cut short at the end is cut off', T, async () => {
    const topic = topicName('torn_lp')
    const out = dirs.make()
    const argv = base(topic, ['--output-dir', out, '--output-format=length-prefixed'])
    await createChannel(broker.httpPort, topic, CHANNEL)
    await publish(topic, ['one', 'two\n'])
    await runUntil(argv, topic, 2, 'SIGTERM')
    const f = join(out, `${topic}.h1.fixed.log`)
    const torn = Buffer.alloc(14)
    torn.writeUInt32BE(100)
    appendFileSync(f, torn)
    await publish(topic, ['three'])
    await runUntil(argv, topic, 3, 'SIGTERM')
    assert.deepEqual(lengthPrefixed(readFileSync(f)).map(String), ['one', 'two\n', 'three'])
  })
})
