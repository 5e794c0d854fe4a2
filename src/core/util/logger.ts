/**
 * The logger every core module takes by injection. Core never writes to stdout: the CLI
 * layer decides where lines go (stderr by default), and tests pass a collecting logger.
 * Levels and the line prefix follow nsqd (`[nsqd] 2026/11/21 03:10:49.123456 INFO: ...`).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal'
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'fatal']

export interface Logger {
  readonly level: LogLevel
  debug(msg: string): void
  info(msg: string): void
  warn(msg: string): void
  error(msg: string): void
}

const RANK: Record<LogLevel, number> = {debug: 0, info: 1, warn: 2, error: 3, fatal: 4}

export function isLogLevel(s: string): s is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(s)
}

function stamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0')
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds() * 1000, 6)}`
}

/** A logger writing nsqd-style lines through `write` (one call per line, newline included). */
export function createLogger(opts: {level?: LogLevel; prefix?: string; write: (line: string) => void}): Logger {
  const level = opts.level ?? 'info'
  const prefix = opts.prefix ?? ''
  const min = RANK[level]
  const at = (l: LogLevel, tag: string) => (msg: string): void => {
    if (RANK[l] >= min) opts.write(`${prefix}${stamp(new Date())} ${tag}: ${msg}\n`)
  }
  return {level, debug: at('debug', 'DEBUG'), info: at('info', 'INFO'), warn: at('warn', 'WARNING'), error: at('error', 'ERROR')}
}

/** A logger that drops everything. */
export const silentLogger: Logger = {level: 'fatal', debug() {}, info() {}, warn() {}, error() {}}
