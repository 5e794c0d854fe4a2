/**
 * DiskQueue on real files in a temporary directory: go-diskqueue's format read and written byte
 * for byte, rolls and deletion, holds (a record stays until its item is released), recovery of
 * what was written after the last metadata sync, corrupt segments, empty/delete, a failing disk
 * (a short write, EMFILE on open or while counting a crash's tail, a missing write segment).
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import {mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, appendFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {BrokerMessage, MESSAGE_RECORDS} from '../../../../src/core/broker/delivery/message.js'
import {release} from '../../../../src/core/broker/queue/backend.js'
import {DiskQueue, type DiskIO, type DiskQueueOptions} from '../../../../src/core/broker/queue/disk-queue.js'
import {createLogger} from '../../../../src/core/util/logger.js'
import {fullDisk, noFdsFor} from '../../../helpers/disk-io.js'

const MAX_MSG = 1024

interface Made {
  q: DiskQueue<BrokerMessage>
  lines: string[]
  wakes: (() => void)[]
}

function tmp(t: {after(fn: () => void): void}): string {
  const dir = mkdtempSync(join(tmpdir(), 'nsqkit-dq-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  return dir
}

function make(dir: string, over: Partial<DiskQueueOptions<BrokerMessage>> = {}, lines: string[] = []): Made {
  const wakes: (() => void)[] = []
  const q = new DiskQueue<BrokerMessage>({
    dir,
    name: 't:c',
    codec: MESSAGE_RECORDS,
    maxBytesPerFile: 100 * 1024 * 1024,
    maxRecordDataSize: 26 + MAX_MSG,
    syncEvery: 2500,
    syncTimeout: 2000,
    now: () => Date.now(),
    log: createLogger({level: 'debug', prefix: '', write: (l) => lines.push(l)}),
    dirty: () => {},
    wake: () => {
      for (const w of wakes.splice(0)) w()
    },
    ...over,
  })
  return {q, lines, wakes}
}

const idOf = (i: number): string => i.toString(16).padStart(16, '0')
const msg = (i: number, body = `m-${i}`): BrokerMessage => BrokerMessage.withId(idOf(i), Buffer.from(body), 0x11, i)

/** Read `n` items, waiting for the read-ahead when a read comes back empty. */
async function take(m: Made, n: number): Promise<BrokerMessage[]> {
  const out: BrokerMessage[] = []
  while (out.length < n) {
    const x = m.q.read()
    if (x !== undefined) {
      out.push(x)
      continue
    }
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`no item after ${out.length} of ${n} (depth ${m.q.depth()})`)), 3000)
      m.wakes.push(() => {
        clearTimeout(t)
        resolve()
      })
    })
  }
  return out
}

/** A queue in `dir` holding m-0 .. m-(n-1), closed: what a stopped broker left. */
async function written(dir: string, n: number): Promise<void> {
  const w = make(dir)
  for (let i = 0; i < n; i++) w.q.put(msg(i))
  await w.q.close()
}

const bodies = (xs: BrokerMessage[]): string[] => xs.map((x) => x.body.toString())
const range = (a: number, b: number): number[] => Array.from({length: b - a}, (_, i) => a + i)
const files = (dir: string): string[] => readdirSync(dir).sort()

/** go-diskqueue's record, written out by hand */
function record(i: number, attempts = 0, body = `m-${i}`): Buffer {
  const b = Buffer.from(body)
  const r = Buffer.alloc(4 + 26 + b.length)
  r.writeUInt32BE(26 + b.length, 0)
  r.writeUInt32BE(0x11, 4)
  r.writeUInt32BE(i, 8)
  r.writeUInt16BE(attempts, 12)
  r.write(idOf(i), 14, 'latin1')
  b.copy(r, 30)
  return r
}

test('what is put comes back in order after a close and a reopen', async (t) => {
  const dir = tmp(t)
  const a = make(dir)
  for (let i = 0; i < 100; i++) assert.equal(a.q.put(msg(i)), true)
  assert.equal(a.q.depth(), 100)
  a.q.flush()
  await a.q.close()
  const b = make(dir)
  assert.equal(b.q.depth(), 100)
  assert.deepEqual(bodies(await take(b, 100)), range(0, 100).map((i) => `m-${i}`))
  assert.equal(b.q.depth(), 0)
  await b.q.close()
})

