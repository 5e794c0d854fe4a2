/**
 * The logger every core module takes by injection. Core never writes to stdout: the CLI
 * layer decides where lines go (stderr by default), and tests pass a collecting logger.
 * Levels and the line prefix follow nsqd (`[nsqd] 2026/11/21 03:10:49.123456 INFO: ...`): Go's
 * log.Ldate|log.Ltime|log.Lmicroseconds in local time, with real microseconds.
 */
import {nowMicros} from './clock.js'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal'
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal']

/** nsqd's lg.LogLevel numbers, as `/config/log_level` reports them. */
export const LOG_LEVEL_NUMBER: Readonly<Record<LogLevel, number>> = {debug: 1, info: 2, warn: 3, error: 4, fatal: 5}

export interface Logger {
  readonly level: LogLevel
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
  error(msg: string): void
}

/** A logger whose level can change while it runs (nsqd's `PUT /config/log_level`). */
export interface AdjustableLogger extends Logger {
  setLevel(level: LogLevel): void
}

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s)
}

/** nsqd's lg.ParseLogLevel: any case of debug, info, warn, error, fatal; null otherwise. */
export function parseLogLevel(s: string): LogLevel | null {
  const l = s.toLowerCase()
  return isLogLevel(l) ? l : null
}

/** `2006/01/02 15:04:05.000000` in local time, for microseconds since the epoch. */
export function logStamp(epochMicros: number): string {
  const d = new Date(Math.floor(epochMicros / 1000))
  const p = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(epochMicros % 1_000_000, 6)}`
}

const RANK: Record<LogLevel, number> = LOG_LEVEL_NUMBER

/** A logger writing nsqd-style lines through `write` (one call per line, newline included). */
export function createLogger(opts: {level?: LogLevel; prefix?: string; write: (line: string) => void}): AdjustableLogger {
  const prefix = opts.prefix ?? ''
  let level = opts.level ?? 'info'
  let min = RANK[level]
  const at = (l: LogLevel, tag: string) => (msg: string): void => {
    if (RANK[l] >= min) opts.write(`${prefix}${logStamp(nowMicros())} ${tag}: ${msg}\n`)
  }
  return {
    get level() {
      return level
    },
    setLevel(l: LogLevel) {
      level = l
      min = RANK[l]
    },
    debug: at('debug', 'DEBUG'),
    info: at('info', 'INFO'),
    warn: at('warn', 'WARNING'),
    error: at('error', 'ERROR'),
  }
}

/**
 * `inner` behind a level of its own that can change: a line goes on when it is at or above
 * this level, and `inner` may drop it still by its own. The level it reports is the stricter
 * of the two, so callers skip building lines nobody will write. This is how a daemon applies
 * `PUT /config/log_level` to a logger it was given without changing (or replacing) that
 * logger, which its embedder may share with other parts.
 */
export function withLevel(inner: Logger, initial: LogLevel): AdjustableLogger {
  let own = initial
  const effective = (): LogLevel => (RANK[inner.level] > RANK[own] ? inner.level : own)
  const at = (l: LogLevel, fn: (msg: string) => void) => (msg: string): void => {
    if (RANK[l] >= RANK[own]) fn.call(inner, msg)
  }
  return {
    get level() {
      return effective()
    },
    setLevel(l: LogLevel) {
      own = l
    },
    debug: at('debug', inner.debug),
    info: at('info', inner.info),
    warn: at('warn', inner.warn),
    error: at('error', inner.error),
  }
}

/** A logger that drops everything. */
export const silentLogger: Logger = {level: 'fatal', debug() {}, info() {}, warn() {}, error() {}}
