/** The file calls a disk queue makes (node:fs; a test injects failures through it). */
import type * as fs from 'node:fs'

export type DiskIO = Pick<typeof fs, 'openSync' | 'closeSync' | 'writeSync' | 'fsyncSync' | 'readSync' | 'read' | 'renameSync' | 'unlinkSync' | 'statSync' | 'readFileSync'>
