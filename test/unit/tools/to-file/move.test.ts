/**
 * exclusiveMove on real files: it never overwrites (a clash takes the next rev), finishes a move a
 * crash interrupted (src already linked at dst), creates the destination's directories, and
 * falls back to copy + link when link(2) says EXDEV (injected: there is one filesystem here).
 */
import test, {after} from 'node:test'
import assert from 'node:assert/strict'
import {existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {link} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {basename, dirname, join} from 'node:path'

import {exclusiveMove} from '../../../../src/core/tools/to-file/move.js'

const root = mkdtempSync(join(tmpdir(), 'nsqkit-move-'))
after(() => rmSync(root, {recursive: true, force: true}))

let seq = 0
/** A work dir with one file in it, and an output dir (not created) with a <REV> template. */
function setup(content = 'the records\n'): {src: string; out: string; dstFor: (rev: number) => string} {
  const base = join(root, `case${seq++}`)
  mkdirSync(join(base, 'work'), {recursive: true})
  const src = join(base, 'work', 'topic.host.log')
  writeFileSync(src, content)
  const out = join(base, 'out')
  return {src, out, dstFor: (rev) => join(out, '2024', '05', `topic.host-${String(rev).padStart(6, '0')}.log`)}
}

function exdev(): NodeJS.ErrnoException {
  return Object.assign(new Error('EXDEV: cross-device link not permitted'), {code: 'EXDEV'})
}

test('moves the file, creating the destination directories (0o770)', async () => {
  const {src, out, dstFor} = setup()
  const dst = await exclusiveMove(src, dstFor, 0)
  assert.equal(dst, dstFor(0))
  assert.equal(existsSync(src), false, 'src is gone')
  assert.equal(readFileSync(dst, 'utf8'), 'the records\n')
  for (const d of [out, join(out, '2024'), join(out, '2024', '05')]) {
    assert.equal(statSync(d).mode & 0o7, 0, `${d}: no access for others (0o770 under the umask)`)
  }
})

test('a clash takes the next rev, twice, and leaves the existing files alone', async () => {
  const {src, dstFor} = setup()
  mkdirSync(dirname(dstFor(0)), {recursive: true})
  writeFileSync(dstFor(3), 'rev 3\n')
  writeFileSync(dstFor(4), 'rev 4\n')
  const dst = await exclusiveMove(src, dstFor, 3)
  assert.equal(dst, dstFor(5))
  assert.equal(readFileSync(dstFor(3), 'utf8'), 'rev 3\n')
  assert.equal(readFileSync(dstFor(4), 'utf8'), 'rev 4\n')
  assert.equal(readFileSync(dst, 'utf8'), 'the records\n')
  assert.equal(existsSync(src), false)
  assert.equal(existsSync(dstFor(0)), false, 'revs below the given one are not tried')
})

test('src already linked at dst (a crash between link and unlink): only src is unlinked', async () => {
  const {src, dstFor} = setup()
  mkdirSync(dirname(dstFor(0)), {recursive: true})
  writeFileSync(dstFor(0), 'another file\n')
  linkSync(src, dstFor(1)) // the earlier move had taken rev 1, then crashed
  const dst = await exclusiveMove(src, dstFor, 0)
  assert.equal(dst, dstFor(1))
  assert.equal(existsSync(src), false)
  assert.equal(readFileSync(dst, 'utf8'), 'the records\n')
  assert.equal(statSync(dst).nlink, 1)
  assert.equal(existsSync(dstFor(2)), false, 'no second copy')
  assert.equal(readFileSync(dstFor(0), 'utf8'), 'another file\n')
})

test('EXDEV: copy to a temp name in the destination dir, link it in (next rev on a clash), unlink both', async () => {
  const {src, dstFor} = setup('x'.repeat(100_000))
  mkdirSync(dirname(dstFor(0)), {recursive: true})
  writeFileSync(dstFor(0), 'rev 0\n')
  const calls: [string, string][] = []
  const crossDevice = async (a: string, b: string): Promise<void> => {
    calls.push([a, b])
    if (a === src) throw exdev()
    await link(a, b)
  }
  const dst = await exclusiveMove(src, dstFor, 0, {link: crossDevice})
  assert.equal(dst, dstFor(1))
  assert.equal(readFileSync(dst, 'utf8'), 'x'.repeat(100_000))
  assert.equal(readFileSync(dstFor(0), 'utf8'), 'rev 0\n')
  assert.equal(existsSync(src), false, 'src is gone')
  const tmp = join(dirname(dstFor(0)), `.${basename(dstFor(0))}.tmp-${process.pid}`)
  assert.deepEqual(calls, [
    [src, dstFor(0)],
    [tmp, dstFor(0)],
    [tmp, dstFor(1)],
  ])
  assert.deepEqual(readdirSync(dirname(dst)).sort(), [basename(dstFor(0)), basename(dstFor(1))], 'no temp file left')
})

test('EXDEV, then a failing link: the error comes out, the temp copy is removed, src stays', async () => {
  const {src, dstFor} = setup()
  const eio = Object.assign(new Error('EIO'), {code: 'EIO'})
  const failing = async (a: string): Promise<void> => {
    throw a === src ? exdev() : eio
  }
  await assert.rejects(exclusiveMove(src, dstFor, 0, {link: failing}), {code: 'EIO'})
  assert.equal(readFileSync(src, 'utf8'), 'the records\n')
  assert.deepEqual(readdirSync(dirname(dstFor(0))), [])
})

test('a missing src rejects with ENOENT and creates no destination file', async () => {
  const {src, dstFor} = setup()
  rmSync(src)
  await assert.rejects(exclusiveMove(src, dstFor, 0), {code: 'ENOENT'})
  assert.equal(existsSync(dstFor(0)), false)
})
