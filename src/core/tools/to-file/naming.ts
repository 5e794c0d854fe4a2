/**
 * nsq_to_file's file names (NSQ-SPEC §1.2 "File naming", Go's computeFilenameFormat and
 * currentFilename; `<REV>` as updateFile and the move to output-dir fill it in).
 *
 * Go builds one template per topic, in this order:
 *   1. `<REV>`: when gzip, rotation or a separate work dir is on, the format must contain it
 *      (MISSING_REV otherwise); when they are all off, every `<REV>` is removed;
 *   2. `<TOPIC>` → the topic, then `<HOST>` → the host identifier, then `<PID>` → the pid
 *      (each strings.Replace -1: every occurrence);
 *   3. with gzip, `.gz` is appended unless the template already ends in it.
 * Then, per message, `<DATETIME>` → strftime(now) gives the name Go compares to see the
 * datetime roll over (`base`). When a file is opened, `<REV>` → `-%06d` of the revision
 * (`withRev`). The name may contain `/` (subdirectories).
 *
 * Cost: `base` runs on every message. Each topic's template is computed once and split at
 * `<DATETIME>`. The datetime formatter caches its string per second, and each topic keeps its
 * last name, so within a second `base` is a map lookup and a string comparison.
 *
 * `parse` reads a name found under the work or output dir back, for the files a crashed run
 * left behind. The format (after step 1, with the host filled in) becomes one RegExp: literal
 * text escaped; `<TOPIC>` a topic name; `<PID>` any digits (that run had another pid);
 * `<DATETIME>` what the datetime format can print (datetimePattern, so a `%Y/%m` format also
 * finds its subdirectories); `<REV>` `-` and 6 digits, or more digits without a leading zero
 * (what `-%06d` prints). A token that occurs twice must match the same text again
 * (a backreference). A match is then checked by rebuilding the name from what it found, the
 * way `base` and `withRev` do, so the gzip suffix rule and any oddity of the format (a host
 * identifier containing a token) are decided by the same code that writes the names. When a
 * name has several readings, only the first one the RegExp finds is tried (the longest topic
 * first). A real format puts a separator after `<TOPIC>`, and then there is only one reading.
 */
import {isValidTopicName} from '../../protocol/names.js'
import {datetimeFormatter, datetimePattern, escapeRegExp} from './datetime.js'

export const MISSING_REV = 'missing <REV> in --filename-format when gzip, rotation, or work dir enabled'

/** Go: identifier = short hostname (before the first '.'), or --host-identifier with <SHORT_HOST> and <HOSTNAME> replaced */
export function hostIdentifier(template: string, hostname: string): string {
  const short = hostname.split('.')[0]!
  if (template === '') return short
  return template.replaceAll('<SHORT_HOST>', short).replaceAll('<HOSTNAME>', hostname)
}

/** true when the format must contain <REV>: gzip, rotate-size > 0, rotate-interval > 0, or a work dir other than the output dir.
 * An empty workDir is the output dir (Go's default); otherwise the strings are compared as given, as Go does. */
export function revRequired(o: {gzip: boolean; rotateSize: number; rotateIntervalMs: number; workDir: string; outputDir: string}): boolean {
  const workDir = o.workDir === '' ? o.outputDir : o.workDir
  return o.gzip || o.rotateSize > 0 || o.rotateIntervalMs > 0 || workDir !== o.outputDir
}

export interface NamerOptions {
  /** e.g. '<TOPIC>.<HOST><REV>.<DATETIME>.log' */
  filenameFormat: string
  /** strftime, e.g. '%Y-%m-%d_%H' */
  datetimeFormat: string
  utc: boolean
  /** already resolved by hostIdentifier() */
  host: string
  pid: number
  /** append '.gz' unless the name already ends in it */
  gzip: boolean
  /** when false, <REV> is removed from the format (Go) */
  revRequired: boolean
}

/** a name that parse() recognised */
export interface ParsedName {
  /** '' when the format has no <TOPIC> */
  topic: string
  /** 0 when the format has no <REV> */
  rev: number
  /** the same name with revision `n` (the same name again when the format has no <REV>) */
  withRev(n: number): string
}

const REV = '<REV>'
const DATETIME = '<DATETIME>'
/** what <TOPIC> and <PID> become in the template parse() reads; a NUL never is in a format */
const TOPIC_MARK = '\0T'
const PID_MARK = '\0P'

/** one topic's template, split at <DATETIME>, and its last name */
interface TopicTemplate {
  pieces: string[]
  /** the datetime `base` was last built with (null: not yet) */
  datetime: string | null
  base: string
}

