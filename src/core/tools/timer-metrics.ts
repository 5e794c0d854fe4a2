/**
 * The status lines of nsq_to_http and nsq_to_nsq (NSQ-SPEC §1.3 "Status output", §1.4
 * `--status-every`): github.com/bitly/timer_metrics v1.0.0, the version nsq 1.3.0 links, which
 * keeps a ring of the last `statusEvery` durations:
 *
 *   record #1 … #N        fill the ring (N = statusEvery), no line
 *   record #N+1           overwrites slot 1 and wraps: one line over the ring, i.e. records 2 … N+1
 *   record #N+2 … #2N     overwrite slots 2 … N
 *   record #2N+1          overwrites slot 1 and wraps: a line over records N+2 … 2N+1, and so on
 *
 * So a line comes every N records, each over N durations no earlier line counted — but the
 * first one only at record N+1 (record #1 is never reported), and nothing is cleared: the ring
 * always holds the latest min(records, N) durations, which is what snapshot() reports (Go's
 * Stats()). N = 0 records nothing. A negative N (Go does not reject one) wraps at every record:
 * a line per record, over that record alone.
 *
 * The line, Go's `%s finished %d - 99th: %.02fms - 95th: %.02fms - avg: %.02fms`:
 *   `<prefix> finished N - 99th: X.XXms - 95th: X.XXms - avg: X.XXms`
 * Durations are Go's: whole nanoseconds (a record of `ms` is rounded to the ns), the average is
 * the total divided by the count in integer ns (truncated), a percentile p is the sorted
 * ring's element int(ceil(p/100·count + 0.5)), or the last one if that is past the end — so of
 * 100 durations the 95th is the 97th smallest and the 99th the largest — and ms are
 * Duration.Seconds()·1000, printed with two decimals rounded as Go's strconv does (to nearest,
 * an exact tie to even: 0.125 → 0.12, where JS's toFixed gives 0.13).
 *
 * At construction, 0 < N < 100 gives Go's warning line through `warn` (none when `warn` is not
 * given: an engine with several metrics warns once).
 */

export interface TimerStats {
  /** durations in the window (≤ statusEvery) */
  count: number
  /** ms */
  p95: number
  p99: number
  avg: number
}

const NS_PER_MS = 1e6
const NS_PER_S = 1e9

export class TimerMetrics {
  /** the ring, in ns */
  private readonly timings: number[] = []
  /** the slot (1-based) the last record went to */
  private position = 0

  constructor(
    private readonly statusEvery: number,
    private readonly prefix: string,
    private readonly log: (line: string) => void,
    warn?: (line: string) => void,
  ) {
    if (!Number.isInteger(statusEvery)) throw new Error(`status every must be an integer (got ${statusEvery})`)
    if (statusEvery > 0 && statusEvery < 100) {
      warn?.(`Warning: use more than 100 status values for accurate percentiles (configured with ${statusEvery})`)
    }
  }

  /** One duration, in ms; a status line when it wraps the ring. */
  record(ms: number): void {
    if (this.statusEvery === 0) return
    this.position++
    let looped = false
    if (this.position > this.statusEvery) {
      looped = true
      this.position = 1
    }
    const ns = Math.round(ms * NS_PER_MS)
    if (this.position > this.timings.length) this.timings.push(ns)
    else this.timings[this.position - 1] = ns
    if (looped) this.log(this.line())
  }

  /** The durations in the ring now (Go's Stats()), in ms; all 0 when it is empty. */
  snapshot(): TimerStats {
    const s = this.stats()
    return {count: s.count, p95: goMs(s.p95), p99: goMs(s.p99), avg: goMs(s.avg)}
  }

  private line(): string {
    const s = this.stats()
    const [p99, p95, avg] = [s.p99, s.p95, s.avg].map((ns) => goFixed2(goMs(ns)))
    return `${this.prefix} finished ${s.count} - 99th: ${p99}ms - 95th: ${p95}ms - avg: ${avg}ms`
  }

  /** count, and p95, p99, avg in ns */
  private stats(): {count: number; p95: number; p99: number; avg: number} {
    const count = this.timings.length
    if (count === 0) return {count, p95: 0, p99: 0, avg: 0}
    let total = 0
    for (const t of this.timings) total += t
    const sorted = [...this.timings].sort((a, b) => a - b)
    return {count, p95: percentile(95, sorted), p99: percentile(99, sorted), avg: (total - (total % count)) / count}
  }
}

function percentile(perc: number, sorted: readonly number[]): number {
  const length = sorted.length
  let i = Math.trunc(Math.ceil((perc / 100) * length + 0.5))
  if (i >= length) i = length - 1
  return sorted[i] as number
}

/** Go's Duration.Seconds() * 1000 of a whole number of ns. */
function goMs(ns: number): number {
  const nsec = ns % NS_PER_S
  return ((ns - nsec) / NS_PER_S + nsec / NS_PER_S) * 1000
}

/**
 * Go's %.2f: the nearest two-decimal number; a tie to the even one. toFixed is exact but takes
 * the larger of a tie; a tie (|x|·100 exactly k + ½) happens only when 8·|x| is an odd integer.
 */
function goFixed2(x: number): string {
  const a = Math.abs(x)
  const eighths = a * 8
  if (!Number.isInteger(eighths) || eighths % 2 === 0) return x.toFixed(2)
  const low = (25 * eighths - 1) / 2
  const hundredths = low % 2 === 0 ? low : low + 1
  const digits = `${Math.floor(hundredths / 100)}.${String(hundredths % 100).padStart(2, '0')}`
  return x < 0 ? `-${digits}` : digits
}
