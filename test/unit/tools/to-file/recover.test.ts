/**
 * validLength / repairFile on real files: a file cut at every offset keeps exactly its whole
 * gzip members (checked by the real gzip -t and zcat) or its whole records; a corrupt member
 * ends the prefix; a 50 MB file is read in bounded memory.
 */
import test, {after} from 'node:test'
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {open} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import zlib from 'node:zlib'

import {repairFile, validLength, type RecordFormat} from '../../../../src/core/tools/to-file/recover.js'

const dir = mkdtempSync(join(tmpdir(), 'nsqkit-recover-'))
after(() => rmSync(dir, {recursive: true, force: true}))

let seq = 0
function file(bytes: Uint8Array, ext = '.log'): string {
  const p = join(dir, `f${seq++}${ext}`)
  writeFileSync(p, bytes)
  return p
}

const GZIP = spawnSync('gzip', ['--version']).error ? null : 'gzip'
const NO_GZIP = 'gzip not found on PATH: the gzip -t / zcat checks need it'

function run(cmd: string, args: string[]): Promise<{code: number | null; stdout: Buffer; stderr: string}> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    let stderr = ''
    child.stdout.on('data', (b: Buffer) => out.push(b))
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({code, stdout: Buffer.concat(out), stderr}))
  })
}

/** Run fn over items, `width` at a time. */
async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  await Promise.all(
    Array.from({length: width}, async () => {
      while (next < items.length) await fn(items[next++] as T)
    }),
  )
}

function crcLE(data: Uint8Array): Buffer {
  const b = Buffer.alloc(8)
  b.writeUInt32LE(zlib.crc32(data), 0)
  b.writeUInt32LE(data.length % 2 ** 32, 4)
  return b
}

/** A member with FEXTRA (one subfield), FNAME, FCOMMENT and FHCRC, built by hand (RFC 1952). */
function flaggedMember(data: Uint8Array): Buffer {
  const extra = Buffer.from([0x41, 0x70, 3, 0, 1, 2, 3]) // SI1 SI2 LEN=3 and 3 bytes
  const xlen = Buffer.alloc(2)
  xlen.writeUInt16LE(extra.length)
  const head = Buffer.concat([
    Buffer.from([0x1f, 0x8b, 8, 0x04 | 0x08 | 0x10 | 0x02, 0x78, 0x56, 0x34, 0x12, 0, 3]),
    xlen,
    extra,
    Buffer.from('batch-0001.log\0comment\0', 'latin1'),
  ])
  const hcrc = Buffer.alloc(2)
  hcrc.writeUInt16LE(zlib.crc32(head) & 0xffff)
  return Buffer.concat([head, hcrc, zlib.deflateRawSync(data), crcLE(data)])
}

interface Member {
  bytes: Buffer
  data: Buffer
}

function members(): Member[] {
  const batches: [Buffer, (d: Buffer) => Buffer][] = [
    [Buffer.from('one\ntwo\n'), (d) => zlib.gzipSync(d)],
    [Buffer.from('three\nfour\n'), flaggedMember],
    [Buffer.alloc(0), (d) => zlib.gzipSync(d)], // Go's gzip.Writer closed with nothing written
    [Buffer.from('five\n'.repeat(20)), (d) => zlib.gzipSync(d, {level: 9})],
    [Buffer.from([0, 1, 2, 0x0a, 0xff, 0x1f, 0x8b, 0x0a]), (d) => zlib.gzipSync(d, {level: 0})], // stored block
    [Buffer.from('six\n'), (d) => zlib.gzipSync(d)],
  ]
  return batches.map(([data, make]) => ({data, bytes: make(data)}))
}

test('gzip: the hand-made flagged member is one gzip -t accepts', {skip: GZIP ? false : NO_GZIP}, async () => {
  const p = file(flaggedMember(Buffer.from('x\n')), '.gz')
  const t = await run(GZIP as string, ['-t', p])
  assert.equal(t.code, 0, t.stderr)
  assert.equal((await run(GZIP as string, ['-cd', p])).stdout.toString(), 'x\n')
})

