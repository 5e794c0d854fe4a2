/**
 * How every line on stderr names the program, and how a misuse line points to its help, in the
 * syntax the user called it with. One rule for every path (front door, init hook, oclif's
 * parse errors, the commands' own lines):
 *
 *  - a Go-named shim by its name as typed: `nsq_tail: unknown flag -bogus (see nsq_tail -help)`;
 *  - `nsqkit <command>` by the command's id: `tail: unknown flag --bogus (see nsqkit tail --help)`;
 *  - nsqkit itself: `nsqkit: unknown command "bogus" (see nsqkit --help)`.
 *
 * The shims put their name in NSQKIT_PROGRAM (src/cli/main.ts).
 */

/** The name a line on stderr starts with. */
export function programName(id: string | undefined): string {
  return process.env.NSQKIT_PROGRAM || id || 'nsqkit'
}

/** How to ask for the help of command `id`. */
export function helpHint(id: string | undefined, bin = 'nsqkit'): string {
  const shim = process.env.NSQKIT_PROGRAM
  if (shim) return `${shim} -help`
  return id ? `${bin} ${id} --help` : `${bin} --help`
}

/** `unknown flag -bogus-flag (see nsq_tail -help)`: the flag as the user typed it. */
export function unknownFlag(id: string | undefined, typed: string, bin = 'nsqkit'): string {
  return `unknown flag ${typed} (see ${helpHint(id, bin)})`
}

/** `unexpected argument "extra" (see nsq_tail -help)`, `unexpected arguments "a" "b" (...)`. */
export function unexpectedArguments(id: string | undefined, args: readonly string[], bin = 'nsqkit'): string {
  return `unexpected argument${args.length === 1 ? '' : 's'} ${args.map((a) => JSON.stringify(a)).join(' ')} (see ${helpHint(id, bin)})`
}

/** `text` as a stderr line of command `id` (no newline): `nsq_tail: …`, `tail: …`, `nsqkit: …`. */
export function programLine(id: string | undefined, text: string): string {
  return `${programName(id)}: ${text}`
}
