/**
 * Buffer's own fast path behind toString('latin1'), which @types/node does not list; the
 * protocol decoder and the broker's message ids use it. Declared in this declaration file, which
 * tsc does not emit, rather than in a .ts module: its emitted .d.ts would carry the augmentation
 * into the package's declarations and so into every project that imports nsqkit (where it also
 * clashes with @types/node's generic Buffer under skipLibCheck: false).
 */
import 'node:buffer'

declare module 'node:buffer' {
  interface Buffer {
    latin1Slice(start: number, end: number): string
  }
}