test('the files are go-diskqueue\'s, byte for byte', async (t) => {
  const dir = tmp(t)
  const a = make(dir)
  const m = [msg(1), msg(2, 'second'), msg(3, '\u0000\u00ff')]
  m[1]!.attempts = 4
  for (const x of m) a.q.put(x)
  await a.q.close()
  const expected = Buffer.concat([record(1), record(2, 4, 'second'), record(3, 0, '\u0000\u00ff')])
  assert.deepEqual(files(dir), ['t:c.diskqueue.000000.dat', 't:c.diskqueue.meta.dat'])
  assert.deepEqual(readFileSync(join(dir, 't:c.diskqueue.000000.dat')), expected)
  assert.equal(readFileSync(join(dir, 't:c.diskqueue.meta.dat'), 'latin1'), `3\n0,0\n0,${expected.length}\n`)
})

test('files nsqd left are read: from its read position, with attempts and ids', async (t) => {
  const dir = tmp(t)
  const seg0 = Buffer.concat([record(10), record(11, 3)])
  const seg1 = Buffer.concat([record(12, 1, 'x'.repeat(500))])
  writeFileSync(join(dir, 't:c.diskqueue.000000.dat'), seg0)
  writeFileSync(join(dir, 't:c.diskqueue.000001.dat'), seg1)
  // nsqd has read the first record: its read position is after it
  writeFileSync(join(dir, 't:c.diskqueue.meta.dat'), `2\n0,${record(10).length}\n1,${seg1.length}\n`)
  const m = make(dir)
  assert.equal(m.q.depth(), 2)
  const got = await take(m, 2)
  assert.deepEqual(got.map((x) => [x.id, x.attempts, x.body.length, x.tsLow]), [
    [idOf(11), 3, 4, 11],
    [idOf(12), 1, 500, 12],
  ])
  assert.equal(m.q.read(), undefined)
  await m.q.close()
})

test('segments roll before --max-bytes-per-file and go once every record in them is released', async (t) => {
  const dir = tmp(t)
  const size = record(0).length // 34
  const m = make(dir, {maxBytesPerFile: size * 3, syncEvery: 1})
  for (let i = 0; i < 10; i++) m.q.put(msg(i))
  m.q.flush()
  assert.deepEqual(files(dir), ['t:c.diskqueue.000000.dat', 't:c.diskqueue.000001.dat', 't:c.diskqueue.000002.dat', 't:c.diskqueue.000003.dat', 't:c.diskqueue.meta.dat'])
  for (const f of files(dir).filter((f) => f.endsWith('00.dat') || /0[0-2]\.dat$/.test(f))) assert.ok(readFileSync(join(dir, f)).length <= size * 3, f)
  const got = await take(m, 10)
  assert.deepEqual(bodies(got), range(0, 10).map((i) => `m-${i}`))
  for (const x of got.slice(0, 7)) release(x)
  m.q.flush()
  assert.deepEqual(files(dir), ['t:c.diskqueue.000002.dat', 't:c.diskqueue.000003.dat', 't:c.diskqueue.meta.dat'], 'segments 0 and 1 are released, 2 still holds m-8')
  for (const x of got.slice(7)) release(x)
  await m.q.close()
  assert.equal(readFileSync(join(dir, 't:c.diskqueue.meta.dat'), 'latin1'), `0\n3,${size}\n3,${size}\n`)
})

test('a record read but not released is read again after a crash; released ones are not', async (t) => {
  const dir = tmp(t)
  const a = make(dir, {syncEvery: 1})
  for (let i = 0; i < 10; i++) a.q.put(msg(i))
  a.q.flush()
  const got = await take(a, 6)
  // released out of order: 1 first (held back by 0), then 0 — the hold moves past both; 3 stays
  release(got[1]!)
  release(got[0]!)
  release(got[2]!)
  release(got[4]!)
  a.q.flush() // the metadata is written (sync-every 1); then the process dies: no close
  assert.equal(readFileSync(join(dir, 't:c.diskqueue.meta.dat'), 'latin1').split('\n')[0], '7', 'depth counts the unread and the held: m-3..m-9')
  const b = make(dir)
  assert.equal(b.q.depth(), 7)
  assert.deepEqual(bodies(await take(b, 7)), ['m-3', 'm-4', 'm-5', 'm-6', 'm-7', 'm-8', 'm-9'], 'm-4 was released after m-3, which was not: it comes again (at least once)')
  await b.q.close()
})

