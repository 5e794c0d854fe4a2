/**
 * Reading what a file-writing tool (`nsqkit to-file`) left on disk, independently of the code
 * that wrote it: temp directories removed after the tests, the files under a directory, gzip
 * members split one by one (Node's zlib on each member's raw deflate stream, the 10-byte header
 * and 8-byte trailer checked by hand, so a file that only looks whole still fails), the system's
 * `gzip -t` as a second opinion, and length-prefixed records.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {inflateRawSync} from 'node:zlib'
import {crc32} from '../../src/core/util/crc32.js'

/** Temp directories made by `make()`, all removed by `cleanup()` (an after hook). */
export class TempDirs {
  private readonly dirs: string[] = []

  constructor(private readonly prefix: string) {}

  make(): string {
    const d = mkdtempSync(join(tmpdir(), `${this.prefix}-`))
    this.dirs.push(d)
    return d
  }

  cleanup(): void {
    for (const d of this.dirs.splice(0)) rmSync(d, {recursive: true, force: true})
  }
}

/** The regular files under `dir` (relative paths, '/'-separated, sorted); [] if it does not exist. */
export function listFiles(dir: string, prefix = ''): string[] {
  let entries
  try {
    entries = readdirSync(join(dir, prefix), {withFileTypes: true})
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
  const out: string[] = []
  for (const e of entries) {
    const rel = prefix === '' ? e.name : `${prefix}/${e.name}`
    if (e.isDirectory()) out.push(...listFiles(dir, rel))
    else if (e.isFile()) out.push(rel)
  }
  return out.sort()
}

const FTEXT = 1
const FHCRC = 2
const FEXTRA = 4
const FNAME = 8
const FCOMMENT = 16

/**
 * The decompressed content of each gzip member of `buf`, in order (RFC 1952). Throws (with the
 * member's offset) on a bad magic, a truncated member, a CRC-32 or ISIZE mismatch, or trailing
 * bytes that are not a member: what a reader of a torn file would hit.
 */
export function gzipMembers(buf: Buffer): Buffer[] {
  const out: Buffer[] = []
  let off = 0
  while (off < buf.length) {
    const at = off
    const fail = (why: string): never => {
      throw new Error(`gzip member at byte ${at} of ${buf.length}: ${why}`)
    }
    if (buf.length - off < 18) fail('truncated header or trailer')
    if (buf[off] !== 0x1f || buf[off + 1] !== 0x8b || buf[off + 2] !== 8) fail('not a gzip member (bad magic)')
    const flags = buf[off + 3] as number
    if (flags & ~(FTEXT | FHCRC | FEXTRA | FNAME | FCOMMENT)) fail('reserved flag bits set')
    let p = off + 10
    if (flags & FEXTRA) p += 2 + buf.readUInt16LE(p)
    for (const f of [FNAME, FCOMMENT]) {
      if (flags & f) {
        const z = buf.indexOf(0, p)
        if (z < 0) fail('unterminated header string')
        p = z + 1
      }
    }
    if (flags & FHCRC) p += 2
    if (p > buf.length) fail('truncated header')
    let data: Buffer
    let used: number
    try {
      const r = inflateRawSync(buf.subarray(p), {info: true}) as unknown as {buffer: Buffer; engine: {bytesWritten: number}}
      data = r.buffer
      used = r.engine.bytesWritten
    } catch (err) {
      return fail(`deflate stream: ${(err as Error).message}`)
    }
    p += used
    if (p + 8 > buf.length) fail('truncated trailer')
    if (buf.readUInt32LE(p) !== crc32(data)) fail('CRC-32 mismatch')
    if (buf.readUInt32LE(p + 4) !== data.length % 2 ** 32) fail('ISIZE mismatch')
    out.push(data)
    off = p + 8
  }
  return out
}

/** The whole decompressed content of a (multi-member) gzip file. */
export function gunzipFile(path: string): Buffer {
  return Buffer.concat(gzipMembers(readFileSync(path)))
}

/** `gzip -t <paths...>` (the system's gzip): exit code and what it said. */
export function gzipTest(paths: string[]): Promise<{code: number | null; stderr: string}> {
  return new Promise((resolve, reject) => {
    const p = spawn('gzip', ['-t', ...paths], {stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000)
    p.once('error', reject)
    p.once('close', (code) => {
      clearTimeout(t)
      resolve({code, stderr})
    })
  })
}

/** Every file passes `gzip -t`. */
export async function assertGzipOk(paths: string[]): Promise<void> {
  assert.ok(paths.length > 0, 'files to test')
  const r = await gzipTest(paths)
  assert.equal(r.code, 0, `gzip -t ${paths.join(' ')}:\n${r.stderr}`)
}

/** `zcat <path>` (the system's gzip) as bytes. */
export function zcat(path: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const p = spawn('gzip', ['-dc', path], {stdio: ['ignore', 'pipe', 'pipe']})
    const out: Buffer[] = []
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => out.push(d))
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const t = setTimeout(() => p.kill('SIGKILL'), 20_000)
    p.once('error', reject)
    p.once('close', (code) => {
      clearTimeout(t)
      if (code === 0) resolve(Buffer.concat(out))
      else reject(new Error(`zcat ${path}: exit ${code}: ${stderr}`))
    })
  })
}

/** Records of a length-prefixed file: [4-byte big-endian length][body]...; throws on a torn end. */
export function lengthPrefixed(buf: Buffer): Buffer[] {
  const out: Buffer[] = []
  let off = 0
  while (off < buf.length) {
    if (buf.length - off < 4) throw new Error(`torn length at byte ${off} of ${buf.length}`)
    const n = buf.readUInt32BE(off)
    if (off + 4 + n > buf.length) throw new Error(`torn record at byte ${off}: ${n} bytes announced, ${buf.length - off - 4} left`)
    out.push(buf.subarray(off + 4, off + 4 + n))
    off += 4 + n
  }
  return out
}

/** The lines of a text: the content split at '\n'; it must end with one (no torn last line). */
export function textLines(s: string, what = 'content'): string[] {
  if (s === '') return []
  assert.ok(s.endsWith('\n'), `${what} ends with a newline (last bytes: ${JSON.stringify(s.slice(-40))})`)
  return s.slice(0, -1).split('\n')
}
