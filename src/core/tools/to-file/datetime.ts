/**
 * nsq_to_file's `<DATETIME>`: Go's strftime (apps/nsq_to_file/strftime.go, after
 * jehiah/go-strftime; NSQ-SPEC §1.2 "File naming") with the `strftime` package doing the
 * conversions.
 *
 * Go converts only %B %b %m %A %a %d %H %I %M %S %Y %y %p %Z %z and %%. Any other `%x` stays
 * as the two characters, and a trailing lone `%` stays. The package knows more conversions
 * (%e %j %L %s …) and modifiers (`%-d`, `%_d`, `%:z`), and it drops a trailing `%`. So the
 * format is tokenized once, the Go way (`tokenize`), and compiled into parts:
 *  - a package format: Go's conversions as they are, and literal text with `%` written `%%`,
 *    so the package never sees a conversion Go does not have;
 *  - %Z, rendered here. The package gives a long name ("Central European Summer Time"), which
 *    is no good in a filename. We give "UTC" in UTC; otherwise Intl's short name in en-US
 *    ("EDT"); when that is a "GMT+n" form, en-GB's ("CEST", "BST"); if that is still "GMT+n",
 *    it stays ("GMT+5:30"). Go prints the tzdata abbreviation ("IST", "-03"), so the names can
 *    differ where tzdata and the CLDR disagree.
 *
 * Local time is the default, as in Go (TZ chooses the zone). The `utc` flag is not Go's.
 * It does not use the package's strftime.utc(): that shifts the instant by the local offset and
 * reads the local fields, so it cannot print a UTC time whose wall-clock reading falls in the
 * hour the local clocks skip (TZ=Europe/Berlin: 2024-03-31T02:30Z prints "03:30"). Instead the
 * local formatter gets a Date whose local getters read the UTC fields.
 *
 * No supported conversion is finer than a second, and a zone's offset changes only on a whole
 * second, so a compiled formatter caches its last result per second: the caller can format on
 * every message.
 *
 * Known difference: Go pads %Y to 4 digits, the package does not (it only differs for years < 1000).
 */
import strftime from 'strftime'

/** the conversions Go's strftime has (besides `%%`) */
const GO_CONVERSIONS = 'BbmAadHIMSYypZz'

/** a format as Go reads it: literal text and conversions (one letter of GO_CONVERSIONS) */
export type DatetimeToken = {kind: 'text'; text: string} | {kind: 'conv'; conv: string}

/** Go's scan: `%%` → `%`; `%` + a known letter → a conversion; `%x` otherwise → the literal
 * "%x"; a trailing `%` → a literal `%`. Adjacent text is merged into one token. */
export function tokenize(format: string): DatetimeToken[] {
  const out: DatetimeToken[] = []
  let text = ''
  for (let i = 0; i < format.length; ) {
    const pct = format.indexOf('%', i)
    if (pct < 0) {
      text += format.slice(i)
      break
    }
    text += format.slice(i, pct)
    if (pct + 1 >= format.length) {
      text += '%'
      break
    }
    const c = format[pct + 1]!
    if (c === '%') text += '%'
    else if (GO_CONVERSIONS.includes(c)) {
      if (text !== '') out.push({kind: 'text', text})
      text = ''
      out.push({kind: 'conv', conv: c})
    } else text += '%' + c
    i = pct + 2
  }
  if (text !== '') out.push({kind: 'text', text})
  return out
}

/** A Date whose local-time getters read the UTC fields: the local formatter then prints UTC. */
class UtcFields extends Date {
  override getFullYear(): number {
    return this.getUTCFullYear()
  }
  override getMonth(): number {
    return this.getUTCMonth()
  }
  override getDate(): number {
    return this.getUTCDate()
  }
  override getDay(): number {
    return this.getUTCDay()
  }
  override getHours(): number {
    return this.getUTCHours()
  }
  override getMinutes(): number {
    return this.getUTCMinutes()
  }
  override getSeconds(): number {
    return this.getUTCSeconds()
  }
  override getTimezoneOffset(): number {
    return 0
  }
}

const GMT_OFFSET = /^GMT[+-]/

/** The zone's short name (the `%Z` policy in the header); the Intl formatters are made at the first %Z. */
function zoneNamer(utc: boolean): (date: Date) => string {
  if (utc) return () => 'UTC'
  let us: Intl.DateTimeFormat | undefined
  let gb: Intl.DateTimeFormat | undefined
  const short = (f: Intl.DateTimeFormat, date: Date): string =>
    f.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? ''
  return (date) => {
    us ??= new Intl.DateTimeFormat('en-US', {timeZoneName: 'short'})
    const name = short(us, date)
    if (!GMT_OFFSET.test(name)) return name
    gb ??= new Intl.DateTimeFormat('en-GB', {timeZoneName: 'short'})
    const british = short(gb, date)
    return GMT_OFFSET.test(british) ? name : british
  }
}

/** where a compiled format puts %Z */
const ZONE = Symbol('%Z')

/** A compiled formatter for one format (tokenized once, its result cached per second). */
export function datetimeFormatter(format: string, utc: boolean): (date: Date) => string {
  // parts: package formats (text with '%' escaped, conversions as they are) and ZONE
  const parts: (string | typeof ZONE)[] = []
  let pkg = ''
  for (const t of tokenize(format)) {
    if (t.kind === 'text') pkg += t.text.replaceAll('%', '%%')
    else if (t.conv === 'Z') {
      if (pkg !== '') parts.push(pkg)
      pkg = ''
      parts.push(ZONE)
    } else pkg += '%' + t.conv
  }
  if (pkg !== '') parts.push(pkg)

  const zone = zoneNamer(utc)
  const fields = utc ? new UtcFields(0) : undefined
  let lastSecond = NaN
  let last = ''
  return (date) => {
    const ms = date.getTime()
    const second = Math.floor(ms / 1000)
    if (second === lastSecond) return last
    const d = fields ?? date
    if (fields) fields.setTime(ms)
    let s = ''
    for (const p of parts) s += p === ZONE ? zone(date) : strftime(p, d)
    lastSecond = second
    last = s
    return s
  }
}

/** Go's strftime of `date` (local time unless `utc`); for one call. Per message: datetimeFormatter. */
export function formatDatetime(format: string, date: Date, utc: boolean): string {
  return datetimeFormatter(format, utc)(date)
}

/** a regular-expression source (no capturing groups) that matches whatever the formatter
 * prints for `format`; a file scan uses it to find `<DATETIME>` in a name */
export function datetimePattern(format: string): string {
  let src = ''
  for (const t of tokenize(format)) src += t.kind === 'text' ? escapeRegExp(t.text) : CONV_PATTERN[t.conv]
  return src
}

const CONV_PATTERN: Record<string, string> = {
  B: '[A-Za-z]+',
  A: '[A-Za-z]+',
  b: '[A-Za-z]{3}',
  a: '[A-Za-z]{3}',
  m: '\\d{2}',
  d: '\\d{2}',
  H: '\\d{2}',
  I: '\\d{2}',
  M: '\\d{2}',
  S: '\\d{2}',
  y: '\\d{2}',
  Y: '\\d+',
  p: '[AP]M',
  z: '[+-]\\d{4}',
  // ours ("UTC", "EDT", "GMT+5:30") or Go's tzdata names ("IST", "-03", "+0530")
  Z: '[A-Za-z0-9:+-]+',
}

/** `s` as a literal inside a regular expression */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
