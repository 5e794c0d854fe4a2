/**
 * `nsqkit serve --mem-queue-size 0` killed with SIGKILL while it is being published to and consumed
 * from, then started again on the same --data-path and drained: the guarantee README's Durability
 * section gives (nsqd 1.3.0 loses every in-flight message here, upstream #1386).
 *
 * Per run: a publisher sends MPUBs of 100 (4-byte index + bytes text would break), one at a time,
 * each counted acknowledged when its OK arrives; a consumer (RDY 300) FINs most messages at once,
 * holds some for a random 0-200 ms before FINing (so some are in flight at the kill) and REQs a few.
 * The broker is SIGKILLed once a random 20-90% of the messages are acknowledged, a random few ms
 * later. After the restart a second consumer drains the channel, FINing everything. Then:
 *
 *  - every acknowledged message whose FIN was not sent before the kill arrives (at least once);
 *  - no message arrives more than once after the restart (so one FINed before the kill: at most
 *    once more; those FINed after the oldest message still in flight at the kill do come once
 *    more, the metadata's read position being that oldest one's), and every one arrives byte for
 *    byte as published;
 *  - nothing arrives that was never published.
 *
 * With --sync-every 1 (every batch fsynced before its OK) and with the default --sync-every (a
 * process crash keeps what was written: the kernel has it), three seeds each (test/helpers/prng.ts).
 * And a DPUB'd message keeps its release time across a kill; a topic's backlog moved to a new
 * channel is not copied to it again by a kill.
 */
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, test} from 'node:test'
import {FrameType, decodeMessage, dpub, fin, identify, mpub, rdy, req, sub} from '../../src/core/protocol/index.js'
import {createChannel} from '../helpers/cli.js'
import {mulberry32} from '../helpers/prng.js'
import {RawClient} from '../helpers/raw-client.js'
import {startServe, type ServeChild} from '../helpers/serve.js'
import {sleep} from '../helpers/wait.js'

const N = 50_000
const BATCH = 100
const SEEDS = (process.env.CRASH_SEEDS ?? '5eed1,c0ffee,bad5eed').split(',').map((h) => parseInt(h, 16))
const dirs: string[] = []
const running = new Set<ServeChild>()

after(async () => {
  for (const s of running) await s.stop('SIGKILL').catch(() => undefined)
  for (const d of dirs) rmSync(d, {recursive: true, force: true})
})

async function serveOn(dataPath: string, args: string[]): Promise<ServeChild> {
  const s = await startServe(args, {dataPath})
  running.add(s)
  return s
}

async function kill(s: ServeChild): Promise<void> {
  await s.stop('SIGKILL')
  running.delete(s)
}

const TAIL = Buffer.from([0x00, 0xff, 0x0a, 0xc3, 0x28])
const body = (i: number): Buffer => {
  const b = Buffer.alloc(4 + TAIL.length)
  b.writeUInt32BE(i)
  TAIL.copy(b, 4)
  return b
}

async function consumer(s: ServeChild, topic: string, ready: number): Promise<RawClient> {
  const c = await RawClient.connect(s.tcpPort)
  c.send(identify({client_id: 'crash-test', feature_negotiation: true, msg_timeout: 60_000}))
  await c.response()
  c.send(sub(topic, 'c'))
  assert.equal(await c.response(), 'OK')
  c.send(rdy(ready))
  return c
}

interface RunResult {
  acked: number
  finSent: Set<number>
  inFlightAtKill: number
  after: Map<number, number>
  bad: string[]
}

