/**
 * The durable broker as a user runs it: `nsqkit serve` child processes stopped (SIGTERM) or
 * killed and started again on the same --data-path, and what a consumer then receives.
 *
 *  - a restart keeps topics, channels and paused state, forgets #ephemeral ones, and keeps queued
 *    messages byte for byte (0x00, 0xff, newlines), a topic's own queue included;
 *  - a clean stop writes memory, in-flight and deferred messages to disk: all come back, in-flight
 *    ones with attempts 2, deferred ones (DPUB, REQ with a delay) not before their time;
 *  - with --mem-queue-size 0 an #ephemeral channel still hands messages to a ready consumer (a
 *    stop while a topic's backlog moves to a channel: test/integration/durable-restart.test.ts);
 *  - past --mem-queue-size messages go to segment files in go-diskqueue's layout (read back here by
 *    hand from the spec's record format), rolled at --max-bytes-per-file, deleted once read, and
 *    delivered in order per queue, after a restart too;
 *  - a data path laid out by hand as nsqd 1.3.0 leaves it (nsqd.dat, meta, segments) is delivered,
 *    a corrupt segment renamed *.bad with an error line while later segments still flow;
 *  - a second serve on a data path in use exits 1 with one line; a lock left by kill -9 is taken over;
 *  - on a full disk (a 1 MiB tmpfs, where the machine lets the test mount one) /ping says NOK and
 *    PUB gets E_PUB_FAILED; once space is freed it is OK again and nothing acknowledged is lost.
 *
 * The crash tests (kill -9 at random moments) are in serve-crash.test.ts.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {FrameType, dpub, fin, identify, pub, rdy, req, sub} from '../../src/core/protocol/index.js'
import {NSQKIT, assertExit, assertOneLine, createChannel, killChildren, mpubBinary, runCli} from '../helpers/cli.js'
import {HOST} from '../helpers/net.js'
import {RawClient} from '../helpers/raw-client.js'
import {startServe, type ServeChild} from '../helpers/serve.js'
import {sleep, waitFor} from '../helpers/wait.js'

const dirs: string[] = []
const running = new Set<ServeChild>()

after(async () => {
  for (const s of running) await s.stop('SIGKILL').catch(() => undefined)
  killChildren()
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

const dataDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'nsqkit-durable-'))
  dirs.push(d)
  return d
}

async function serveOn(dataPath: string, args: string[] = []): Promise<ServeChild> {
  const s = await startServe(args, {dataPath})
  running.add(s)
  return s
}

/** Stop with `signal`, expecting exit 0 (SIGTERM, SIGINT) or death by SIGKILL. */
async function stop(s: ServeChild, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const code = await s.stop(signal)
  running.delete(s)
  if (signal !== 'SIGKILL') assert.equal(code, 0, `serve exit code after ${signal}; stderr:\n${s.stderr()}`)
}

/** Bodies with the bytes text handling would break: NUL, 0xff, CR/LF, invalid UTF-8. */
const body = (i: number, pad = 0): Buffer => Buffer.concat([Buffer.from(`m${String(i).padStart(5, '0')}`), Buffer.from([0x00, 0xff, 0x0a, 0x0d, 0xc3]), Buffer.alloc(pad, 0x2e)])
const indexOf = (b: Buffer): number => Number(b.subarray(1, 6).toString('latin1'))

async function post(s: ServeChild, path: string, data?: Buffer): Promise<void> {
  const res = await fetch(`http://${HOST}:${s.httpPort}${path}`, {method: 'POST', body: data, signal: AbortSignal.timeout(5000)})
  assert.equal(res.status, 200, `POST ${path}: ${await res.text()}`)
}

async function consumer(s: ServeChild, topic: string, channel: string, ready: number): Promise<RawClient> {
  const c = await RawClient.connect(s.tcpPort)
  c.send(identify({client_id: 'durable-test', feature_negotiation: true, msg_timeout: 60_000}))
  await c.response()
  c.send(sub(topic, channel))
  assert.equal(await c.response(), 'OK')
  c.send(rdy(ready))
  return c
}

interface Got {
  at: number
  attempts: number
  id: string
  body: Buffer
}

