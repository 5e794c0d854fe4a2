/**
 * The base of every nsqkit command: Go flag syntax, SIGINT/SIGTERM as an AbortSignal, and
 * errors as one line on stderr with a documented exit code (2 misuse, 1 runtime failure),
 * never a stack trace unless `--log-level debug`.
 */
import {Command, type Interfaces} from '@oclif/core'
import {GoArgsError, VALUE_MARK, asTyped, normalizeGoArgs, typedNames, unmark, type FlagShape} from './go-args.js'
import {programLine, unexpectedArguments, unknownFlag} from './misuse.js'

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

  /**
   * oclif's parse, with every parse failure (bad value, unknown flag) a UsageError: exit 2.
   * Each option flag's parse sees its value as typed, without normalizeGoArgs's VALUE_MARK.
   */
  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends ArgOutput>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const input = options ?? (this.constructor as unknown as Interfaces.Input<F, B, A>)
    const flags: Record<string, unknown> = {}
    for (const [name, f] of Object.entries((input.flags ?? {}) as Record<string, Interfaces.Flag<unknown>>)) {
      if (f.type !== 'option') {
        flags[name] = f
        continue
      }
      const parse = f.parse as (input: string, ctx: unknown, opts: unknown) => Promise<unknown>
      flags[name] = {...f, parse: (value: string, ctx: unknown, opts: unknown) => (parse ? parse.call(f, unmark(value), ctx, opts) : unmark(value))}
    }
    // as oclif's own parse reads the command class: its own statics, and the two it inherits
    const unmarked = {...input, baseFlags: input.baseFlags, enableJsonFlag: input.enableJsonFlag, flags} as Interfaces.Input<F, B, A>
    try {
      return await super.parse(unmarked, argv)
    } catch (err) {
      const e = err as Error & {oclif?: {exit?: number}; args?: unknown}
      if (e.oclif?.exit === 0) throw err
      // oclif's UnexpectedArgsError (`Unexpected arguments: -n, 3`): the words as one list
      if (/^Unexpected arguments?: /.test(e.message) && Array.isArray(e.args)) {
        throw new UsageError(unexpectedArguments(this.id, e.args.map(String), this.config.bin))
      }
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
    process.stderr.write(`${programLine(this.id, this.misuseText(err.message, code === EXIT_MISUSE))}\n`)
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
      .replaceAll(VALUE_MARK, '')
      .replace(/\s*\n\s*/g, ' ')
      .replace(/\s*See more help with --help\s*$/, '')
      .trim()
    if (!misuse) return text
    text = text
      .replace(/^Parsing (--?\S+) (.*)$/, (_, flag: string, why: string) => `${flag}: ${why.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())}`)
      .replace(/^Flag (--?\S+) expects a value$/, 'flag needs an argument: $1')
      .replace(/^Nonexistent flags?: (--?[^\s,=]+).*$/, (_, flag: string) => unknownFlag(this.id, flag, this.config.bin))
    return asTyped(text, this.typed)
  }
}

/** `--log-level debug` / `-log-level=DEBUG` anywhere on the command line (any case, as nsqd). */
export function debugRequested(argv: readonly string[]): boolean {
  return argv.some((a, i) => /^--?log-level=debug$/i.test(a) || (/^--?log-level$/.test(a) && argv[i + 1]?.toLowerCase() === 'debug'))
}