export class FileNamer {
  readonly #format: string
  readonly #host: string
  readonly #pid: string
  readonly #gzip: boolean
  readonly #datetime: (date: Date) => string
  readonly #topics = new Map<string, TopicTemplate>()
  readonly #pattern: RegExp
  readonly #depth: number

  /** @throws Error(MISSING_REV) when revRequired and the format has no <REV> */
  constructor(opts: NamerOptions) {
    let format = opts.filenameFormat
    if (!opts.revRequired) format = format.replaceAll(REV, '')
    else if (!format.includes(REV)) throw new Error(MISSING_REV)
    this.#format = format
    this.#host = opts.host
    this.#pid = String(opts.pid)
    this.#gzip = opts.gzip
    this.#datetime = datetimeFormatter(opts.datetimeFormat, opts.utc)
    this.#depth = (format.match(/\//g) ?? []).length + (opts.datetimeFormat.match(/\//g) ?? []).length * (format.split('<DATETIME>').length - 1)
    this.#pattern = namePattern(this.#expand(TOPIC_MARK, PID_MARK, false), datetimePattern(opts.datetimeFormat), opts.gzip)
  }

  /** how many directories deep a name goes: the '/'s of the filename format (and of a <DATETIME> that formats one) */
  get depth(): number {
    return this.#depth
  }

  /** Go's computeFilenameFormat after step 1: <DATETIME> and <REV> still in it */
  #expand(topic: string, pid: string, gzip = this.#gzip): string {
    const s = this.#format.replaceAll('<TOPIC>', topic).replaceAll('<HOST>', this.#host).replaceAll('<PID>', pid)
    return gzip && !s.endsWith('.gz') ? s + '.gz' : s
  }

  /** the name for `topic` at `date` WITHOUT the rev (the <REV> still in it, or removed when not required): what Go compares to see the datetime roll over */
  base(topic: string, date: Date): string {
    let t = this.#topics.get(topic)
    if (t === undefined) {
      const pieces = this.#expand(topic, this.#pid).split(DATETIME)
      t = {pieces, datetime: null, base: pieces[0]!}
      this.#topics.set(topic, t)
    }
    if (t.pieces.length === 1) return t.base
    const datetime = this.#datetime(date)
    if (datetime !== t.datetime) {
      t.datetime = datetime
      t.base = t.pieces.join(datetime)
    }
    return t.base
  }

  /** `base` with <REV> → `-%06d` of rev (e.g. -000000; rev >= 1e6 just gets more digits) */
  withRev(base: string, rev: number): string {
    if (!Number.isSafeInteger(rev) || rev < 0) throw new RangeError(`a revision is an integer >= 0, not ${rev}`)
    return base.includes(REV) ? base.replaceAll(REV, '-' + String(rev).padStart(6, '0')) : base
  }

  /** does a relative path (as found under the work or output dir, '/' separated) look like a file this namer writes, for a topic `topic` is true of? */
  parse(relPath: string, topicOk: (topic: string) => boolean): ParsedName | null {
    const m = this.#pattern.exec(relPath)
    if (m === null) return null
    const g = m.groups ?? {}
    const topic = g['topic'] ?? ''
    if (g['topic'] !== undefined && !isValidTopicName(topic)) return null
    if (!topicOk(topic)) return null
    const rev = g['rev'] === undefined ? 0 : Number(g['rev'])
    if (!Number.isSafeInteger(rev)) return null
    const base = this.#expand(topic, g['pid'] ?? this.#pid)
      .split(DATETIME)
      .join(g['datetime'] ?? '')
    if (this.withRev(base, rev) !== relPath) return null
    return {topic, rev, withRev: (n) => this.withRev(base, n)}
  }
}

/** the RegExp parse() matches: `template` has TOPIC_MARK and PID_MARK where the format had <TOPIC> and <PID> */
function namePattern(template: string, datetime: string, gzip: boolean): RegExp {
  const seen = new Set<string>()
  const group = (name: string, pattern: string): string => {
    if (seen.has(name)) return `\\k<${name}>`
    seen.add(name)
    return `(?<${name}>${pattern})`
  }
  let src = ''
  for (const piece of template.split(/(\0T|\0P|<DATETIME>|<REV>)/)) {
    if (piece === TOPIC_MARK) src += group('topic', '[.a-zA-Z0-9_-]+(?:#ephemeral)?')
    else if (piece === PID_MARK) src += group('pid', '\\d+')
    else if (piece === DATETIME) src += group('datetime', datetime)
    else if (piece === REV) src += '-' + group('rev', '\\d{6}|[1-9]\\d{6,}')
    else src += escapeRegExp(piece)
  }
  // whether '.gz' was appended depends on the topic: the rebuilt name decides
  return new RegExp(`^${src}${gzip ? '(?:\\.gz)?' : ''}$`)
}
