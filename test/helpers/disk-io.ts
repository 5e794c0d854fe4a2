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