test('a release is not one of --sync-every\'s operations (reads and writes are, as go-diskqueue); --sync-timeout syncs it', async (t) => {
  const dir = tmp(t)
  let now = 1_000_000
  const m = make(dir, {syncEvery: 4, now: () => now})
  const meta = (): string => readFileSync(join(dir, 't:c.diskqueue.meta.dat'), 'latin1').split('\n')[0] as string
  for (let i = 0; i < 3; i++) m.q.put(msg(i))
  m.q.flush() // 3 operations: no sync yet
  const got = await take(m, 1) // the 4th: synced at the next flush
  m.q.flush()
  assert.equal(meta(), '3', 'm-0 is still held: 3 from the read position')
  got.push(...(await take(m, 2))) // 2 operations
  m.q.flush()
  for (const x of got) release(x) // 3 releases: were they operations, the 4th would sync
  m.q.flush()
  assert.equal(meta(), '3', 'releases are no operations: the metadata waits')
  now += 1999
  m.q.tick(now)
  assert.equal(meta(), '3')
  now += 1
  m.q.tick(now)
  assert.equal(meta(), '0', '--sync-timeout after the releases: the read position moves past the three')
  await m.q.close()
})

test('records written after the last metadata sync are found and counted at the next start', async (t) => {
  const dir = tmp(t)
  const lines: string[] = []
  const a = make(dir)
  for (let i = 0; i < 5; i++) a.q.put(msg(i))
  await a.q.close() // metadata: 5 records
  const five = readFileSync(join(dir, 't:c.diskqueue.meta.dat'), 'latin1')
  const b = make(dir)
  for (let i = 5; i < 8; i++) b.q.put(msg(i)) // written, never synced: then the process dies
  b.q.flush()
  assert.equal(readFileSync(join(dir, 't:c.diskqueue.meta.dat'), 'latin1'), five, 'the stale metadata a crash leaves')
  // and a later segment the metadata never heard of
  writeFileSync(join(dir, 't:c.diskqueue.000001.dat'), Buffer.concat([record(8), record(9)]))
  const c = make(dir, {}, lines)
  assert.equal(c.q.depth(), 10)
  assert.ok(lines.some((l) => /found 5 records written after the last metadata sync/.test(l)), lines.join(''))
  c.q.put(msg(10))
  assert.deepEqual(bodies(await take(c, 11)), range(0, 11).map((i) => `m-${i}`))
  await c.q.close()
})

test('a torn record at the tail: the whole ones are read, writing goes on in a new file, the torn file is set aside', async (t) => {
  const dir = tmp(t)
  await written(dir, 3)
  appendFileSync(join(dir, 't:c.diskqueue.000000.dat'), record(3).subarray(0, 20)) // a write cut short
  const lines: string[] = []
  const b = make(dir, {}, lines)
  assert.ok(lines.some((l) => /not a whole record; writing goes on in a new file/.test(l)), lines.join(''))
  b.q.put(msg(4))
  assert.deepEqual(bodies(await take(b, 4)), ['m-0', 'm-1', 'm-2', 'm-4'])
  assert.ok(files(dir).includes('t:c.diskqueue.000000.dat.bad'), files(dir).join(' '))
  assert.ok(lines.some((l) => /cut short by the end of the file; renamed it t:c\.diskqueue\.000000\.dat\.bad/.test(l)), lines.join(''))
  await b.q.close()
})