/** Read `n` messages (FINing each unless `finish` is false), failing after `ms`. */
async function take(c: RawClient, n: number, {ms = 10_000, finish = true} = {}): Promise<Got[]> {
  const out: Got[] = []
  const deadline = Date.now() + ms
  while (out.length < n) {
    const m = await c.message(Math.max(1, deadline - Date.now())).catch((err: unknown) => {
      throw new Error(`${out.length} of ${n} messages: ${String(err)}`)
    })
    out.push({at: Date.now(), attempts: m.attempts, id: m.id, body: Buffer.from(m.body)})
    if (finish) c.send(fin(m.id))
  }
  return out
}

/** topic/c holds nothing: queued, in flight or deferred (message_count counts publishes since the start, not deliveries). */
const drained = (s: ServeChild, topic: string): Promise<unknown> =>
  s.channelWhen(topic, 'c', (ch) => ch.depth === 0 && ch.in_flight_count === 0 && ch.deferred_count === 0, 'nothing left')

/** The data path's files for queue `name` (`topic` or `topic:channel`): its segments, in order. */
const segments = (dataPath: string, name: string): string[] =>
  readdirSync(dataPath)
    .filter((f) => f.startsWith(`${name}.diskqueue.`) && f.endsWith('.dat') && !f.endsWith('.meta.dat'))
    .sort()

/** go-diskqueue's meta file: depth, then "readFile,readPos", then "writeFile,writePos". */
function readMeta(dataPath: string, name: string): {depth: number; readFile: number; readPos: number; writeFile: number; writePos: number} {
  const [depth, r, w] = readFileSync(join(dataPath, `${name}.diskqueue.meta.dat`), 'latin1').trim().split('\n')
  const [readFile, readPos] = (r as string).split(',').map(Number)
  const [writeFile, writePos] = (w as string).split(',').map(Number)
  return {depth: Number(depth), readFile: readFile as number, readPos: readPos as number, writeFile: writeFile as number, writePos: writePos as number}
}

/** The messages a queue still holds, decoded by hand from the spec's layout: [size][ts 8][attempts 2][id 16][body]. */
function queuedOnDisk(dataPath: string, name: string): {attempts: number; id: string; body: Buffer}[] {
  const meta = readMeta(dataPath, name)
  const out: {attempts: number; id: string; body: Buffer}[] = []
  for (let f = meta.readFile; f <= meta.writeFile; f++) {
    const file = join(dataPath, `${name}.diskqueue.${String(f).padStart(6, '0')}.dat`)
    if (!existsSync(file)) continue
    const data = readFileSync(file)
    let pos = f === meta.readFile ? meta.readPos : 0
    const end = f === meta.writeFile ? meta.writePos : data.length
    while (pos < end) {
      const size = data.readUInt32BE(pos)
      const rec = data.subarray(pos + 4, pos + 4 + size)
      out.push({attempts: rec.readUInt16BE(8), id: rec.subarray(10, 26).toString('latin1'), body: Buffer.from(rec.subarray(26))})
      pos += 4 + size
    }
  }
  return out
}

interface NsqdDat {
  topics: {name: string; paused: boolean; channels: {name: string; paused: boolean}[]}[]
  version: string
}

