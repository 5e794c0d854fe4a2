/**
 * Arguments as the bytes the user typed. Node decodes argv as UTF-8 before any JavaScript runs,
 * so a byte that is not valid UTF-8 (a Latin-1 `é` = 0xE9, a delimiter 0xFF) arrives as U+FFFD
 * and is lost. On Linux the exact bytes are in /proc/self/cmdline: `rawArgv` re-reads the
 * arguments that were not valid UTF-8 from there and carries each invalid byte as a lone
 * surrogate U+DC80+byte (Python's "surrogateescape"), which no decoded argument can contain;
 * `argBytes` turns such a string back into the bytes. Where the bytes cannot be read (another
 * system, a cmdline that does not match), the arguments stay as Node decoded them.
 */
import {readFileSync} from 'node:fs'

const REPLACEMENT = '\uFFFD'

/** `argv` (the trailing arguments of this process) with invalid UTF-8 bytes recovered. */
export function rawArgv(argv: readonly string[]): string[] {
  if (!argv.some((a) => a.includes(REPLACEMENT))) return [...argv]
  const raw = cmdline()
  if (raw === null || raw.length < argv.length) return [...argv]
  const tail = raw.slice(raw.length - argv.length)
  // the cmdline must be the argv Node decoded (a changed process title would not be)
  if (!tail.every((b, i) => b.toString('utf8') === argv[i])) return [...argv]
  return tail.map((b, i) => (argv[i]?.includes(REPLACEMENT) ? escapeBytes(b) : (argv[i] as string)))
}

/** The bytes of an argument from `rawArgv` (UTF-8, escaped bytes as themselves). */
export function argBytes(arg: string): Buffer {
  if (!/[\uDC80-\uDCFF]/.test(arg)) return Buffer.from(arg, 'utf8')
  const out: Buffer[] = []
  let run = ''
  for (const ch of arg) {
    // for..of yields a lone surrogate on its own, a pair as one character
    const cp = ch.codePointAt(0) as number
    if (cp >= 0xdc80 && cp <= 0xdcff) {
      if (run) out.push(Buffer.from(run, 'utf8'))
      run = ''
      out.push(Buffer.of(cp - 0xdc00))
    } else run += ch
  }
  if (run) out.push(Buffer.from(run, 'utf8'))
  return Buffer.concat(out)
}

/** True when `arg` is not valid UTF-8 and its bytes could not be recovered. */
export function lostBytes(arg: string): boolean {
  return arg.includes(REPLACEMENT)
}

function cmdline(): Buffer[] | null {
  if (process.platform !== 'linux') return null
  let data: Buffer
  try {
    data = readFileSync('/proc/self/cmdline')
  } catch {
    return null
  }
  const out: Buffer[] = []
  let start = 0
  for (let i = 0; i < data.length; i++) {
    if (data[i] === 0) {
      out.push(data.subarray(start, i))
      start = i + 1
    }
  }
  return out
}

/** Decode UTF-8, each byte that is not part of a well-formed sequence as U+DC80+byte. */
export function escapeBytes(b: Buffer): string {
  let s = ''
  let i = 0
  while (i < b.length) {
    const n = sequenceLength(b, i)
    if (n === 0) {
      s += String.fromCharCode(0xdc00 + (b[i] as number))
      i++
    } else {
      s += b.toString('utf8', i, i + n)
      i += n
    }
  }
  return s
}

/** Length of the well-formed UTF-8 sequence at `i` (Unicode Table 3-7), 0 if there is none. */
function sequenceLength(b: Buffer, i: number): number {
  const c = b[i] as number
  if (c < 0x80) return 1
  const cont = (j: number, lo = 0x80, hi = 0xbf): boolean => {
    const x = b[i + j]
    return x !== undefined && x >= lo && x <= hi
  }
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0
  return 0
}