test('a corrupt segment is renamed *.bad with an error line and reading goes on in the next one', async (t) => {
  const dir = tmp(t)
  const size = record(0).length
  const a = make(dir, {maxBytesPerFile: size * 3})
  for (let i = 0; i < 6; i++) a.q.put(msg(i))
  await a.q.close()
  // the second record of segment 0 claims 4 GiB
  const seg0 = join(dir, 't:c.diskqueue.000000.dat')
  const bytes = readFileSync(seg0)
  bytes.writeUInt32BE(0xfffffff0, size)
  writeFileSync(seg0, bytes)
  const lines: string[] = []
  const b = make(dir, {maxBytesPerFile: size * 3}, lines)
  const got = await take(b, 4)
  assert.deepEqual(bodies(got), ['m-0', 'm-3', 'm-4', 'm-5'])
  assert.ok(files(dir).includes('t:c.diskqueue.000000.dat.bad'))
  assert.ok(lines.some((l) => /ERROR: .*invalid message read size \(-16\); renamed it t:c\.diskqueue\.000000\.dat\.bad/.test(l)), lines.join(''))
  assert.equal(b.q.read(), undefined)
  assert.equal(b.q.depth(), 0, 'the depth the lost records left is reset at the end')
  for (const x of got) release(x)
  await b.q.close()
})

test('a record over the size limit is refused at put, with nsqd\'s error line', (t) => {
  const dir = tmp(t)
  const lines: string[] = []
  const m = make(dir, {maxRecordDataSize: 26 + 10}, lines)
  assert.equal(m.q.put(msg(1, 'x'.repeat(11))), false)
  assert.equal(m.q.put(msg(2, 'x'.repeat(10))), true)
  assert.ok(lines.some((l) => /invalid message write size \(37\) minMsgSize=26 maxMsgSize=36/.test(l)), lines.join(''))
})

test('write-through: a record put while the reader is caught up is read at once, without a disk read', async (t) => {
  const dir = tmp(t)
  const m = make(dir)
  const x = msg(1)
  m.q.put(x)
  assert.equal(m.q.read(), x, 'the same object, synchronously')
  release(x)
  await m.q.close()
})

test('empty() removes every segment and the queue goes on in the next file; delete() removes everything', async (t) => {
  const dir = tmp(t)
  const m = make(dir, {syncEvery: 1})
  for (let i = 0; i < 5; i++) m.q.put(msg(i))
  m.q.flush()
  const held = await take(m, 2)
  m.q.empty()
  assert.equal(m.q.depth(), 0)
  release(held[0]!) // a release from before the empty is ignored
  m.q.put(msg(9))
  m.q.flush()
  assert.deepEqual(files(dir), ['t:c.diskqueue.000001.dat', 't:c.diskqueue.meta.dat'])
  assert.deepEqual(bodies(await take(m, 1)), ['m-9'])
  await m.q.delete()
  assert.deepEqual(files(dir), [])
})

test('a failing disk: flush reports it and keeps the records; once writes succeed they are all there', async (t) => {
  const dir = tmp(t)
  const disk = fullDisk(true)
  const lines: string[] = []
  const m = make(dir, {io: disk.io, syncTimeout: 0}, lines)
  for (let i = 0; i < 3; i++) m.q.put(msg(i))
  assert.equal(m.q.flush(), false)
  assert.match(String(m.q.error?.message), /ENOSPC/)
  assert.equal(lines.filter((l) => /ERROR: DISKQUEUE\(t:c\) failed to write - ENOSPC/.test(l)).length, 1)
  disk.full = false
  m.q.tick(Date.now())
  assert.equal(m.q.error, null)
  await m.q.close()
  const b = make(dir)
  assert.deepEqual(bodies(await take(b, 3)), ['m-0', 'm-1', 'm-2'])
  await b.q.close()
})

test('an unreadable metadata file: an error line, and the queue starts empty', (t) => {
  const dir = tmp(t)
  writeFileSync(join(dir, 't:c.diskqueue.meta.dat'), 'garbage')
  const lines: string[] = []
  const m = make(dir, {}, lines)
  assert.equal(m.q.depth(), 0)
  assert.ok(lines.some((l) => /failed to retrieveMetaData - cannot parse/.test(l)))
})