test('gzip: cut at every offset, validLength is the end of the last whole member; repairFile leaves what gzip -t and zcat accept', async (t) => {
  const ms = members()
  const whole = Buffer.concat(ms.map((m) => m.bytes))
  const ends: number[] = [0]
  for (const m of ms) ends.push((ends.at(-1) as number) + m.bytes.length)
  const dataUpTo = (end: number): Buffer => Buffer.concat(ms.slice(0, ends.indexOf(end)).map((m) => m.data))

  const repaired: {path: string; want: Buffer}[] = []
  for (let cut = 0; cut <= whole.length; cut++) {
    const want = ends.filter((e) => e <= cut).at(-1) as number
    const p = file(whole.subarray(0, cut), '.gz')
    assert.equal(await validLength(p, {gzip: true, format: 'raw'}), want, `cut at ${cut}`)
    const r = await repairFile(p, {gzip: true, format: 'raw'})
    assert.deepEqual(r, {size: cut, validLength: want, action: want === 0 ? 'removed' : want === cut ? 'ok' : 'truncated'}, `cut at ${cut}`)
    if (want === 0) {
      assert.equal(existsSync(p), false, `cut at ${cut}: removed`)
      continue
    }
    assert.deepEqual(readFileSync(p), whole.subarray(0, want), `cut at ${cut}`)
    repaired.push({path: p, want: dataUpTo(want)})
  }
  assert.ok(repaired.length > 0)
  if (!GZIP) return t.skip(NO_GZIP)
  const checked = await run(GZIP, ['-t', ...repaired.map((r) => r.path)])
  assert.equal(checked.code, 0, `gzip -t: ${checked.stderr}`)
  await pool(repaired, 8, async ({path, want}) => {
    const z = await run(GZIP, ['-cd', path])
    assert.equal(z.code, 0, `zcat ${path}: ${z.stderr}`)
    assert.deepEqual(z.stdout, want, `zcat ${path}`)
  })
})

test('gzip: a bad member ends the prefix before it, though whole members follow', {skip: GZIP ? false : NO_GZIP}, async () => {
  const a = zlib.gzipSync(Buffer.from('a\n'))
  const data = Buffer.from('stored bytes\n')
  const b = zlib.gzipSync(data, {level: 0}) // the body is stored verbatim: a flipped byte inflates fine, with a wrong CRC
  const c = zlib.gzipSync(Buffer.from('c\n'))
  const dataAt = b.indexOf(data)
  assert.ok(dataAt > 0)
  const flaggedNameAt = flaggedMember(data).indexOf('batch')
  const cases: [string, Buffer][] = [
    ['a byte of the stored body', Buffer.concat([a, flip(b, dataAt + 3), c])],
    ['a byte of the CRC-32', Buffer.concat([a, flip(b, b.length - 8), c])],
    ['a byte of ISIZE', Buffer.concat([a, flip(b, b.length - 2), c])],
    ['the magic', Buffer.concat([a, flip(b, 1), c])],
    ['a reserved FLG bit', Buffer.concat([a, orAt(b, 3, 0x20), c])],
    ['a byte of FNAME (FHCRC no longer matches)', Buffer.concat([a, flip(flaggedMember(data), flaggedNameAt), c])],
    ['the deflate stream (invalid block type)', Buffer.concat([a, orAt(zlib.gzipSync(data), 10, 0x06), c])],
  ]
  for (const [what, bytes] of cases) {
    const p = file(bytes, '.gz')
    assert.equal(await validLength(p, {gzip: true, format: 'raw'}), a.length, what)
    assert.equal((await repairFile(p, {gzip: true, format: 'raw'})).action, 'truncated', what)
    const z = await run(GZIP as string, ['-t', p])
    assert.equal(z.code, 0, `${what}: ${z.stderr}`)
  }
})

