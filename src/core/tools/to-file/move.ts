/**
 * The move of a finished file from the work dir to the output dir, which never overwrites
 * (NSQ-SPEC §1.2 "Close / move": nsq_to_file's "exclusive rename").
 *
 *   mkdir -p dirname(dst) (0o770, as Go's MkdirAll(dir, 0770))
 *   link(src, dst)        EEXIST: the same inode as src? (a crash between link and unlink:
 *                         the move was done) then just unlink src; else dst = dstFor(rev + 1) …
 *   fsync dirname(dst)    the new name is durable before the old one goes
 *   unlink(src)
 *
 * A crash at any point leaves the file under src, under dst, or under both (one inode), never
 * under neither, and running the move again finishes it.
 *
 * link(2) cannot cross filesystems (EXDEV: the work dir and the output dir on different mounts).
 * Then the file is copied to `.<name>.tmp-<pid>` in dst's directory and fsynced, and that copy is
 * linked in exclusively as above (EEXIST → the next rev), then the temp name and src are unlinked.
 * A crash in there can leave the hidden temp copy, or, after the link, src and its copy at dst
 * (a second move then copies it again under the next rev: a duplicate, never a loss).
 *
 * `fsOps.link` replaces link(2) (the tests inject EXDEV with it).
 */
import {constants} from 'node:fs'
import {copyFile, link as fsLink, mkdir, open, rm, stat, unlink} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

export interface MoveFsOps {
  link?: (existingPath: string, newPath: string) => Promise<void>
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code
}

/**
 * Move a finished file without ever overwriting: mkdir -p the destination's directory (mode
 * 0o770), link(src, dst) then unlink(src); on EEXIST try dstFor(rev + 1), dstFor(rev + 2), ...
 * If src is already linked at dst (same dev and ino: a crash between link and unlink) just unlink
 * src. fsync the destination directory after the link. Returns the final destination path.
 */
export async function exclusiveMove(src: string, dstFor: (rev: number) => string, rev: number, fsOps?: MoveFsOps): Promise<string> {
  const link = fsOps?.link ?? fsLink
  for (let r = rev; ; r++) {
    const dst = dstFor(r)
    await mkdir(dirname(dst), {recursive: true, mode: 0o770})
    try {
      await link(src, dst)
    } catch (err) {
      if (code(err) === 'EXDEV') return copyMove(src, dstFor, r, link)
      if (code(err) !== 'EEXIST') throw err
      if (await sameFile(src, dst)) {
        await unlink(src)
        return dst
      }
      continue
    }
    await syncDir(dirname(dst))
    await unlink(src)
    return dst
  }
}

/** The EXDEV fallback: copy into dst's directory under a temp name, fsync, link it in exclusively. */
async function copyMove(src: string, dstFor: (rev: number) => string, rev: number, link: (a: string, b: string) => Promise<void>): Promise<string> {
  const first = dstFor(rev)
  const tmp = join(dirname(first), `.${basename(first)}.tmp-${process.pid}`)
  await mkdir(dirname(tmp), {recursive: true, mode: 0o770})
  await rm(tmp, {force: true}) // left by an earlier crash of a process with this pid
  try {
    await copyFile(src, tmp, constants.COPYFILE_EXCL)
    await syncFile(tmp)
    for (let r = rev; ; r++) {
      const dst = dstFor(r)
      await mkdir(dirname(dst), {recursive: true, mode: 0o770})
      try {
        await link(tmp, dst)
      } catch (err) {
        if (code(err) === 'EEXIST') continue
        throw err
      }
      await syncDir(dirname(dst))
      await unlink(tmp)
      await unlink(src)
      return dst
    }
  } finally {
    await rm(tmp, {force: true}) // on a failure
  }
}

async function sameFile(a: string, b: string): Promise<boolean> {
  const [sa, sb] = await Promise.all([stat(a), stat(b)])
  return sa.dev === sb.dev && sa.ino === sb.ino
}

async function syncFile(path: string): Promise<void> {
  const fh = await open(path, 'r')
  try {
    await fh.sync()
  } finally {
    await fh.close()
  }
}

async function syncDir(dir: string): Promise<void> {
  return syncFile(dir)
}
