/** A DiskIO (the file calls a disk queue makes) whose writes fail with ENOSPC while `disk.full` is set. */
import * as fs from 'node:fs'
import type {DiskIO} from '../../src/core/broker/queue/disk-queue.js'

export interface FullDisk {
  full: boolean
  io: DiskIO
}

export function fullDisk(full: boolean): FullDisk {
  const disk: FullDisk = {
    full,
    io: {
      ...fs,
      writeSync: ((...args: Parameters<typeof fs.writeSync>) => {
        if (disk.full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'})
        return (fs.writeSync as (...a: unknown[]) => number)(...args)
      }) as typeof fs.writeSync,
    },
  }
  return disk
}

export interface NoFds {
  /** opens for reading of a path ending in `suffix` fail with EMFILE while set */
  failing: boolean
  io: DiskIO
}

/** A DiskIO out of file descriptors (EMFILE) for reads of the files ending in `suffix`, while `failing`. */
export function noFdsFor(suffix: string): NoFds {
  const d: NoFds = {
    failing: true,
    io: {
      ...fs,
      openSync: ((path: fs.PathLike, flags: fs.OpenMode, mode?: fs.Mode) => {
        if (d.failing && String(path).endsWith(suffix) && flags === 'r') throw Object.assign(new Error('EMFILE: too many open files, open'), {code: 'EMFILE'})
        return fs.openSync(path, flags, mode)
      }) as typeof fs.openSync,
    },
  }
  return d
}
