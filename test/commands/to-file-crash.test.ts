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
 * unfinished .gz in place). Three seeds each (test/helpers/prng.ts), several kills per seed: half
 * at a random point of the progress (the remaining count falling below a random threshold, then
 * a random few ms), the others at a random time after the start (during recovery or start-up).
 * The broker runs with --msg-timeout=2s so what a killed run had in flight comes back quickly.
 */
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {Producer} from '../../src/core/client/producer.js'
import type {ChannelJson} from '../helpers/client-harness.js'
import {NSQKIT, assertExit, assertNoStack, createChannel, exitWithin, killChildren, spawnCli} from '../helpers/cli.js'
import {topicNames} from '../helpers/names.js'
import {TempDirs, assertGzipOk, gzipMembers, listFiles} from '../helpers/out-files.js'
import {mulberry32} from '../helpers/prng.js'
import {useServe} from '../helpers/serve.js'
import {sleep, waitFor} from '../helpers/wait.js'

const N = 100_000
const KILLS = 4
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
        const bodies = Array.from({length: N}, (_, i) => `${seed.toString(16)}-${String(i).padStart(6, '0')}-payload`)
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
            const below = Math.floor(left * rng())
            await waitFor(
              () => `${topic}: below ${below} left (run ${k}); stderr:\n${child.stderr()}`,
              async () => child.proc.exitCode !== null || remaining(await channel(topic)) <= below,
              {timeoutMs: 20_000, everyMs: 5},
            )
            await sleep(Math.floor(rng() * 20))
          } else {
            // at a random time from the start: during recovery, start-up or the first writes
            await sleep(Math.floor(rng() * 700))
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
            return remaining(await channel(topic)) === 0
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
