/**
 * `nsqkit to-file` / `nsq_to_file` (NSQ-SPEC §1.2) as the user runs it: the built CLI in a child
 * process against a `nsqkit serve` child on port 0, messages published over TCP (Producer) or
 * HTTP /mpub. What is checked is what the user gets: the files (names, bytes, gzip members read
 * by hand and by the system's gzip), the exit code and stderr, and the broker's /stats (a message
 * is FINed only once written; nothing is left in flight at the end).
 *
 *  - 10,000 messages in one file of the exact name, each line once, in order; SIGTERM: exit 0,
 *    depth 0, nothing in flight
 *  - rotation: by size (revs -000000, -000001, …; no file much over the size), by interval, by
 *    <DATETIME> rolling over (%S); <DATETIME> in local time (TZ) and with --utc
 *  - --gzip: every file passes `gzip -t`, `zcat` gives the messages, one member per sync
 *  - <REV> bumped on a name clash (a file to-file did not write, even with its name, is left
 *    alone: fails today, the start-up recovery removes it); a --work-dir file reaches --output-dir only once closed
 *    (SIGHUP, exit), never over an existing file; after SIGHUP the next message opens rev+1
 *  - the last batch of an idle topic is written and FINed at once (not after --sync-interval)
 *  - --output-format json and length-prefixed (binary bodies), --status-every, the Go-named shim
 *  - misuse: exit 2 with one stderr line naming the flag
 *  - discovery through lookupd /topics: a new topic is picked up, one not matching
 *    --topic-pattern is not; topics already there are picked up at once
 */