function flip(b: Buffer, i: number): Buffer {
  return orAt(b, i, 0, 0xff)
}
function orAt(b: Buffer, i: number, or: number, xor = 0): Buffer {
  const c = Buffer.from(b)
  c[i] = ((c[i] as number) | or) ^ xor
  return c
}

test('gzip: a 0-byte file and a file with no whole member are removed; a whole file is ok', async () => {
  const empty = file(Buffer.alloc(0), '.gz')
  assert.deepEqual(await repairFile(empty, {gzip: true, format: 'raw'}), {size: 0, validLength: 0, action: 'removed'})
  assert.equal(existsSync(empty), false)
  const m = zlib.gzipSync(Buffer.from('x\n'))
  const torn = file(m.subarray(0, m.length - 1), '.gz')
  assert.equal((await repairFile(torn, {gzip: true, format: 'raw'})).action, 'removed')
  assert.equal(existsSync(torn), false)
  const whole = file(Buffer.concat([m, m]), '.gz')
  assert.deepEqual(await repairFile(whole, {gzip: true, format: 'raw'}), {size: 2 * m.length, validLength: 2 * m.length, action: 'ok'})
  assert.deepEqual(readFileSync(whole), Buffer.concat([m, m]))
})

test('gzip: 50 MB of members (one of them 20 MB) in bounded memory, cut inside the last member', async () => {
  const p = join(dir, 'big.gz')
  const fh = await open(p, 'w')
  const mb = Buffer.alloc(1 << 20)
  for (let i = 0; i < mb.length; i++) mb[i] = (i * 2654435761) >>> 24
  const small = zlib.gzipSync(mb, {level: 0}) // stored: 1 MB in, 1 MB out, fast
  let ends = 0
  for (let i = 0; i < 15; i++) {
    await fh.write(small)
    ends += small.length
  }
  // a 20 MB member, written as one gzip member of twenty 1 MB deflate blocks
  const big = zlib.createGzip({level: 0})
  const parts: Buffer[] = []
  big.on('data', (b: Buffer) => parts.push(b))
  for (let i = 0; i < 20; i++) big.write(mb)
  await new Promise<void>((resolve) => big.end(resolve))
  const bigMember = Buffer.concat(parts)
  parts.length = 0
  await fh.write(bigMember)
  ends += bigMember.length
  const bigEnd = ends
  for (let i = 0; i < 15; i++) {
    await fh.write(small)
    ends += small.length
  }
  await fh.close()
  assert.ok(ends > 50e6)

  const before = process.memoryUsage().rss
  let peak = before
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5)
  const started = Date.now()
  try {
    assert.equal(await validLength(p, {gzip: true, format: 'raw'}), ends)
    // cut 100 bytes into the last member: everything before it stays
    const torn = await open(p, 'r+')
    await torn.truncate(ends - small.length + 100)
    await torn.close()
    assert.equal(await validLength(p, {gzip: true, format: 'raw'}), ends - small.length)
    // cut inside the 20 MB member's trailer
    const torn2 = await open(p, 'r+')
    await torn2.truncate(bigEnd - 3)
    await torn2.close()
    assert.equal(await validLength(p, {gzip: true, format: 'raw'}), bigEnd - bigMember.length)
  } finally {
    clearInterval(sampler)
  }
  const grew = peak - before
  assert.ok(grew < 40e6, `rss grew by ${(grew / 1e6).toFixed(1)} MB reading a 50 MB file`)
  assert.ok(Date.now() - started < 5000)
})

/** Each record's bytes in the format, and its end offsets. */
function records(format: RecordFormat, bodies: Buffer[]): {bytes: Buffer; ends: number[]} {
  const parts = bodies.map((b) => {
    if (format === 'raw') return Buffer.concat([b, Buffer.from('\n')])
    if (format === 'json') return Buffer.from(JSON.stringify({topic: 't', body: b.toString('latin1')}) + '\n')
    const len = Buffer.alloc(4)
    len.writeUInt32BE(b.length)
    return Buffer.concat([len, b])
  })
  const ends = [0]
  for (const p of parts) ends.push((ends.at(-1) as number) + p.length)
  return {bytes: Buffer.concat(parts), ends}
}