describe('serve --data-path: a restart keeps what nsqd keeps', () => {
  test('topics, channels, paused state and queued bytes survive SIGTERM + start; #ephemeral ones do not', async () => {
    const d = dataDir()
    const a = await serveOn(d)
    await createChannel(a.httpPort, 'rt_a', 'c1')
    await createChannel(a.httpPort, 'rt_a', 'c2')
    await post(a, '/channel/pause?topic=rt_a&channel=c2')
    await post(a, '/topic/create?topic=rt_paused')
    await post(a, '/topic/pause?topic=rt_paused')
    await post(a, '/topic/create?topic=rt_bare') // no channel: its messages wait in the topic's queue
    await createChannel(a.httpPort, 'rt_a', 'gone#ephemeral')
    await createChannel(a.httpPort, 'rt_gone#ephemeral', 'c')
    const bodies = Array.from({length: 20}, (_, i) => body(i))
    await mpubBinary(a.httpPort, 'rt_a', bodies)
    await mpubBinary(a.httpPort, 'rt_bare', bodies.slice(0, 5))
    await mpubBinary(a.httpPort, 'rt_gone#ephemeral', bodies.slice(0, 5))
    await stop(a)

    const dat = JSON.parse(readFileSync(join(d, 'nsqd.dat'), 'utf8')) as NsqdDat
    const shape = dat.topics.map((t) => ({name: t.name, paused: t.paused, channels: t.channels.map((c) => `${c.name}${c.paused ? ' (paused)' : ''}`).sort()})).sort((x, y) => x.name.localeCompare(y.name))
    assert.deepEqual(shape, [
      {name: 'rt_a', paused: false, channels: ['c1', 'c2 (paused)']},
      {name: 'rt_bare', paused: false, channels: []},
      {name: 'rt_paused', paused: true, channels: []},
    ])
    assert.equal(typeof dat.version, 'string')

    const b = await serveOn(d)
    const topics = await b.topics()
    assert.deepEqual(topics.map((t) => t.topic_name).sort(), ['rt_a', 'rt_bare', 'rt_paused'])
    const ta = topics.find((t) => t.topic_name === 'rt_a')
    assert.deepEqual(ta?.channels.map((c) => [c.channel_name, c.paused, c.depth]).sort(), [
      ['c1', false, 20],
      ['c2', true, 20],
    ])
    assert.equal(topics.find((t) => t.topic_name === 'rt_paused')?.paused, true)
    assert.equal(topics.find((t) => t.topic_name === 'rt_bare')?.depth, 5)

    const c1 = await consumer(b, 'rt_a', 'c1', 50)
    const got = await take(c1, 20)
    assert.deepEqual(got.map((g) => g.body).sort(Buffer.compare), [...bodies].sort(Buffer.compare))
    assert.ok(got.every((g) => g.attempts === 1), 'never delivered before: attempts 1')
    c1.close()
    // the topic's own queue goes to the first channel created after the restart
    const late = await consumer(b, 'rt_bare', 'late', 50)
    assert.deepEqual((await take(late, 5)).map((g) => g.body).sort(Buffer.compare), bodies.slice(0, 5).sort(Buffer.compare))
    late.close()
    await stop(b)
  })

  test('a clean stop keeps queued, in-flight and deferred messages: in-flight ones come back with attempts 2, deferred ones not before their time', async () => {
    const d = dataDir()
    const a = await serveOn(d)
    await createChannel(a.httpPort, 'cs', 'c')
    const bodies = Array.from({length: 50}, (_, i) => body(i, 100))
    await mpubBinary(a.httpPort, 'cs', bodies)
    const c = await consumer(a, 'cs', 'c', 10)
    const held = await take(c, 10, {finish: false})
    c.send(rdy(0)) // so the REQ below frees no slot for an 11th
    const DELAY = 2500
    const deferredAt = Date.now() + DELAY
    c.send(req(held[0]?.id as string, DELAY)) // re-queued with a delay: deferred
    const dpubbed = [body(900), body(901), body(902)]
    for (const b of dpubbed) {
      c.send(dpub('cs', DELAY, b))
      assert.equal(await c.response(), 'OK')
    }
    const mid = await a.channel('cs', 'c')
    assert.equal(mid?.in_flight_count, 9)
    assert.equal(mid?.deferred_count, 4)
    assert.equal(mid?.depth, 40)
    await stop(a)
    c.close()

    const b = await serveOn(d)
    // the deferred ones were written to the queue with the rest: counted in depth until read back
    // (and deferred again) when the queue reaches them
    const after = await b.channel('cs', 'c')
    assert.equal((after?.depth ?? 0) + (after?.deferred_count ?? 0), 53, 'every message of the stop, queued or deferred')
    const c2 = await consumer(b, 'cs', 'c', 100)
    const now = await take(c2, 49)
    const waiting = await b.channel('cs', 'c')
    assert.deepEqual([waiting?.depth, waiting?.deferred_count], [0, 4], 'the 4 deferred again once read')
    assert.ok(now.every((g) => g.at < deferredAt), 'the 49 not deferred come at once')
    const heldIds = new Set(held.slice(1).map((h) => h.id))
    for (const g of now) assert.equal(g.attempts, heldIds.has(g.id) ? 2 : 1, `attempts of ${indexOf(g.body)}`)
    assert.equal(now.filter((g) => heldIds.has(g.id)).length, 9)
    const later = await take(c2, 4, {ms: DELAY + 8000})
    for (const g of later) assert.ok(g.at >= deferredAt - 50, `deferred message ${indexOf(g.body)} came ${deferredAt - g.at} ms before its time`)
    const all = [...now, ...later].map((g) => g.body).sort(Buffer.compare)
    assert.deepEqual(all, [...bodies, ...dpubbed].sort(Buffer.compare), 'every message once, byte for byte')
    await drained(b, 'cs')
    c2.close()
    await stop(b)
  })
})