import assert from 'node:assert/strict'
import {existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {gzipSync} from 'node:zlib'
import {after, describe, test} from 'node:test'
import {Producer} from '../../src/core/client/producer.js'
import type {ChannelJson} from '../helpers/client-harness.js'
import {NSQKIT, assertExit, assertNoStack, assertOneLine, createChannel, exitWithin, killChildren, mpub, mpubBinary, runCli, shim, spawnCli, stopTool, type CliChild, type CliResult} from '../helpers/cli.js'
import {StatsLookupd} from '../helpers/fake-lookupd.js'
import {topicNames} from '../helpers/names.js'
import {HOST, unusedPort} from '../helpers/net.js'
import {TempDirs, assertGzipOk, gunzipFile, gzipMembers, lengthPrefixed, listFiles, textLines, zcat} from '../helpers/out-files.js'
import {useServe, waitToolSubscribed} from '../helpers/serve.js'
import {sleep, waitFor} from '../helpers/wait.js'

const T = {timeout: 30_000}
const TO_FILE = [...NSQKIT, 'to-file']
const NSQ_TO_FILE = shim('nsq_to_file')
const CHANNEL = 'nsq_to_file'

const broker = useServe()
const topicName = topicNames('tofile')
const dirs = new TempDirs('nsqkit-tofile')
let producer: Producer | null = null

after(async () => {
  killChildren()
  await producer?.stop(3000)
  dirs.cleanup()
})

/** Publish over TCP in MPUB batches, in order. */
async function publish(topic: string, bodies: readonly (string | Buffer)[], batch = 2000): Promise<void> {
  producer ??= new Producer(broker.tcpAddress)
  for (let i = 0; i < bodies.length; i += batch) await producer.multiPublish(topic, bodies.slice(i, i + batch))
}

/** `n` distinct bodies: `<tag>-000001`, … */
const bodiesOf = (tag: string, n: number, from = 0): string[] => Array.from({length: n}, (_, i) => `${tag}-${String(from + i + 1).padStart(6, '0')}`)

/** The flags every run here shares: the topic, the broker, the output dir, a fixed <HOST> and <DATETIME>. */
const base = (topic: string, out: string, more: string[] = []): string[] => [
  '--topic',
  topic,
  '--nsqd-tcp-address',
  broker.tcpAddress,
  '--output-dir',
  out,
  '--host-identifier=h1',
  ...(more.some((f) => f.startsWith('--datetime-format')) ? [] : ['--datetime-format=fixed']),
  ...more,
]

/** Start `to-file <args>` and wait until it is subscribed to topic/channel. */
async function startToFile(args: string[], topic: string, channel = CHANNEL, argv = TO_FILE): Promise<CliChild> {
  const child = spawnCli([...argv, ...args])
  await waitToolSubscribed(broker, child, 'to-file', topic, channel)
  return child
}

/** Signal the child and expect exit 0 within 10 s with no stack on stderr. */
const stop = (child: CliChild, signal: NodeJS.Signals = 'SIGTERM'): Promise<CliResult> => stopTool(child, 'to-file', signal, 10_000)

/** The channel once `ok` holds (polled), else fails showing the last stats. */
const channelWhen = (topic: string, ok: (c: ChannelJson) => boolean, what: string, timeoutMs = 5000, channel = CHANNEL): Promise<ChannelJson> => broker.channelWhen(topic, channel, ok, what, timeoutMs)

/** Every published message FINed: nothing queued, nothing in flight, `n` delivered in all. */
const allFined = (topic: string, n: number, timeoutMs = 5000, channel = CHANNEL): Promise<ChannelJson> =>
  channelWhen(topic, (c) => c.message_count === n && c.depth === 0 && c.in_flight_count === 0 && c.deferred_count === 0, `all ${n} FINed`, timeoutMs, channel)

const readText = (path: string): string => (existsSync(path) ? readFileSync(path, 'utf8') : '')

/** Wait until the file at `path` holds `n` complete lines; returns them. */
async function waitFileLines(path: string, n: number, timeoutMs = 10_000): Promise<string[]> {
  await waitFor(() => `${n} lines in ${path} (has ${readText(path).split('\n').length - 1})`, () => readText(path).split('\n').length - 1 >= n, {timeoutMs, everyMs: 25})
  return textLines(readText(path), path)
}

describe('to-file: one topic, one file', () => {
  test('10,000 messages: one file named <TOPIC>.h1.fixed.log, every line once, in order; SIGTERM: exit 0, depth 0, nothing in flight', T, async () => {
    const topic = topicName('ten_k')
    const out = dirs.make()
    await createChannel(broker.httpPort, topic, CHANNEL)
    const bodies = bodiesOf(`${topic}-m`, 10_000)
    await publish(topic, bodies)
    const child = await startToFile(base(topic, out), topic)
    const name = `${topic}.h1.fixed.log`
    const got = await waitFileLines(join(out, name), 10_000, 15_000)
    assert.deepEqual(listFiles(out), [name])
    assert.equal(got.length, 10_000)
    assert.ok(got.every((l, i) => l === bodies[i]), `every line once, in order (first difference at ${got.findIndex((l, i) => l !== bodies[i])})`)
    // FINed as soon as written: nothing waits for the 30 s sync interval
    await allFined(topic, 10_000, 3000)
    await stop(child)
    const c = await channelWhen(topic, (x) => x.client_count === 0, 'to-file gone')
    assert.equal(c.depth, 0)
    assert.equal(c.in_flight_count, 0)
    assert.equal(c.requeue_count, 0, 'nothing requeued')
    assert.equal(c.timeout_count, 0, 'nothing timed out')
    assert.equal(readFileSync(join(out, name), 'utf8'), bodies.join('\n') + '\n', 'the file is unchanged by the exit')
  })

  test('plain, no rotation: a second run appends to the same file (O_APPEND, no <REV> needed)', T, async () => {
    const topic = topicName('append')
    const out = dirs.make()
    await createChannel(broker.httpPort, topic, CHANNEL)
    const name = `${topic}.h1.fixed.log`
    for (const round of [0, 1]) {
      const bodies = bodiesOf(`${topic}-r${round}`, 50)
      await publish(topic, bodies)
      const child = await startToFile(base(topic, out), topic)
      await allFined(topic, 50 * (round + 1))
      await stop(child)
    }
    assert.deepEqual(listFiles(out), [name])
    assert.deepEqual(textLines(readFileSync(join(out, name), 'utf8')), [...bodiesOf(`${topic}-r0`, 50), ...bodiesOf(`${topic}-r1`, 50)])
  })
})

/** `<TOPIC>.h1-<rev>.fixed.log` → rev, or null when the name is not one of the topic's. */
const revOf = (topic: string, name: string, ext = '.log'): number | null => {
  const m = new RegExp(`^${topic}\\.h1-(\\d{6})\\.fixed${ext.replace(/\./g, '\\.')}$`).exec(name)
  return m ? Number(m[1]) : null
}

describe('to-file: rotation', () => {
  test('--rotate-size: files -000000, -000001, … in order; none over the size by more than one record; together every message once, in order', T, async () => {
    const topic = topicName('rot_size')
    const out = dirs.make()
    const size = 4000
    await createChannel(broker.httpPort, topic, CHANNEL)
    const bodies = bodiesOf(`${topic}-m`, 1000)
    const record = Math.max(...bodies.map((b) => b.length + 1))
    await publish(topic, bodies)
    const child = await startToFile(base(topic, out, [`--rotate-size=${size}`]), topic)
    await allFined(topic, 1000)
    await stop(child)
    const files = listFiles(out)
    const total = bodies.reduce((n, b) => n + b.length + 1, 0)
    assert.ok(files.length >= Math.floor(total / (size + record)), `${files.length} files for ${total} bytes at --rotate-size=${size}: ${files.join(' ')}`)
    assert.deepEqual(
      files.map((f) => revOf(topic, f)),
      files.map((_, i) => i),
      `consecutive revs from -000000: ${files.join(' ')}`,
    )
    const lines: string[] = []
    for (const [i, f] of files.entries()) {
      const bytes = statSync(join(out, f)).size
      assert.ok(bytes <= size + record, `${f}: ${bytes} bytes, over --rotate-size=${size} by more than one record (${record})`)
      // rotated because it grew past the size (Go's filesize > rotate-size), not before
      if (i < files.length - 1) assert.ok(bytes > size, `${f}: ${bytes} bytes, rotated before reaching ${size}`)
      lines.push(...textLines(readFileSync(join(out, f), 'utf8'), f))
    }
    assert.deepEqual(lines, bodies)
  })

  test('--rotate-interval=300ms, messages trickled over ~1.5 s: at least 3 files, together every message once, in order', T, async () => {
    const topic = topicName('rot_interval')
    const out = dirs.make()
    await createChannel(broker.httpPort, topic, CHANNEL)
    const child = await startToFile(base(topic, out, ['--rotate-interval=300ms']), topic)
    const bodies = bodiesOf(`${topic}-m`, 30)
    for (const b of bodies) {
      await publish(topic, [b])
      await sleep(50)
    }
    await allFined(topic, bodies.length)
    await stop(child)
    const files = listFiles(out)
    assert.ok(files.length >= 3, `at least 3 files: ${files.join(' ')}`)
    assert.deepEqual(
      files.map((f) => revOf(topic, f)),
      files.map((_, i) => i),
      files.join(' '),
    )
    assert.deepEqual(
      files.flatMap((f) => textLines(readFileSync(join(out, f), 'utf8'), f)),
      bodies,
    )
  })

  test('<DATETIME> rolling over (--datetime-format=%Y%m%d%H%M%S): a new file each second; names are the times written; together every message in order', T, async () => {
    const topic = topicName('rot_datetime')
    const out = dirs.make()
    await createChannel(broker.httpPort, topic, CHANNEL)
    const child = await startToFile(base(topic, out, ['--datetime-format=%Y%m%d%H%M%S']), topic)
    const t0 = Date.now()
    const bodies = bodiesOf(`${topic}-m`, 25)
    for (const b of bodies) {
      await publish(topic, [b])
      await sleep(100)
    }
    await allFined(topic, bodies.length)
    const t1 = Date.now()
    await stop(child)
    const files = listFiles(out)
    assert.ok(files.length >= 2, `at least 2 files over ${t1 - t0} ms: ${files.join(' ')}`)
    const stamp = (ms: number): string => {
      const d = new Date(ms)
      const p = (n: number): string => String(n).padStart(2, '0')
      return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`
    }
    for (const f of files) {
      // no <REV>: plain and no rotation flag, so it is removed
      const m = new RegExp(`^${topic}\\.h1\\.(\\d{14})\\.log$`).exec(f)
      assert.ok(m, `name ${f}`)
      const s = m[1] as string
      assert.ok(s >= stamp(t0 - 1000) && s <= stamp(t1 + 1000), `${f}: the time is within the run (${stamp(t0)}..${stamp(t1)})`)
    }
    assert.deepEqual(
      files.flatMap((f) => textLines(readFileSync(join(out, f), 'utf8'), f)),
      bodies,
    )
  })

  test('<DATETIME> is local time (TZ=Asia/Kolkata, UTC+5:30), and UTC with --utc', T, async () => {
    const topic = topicName('tz')
    const local = dirs.make()
    const utc = dirs.make()
    await createChannel(broker.httpPort, topic, 'local')
    await createChannel(broker.httpPort, topic, 'utc')
    const args = (out: string, channel: string, more: string[]): string[] => [
      ...TO_FILE,
      '--topic',
      topic,
      '--nsqd-tcp-address',
      broker.tcpAddress,
      '--output-dir',
      out,
      '--host-identifier=h1',
      '--channel',
      channel,
      '--datetime-format=%Y-%m-%d_%H%M',
      ...more,
    ]
    const t0 = Date.now()
    const withTz = 'TZ=Asia/Kolkata exec "$0" "$@"'
    const a = spawnCli(args(local, 'local', []), {sh: withTz})
    const b = spawnCli(args(utc, 'utc', ['--utc']), {sh: withTz})
    await broker.waitSubscribed(topic, 'local')
    await broker.waitSubscribed(topic, 'utc')
    await publish(topic, ['one'])
    await allFined(topic, 1, 5000, 'local')
    await allFined(topic, 1, 5000, 'utc')
    const t1 = Date.now()
    await stop(a)
    await stop(b)
    const fmt = (ms: number): string => new Date(ms).toISOString().replace(/^(\d+-\d+-\d+)T(\d\d):(\d\d).*$/, '$1_$2$3')
    const IST = 5.5 * 3600_000
    const names = (ms: number[], shift: number): string[] => ms.map((t) => `${topic}.h1.${fmt(t + shift)}.log`)
    const [lf] = listFiles(local)
    const [uf] = listFiles(utc)
    assert.ok(names([t0, t1], IST).includes(lf as string), `local (Asia/Kolkata) name ${lf}, expected one of ${names([t0, t1], IST).join(' ')}`)
    assert.ok(names([t0, t1], 0).includes(uf as string), `--utc name ${uf}, expected one of ${names([t0, t1], 0).join(' ')}`)
    assert.equal(readFileSync(join(local, lf as string), 'utf8'), 'one\n')
    assert.equal(readFileSync(join(utc, uf as string), 'utf8'), 'one\n')
  })
})

describe('to-file --gzip', () => {
  test('three bursts with pauses: one .gz, one gzip member per sync (at least 3), gzip -t passes, zcat gives every message in order', T, async () => {
    const topic = topicName('gzip')
    const out = dirs.make()
    await createChannel(broker.httpPort, topic, CHANNEL)
    const child = await startToFile(base(topic, out, ['--gzip']), topic)
    const all: string[] = []
    for (const burst of [0, 1, 2]) {
      const bodies = bodiesOf(`${topic}-b${burst}`, 100)
      all.push(...bodies)
      await publish(topic, bodies)
      // each burst is written (one member), fsynced and FINed before the next is sent
      await allFined(topic, all.length)
    }
    const name = `${topic}.h1-000000.fixed.log.gz`
    assert.deepEqual(listFiles(out), [name])
    // while running, the file is already valid up to the last sync
    await assertGzipOk([join(out, name)])
    await stop(child)
    assert.deepEqual(listFiles(out), [name])
    await assertGzipOk([join(out, name)])
    assert.deepEqual(textLines((await zcat(join(out, name))).toString('utf8')), all)
    const members = gzipMembers(readFileSync(join(out, name)))
    assert.ok(members.length >= 3, `one member per sync: ${members.length} members`)
    assert.deepEqual(textLines(Buffer.concat(members).toString('utf8')), all)
  })

  test('--gzip --rotate-size --gzip-level=1: every file passes gzip -t and is under the size (uncompressed) by one record; together every message once, in order', T, async () => {
    const topic = topicName('gzip_rot')
    const out = dirs.make()
    const size = 3000
    await createChannel(broker.httpPort, topic, CHANNEL)
    const bodies = bodiesOf(`${topic}-m`, 2000)
    const record = Math.max(...bodies.map((b) => b.length + 1))
    await publish(topic, bodies)
    const child = await startToFile(base(topic, out, ['--gzip', '--gzip-level=1', `--rotate-size=${size}`]), topic)
    await allFined(topic, bodies.length)
    await stop(child)
    const files = listFiles(out)
    assert.ok(files.length >= 10, `${files.length} files`)
    assert.deepEqual(
      files.map((f) => revOf(topic, f, '.log.gz')),
      files.map((_, i) => i),
      files.join(' '),
    )
    await assertGzipOk(files.map((f) => join(out, f)))
    const lines: string[] = []
    for (const f of files) {
      const content = gunzipFile(join(out, f))
      assert.ok(content.length <= size + record, `${f}: ${content.length} bytes uncompressed`)
      lines.push(...textLines(content.toString('utf8'), f))
    }
    assert.deepEqual(lines, bodies)
  })
})

describe('to-file: <REV> and the work dir', () => {
  test('--gzip, the rev-0 name already in the output dir (a whole .gz of an earlier run): written to -000001, the existing file untouched', T, async () => {
    const topic = topicName('clash')
    const out = dirs.make()
    const taken = join(out, `${topic}.h1-000000.fixed.log.gz`)
    const earlier = gzipSync('earlier\n')
    writeFileSync(taken, earlier)
    await createChannel(broker.httpPort, topic, CHANNEL)
    const child = await startToFile(base(topic, out, ['--gzip']), topic)
    const bodies = bodiesOf(`${topic}-m`, 5)
    await publish(topic, bodies)
    await allFined(topic, 5)
    await stop(child)
    assert.deepEqual(listFiles(out), [`${topic}.h1-000000.fixed.log.gz`, `${topic}.h1-000001.fixed.log.gz`])
    assert.deepEqual(readFileSync(taken), earlier)
    assert.deepEqual(textLines(gunzipFile(join(out, `${topic}.h1-000001.fixed.log.gz`)).toString('utf8')), bodies)
  })

  test('--gzip, a file that is not gzip at all holds the rev-0 name: it is not a leftover of ours, so it is left alone and the run writes -000001', T, async () => {
    // PRODUCT BUG (found by this test): the start-up recovery (leftovers.ts → repairFile) takes
    // any file named like this run's in the output dir for its own torn .gz and removes it
    // ("recovered …: removed (9 bytes, no whole record)"): a file to-file never wrote is deleted.
    // A leftover of a killed run starts with the gzip magic (1f 8b) or is empty; this one does not.
    const topic = topicName('clash_foreign')
    const out = dirs.make()
    const taken = join(out, `${topic}.h1-000000.fixed.log.gz`)
    writeFileSync(taken, 'precious\n')
    await createChannel(broker.httpPort, topic, CHANNEL)
    const child = await startToFile(base(topic, out, ['--gzip']), topic)
    await publish(topic, ['x'])
    await allFined(topic, 1)
    await stop(child)
    assert.ok(existsSync(taken), `${taken} was deleted by to-file; stderr:\n${child.stderr()}`)
    assert.equal(readFileSync(taken, 'utf8'), 'precious\n')
    assert.deepEqual(listFiles(out), [`${topic}.h1-000000.fixed.log.gz`, `${topic}.h1-000001.fixed.log.gz`])
  })

  test('--work-dir: the file stays in the work dir until closed; SIGHUP moves it; the next message opens rev+1; the exit moves that one too, never over an existing file', T, async () => {
    const topic = topicName('workdir')
    const out = dirs.make()
    const work = dirs.make()
    await createChannel(broker.httpPort, topic, CHANNEL)
    const child = await startToFile(base(topic, out, ['--work-dir', work]), topic)
    const first = bodiesOf(`${topic}-a`, 5)
    await publish(topic, first)
    await allFined(topic, 5)
    const f0 = `${topic}.h1-000000.fixed.log`
    const f1 = `${topic}.h1-000001.fixed.log`
    const f2 = `${topic}.h1-000002.fixed.log`
    // written, fsynced and FINed, yet still in progress: not in the output dir
    assert.deepEqual(listFiles(out), [], 'nothing in the output dir while the file is open')
    assert.deepEqual(listFiles(work), [f0])
    assert.deepEqual(textLines(readFileSync(join(work, f0), 'utf8')), first)
    child.proc.kill('SIGHUP')
    await waitFor(() => `${f0} moved to the output dir (out: ${listFiles(out).join(' ')}; work: ${listFiles(work).join(' ')})`, () => listFiles(out).includes(f0) && listFiles(work).length === 0, {timeoutMs: 5000})
    assert.deepEqual(textLines(readFileSync(join(out, f0), 'utf8')), first)
    assert.equal(child.proc.exitCode, null, 'SIGHUP does not end the run')
    const second = bodiesOf(`${topic}-b`, 5)
    await publish(topic, second)
    await allFined(topic, 10)
    assert.deepEqual(listFiles(work), [f1], 'the next message opened rev+1 in the work dir')
    assert.deepEqual(listFiles(out), [f0])
    // someone puts a file where rev 1 would go: the move must not overwrite it
    writeFileSync(join(out, f1), 'precious\n')
    await stop(child)
    assert.deepEqual(listFiles(work), [], 'nothing left in the work dir')
    assert.deepEqual(listFiles(out), [f0, f1, f2])
    assert.equal(readFileSync(join(out, f1), 'utf8'), 'precious\n')
    assert.deepEqual(textLines(readFileSync(join(out, f2), 'utf8')), second)
  })

  test('--work-dir with the rev-0 name already in the output dir: written as -000001 from the start', T, async () => {
    const topic = topicName('workdir_clash')
    const out = dirs.make()
    const work = dirs.make()
    writeFileSync(join(out, `${topic}.h1-000000.fixed.log`), 'precious\n')
    await createChannel(broker.httpPort, topic, CHANNEL)
    const child = await startToFile(base(topic, out, ['--work-dir', work]), topic)
    const bodies = bodiesOf(`${topic}-m`, 5)
    await publish(topic, bodies)
    await allFined(topic, 5)
    assert.deepEqual(listFiles(work), [`${topic}.h1-000001.fixed.log`])
    await stop(child)
    assert.deepEqual(listFiles(out), [`${topic}.h1-000000.fixed.log`, `${topic}.h1-000001.fixed.log`])
    assert.equal(readFileSync(join(out, `${topic}.h1-000000.fixed.log`), 'utf8'), 'precious\n')
    assert.deepEqual(textLines(readFileSync(join(out, `${topic}.h1-000001.fixed.log`), 'utf8')), bodies)
  })

  test('a filename format with directories (<TOPIC>/<DATETIME>/…): they are made, in the work dir and the output dir', T, async () => {
    const topic = topicName('subdirs')
    const out = dirs.make()
    const work = dirs.make()
    await createChannel(broker.httpPort, topic, CHANNEL)
    const child = await startToFile(base(topic, out, ['--work-dir', work, '--filename-format=<TOPIC>/<DATETIME>/<HOST><REV>.log']), topic)
    await publish(topic, ['x', 'y'])
    await allFined(topic, 2)
    assert.deepEqual(listFiles(work), [`${topic}/fixed/h1-000000.log`])
    await stop(child)
    assert.deepEqual(listFiles(out), [`${topic}/fixed/h1-000000.log`])
    assert.equal(readFileSync(join(out, topic, 'fixed', 'h1-000000.log'), 'utf8'), 'x\ny\n')
  })
})

describe('to-file: syncing', () => {
  test('with the default --sync-interval (30s), 5 messages of an idle topic are in the file and FINed within 2 s', T, async () => {
    const topic = topicName('idle')
    const out = dirs.make()
    await createChannel(broker.httpPort, topic, CHANNEL)
    const child = await startToFile(base(topic, out), topic)
    const bodies = bodiesOf(`${topic}-m`, 5)
    const t0 = Date.now()
    await publish(topic, bodies)
    await allFined(topic, 5, 2000)
    const ms = Date.now() - t0
    assert.deepEqual(textLines(readFileSync(join(out, `${topic}.h1.fixed.log`), 'utf8')), bodies)
    assert.ok(ms < 2000, `FINed after ${ms} ms`)
    await stop(child)
  })

  test('a file that cannot be created: exit 1 with no stack, and the messages are requeued, not FINed (nothing lost)', T, async () => {
    const topic = topicName('unwritable')
    const out = dirs.make()
    // the format puts the file under <TOPIC>/, and a regular file holds that name: mkdir fails
    writeFileSync(join(out, topic), 'in the way\n')
    await createChannel(broker.httpPort, topic, CHANNEL)
    await publish(topic, bodiesOf(`${topic}-m`, 10))
    const child = spawnCli([...TO_FILE, ...base(topic, out, ['--filename-format=<TOPIC>/<HOST>.log'])])
    const r = await exitWithin(child, 10_000, 'to-file that cannot create its file')
    assert.equal(r.signal, null)
    assert.equal(r.code, 1, `exit 1 on a disk error; stderr:\n${r.stderr}`)
    assertNoStack(r.stderr)
    assert.match(r.stderr, new RegExp(topic))
    const c = await channelWhen(topic, (x) => x.client_count === 0 && x.in_flight_count === 0, 'requeued')
    assert.equal(c.depth, 10, `nothing FINed: ${JSON.stringify({...c, clients: undefined})}`)
    assert.equal(c.timeout_count, 0, 'requeued, not left to time out')
    assert.equal(readFileSync(join(out, topic), 'utf8'), 'in the way\n')
  })
})

describe('to-file output formats and options', () => {
  test('--output-format json: one object per line, {"topic","id","attempts","timestamp","body"}; a binary body as base64 with "encoding"', T, async () => {
    const topic = topicName('json')
    const out = dirs.make()
    await createChannel(broker.httpPort, topic, CHANNEL)
    const text = 'héllo "wörld" ✓ {}'
    const binary = Buffer.from([0xff, 0xfe, 0x00, 0x0a, 0x80, 0xc3, 0x28])
    const before = BigInt(Date.now()) * 1_000_000n
    await mpubBinary(broker.httpPort, topic, [Buffer.from(text), binary, Buffer.from('plain')])
    const after = BigInt(Date.now()) * 1_000_000n
    const child = await startToFile(base(topic, out, ['--output-format', 'json']), topic)
    await allFined(topic, 3)
    await stop(child)
    const lines = textLines(readFileSync(join(out, `${topic}.h1.fixed.log`), 'utf8'))
    assert.equal(lines.length, 3)
    const objs = lines.map((l) => JSON.parse(l) as {topic: string; id: string; attempts: number; timestamp: number; body: string; encoding?: string})
    for (const [i, o] of objs.entries()) {
      assert.deepEqual(Object.keys(o).filter((k) => k !== 'encoding'), ['topic', 'id', 'attempts', 'timestamp', 'body'])
      assert.equal(o.topic, topic)
      assert.match(o.id, /^[0-9a-f]{16}$/)
      assert.equal(o.attempts, 1)
      const ts = /"timestamp":(\d+)[,}]/.exec(lines[i] as string)
      assert.ok(ts, `an integer timestamp in ${lines[i]}`)
      const ns = BigInt(ts[1] as string)
      assert.ok(ns >= before - 1_000_000_000n && ns <= after + 1_000_000_000n, `timestamp ${ns} near the publish`)
    }
    assert.equal(objs[0]?.body, text)
    assert.equal(objs[0]?.encoding, undefined)
    assert.equal(objs[1]?.encoding, 'base64')
    assert.deepEqual(Buffer.from(objs[1]?.body ?? '', 'base64'), binary)
    assert.equal(objs[2]?.body, 'plain')
  })

  test('--output-format length-prefixed: 4-byte big-endian length + body, binary bodies (\\n, 0xff) byte for byte; with --gzip too', T, async () => {
    const topic = topicName('lenpre')
    const out = dirs.make()
    const outGz = dirs.make()
    await createChannel(broker.httpPort, topic, 'plain')
    await createChannel(broker.httpPort, topic, 'gz')
    const bodies = [Buffer.from('a\nb'), Buffer.from([0xff, 0x0a, 0xff, 0x00]), Buffer.from('\n'), Buffer.alloc(3000, 0xff), Buffer.from('last')]
    await mpubBinary(broker.httpPort, topic, bodies)
    const a = await startToFile(base(topic, out, ['--output-format=length-prefixed', '--channel=plain']), topic, 'plain')
    const b = await startToFile(base(topic, outGz, ['--output-format=length-prefixed', '--channel=gz', '--gzip']), topic, 'gz')
    await allFined(topic, bodies.length, 5000, 'plain')
    await allFined(topic, bodies.length, 5000, 'gz')
    await stop(a)
    await stop(b)
    const raw = readFileSync(join(out, `${topic}.h1.fixed.log`))
    assert.equal(raw.length, bodies.reduce((n, x) => n + 4 + x.length, 0), 'no separators')
    assert.deepEqual(lengthPrefixed(raw), bodies)
    assert.deepEqual(lengthPrefixed(gunzipFile(join(outGz, `${topic}.h1-000000.fixed.log.gz`))), bodies)
  })

  test('--status-every 100 (stderr a pipe): a status line each time the count passes a multiple of 100, the last at 1000; none without the flag', T, async () => {
    const topic = topicName('status')
    const out = dirs.make()
    const out2 = dirs.make()
    await createChannel(broker.httpPort, topic, 'every')
    await createChannel(broker.httpPort, topic, 'quiet')
    await publish(topic, bodiesOf(`${topic}-m`, 1000), 100)
    const a = await startToFile(base(topic, out, ['--status-every', '100', '--channel', 'every']), topic, 'every')
    const b = await startToFile(base(topic, out2, ['--channel', 'quiet']), topic, 'quiet')
    await allFined(topic, 1000, 5000, 'every')
    await allFined(topic, 1000, 5000, 'quiet')
    const ra = await stop(a)
    const rb = await stop(b)
    const counts = [...ra.stderr.matchAll(/status: (\d+) messages written/g)].map((m) => Number(m[1]))
    assert.ok(counts.length >= 2 && counts.length <= 10, `status lines: ${counts.join(' ')}\n${ra.stderr}`)
    assert.equal(counts.at(-1), 1000, `the last status line says 1000: ${counts.join(' ')}`)
    for (let i = 1; i < counts.length; i++) {
      assert.ok(Math.floor((counts[i] as number) / 100) > Math.floor((counts[i - 1] as number) / 100), `one line per multiple of 100 passed: ${counts.join(' ')}`)
    }
    assert.doesNotMatch(rb.stderr, /status: \d+ messages/, 'no status line without --status-every')
  })

  test('the Go-named shim: nsq_to_file -topic=… -gzip -rotate-size=… -channel=… (single-dash, =value) writes valid .gz files', T, async () => {
    const topic = topicName('shim')
    const out = dirs.make()
    const work = dirs.make()
    await createChannel(broker.httpPort, topic, 'goflags')
    const bodies = bodiesOf(`${topic}-m`, 500)
    await publish(topic, bodies)
    const argv = [
      `-topic=${topic}`,
      `-nsqd-tcp-address=${broker.tcpAddress}`,
      `-output-dir=${out}`,
      '-work-dir',
      work,
      '-channel=goflags',
      '-host-identifier=<SHORT_HOST>-x',
      '-datetime-format=fixed',
      '-gzip',
      '-gzip-level=9',
      '-rotate-size=2000',
      '-sync-interval=1s',
      '-max-in-flight=50',
      '-skip-empty-files=false',
      '-log-level=warn',
    ]
    const child = await startToFile(argv, topic, 'goflags', NSQ_TO_FILE)
    await allFined(topic, 500, 5000, 'goflags')
    const r = await stop(child)
    assert.equal(r.stderr, '', '-log-level=warn: nothing logged')
    const files = listFiles(out)
    assert.deepEqual(listFiles(work), [])
    assert.ok(files.length >= 4, files.join(' '))
    // <SHORT_HOST>: the hostname before its first dot
    for (const f of files) assert.match(f, new RegExp(`^${topic}\\.[^.]+-x-\\d{6}\\.fixed\\.log\\.gz$`))
    await assertGzipOk(files.map((f) => join(out, f)))
    assert.deepEqual(
      files.flatMap((f) => textLines(gunzipFile(join(out, f)).toString('utf8'), f)),
      bodies,
    )
  })

  test('--max-in-flight=7: the broker sees RDY 7', T, async () => {
    const topic = topicName('mif')
    const out = dirs.make()
    await createChannel(broker.httpPort, topic, CHANNEL)
    const child = await startToFile(base(topic, out, ['--max-in-flight=7']), topic)
    const [c] = await broker.waitSubscribed(topic, CHANNEL, 1, 7)
    assert.equal(c?.ready_count, 7)
    assert.match(c?.user_agent ?? '', /^nsq_to_file\//)
    await stop(child)
  })
})

describe('to-file misuse: exit 2 with one stderr line naming the flag', {concurrency: true}, () => {
  const out = dirs.make()
  const work = dirs.make()
  const addr = (): string => broker.tcpAddress
  const noRev = '--filename-format=<TOPIC>.<DATETIME>.log'
  const cases: [string, () => string[], RegExp][] = [
    ['--gzip without <REV>', () => [...TO_FILE, '--topic=t', `--nsqd-tcp-address=${addr()}`, `--output-dir=${out}`, noRev, '--gzip'], /missing <REV> in --filename-format/],
    ['--rotate-size without <REV>', () => [...TO_FILE, '--topic=t', `--nsqd-tcp-address=${addr()}`, `--output-dir=${out}`, noRev, '--rotate-size=100'], /missing <REV> in --filename-format/],
    ['--rotate-interval without <REV>', () => [...TO_FILE, '--topic=t', `--nsqd-tcp-address=${addr()}`, `--output-dir=${out}`, noRev, '--rotate-interval=1m'], /missing <REV> in --filename-format/],
    ['a separate --work-dir without <REV>', () => [...TO_FILE, '--topic=t', `--nsqd-tcp-address=${addr()}`, `--output-dir=${out}`, `--work-dir=${work}`, noRev], /missing <REV> in --filename-format/],
    ['nsq_to_file -gzip without <REV>', () => [...NSQ_TO_FILE, '-topic=t', `-nsqd-tcp-address=${addr()}`, `-output-dir=${out}`, '-filename-format=<TOPIC>.log', '-gzip'], /^nsq_to_file: .*missing <REV> in -?-filename-format/],
    ['--gzip-level=10', () => [...TO_FILE, '--topic=t', `--nsqd-tcp-address=${addr()}`, `--output-dir=${out}`, '--gzip', '--gzip-level=10'], /-gzip-level/],
    ['--gzip-level=0', () => [...TO_FILE, '--topic=t', `--nsqd-tcp-address=${addr()}`, `--output-dir=${out}`, '--gzip', '--gzip-level=0'], /-gzip-level/],
    ['nsq_to_file -gzip-level=10', () => [...NSQ_TO_FILE, '-topic=t', `-nsqd-tcp-address=${addr()}`, `-output-dir=${out}`, '-gzip', '-gzip-level=10'], /-gzip-level/],
    ['both --nsqd-tcp-address and --lookupd-http-address', () => [...TO_FILE, '--topic=t', `--nsqd-tcp-address=${addr()}`, `--lookupd-http-address=${HOST}:4161`, `--output-dir=${out}`], /--nsqd-tcp-address.*--lookupd-http-address.*not both/],
    ['neither --nsqd-tcp-address nor --lookupd-http-address', () => [...TO_FILE, '--topic=t', `--output-dir=${out}`], /--nsqd-tcp-address.*--lookupd-http-address/],
    ['no --topic and no --lookupd-http-address', () => [...TO_FILE, `--nsqd-tcp-address=${addr()}`, `--output-dir=${out}`], /--lookupd-http-address must be specified when no --topic/],
    ['--output-format xml', () => [...TO_FILE, '--topic=t', `--nsqd-tcp-address=${addr()}`, `--output-dir=${out}`, '--output-format=xml'], /output-format|xml/],
  ]
  for (const [name, argv, mentions] of cases) {
    test(name, T, async () => {
      const r = await runCli(argv())
      assertExit(r, 2, name)
      assertOneLine(r, mentions)
      assert.equal(r.stdout, '')
    })
  }
  after(() => {
    // nothing was created by any of them
    assert.deepEqual(listFiles(out), [])
    assert.deepEqual(listFiles(work), [])
  })

  test('the same dir as --work-dir and --output-dir is not a separate work dir: no <REV> needed', T, async () => {
    const topic = topicName('same_dir')
    const dir = dirs.make()
    await createChannel(broker.httpPort, topic, CHANNEL)
    const child = await startToFile(['--topic', topic, `--nsqd-tcp-address=${addr()}`, `--output-dir=${dir}`, `--work-dir=${dir}`, '--filename-format=<TOPIC>.log'], topic)
    await publish(topic, ['a'])
    await allFined(topic, 1)
    await stop(child)
    assert.deepEqual(listFiles(dir), [`${topic}.log`])
  })
})

describe('to-file discovery through lookupd /topics', () => {
  let lookupd: StatsLookupd | null = null
  after(async () => {
    await lookupd?.close()
  })
  const standIn = async (): Promise<StatsLookupd> => (lookupd ??= await StatsLookupd.start([broker]))

  test('--topic-refresh=200ms --topic-pattern: a topic created after the start is picked up; one that does not match is not', T, async () => {
    const lk = await standIn()
    const prefix = topicName('disc')
    const out = dirs.make()
    const child = spawnCli([...TO_FILE, `--lookupd-http-address=${lk.addr}`, `--topic-pattern=^${prefix}_keep`, '--topic-refresh=200ms', `--output-dir=${out}`, '--host-identifier=h1', '--datetime-format=fixed'])
    await sleep(700)
    assert.equal(child.proc.exitCode, null, `running; stderr:\n${child.stderr()}`)
    const keep = `${prefix}_keep_1`
    const skip = `${prefix}_skip_1`
    await mpub(broker.httpPort, keep, ['k1', 'k2'])
    await mpub(broker.httpPort, skip, ['s1'])
    const file = join(out, `${keep}.h1.fixed.log`)
    assert.deepEqual(await waitFileLines(file, 2, 5000), ['k1', 'k2'])
    await allFined(keep, 2)
    // a few more refreshes: the other topic is still left alone
    await sleep(600)
    assert.equal(await broker.channel(skip, CHANNEL), undefined, 'no channel made on the topic that does not match')
    assert.deepEqual(listFiles(out), [`${keep}.h1.fixed.log`])
    await stop(child)
  })

  test('with the default --topic-refresh (1m), a topic already known is picked up at once', T, async () => {
    const lk = await standIn()
    const topic = topicName('disc_now')
    const out = dirs.make()
    await createChannel(broker.httpPort, topic, CHANNEL)
    await mpub(broker.httpPort, topic, ['now'])
    const child = spawnCli([...TO_FILE, `--lookupd-http-address=${lk.addr}`, `--topic-pattern=^${topic}$`, `--output-dir=${out}`, '--host-identifier=h1', '--datetime-format=fixed'])
    assert.deepEqual(await waitFileLines(join(out, `${topic}.h1.fixed.log`), 1, 5000), ['now'])
    await allFined(topic, 1)
    await stop(child)
  })

  test('an unreachable lookupd: to-file keeps running (and polling) until SIGINT, then exits 0', T, async () => {
    const port = await unusedPort()
    const out = dirs.make()
    const child = spawnCli([...TO_FILE, `--lookupd-http-address=${HOST}:${port}`, '--topic-refresh=200ms', `--output-dir=${out}`])
    await sleep(1000)
    assert.equal(child.proc.exitCode, null, `exited; stderr:\n${child.stderr()}`)
    await stop(child, 'SIGINT')
  })
})
