/**
 * Every command nsqkit has or will have, with the Go name it answers to (README's table).
 * The ones not built yet answer "not built yet" (exit 2) both as `nsqkit <id>` and as their
 * Go-named shim, from this one table, so the two never drift.
 */
import {NSQ_VERSION, NSQKIT_VERSION} from '../core/version.js'
import {helpHint, programLine, unexpectedArguments} from './misuse.js'

export interface PlannedCommand {
  /** the nsqkit command id */
  id: string
  /** the Go tool it replaces */
  goName: string
}

/** The commands built, with the Go tool each replaces (its shim's name, its version line). */
export const BUILT: readonly PlannedCommand[] = [
  {id: 'serve', goName: 'nsqd'},
  {id: 'tail', goName: 'nsq_tail'},
  {id: 'pub', goName: 'to_nsq'},
  {id: 'to-file', goName: 'nsq_to_file'},
  {id: 'to-http', goName: 'nsq_to_http'},
  {id: 'relay', goName: 'nsq_to_nsq'},
  {id: 'lookupd', goName: 'nsqlookupd'},
  {id: 'stat', goName: 'nsq_stat'},
  {id: 'admin', goName: 'nsqadmin'},
]

/** The Go name of the command `id` (built or planned), if it has one. */
export function goNameOf(id: string): string | undefined {
  return (BUILT.find((c) => c.id === id) ?? PLANNED.find((c) => c.id === id))?.goName
}

/**
 * One shape for every command: `<go name> v<NSQ version it matches> (nsqkit v<version>)`, as
 * the Go apps print `nsq_tail v1.3.0` (and nsqd `nsqd v1.3.0 (built w/go1.21)`). A command of a
 * later release matches no NSQ version yet: `nsq_to_file (nsqkit v0.1.0: not built yet)`.
 */
export function versionLine(goName: string): string {
  if (PLANNED.some((c) => c.goName === goName)) return `${goName} (nsqkit v${NSQKIT_VERSION}: not built yet)`
  return `${goName} v${NSQ_VERSION} (nsqkit v${NSQKIT_VERSION})`
}

/** Commands of later releases. */
export const PLANNED: readonly PlannedCommand[] = []

/** The planned command named `name` (its nsqkit id or its Go name), if any. */
export function plannedCommand(name: string): PlannedCommand | undefined {
  return PLANNED.find((c) => c.id === name || c.goName === name)
}

/** The one line a planned command answers with (named by misuse.ts's rule: `to-file:`, `nsq_to_file:`). */
export function notBuiltLine(c: PlannedCommand): string {
  return programLine(c.id, `not built yet in nsqkit (\`nsqkit ${c.id}\`, Go name ${c.goName}, arrives in a later release)`)
}

/**
 * The one line for a command line whose words name no command: a planned command's "not built
 * yet", a real command followed by a stray word (`tail extra`, which oclif reads as the id
 * `tail:extra`), or an unknown command. `commandId` is the id of the built command a word names
 * (its id or a Go alias), if any.
 */
export function noCommandLine(words: readonly string[], bin: string, commandId: (word: string) => string | undefined): string {
  const first = words[0] ?? ''
  const planned = plannedCommand(first)
  if (planned) return notBuiltLine(planned)
  const found = commandId(first)
  // oclif finds a Go alias (`nsqkit nsq_tail extra`) as a command of that id: the table's id is its name
  const id = found === undefined ? undefined : (BUILT.find((c) => c.goName === found)?.id ?? found)
  if (id !== undefined) return programLine(id, unexpectedArguments(id, words.slice(1), bin))
  return programLine(undefined, `unknown command ${JSON.stringify(words.join(' '))} (see ${helpHint(undefined, bin)})`)
}