describe('serve --data-path: the disk queue', () => {
  test('--mem-queue-size 0: an #ephemeral channel hands each message to a ready consumer, as nsqd\'s unbuffered channel', async () => {
    const s = await serveOn(dataDir(), ['--mem-queue-size=0'])
    const r = await consumer(s, 'eph', 'tail#ephemeral', 100)
    await s.waitSubscribed('eph', 'tail#ephemeral', 1)
    const bodies = Array.from({length: 5}, (_, i) => body(i))
    await mpubBinary(s.httpPort, 'eph', bodies)
    assert.deepEqual((await take(r, 5)).map((g) => g.body), bodies)
    r.close()
    await stop(s)
  })

  test('past --mem-queue-size messages go to go-diskqueue segments, rolled and deleted, and come back in order after a restart', async () => {
    const d = dataDir()
    const flags = ['--mem-queue-size=5', '--max-bytes-per-file=4096']
    const a = await serveOn(d, flags)
    await createChannel(a.httpPort, 'dq', 'c')
    const bodies = Array.from({length: 300}, (_, i) => body(i, 90))
    for (let i = 0; i < bodies.length; i += 50) await mpubBinary(a.httpPort, 'dq', bodies.slice(i, i + 50))
    const ch = await a.channel('dq', 'c')
    assert.equal(ch?.depth, 300)
    assert.equal(ch?.backend_depth, 295, 'all but --mem-queue-size on disk')
    // 300 records of 4 + 26 + 100 bytes in files of at most 4096 bytes
    assert.ok(segments(d, 'dq:c').length >= 9, `segments rolled: ${segments(d, 'dq:c').join(' ')}`)
    await stop(a)

    // what is on disk, read by hand: the 295 spilled ones first, then the 5 the stop wrote, each once
    const onDisk = queuedOnDisk(d, 'dq:c')
    assert.equal(onDisk.length, 300)
    assert.deepEqual(onDisk.slice(0, 295).map((m) => indexOf(m.body)), Array.from({length: 295}, (_, i) => i + 5))
    assert.deepEqual(onDisk.map((m) => m.body).sort(Buffer.compare), [...bodies].sort(Buffer.compare))
    assert.ok(onDisk.every((m) => m.attempts === 0 && /^[0-9a-f]{16}$/.test(m.id)), 'nsqd stores attempts 0 for a message never delivered')
    assert.equal(readMeta(d, 'dq:c').depth, 300)

    const b = await serveOn(d, flags)
    const c = await consumer(b, 'dq', 'c', 1)
    const got = await take(c, 300)
    assert.deepEqual(
      got.map((g) => indexOf(g.body)),
      onDisk.map((m) => indexOf(m.body)),
      'delivered in the queue order',
    )
    assert.deepEqual(
      got.map((g) => g.id),
      onDisk.map((m) => m.id),
      'the ids written are the ids delivered',
    )
    await drained(b, 'dq')
    // fully read segments are deleted: what is left is the file being written
    await waitFor(`read segments of dq:c deleted (${segments(d, 'dq:c').join(' ')})`, () => segments(d, 'dq:c').length <= 1, {timeoutMs: 5000})
    c.close()
    await stop(b)
    assert.equal(readMeta(d, 'dq:c').depth, 0)
  })

  test("a data path nsqd 1.3.0 left is delivered; a corrupt segment is renamed *.bad, logged, and later segments still flow", async () => {
    const d = dataDir()
    const id = (n: number): string => `0000000000000${n.toString(16).padStart(3, '0')}`
    const record = (n: number, b: Buffer): Buffer => {
      const rec = Buffer.alloc(26 + b.length)
      rec.writeBigInt64BE(1_700_000_000_000_000_000n + BigInt(n), 0)
      rec.writeUInt16BE(0, 8)
      rec.write(id(n), 10, 'latin1')
      b.copy(rec, 26)
      const size = Buffer.alloc(4)
      size.writeUInt32BE(rec.length)
      return Buffer.concat([size, rec])
    }
    const good = [body(1), body(2), body(3), body(4)]
    // file 0: one good record, then a size no message can have; file 1: three good records
    const file0 = Buffer.concat([record(1, good[0] as Buffer), Buffer.from([0xff, 0xff, 0xff, 0xf0]), Buffer.alloc(40, 7)])
    const file1 = Buffer.concat([record(2, good[1] as Buffer), record(3, good[2] as Buffer), record(4, good[3] as Buffer)])
    writeFileSync(join(d, 'old:c.diskqueue.000000.dat'), file0)
    writeFileSync(join(d, 'old:c.diskqueue.000001.dat'), file1)
    writeFileSync(join(d, 'old:c.diskqueue.meta.dat'), `4\n0,0\n1,${file1.length}\n`)
    writeFileSync(join(d, 'nsqd.dat'), JSON.stringify({topics: [{channels: [{name: 'c', paused: false}], name: 'old', paused: false}], version: '1.3.0'}))

    const s = await serveOn(d)
    const c = await consumer(s, 'old', 'c', 10)
    const got = await take(c, 4)
    assert.deepEqual(
      got.map((g) => [g.id, indexOf(g.body)]),
      [1, 2, 3, 4].map((n) => [id(n), n]),
      'nsqd\'s records, in order, with their ids',
    )
    assert.ok(existsSync(join(d, 'old:c.diskqueue.000000.dat.bad')), `quarantined: ${readdirSync(d).join(' ')}`)
    assert.match(s.stderr(), /ERROR.*old:c.*000000\.dat/, 'an error line names the file')
    c.send(rdy(10))
    assert.ok(await c.silentFor(300), 'nothing more: the bad record is not delivered')
    assert.ok(s.alive)
    c.close()
    await stop(s)
  })
})

