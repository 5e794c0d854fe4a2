/**
 * Flag factories shared by the commands: Go durations and log levels. The broker's flags are
 * generated from its option table instead (table-flags.ts).
 */
import {Flags} from '@oclif/core'
import {parseDuration} from '../core/util/duration.js'
import {parseLogLevel, type LogLevel} from '../core/util/logger.js'
import {DURATION_HELP_VALUE} from './usage.js'

/** A Go duration flag ("60s", "250ms"); the value is milliseconds. */
export const duration = Flags.custom<number>({
  parse: async (input: string) => parseDuration(input),
  // the help renders a default of this helpValue as a Go duration, not as milliseconds
  helpValue: DURATION_HELP_VALUE,
})

/** --log-level as nsq's lg.ParseLogLevel reads it: any case (`WARN`, `Debug`) is accepted. */
export const logLevel = Flags.custom<LogLevel>({
  parse: async (input: string) => {
    const l = parseLogLevel(input)
    if (l === null) throw new Error(`invalid log level '${input}' (debug, info, warn, error, fatal)`)
    return l
  },
  helpValue: '<level>',
})

/** A Go float64 flag (`-sample=0.5`); Go's help calls its type `float`. */
export const float = Flags.custom<number>({
  parse: async (input: string) => {
    const t = input.trim()
    const n = Number(t)
    if (t === '' || !Number.isFinite(n)) throw new Error(`invalid value "${input}" (want a number)`)
    return n
  },
  helpValue: '<float>',
})
