/**
 * What a run that was killed left behind (upstream #716: a crash leaves a malformed .gz), put
 * right before anything new is written.
 *
 *  - With a separate work dir: every file there that this namer writes (its host, a wanted
 *    topic, any datetime, rev or pid) was unfinished. Each is cut back to its last whole gzip
 *    member or record (recover.ts) and moved to the output dir without overwriting (move.ts,
 *    rev bumped on a clash); one cut to nothing is removed. Nothing FINed is lost: a FIN always
 *    follows the fsync of a whole member or batch of records.
 *  - Without one: the files of this namer in the output dir are checked the same way and cut
 *    back in place (a file that is whole is left untouched), so an unfinished .gz becomes valid
 *    and an appended plain file never continues a torn record.
 *
 * The files are found by walking the directory as deep as the filename format has '/'.
 */
import {open, readdir} from 'node:fs/promises'
import {join} from 'node:path'
import type {Logger} from '../../util/logger.js'
import type {RecordFormat} from '../record-format.js'
import {exclusiveMove} from './move.js'
import type {FileNamer} from './naming.js'
import {repairFile} from './recover.js'

export interface LeftoversOptions {
  namer: FileNamer
  workDir: string
  outputDir: string
  gzip: boolean
  format: RecordFormat
  topicOk: (topic: string) => boolean
  log: Logger
}

/** The relative paths ('/'-separated) of the regular files under `dir`, at most `depth` levels down. */
async function listFiles(dir: string, depth: number, prefix = ''): Promise<string[]> {
  let entries
  try {
    entries = await readdir(join(dir, prefix), {withFileTypes: true})
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: string[] = []
  for (const e of entries) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`
    if (e.isFile()) out.push(rel)
    else if (e.isDirectory() && depth > 0) out.push(...(await listFiles(dir, depth - 1, rel)))
  }
  return out.sort()
}

/** Repair (and from a work dir, move) every file a killed run of this namer left. */
export async function recoverLeftovers(o: LeftoversOptions): Promise<void> {
  const separate = o.workDir !== o.outputDir
  const dir = separate ? o.workDir : o.outputDir
  for (const rel of await listFiles(dir, o.namer.depth)) {
    const parsed = o.namer.parse(rel, o.topicOk)
    if (parsed === null) continue
    const path = join(dir, rel)
    // a .gz this tool wrote is empty or starts with gzip's magic: anything else is not ours, left alone
    if (o.gzip && !(await mayBeOurGzip(path))) {
      o.log.warn(`left alone: ${path} has the name of an output file but is not gzip`)
      continue
    }
    const r = await repairFile(path, {gzip: o.gzip, format: o.format})
    if (r.action === 'truncated') o.log.warn(`recovered ${path}: cut from ${r.size} to ${r.validLength} bytes (the end was written by a run that did not finish; nothing in it was FINed)`)
    if (r.action === 'removed') {
      o.log.warn(`recovered ${path}: removed (${r.size} bytes, no whole record)`)
      continue
    }
    if (!separate) continue
    const dst = await exclusiveMove(path, (rev) => join(o.outputDir, parsed.withRev(rev)), parsed.rev)
    o.log.info(`recovered ${path}: moved to ${dst}`)
  }
}

/** Empty, or starting with gzip's magic bytes (1f 8b). */
async function mayBeOurGzip(path: string): Promise<boolean> {
  const fh = await open(path, 'r')
  try {
    const b = Buffer.alloc(2)
    const {bytesRead} = await fh.read(b, 0, 2, 0)
    return bytesRead === 0 || (bytesRead === 2 && b[0] === 0x1f && b[1] === 0x8b) || (bytesRead === 1 && b[0] === 0x1f)
  } finally {
    await fh.close()
  }
}