describe('serve --data-path: the lock', () => {
  test('a second serve on the same data path exits 1 with one line; a lock left by kill -9 is taken over', async () => {
    const d = dataDir()
    const a = await serveOn(d)
    const pid = a.proc.pid as number
    const r = await runCli([...NSQKIT, 'serve', '--tcp-address=127.0.0.1:0', '--http-address=127.0.0.1:0', `--data-path=${d}`])
    assertExit(r, 1, 'second serve')
    assertOneLine(r, new RegExp(`data-path.*${d.replaceAll('/', '\\/')}.* in use by process ${pid}`))
    assert.ok(a.alive, 'the first one runs on')
    await stop(a, 'SIGKILL')
    await sleep(50)
    const b = await serveOn(d)
    assert.match(await (await fetch(`http://${HOST}:${b.httpPort}/ping`)).text(), /^OK$/)
    await stop(b)
    assert.ok(!existsSync(join(d, 'nsqkit.lock')), 'a clean stop removes the lock')
  })
})

describe('serve --data-path: a full disk', () => {
  let mounted: string | null = null
  after(() => {
    if (mounted !== null) spawnSync('umount', [mounted])
  })

  test('on a full tmpfs: /ping 500 NOK, PUB E_PUB_FAILED; space freed: OK again and every acknowledged message delivered', async (t) => {
    const d = dataDir()
    // a tiny tmpfs where the machine lets us mount one (root in a container); else the in-process
    // test with a failing file handle (test/integration/durable-health.test.ts) covers it
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', d]).status !== 0) {
      t.skip('cannot mount a tmpfs here')
      return
    }
    mounted = d
    const filler = join(d, 'filler')
    writeFileSync(filler, Buffer.alloc(768 * 1024))
    const s = await serveOn(d, ['--mem-queue-size=0'])
    await createChannel(s.httpPort, 'full', 'c')
    const acked: Buffer[] = []
    let p = await RawClient.connect(s.tcpPort)
    let refused = ''
    for (let i = 0; i < 2000 && refused === ''; i++) {
      const b = body(i, 1000)
      p.send(pub('full', b))
      const f = await p.next(5000)
      if (f.type === FrameType.Response) acked.push(b)
      else refused = f.text
    }
    assert.match(refused, /^E_PUB_FAILED PUB failed ENOSPC/, `the disk filled within 2000 messages of 1 KB (${acked.length} acknowledged)`)
    await p.waitClosed()
    const ping = await fetch(`http://${HOST}:${s.httpPort}/ping`)
    assert.equal(ping.status, 500)
    assert.match(await ping.text(), /^NOK - ENOSPC/)

    rmSync(filler)
    await waitFor('/ping OK once space is freed', async () => (await (await fetch(`http://${HOST}:${s.httpPort}/ping`)).text()) === 'OK', {timeoutMs: 5000})
    p = await RawClient.connect(s.tcpPort)
    const last = body(99_999)
    p.send(pub('full', last))
    assert.equal(await p.response(), 'OK')
    p.close()
    const c = await consumer(s, 'full', 'c', 100)
    const got = await take(c, acked.length + 1)
    assert.deepEqual(got.map((g) => g.body).sort(Buffer.compare), [...acked, last].sort(Buffer.compare), 'every acknowledged message, once')
    c.close()
    await stop(s)
  })
})
