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
import {noCommandLine} from '../commands-table.js'
import {EXIT_MISUSE} from '../base.js'

const hook: Hook<'init'> = async function (opts) {
  const id = opts.id
  if (id === undefined || id.startsWith('-')) return
  const config = opts.config
  if (config.findCommand(id) || config.findTopic(id)) return
  const line = noCommandLine(id.split(':'), config.bin, (c) => config.findCommand(c)?.id)
  process.stderr.write(`${line}\n`)
  this.exit(EXIT_MISUSE)
}

export default hook