async function crashRun(seed: number, flags: string[]): Promise<RunResult> {
  const rand = mulberry32(seed)
  const d = mkdtempSync(join(tmpdir(), 'nsqkit-crash-'))
  dirs.push(d)
  const topic = `crash_${seed.toString(16)}`
  const a = await serveOn(d, flags)
  await createChannel(a.httpPort, topic, 'c')

  // the consumer: FIN at once (70%), after a random 0-200 ms (27%), REQ 0 (3%)
  const finSent = new Set<number>()
  const timers = new Set<NodeJS.Timeout>()
  const held = new Set<number>()
  const c = await consumer(a, topic, 300)
  const consuming = (async () => {
    for (;;) {
      const m = await c.message(30_000).catch(() => null)
      if (m === null) return
      const i = m.body.readUInt32BE(0)
      const r = rand()
      if (r < 0.7) {
        c.send(fin(m.id))
        finSent.add(i)
      } else if (r < 0.97) {
        held.add(i)
        const t = setTimeout(() => {
          timers.delete(t)
          held.delete(i)
          if (c.closed) return
          c.send(fin(m.id))
          finSent.add(i)
        }, rand() * 200)
        timers.add(t)
      } else c.send(req(m.id, 0))
    }
  })()

  // the publisher: one MPUB of BATCH at a time; the kill once `killAt` are acknowledged, a few ms later
  const killAt = Math.floor(N * (0.2 + rand() * 0.7))
  const killDelay = rand() * 15
  let acked = 0
  let killing: Promise<void> | null = null
  let inFlightAtKill = 0
  const p = await RawClient.connect(a.tcpPort)
  for (let next = 0; next < N; next += BATCH) {
    p.send(mpub(topic, Array.from({length: BATCH}, (_, k) => body(next + k))))
    const answer = await p.response(10_000).catch(() => null)
    if (answer === null) break // the broker is gone
    assert.equal(answer, 'OK')
    acked = next + BATCH
    if (acked >= killAt && killing === null) {
      killing = sleep(killDelay).then(() => {
        inFlightAtKill = held.size
        return kill(a)
      })
    }
  }
  await killing
  p.close()
  c.close()
  await consuming
  for (const t of timers) clearTimeout(t)

  // restart and drain
  const b = await serveOn(d, flags)
  const after = new Map<number, number>()
  const bad: string[] = []
  const drain = await consumer(b, topic, 2500)
  const deadline = Date.now() + 60_000
  const errors: string[] = []
  for (;;) {
    const f = await drain.next(500).catch(() => null)
    if (f !== null && f.type !== FrameType.Message) {
      errors.push(f.text)
      continue
    }
    const m = f === null ? null : decodeMessage(f.data)
    if (m === null) {
      const ch = await b.channel(topic, 'c')
      if (ch && ch.depth === 0 && ch.in_flight_count === 0 && ch.deferred_count === 0) break
      if (drain.closed || Date.now() > deadline) {
        assert.fail(`the drain did not finish (${drain.closed ? 'the broker closed its connection' : 'timed out'}; error frames: ${errors.slice(0, 5).join(', ')}; channel ${JSON.stringify({...ch, clients: undefined})}); serve's stderr:\n${b.stderr().slice(-3000)}`)
      }
      continue
    }
    drain.send(fin(m.id))
    const i = m.body.readUInt32BE(0)
    if (m.body.length !== 4 + TAIL.length || !m.body.subarray(4).equals(TAIL) || i >= acked + BATCH) bad.push(m.body.toString('hex'))
    after.set(i, (after.get(i) ?? 0) + 1)
  }
  drain.close()
  await b.stop()
  running.delete(b)
  return {acked, finSent, inFlightAtKill, after, bad}
}