const BODIES = [
  Buffer.from('first'),
  Buffer.from([0x00, 0xff, 0x0a, 0x0a, 0x01]), // '\n' inside the body
  Buffer.from('third\nline'),
  Buffer.from([0x0a]),
  Buffer.alloc(0),
  Buffer.from('last'),
]

for (const format of ['raw', 'json', 'length-prefixed'] as const) {
  test(`${format}: cut at every offset, validLength is the end of the last whole record; repairFile cuts to it`, async () => {
    // raw records split at every '\n', body or not: that is the format
    const bodies = format === 'raw' ? BODIES.filter((b) => !b.includes(0x0a)) : BODIES
    const {bytes, ends} = records(format, bodies)
    for (let cut = 0; cut <= bytes.length; cut++) {
      let want = ends.filter((e) => e <= cut).at(-1) as number
      if (format !== 'length-prefixed') want = bytes.subarray(0, cut).lastIndexOf(0x0a) + 1
      if (format === 'json') assert.equal(want, ends.filter((e) => e <= cut).at(-1), 'json escapes every newline')
      const p = file(bytes.subarray(0, cut))
      assert.equal(await validLength(p, {gzip: false, format}), want, `cut at ${cut}`)
      const r = await repairFile(p, {gzip: false, format})
      assert.deepEqual(r, {size: cut, validLength: want, action: want === cut ? 'ok' : 'truncated'}, `cut at ${cut}`)
      assert.deepEqual(readFileSync(p), bytes.subarray(0, want), `cut at ${cut}: an empty plain file is kept`)
    }
  })
}

test('raw: bodies in the raw format, each cut keeps the records whose \\n is in', async () => {
  const {bytes} = records('raw', BODIES)
  const p = file(bytes.subarray(0, bytes.indexOf('third') + 8))
  assert.equal(await validLength(p, {gzip: false, format: 'raw'}), bytes.indexOf('third') + 6)
})

test('plain: records that span the 64 KiB read window', async () => {
  // raw: the last '\n' is more than one window back from the end
  const long = Buffer.alloc(200_000, 0x61)
  const raw = records('raw', [Buffer.from('a'), long])
  const p = file(raw.bytes.subarray(0, raw.bytes.length - 1))
  assert.equal(await validLength(p, {gzip: false, format: 'raw'}), 2)
  assert.equal(await validLength(file(raw.bytes.subarray(0, 150_000)), {gzip: false, format: 'raw'}), 2)
  assert.equal(await validLength(file(long), {gzip: false, format: 'raw'}), 0)

  // length-prefixed: many small records (a length split across a window's edge) and a big one
  const tiny = Array.from({length: 30_000}, (_, i) => Buffer.from([i & 0xff, 0x0a, i >> 8]))
  const lp = records('length-prefixed', [...tiny, long, Buffer.from('end')])
  for (const cut of [65_534, 65_535, 65_536, 65_537, 65_538, 131_071, 131_072, lp.ends[30_000] as number, (lp.ends[30_000] as number) + 3, (lp.ends[30_001] as number) - 1, lp.bytes.length - 1, lp.bytes.length]) {
    const want = lp.ends.filter((e) => e <= cut).at(-1)
    assert.equal(await validLength(file(lp.bytes.subarray(0, cut)), {gzip: false, format: 'length-prefixed'}), want, `cut at ${cut}`)
  }
})

test('repairFile on a path that does not exist rejects with ENOENT', async () => {
  await assert.rejects(repairFile(join(dir, 'missing.gz'), {gzip: true, format: 'raw'}), {code: 'ENOENT'})
  await assert.rejects(validLength(join(dir, 'missing.log'), {gzip: false, format: 'raw'}), {code: 'ENOENT'})
  assert.equal(statSync(dir).isDirectory(), true)
})
