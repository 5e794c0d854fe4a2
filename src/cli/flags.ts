/** Flag factories shared by the commands: Go durations, sizes, addresses. */
import {Flags} from '@oclif/core'
import {formatDuration, parseDuration} from '../core/util/duration.js'
import {parseHostPort} from '../core/util/hostport.js'
import {parseLogLevel, type LogLevel} from '../core/util/logger.js'
import {DURATION_HELP_VALUE} from './usage.js'

/** A Go duration flag ("60s", "250ms"); the value is milliseconds. */
export const duration = Flags.custom<number>({
  parse: async (input: string) => parseDuration(input),
  // the help renders a default of this helpValue as a Go duration, not as milliseconds
  helpValue: DURATION_HELP_VALUE,
})

/** A whole number with optional bounds. */
export function integer(opts: {summary: string; default: number; min?: number; max?: number; noCacheDefault?: boolean}) {
  return Flags.custom<number>({
    parse: async (input: string) => {
      if (!/^-?\d+$/.test(input.trim())) throw new Error(`"${input}" is not an integer`)
      const n = Number(input)
      if (opts.min !== undefined && n < opts.min) throw new Error(`${n} is below the minimum ${opts.min}`)
      if (opts.max !== undefined && n > opts.max) throw new Error(`${n} is above the maximum ${opts.max}`)
      return n
    },
    helpValue: '<int>',
  })({summary: opts.summary, default: opts.default, ...(opts.noCacheDefault ? {noCacheDefault: true} : {})})
}

/** `host:port` (port 0 picks a free port). */
export const address = Flags.custom<string>({
  parse: async (input: string) => {
    parseHostPort(input)
    return input
  },
  helpValue: '<host:port>',
})

export const durationDefault = (ms: number): string => formatDuration(ms)

/** --log-level as nsq's lg.ParseLogLevel reads it: any case (`WARN`, `Debug`) is accepted. */
export const logLevel = Flags.custom<LogLevel>({
  parse: async (input: string) => {
    const l = parseLogLevel(input)
    if (l === null) throw new Error(`invalid log level '${input}' (debug, info, warn, error, fatal)`)
    return l
  },
  helpValue: '<level>',
})
