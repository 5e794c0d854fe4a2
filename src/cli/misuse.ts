/**
 * How a misuse line names the program and points to its help, in the syntax the user called it
 * with: a Go-named shim as typed (`nsq_tail: ... (see nsq_tail -help)`), `nsqkit <command>` by
 * the command (`tail: ... (see nsqkit tail --help)`). The shims put their name in
 * NSQKIT_PROGRAM (src/cli/main.ts).
 */

/** The name a misuse line starts with. */
export function programName(id: string | undefined): string {
  return process.env.NSQKIT_PROGRAM || id || 'nsqkit'
}

/** How to ask for the help of command `id`. */
export function helpHint(id: string | undefined, bin = 'nsqkit'): string {
  const shim = process.env.NSQKIT_PROGRAM
  if (shim) return `${shim} -help`
  return id ? `${bin} ${id} --help` : `${bin} --help`
}

/** `nsq_tail: unknown flag -bogus-flag (see nsq_tail -help)`: the flag as the user typed it. */
export function unknownFlagLine(id: string | undefined, typed: string, bin = 'nsqkit'): string {
  return `${programName(id)}: unknown flag ${typed} (see ${helpHint(id, bin)})`
}