/** Checks the guarantee; returns a summary line for the test's diagnostics. */
function check(r: RunResult, what: string): string {
  assert.ok(r.acked > 0 && r.acked < N, `${what}: the kill came while publishing (${r.acked} acknowledged)`)
  assert.ok(r.inFlightAtKill > 0, `${what}: some messages were in flight at the kill`)
  const lost: number[] = []
  for (let i = 0; i < r.acked; i++) if (!r.finSent.has(i) && !r.after.has(i)) lost.push(i)
  assert.deepEqual(lost.slice(0, 20), [], `${what}: ${lost.length} acknowledged, un-FINed messages lost`)
  const finTwice = [...r.finSent].filter((i) => (r.after.get(i) ?? 0) > 1)
  assert.deepEqual(finTwice.slice(0, 20), [], `${what}: ${finTwice.length} messages FINed before the kill came more than once more`)
  assert.deepEqual(r.bad.slice(0, 5), [], `${what}: ${r.bad.length} messages that were not published (or not byte for byte)`)
  // no message has two records: a re-queued one keeps the record it had, and the channel exists
  // before the first publish, so the topic hands each message straight to it (a topic's backlog
  // copied to a channel as the kill falls could leave a second record: not this setup)
  const twice = [...r.after].filter(([, n]) => n > 1).length
  assert.equal(twice, 0, `${what}: ${twice} messages delivered more than once after the restart`)
  const again = [...r.finSent].filter((i) => r.after.has(i)).length
  return `${what}: ${r.acked} acknowledged, ${r.finSent.size} FINed, ${r.inFlightAtKill} in flight at the kill; after the restart ${[...r.after.values()].reduce((a, b) => a + b, 0)} delivered, ${again} of them FINed before, ${twice} twice`
}

describe('serve --mem-queue-size 0: kill -9 loses no acknowledged message', () => {
  for (const [name, flags] of [
    ['--sync-every 1', ['--mem-queue-size=0', '--sync-every=1']],
    ['the default --sync-every', ['--mem-queue-size=0']],
  ] as const) {
    for (const seed of SEEDS) {
      test(`${name}, seed ${seed.toString(16)}`, async (t) => {
        const r = await crashRun(seed, [...flags])
        t.diagnostic(check(r, `seed ${seed.toString(16)}`))
      })
    }
  }

  test('a topic\'s backlog moved to a channel just created, then a kill: each message in the channel once, not copied again', async () => {
    const d = mkdtempSync(join(tmpdir(), 'nsqkit-crash-'))
    dirs.push(d)
    const flags = ['--mem-queue-size=0']
    const a = await serveOn(d, flags)
    const p = await RawClient.connect(a.tcpPort)
    p.send(mpub('crash_backlog', [body(0), body(1), body(2)]))
    assert.equal(await p.response(), 'OK') // no channel yet: they wait in the topic's queue
    await createChannel(a.httpPort, 'crash_backlog', 'c') // ...and move to the channel
    p.send(mpub('crash_backlog', [body(3)]))
    assert.equal(await p.response(), 'OK')
    await a.channelWhen('crash_backlog', 'c', (ch) => ch.depth === 4, 'the backlog moved')
    await kill(a)
    p.close()
    const b = await serveOn(d, flags)
    assert.deepEqual([(await b.topic('crash_backlog'))?.depth, (await b.channel('crash_backlog', 'c'))?.depth], [0, 4])
    await b.stop()
    running.delete(b)
  })

  test('a DPUB acknowledged before the kill is delivered after the restart, not before its time', async () => {
    const d = mkdtempSync(join(tmpdir(), 'nsqkit-crash-'))
    dirs.push(d)
    const flags = ['--mem-queue-size=0']
    const a = await serveOn(d, flags)
    await createChannel(a.httpPort, 'crash_dpub', 'c')
    const p = await RawClient.connect(a.tcpPort)
    const DELAY = 2000
    const releaseAt = Date.now() + DELAY
    for (let i = 0; i < 5; i++) {
      p.send(dpub('crash_dpub', DELAY, body(i)))
      assert.equal(await p.response(), 'OK')
    }
    await kill(a)
    p.close()
    const b = await serveOn(d, flags)
    const c = await consumer(b, 'crash_dpub', 10)
    const got: number[] = []
    for (let i = 0; i < 5; i++) {
      const m = await c.message(DELAY + 8000)
      assert.ok(Date.now() >= releaseAt - 50, `message ${m.body.readUInt32BE(0)} came ${releaseAt - Date.now()} ms early`)
      got.push(m.body.readUInt32BE(0))
      c.send(fin(m.id))
    }
    assert.deepEqual(got.sort(), [0, 1, 2, 3, 4])
    assert.ok(await c.silentFor(300))
    c.close()
    await b.stop()
    running.delete(b)
  })
})
