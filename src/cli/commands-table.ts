/**
 * Every command nsqkit has or will have, with the Go name it answers to (README's table).
 * The ones not built yet answer "not built yet" (exit 2) both as `nsqkit <id>` and as their
 * Go-named shim, from this one table, so the two never drift.
 */

export interface PlannedCommand {
  /** the nsqkit command id */
  id: string
  /** the Go tool it replaces */
  goName: string
}

/** Commands of later releases. */
export const PLANNED: readonly PlannedCommand[] = [
  {id: 'to-file', goName: 'nsq_to_file'},
  {id: 'to-http', goName: 'nsq_to_http'},
  {id: 'relay', goName: 'nsq_to_nsq'},
  {id: 'lookupd', goName: 'nsqlookupd'},
  {id: 'stat', goName: 'nsq_stat'},
  {id: 'admin', goName: 'nsqadmin'},
]

/** The planned command named `name` (its nsqkit id or its Go name), if any. */
export function plannedCommand(name: string): PlannedCommand | undefined {
  return PLANNED.find((c) => c.id === name || c.goName === name)
}

/** The one line a planned command answers with. `program` is the name the user typed. */
export function notBuiltLine(program: string, c: PlannedCommand): string {
  return `${program}: not built yet in nsqkit (\`nsqkit ${c.id}\`, Go name ${c.goName}, arrives in a later release)`
}

/**
 * The one line for a command line whose words name no command: a planned command's "not built
 * yet", a real command followed by a stray word (`tail extra`, which oclif reads as the id
 * `tail:extra`), or an unknown command. `typed` is the name the user typed (a Go-named shim).
 */
export function noCommandLine(words: readonly string[], bin: string, isCommand: (id: string) => boolean, typed = ''): string {
  const first = words[0] ?? ''
  const planned = plannedCommand(first)
  if (planned) return notBuiltLine(typed || `${bin} ${first}`, planned)
  if (isCommand(first)) {
    const program = typed || `${bin} ${first}`
    return `${program}: unexpected argument "${words.slice(1).join(' ')}" (see ${program} --help)`
  }
  return `${typed || bin}: unknown command "${words.join(' ')}" (see ${bin} --help)`
}