test('a short write then ENOSPC: nothing counts as written (a reader behind never meets half a record), the retry writes whole records', async (t) => {
  const dir = tmp(t)
  await written(dir, 3)
  let mode: 'short' | 'ok' = 'short'
  const io: DiskIO = {
    ...fs,
    writeSync: ((fd: number, buf: Buffer, off: number, len: number, pos: number) => {
      if (mode === 'short') {
        mode = 'ok'
        fs.writeSync(fd, buf, off, Math.min(len, 10), pos) // a part of the first record lands...
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'})
      }
      return fs.writeSync(fd, buf, off, len, pos)
    }) as typeof fs.writeSync,
  }
  const m = make(dir, {io, syncTimeout: 0})
  for (let i = 3; i < 6; i++) m.q.put(msg(i))
  assert.equal(m.q.flush(), false)
  // the reader, behind the writer, reads what is on disk: the three older records only
  assert.deepEqual(bodies(await take(m, 3)), ['m-0', 'm-1', 'm-2'])
  m.q.tick(Date.now())
  assert.equal(m.q.error, null)
  assert.deepEqual(bodies(await take(m, 3)), ['m-3', 'm-4', 'm-5'], 'read back whole, the torn bytes overwritten')
  await m.q.close()
  assert.equal(readFileSync(join(dir, 't:c.diskqueue.000000.dat')).length, 6 * record(0).length)
  assert.deepEqual(files(dir), ['t:c.diskqueue.000000.dat', 't:c.diskqueue.meta.dat'], 'no *.bad')
})

test('segments released are removed at the next sync, after the metadata no longer points into them', async (t) => {
  const dir = tmp(t)
  const size = record(0).length
  const m = make(dir, {maxBytesPerFile: size * 2, syncEvery: 1_000_000, syncTimeout: 1_000_000})
  for (let i = 0; i < 6; i++) m.q.put(msg(i))
  m.q.flush()
  const got = await take(m, 6)
  for (const x of got.slice(0, 4)) release(x)
  assert.ok(files(dir).includes('t:c.diskqueue.000000.dat'), 'not at the release: a crash before the sync would need them')
  m.q.flush() // the barrier: a file boundary was crossed, so a sync is due
  assert.deepEqual(files(dir), ['t:c.diskqueue.000002.dat', 't:c.diskqueue.meta.dat'])
  assert.equal(readFileSync(join(dir, 't:c.diskqueue.meta.dat'), 'latin1'), `2\n2,0\n2,${2 * size}\n`, 'the hold at the start of file 2, not the end of file 1')
  await m.q.close() // a second sync, file 1's size forgotten with the file: still the start of file 2 (nsqd reads it)
  assert.equal(readFileSync(join(dir, 't:c.diskqueue.meta.dat'), 'latin1').split('\n')[1], '2,0')
  const lines: string[] = []
  const b = make(dir, {}, lines)
  assert.deepEqual(bodies(await take(b, 2)), ['m-4', 'm-5'])
  assert.deepEqual(lines.filter((l) => /ERROR/.test(l)), [])
  await b.q.close()
})

test('an open that fails with EMFILE keeps the segment and is tried again from tick()', async (t) => {
  const dir = tmp(t)
  await written(dir, 3)
  const fds = noFdsFor('.000000.dat')
  const lines: string[] = []
  const b = make(dir, {io: fds.io}, lines)
  assert.equal(b.q.read(), undefined)
  assert.ok(lines.some((l) => /ERROR: DISKQUEUE\(t:c\) failed to open t:c\.diskqueue\.000000\.dat - EMFILE.*trying again/.test(l)), lines.join('\n'))
  assert.deepEqual(files(dir), ['t:c.diskqueue.000000.dat', 't:c.diskqueue.meta.dat'], 'not renamed *.bad')
  assert.equal(b.q.depth(), 3)
  fds.failing = false
  b.q.tick(Date.now())
  assert.deepEqual(bodies(await take(b, 3)), ['m-0', 'm-1', 'm-2'])
  await b.q.close()
})

