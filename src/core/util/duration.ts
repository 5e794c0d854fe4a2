/**
 * Go `time.Duration` strings, the way NSQ's flags and stats speak them.
 *
 * parseDuration accepts what Go's time.ParseDuration accepts ("60s", "1m30s", "250ms",
 * "1.5h", "-2s", "0") and returns milliseconds (fractions of a ms are kept as a fraction).
 * formatDuration renders milliseconds the way Go's Duration.String does ("1m0s", "250ms").
 */

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3,
  'μs': 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
}

export class DurationError extends Error {
  readonly code = 'ERR_INVALID_DURATION'
  constructor(readonly input: string) {
    super(`invalid duration "${input}" (use a Go duration such as 60s, 250ms, 1m30s)`)
    this.name = 'DurationError'
  }
}

const PART = /^(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/

/** Parse a Go duration string into milliseconds. Throws DurationError. */
export function parseDuration(input: string): number {
  let s = input.trim()
  if (s === '') throw new DurationError(input)
  let sign = 1
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1
    s = s.slice(1)
  }
  if (s === '0') return 0
  if (s === '') throw new DurationError(input)
  let total = 0
  while (s.length > 0) {
    const m = PART.exec(s)
    if (!m) throw new DurationError(input)
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number)
    s = s.slice(m[0].length)
  }
  return sign * total
}

/** Render milliseconds as Go's Duration.String() would. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s'
  const neg = ms < 0
  let ns = Math.round(Math.abs(ms) * 1e6)
  let out: string
  if (ns < 1000) out = `${ns}ns`
  else if (ns < 1e6) out = `${trimFrac(ns / 1e3)}µs`
  else if (ns < 1e9) out = `${trimFrac(ns / 1e6)}ms`
  else {
    const h = Math.floor(ns / 3.6e12)
    ns -= h * 3.6e12
    const m = Math.floor(ns / 6e10)
    ns -= m * 6e10
    const sec = trimFrac(ns / 1e9)
    out = h > 0 ? `${h}h${m}m${sec}s` : m > 0 ? `${m}m${sec}s` : `${sec}s`
  }
  return neg ? `-${out}` : out
}

function trimFrac(n: number): string {
  // up to 9 decimals, trailing zeros removed (Go prints the exact fraction)
  return n.toFixed(9).replace(/\.?0+$/, '')
}
