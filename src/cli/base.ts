/**
 * The base of every nsqkit command: Go flag syntax, SIGINT/SIGTERM as an AbortSignal, and
 * errors as one line on stderr with a documented exit code (2 misuse, 1 runtime failure),
 * never a stack trace unless `--log-level debug`.
 */
import {Command, type Interfaces} from '@oclif/core'
import {normalizeGoArgs, type FlagShape} from './go-args.js'

type FlagOutput = Record<string, unknown>
type ArgOutput = Record<string, unknown>

export const EXIT_MISUSE = 2
export const EXIT_FAILURE = 1

/** An error the user caused with a flag or argument: exit 2. */
export class UsageError extends Error {
  readonly exitCode = EXIT_MISUSE
}

export abstract class NsqCommand extends Command {
  protected override async init(): Promise<void> {
    const flags = ((this.constructor as typeof Command).flags ?? {}) as Record<string, Interfaces.Flag<unknown>>
    const shapes: Record<string, FlagShape> = {}
    for (const [name, f] of Object.entries(flags)) {
      shapes[name] = {type: f.type, allowNo: f.type === 'boolean' ? Boolean((f as {allowNo?: boolean}).allowNo) : false}
    }
    this.argv = normalizeGoArgs(this.argv, shapes)
    await super.init()
  }

  /** oclif's parse, with every parse failure (bad value, unknown flag) a UsageError: exit 2. */
  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    try {
      return await super.parse(options, argv)
    } catch (err) {
      const e = err as Error & {oclif?: {exit?: number}}
      if (e.oclif?.exit === 0) throw err
      throw new UsageError(e.message)
    }
  }

  /** Resolves when SIGINT or SIGTERM arrives; the returned signal aborts then too. */
  protected stopSignal(): {signal: AbortSignal; stopped: Promise<string>} {
    const ac = new AbortController()
    const stopped = new Promise<string>((resolve) => {
      const on = (sig: string): void => {
        process.off('SIGINT', onInt)
        process.off('SIGTERM', onTerm)
        ac.abort()
        resolve(sig)
      }
      const onInt = (): void => on('SIGINT')
      const onTerm = (): void => on('SIGTERM')
      process.on('SIGINT', onInt)
      process.on('SIGTERM', onTerm)
    })
    return {signal: ac.signal, stopped}
  }

  protected override async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}; code?: string}): Promise<unknown> {
    // oclif's own exits (help, --version) pass through
    if (err.oclif?.exit === 0 || err.code === 'EEXIT') throw err
    const code = err.exitCode ?? err.oclif?.exit ?? EXIT_FAILURE
    const text = err.message
      .replace(/\s*\n\s*/g, ' ')
      .replace(/^Parsing /, '')
      .replace(/\s*See more help with --help\s*$/, '')
      .trim()
    const program = process.env.NSQKIT_PROGRAM || this.id || 'nsqkit'
    const hint = /^Nonexistent flags?:/.test(text) ? ` (see ${process.env.NSQKIT_PROGRAM || `${this.config.bin} ${this.id}`} --help)` : ''
    process.stderr.write(`${program}: ${text}${hint}\n`)
    if (debugRequested(process.argv) && err.stack) process.stderr.write(`${err.stack}\n`)
    process.exitCode = code
    return undefined
  }
}

/** `--log-level debug` / `-log-level=DEBUG` anywhere on the command line (any case, as nsqd). */
export function debugRequested(argv: readonly string[]): boolean {
  return argv.some((a, i) => /^--?log-level=debug$/i.test(a) || (/^--?log-level$/.test(a) && argv[i + 1]?.toLowerCase() === 'debug'))
}
