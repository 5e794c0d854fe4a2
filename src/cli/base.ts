/**
 * The base of every nsqkit command: Go flag syntax, SIGINT/SIGTERM as an AbortSignal, and
 * errors as one line on stderr with a documented exit code (2 misuse, 1 runtime failure),
 * never a stack trace unless `--log-level debug`.
 */
import {Command, type Interfaces} from '@oclif/core'
import {GoArgsError, asTyped, normalizeGoArgs, typedNames, type FlagShape} from './go-args.js'
import {helpHint, programName} from './misuse.js'

type FlagOutput = Record<string, unknown>
type ArgOutput = Record<string, unknown>

export const EXIT_MISUSE = 2
export const EXIT_FAILURE = 1

/** An error the user caused with a flag or argument: exit 2. */
export class UsageError extends Error {
  readonly exitCode = EXIT_MISUSE
}

export abstract class NsqCommand extends Command {
  /** canonical flag name → as the user typed it (`-max-in-flight`), for misuse lines */
  private typed: ReadonlyMap<string, string> = new Map()

  protected override async init(): Promise<void> {
    const flags = ((this.constructor as typeof Command).flags ?? {}) as Record<string, Interfaces.Flag<unknown>>
    const shapes: Record<string, FlagShape> = {}
    for (const [name, f] of Object.entries(flags)) {
      shapes[name] = {type: f.type, ...(f.char ? {char: f.char} : {}), allowNo: f.type === 'boolean' ? Boolean((f as {allowNo?: boolean}).allowNo) : false}
    }
    this.typed = typedNames(this.argv, shapes)
    try {
      this.argv = normalizeGoArgs(this.argv, shapes)
    } catch (err) {
      if (err instanceof GoArgsError) throw new UsageError(err.message)
      throw err
    }
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
    process.stderr.write(`${programName(this.id)}: ${this.misuseText(err.message, code === EXIT_MISUSE)}\n`)
    if (debugRequested(process.argv) && err.stack) process.stderr.write(`${err.stack}\n`)
    process.exitCode = code
    return undefined
  }

  /**
   * oclif's parse messages as one line naming each flag as typed: `Parsing --n \n\t Expected an
   * integer` → `-n: Expected an integer`, `Nonexistent flag: --bogus` → `unknown flag -bogus
   * (see nsq_tail -help)`. Misuse lines of the commands name flags as typed too.
   */
  private misuseText(message: string, misuse: boolean): string {
    let text = message
      .replace(/\s*\n\s*/g, ' ')
      .replace(/\s*See more help with --help\s*$/, '')
      .trim()
    if (!misuse) return text
    text = text
      .replace(/^Parsing (--?\S+) (.*)$/, (_, flag: string, why: string) => `${flag}: ${why.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())}`)
      .replace(/^Flag (--?\S+) expects a value$/, 'flag needs an argument: $1')
      .replace(/^Nonexistent flags?: (--?[^\s,=]+).*$/, `unknown flag $1 (see ${helpHint(this.id, this.config.bin)})`)
    return asTyped(text, this.typed)
  }
}

/** `--log-level debug` / `-log-level=DEBUG` anywhere on the command line (any case, as nsqd). */
export function debugRequested(argv: readonly string[]): boolean {
  return argv.some((a, i) => /^--?log-level=debug$/i.test(a) || (/^--?log-level$/.test(a) && argv[i + 1]?.toLowerCase() === 'debug'))
}
