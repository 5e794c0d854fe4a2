/**
 * oclif's init hook: before oclif looks for a command (and before --help/--version), a
 * command line that names no command gets one line on stderr and exit 2, instead of oclif's
 * `command tail:extra not found`:
 *  - a command of a later release (`nsqkit to-file`, `nsqkit nsq_to_file`): "not built yet";
 *  - a command followed by a stray word (`nsqkit tail extra --topic x`, which oclif reads as
 *    the command `tail:extra`): "unexpected argument";
 *  - anything else: "unknown command".
 */
import type {Hook} from '@oclif/core'
import {notBuiltLine, plannedCommand} from '../commands-table.js'
import {EXIT_MISUSE} from '../base.js'

const hook: Hook<'init'> = async function (opts) {
  const id = opts.id
  if (id === undefined || id.startsWith('-')) return
  const config = opts.config
  if (config.findCommand(id) || config.findTopic(id)) return
  const words = id.split(':')
  const first = words[0] as string
  const typed = process.env.NSQKIT_PROGRAM
  const planned = plannedCommand(first)
  let line: string
  if (planned) line = notBuiltLine(typed || `${config.bin} ${first}`, planned)
  else if (config.findCommand(first)) {
    const program = typed || `${config.bin} ${first}`
    line = `${program}: unexpected argument "${words.slice(1).join(' ')}" (see ${program} --help)`
  } else line = `${typed || config.bin}: unknown command "${words.join(' ')}" (see ${config.bin} --help)`
  process.stderr.write(`${line}\n`)
  this.exit(EXIT_MISUSE)
}

export default hook