test('delete() removes the files at once: a queue of the same name made next starts empty and keeps what it is given', async (t) => {
  const dir = tmp(t)
  await written(dir, 100)
  const a = make(dir)
  assert.equal(a.q.read(), undefined) // a read is on its way
  const gone = a.q.delete()
  const b = make(dir)
  assert.equal(b.q.depth(), 0, 'no ghost messages')
  b.q.put(msg(1000))
  b.q.flush()
  await gone
  await b.q.close()
  const c = make(dir)
  assert.deepEqual(bodies(await take(c, 1)), ['m-1000'], 'the old deletion did not take the new files')
  await c.q.close()
})

test('close(): a read that lands while closing is dropped and its records are read at the next start', async (t) => {
  const dir = tmp(t)
  const a = make(dir)
  let woke = 0
  a.wakes.push(() => woke++)
  for (let i = 0; i < 5; i++) a.q.put(msg(i))
  await a.q.close()
  const b = make(dir)
  b.wakes.push(() => woke++)
  assert.equal(b.q.read(), undefined) // the read-ahead starts
  await b.q.close()
  assert.equal(woke, 0, 'no wake: nobody is handed records from a closing queue')
  const c = make(dir)
  assert.deepEqual(bodies(await take(c, 5)), range(0, 5).map((i) => `m-${i}`))
  await c.q.close()
})

test('stale(): a record held while over 100,000 later ones were read is due to be written anew', async (t) => {
  const dir = tmp(t)
  const m = make(dir)
  for (let i = 0; i < 100_002; i++) m.q.put(msg(i))
  m.q.flush()
  const [first] = await take(m, 1)
  const seq = (first as BrokerMessage).holdSeq
  for (const x of await take(m, 100_000)) release(x)
  assert.equal(m.q.stale(seq), false, '100,000 read since: still kept')
  for (const x of await take(m, 1)) release(x)
  assert.equal(m.q.stale(seq), true)
  await m.q.close()
})

test('an EMFILE while counting the records a crash left at the tail: depth stays above 0 and the count is made from tick()', async (t) => {
  const dir = tmp(t)
  const a = make(dir)
  for (let i = 0; i < 5; i++) a.q.put(msg(i))
  a.q.write() // written, no metadata: a kill -9 now
  const fds = noFdsFor('.000000.dat')
  const b = make(dir, {io: fds.io})
  assert.ok(b.q.depth() > 0, 'nothing may overtake the records not yet counted')
  fds.failing = false
  b.q.tick(Date.now())
  assert.equal(b.q.depth(), 5)
  assert.deepEqual(bodies(await take(b, 5)), range(0, 5).map((i) => `m-${i}`))
  await b.q.close()
})

test('the write segment missing at start: the reader does not run past the writer, and a new record is read', async (t) => {
  const dir = tmp(t)
  writeFileSync(join(dir, 't:c.diskqueue.meta.dat'), '3\n0,0\n0,100\n')
  const lines: string[] = []
  const b = make(dir, {}, lines)
  assert.equal(b.q.read(), undefined, 'returns (it used to spin for ever)')
  assert.ok(lines.some((l) => /t:c\.diskqueue\.000000\.dat is missing/.test(l)), lines.join('\n'))
  b.q.put(msg(7))
  b.q.flush()
  assert.deepEqual(bodies(await take(b, 1)), ['m-7'])
  assert.equal(b.q.depth(), 0)
  await b.q.close()
})

test('a reader waiting on a failed write is woken once tick() writes it', async (t) => {
  const dir = tmp(t)
  const a = make(dir)
  a.q.put(msg(0))
  await a.q.close()
  const disk = fullDisk(false)
  const m = make(dir, {io: disk.io})
  assert.equal(m.q.read(), undefined) // the read of m-0 is on its way: m-1 will not be written through
  disk.full = true
  m.q.put(msg(1))
  m.q.flush() // ENOSPC: m-1 waits in memory
  assert.deepEqual(bodies(await take(m, 1)), ['m-0'])
  assert.equal(m.q.read(), undefined, 'm-1 is not written yet')
  disk.full = false
  const woken = new Promise<void>((resolve) => m.wakes.push(resolve))
  m.q.tick(Date.now())
  await woken
  assert.deepEqual(bodies(await take(m, 1)), ['m-1'])
  await m.q.close()
})
