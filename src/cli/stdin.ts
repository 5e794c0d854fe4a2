/**
 * Standard input as a byte stream, or an error saying why it cannot be read. Node hides two
 * cases the Go tools report: a directory (`< /tmp`) becomes an empty stream, and a closed fd 0
 * (`<&-`) is replaced with /dev/null opened read-write before any JavaScript runs. So here a
 * directory is read once (for its EISDIR), and on Linux a stdin that is /dev/null opened
 * read-write counts as closed (a shell's `< /dev/null` opens it read-only). Other read errors
 * (EBADF on a write-only fd, EIO) come from the stream itself.
 */
import {fstatSync, readFileSync, readSync, readlinkSync} from 'node:fs'
import type {Readable} from 'node:stream'
import {IoError} from '../core/tools/io-error.js'

const stdinError = (err: unknown): IoError => new IoError('read', 'stdin', err instanceof Error ? err : new Error(String(err)))

export function readableStdin(): Readable {
  let dir: boolean
  try {
    dir = fstatSync(0).isDirectory()
  } catch (err) {
    throw stdinError(err)
  }
  if (dir) {
    try {
      readSync(0, Buffer.alloc(1))
    } catch (err) {
      throw stdinError(err)
    }
    throw stdinError(new Error('EISDIR: illegal operation on a directory, read'))
  }
  if (closedAtStart()) throw stdinError(new Error('EBADF: bad file descriptor (stdin is closed)'))
  return process.stdin
}

/** fd 0 is the /dev/null opened read-write that Node puts in place of a closed stdin. */
function closedAtStart(): boolean {
  if (process.platform !== 'linux') return false
  try {
    if (readlinkSync('/proc/self/fd/0') !== '/dev/null') return false
    const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync('/proc/self/fdinfo/0', 'latin1'))
    // O_ACCMODE = 3, O_RDWR = 2
    return flags !== null && (parseInt(flags[1] as string, 8) & 3) === 2
  } catch {
    return false
  }
}
