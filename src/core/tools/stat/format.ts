/**
 * nsq_stat's table as text (NSQ-SPEC §1.6), byte for byte, from its format strings:
 *
 *   header 1  "%s+%s+%s\n"  of ------rate------, ----------------depth----------------,
 *             --------------metadata---------------
 *   header 2  "%7s %7s | %7s %7s %7s %5s %5s | %7s %7s %12s %7s\n"
 *   data      "%7d %7d | %7d %7d %7d %5d %5d | %7d %7d %12d %7d\n"
 *
 * Go's %7s and %7d pad on the left to at least 7 and never cut a wider value; %d of an int64 is
 * its decimal digits, with a leading '-' when negative. `--extended` appends one column,
 * ` | %6s` of the paused state, and widens header 1 to match; without it every line is
 * nsq_stat's. Pure: a `paint` hook colours a cell after it is padded, so colours never change
 * the widths.
 */

/** The columns, in order, with their names as the table and the JSON output name them. */
export const COLUMNS = ['ingress', 'egress', 'total', 'mem', 'disk', 'inflt', 'def', 'req', 't-o', 'msgs', 'clients'] as const
export type Column = (typeof COLUMNS)[number]

/** One data line: a number per column (integers; a fraction is truncated toward zero as Go's int64()). */
export type StatRow = Record<Column, number>

/** The extended column's name. */
export const PAUSED = 'paused'

const WIDTHS: Readonly<Record<Column, number>> = {ingress: 7, egress: 7, total: 7, mem: 7, disk: 7, inflt: 5, def: 5, req: 7, 't-o': 7, msgs: 12, clients: 7}
/** the separator before each column: " | " opens the depth and metadata groups */
const BEFORE: Readonly<Record<Column, string>> = {ingress: '', egress: ' ', total: ' | ', mem: ' ', disk: ' ', inflt: ' ', def: ' ', req: ' | ', 't-o': ' ', msgs: ' ', clients: ' '}
const PAUSED_WIDTH = 6

/** Colours a padded cell (the CLI's chalk on a TTY); the identity by default. */
export type Paint = (column: Column | typeof PAUSED, padded: string) => string

/** Go's `%<width>s`: right-aligned, never truncated. */
export function padLeft(s: string, width: number): string {
  return s.length >= width ? s : ' '.repeat(width - s.length) + s
}

/** Go's `%d` of int64(v): the integer part (toward zero), '-' when negative, no exponent. */
export function goInt(v: number): string {
  if (!Number.isFinite(v)) return '0'
  const t = Math.trunc(v)
  // -0 prints as 0; large integers keep every digit (BigInt avoids 1e+21)
  return t === 0 ? '0' : Math.abs(t) >= 1e21 ? BigInt(t).toString() : String(t)
}

/** Header line 1 (with its newline). */
export function header1(extended = false): string {
  const base = `${'------rate------'}+${'----------------depth----------------'}+${'--------------metadata---------------'}`
  return extended ? `${base}-+${'-'.repeat(PAUSED_WIDTH + 1)}\n` : `${base}\n`
}

/** Header line 2 (with its newline): the column names, %Ns each. */
export function header2(extended = false): string {
  let s = ''
  for (const c of COLUMNS) s += BEFORE[c] + padLeft(c, WIDTHS[c])
  if (extended) s += ` | ${padLeft(PAUSED, PAUSED_WIDTH)}`
  return `${s}\n`
}

/** Both header lines. */
export function header(extended = false): string {
  return header1(extended) + header2(extended)
}

/**
 * One data line (with its newline). `paused` is the extended column's text (`no`, `yes`, or
 * `k/n` when paused on k of n nodes); without it the line is nsq_stat's.
 */
export function dataLine(row: StatRow, paused?: string, paint: Paint = (_c, s) => s): string {
  let s = ''
  for (const c of COLUMNS) s += BEFORE[c] + paint(c, padLeft(goInt(row[c]), WIDTHS[c]))
  if (paused !== undefined) s += ` | ${paint(PAUSED, padLeft(paused, PAUSED_WIDTH))}`
  return `${s}\n`
}

/** The extended column's text: paused on none, all, or some of the nodes that have the channel. */
export function pausedText(pausedNodes: number, nodes: number): string {
  if (pausedNodes === 0) return 'no'
  return pausedNodes >= nodes ? 'yes' : `${pausedNodes}/${nodes}`
}
