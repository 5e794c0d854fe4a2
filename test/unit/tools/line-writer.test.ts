/**
 * LineWriter: each push resolves only once the write that carries its bytes has called back,
 * records go out whole and in order, and a failure rejects every record not yet written.
 * The stream here calls back only when the test says so, to see what is settled when.
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import {Writable} from 'node:stream'
import {setImmediate as turn} from 'node:timers/promises'

import {LineWriter, type OutputMode} from '../../../src/core/tools/line-writer.js'

/** A stream that keeps each write's bytes and callback until release()/failNext(). */
class HeldStream extends Writable {
  readonly writes: Buffer[] = []
  private readonly callbacks: ((err?: Error | null) => void)[] = []
  constructor() {
    super({highWaterMark: 1 << 30})
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.writes.push(Buffer.from(chunk))
    this.callbacks.push(cb)
  }
  release(err?: Error): void {
    const cb = this.callbacks.shift()
    assert.ok(cb, 'no write is waiting')
    cb(err ?? null)
  }
}

/** Which of `ps` have settled (after the microtasks of this turn ran). */
async function settled(ps: Promise<void>[]): Promise<string[]> {
  const state = ps.map(() => 'pending')
  ps.forEach((p, i) =>
    p.then(
      () => (state[i] = 'ok'),
      () => (state[i] = 'failed'),
    ),
  )
  await turn()
  return state
}

test('direct: the records of one turn are one write; records pushed meanwhile wait for the next write', async () => {
  const out = new HeldStream()
  const w = new LineWriter(out, {mode: 'direct'})
  const bin = Buffer.from([0xff, 0x00, 0xfe])
  const first = [w.push([Buffer.from('a'), '\n']), w.push([bin, '\n']), w.push('é\n')]
  await turn()
  assert.deepEqual(out.writes, [Buffer.concat([Buffer.from('a\n'), bin, Buffer.from('\n'), Buffer.from('é\n', 'utf8')])])
  const second = [w.push(['b', '\n'])]
  assert.deepEqual(await settled([...first, ...second]), ['pending', 'pending', 'pending', 'pending'], 'nothing settles before the write calls back')
  out.release()
  assert.deepEqual(await settled([...first, ...second]), ['ok', 'ok', 'ok', 'pending'], 'the second turn is not in the first write')
  assert.deepEqual(out.writes[1], Buffer.from('b\n'))
  out.release()
  assert.deepEqual(await settled(second), ['ok'])
})

test('paced: the first write carries one record; the others resolve only with their own write', async () => {
  const out = new HeldStream()
  const w = new LineWriter(out, {mode: 'paced'})
  const ps = ['1', '2', '3'].map((s) => w.push([s, '\n']))
  await turn()
  assert.deepEqual(out.writes, [Buffer.from('1\n')])
  out.release()
  assert.deepEqual(await settled(ps), ['ok', 'pending', 'pending'])
  // flush writes the rest at once (its callback still held by the stream)
  const flushed = w.flush()
  assert.deepEqual(out.writes.slice(1), [Buffer.from('2\n3\n')])
  assert.deepEqual(await settled(ps), ['ok', 'pending', 'pending'])
  out.release()
  await flushed
  assert.deepEqual(await settled(ps), ['ok', 'ok', 'ok'])
})

for (const mode of ['direct', 'paced'] as OutputMode[]) {
  test(`${mode}: a failed write calls onError once, then rejects what it carried, what is queued and every later push`, async () => {
    const out = new HeldStream()
    const events: string[] = []
    const w = new LineWriter(out, {mode, onError: (e) => events.push(`onError ${e.message}`)})
    const inWrite = w.push(['x', '\n'])
    await turn()
    const queued = w.push(['y', '\n'])
    const record = (name: string, p: Promise<void>): Promise<void> =>
      p.then(
        () => void events.push(`${name} ok`),
        (e: Error) => void events.push(`${name} ${e.message}`),
      )
    const all = Promise.all([record('inWrite', inWrite), record('queued', queued)])
    out.release(new Error('EPIPE'))
    await all
    await record('later', w.push('z\n'))
    // onError first (tail stops the flow with RDY 0 there, before any REQ)
    assert.equal(events[0], 'onError EPIPE')
    assert.deepEqual(events.slice(1, 3).sort(), ['inWrite EPIPE', 'queued EPIPE'])
    assert.deepEqual(events.slice(3), ['later EPIPE'])
    assert.equal(out.writes.length, 1, 'nothing more is written after a failure')
  })
}

test('paced: thousands of records queued at once come out whole, in order, in writes of at most highWater bytes', async () => {
  const out = new Writable({
    highWaterMark: 1 << 30,
    write(chunk: Buffer, _enc, cb) {
      writes.push(Buffer.from(chunk))
      setImmediate(cb)
    },
  })
  const writes: Buffer[] = []
  const w = new LineWriter(out, {mode: 'paced', highWater: 4096})
  const lines = Array.from({length: 6000}, (_, i) => `${i}`.padStart(6, '0'))
  await Promise.all(lines.map((l) => w.push([Buffer.from(l), '\n'])))
  assert.equal(Buffer.concat(writes).toString(), lines.map((l) => `${l}\n`).join(''))
  assert.ok(
    writes.every((b) => b.length <= 4096),
    `a write of ${Math.max(...writes.map((b) => b.length))} bytes`,
  )
  assert.deepEqual(
    writes.slice(0, 4).map((b) => b.length),
    [7, 14, 28, 56],
    'the ramp: 1, 2, 4, 8 records',
  )
})
