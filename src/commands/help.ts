import {Args} from '@oclif/core'
import {EXIT_MISUSE, NsqCommand} from '../cli/base.js'
import {noCommandLine} from '../cli/commands-table.js'
import {frontAnswer, writeAnswer} from '../cli/main.js'
import {loadManifest} from '../cli/manifest.js'

export default class Help extends NsqCommand {
  static override summary = 'Show help for nsqkit or for one command'
  static override strict = false
  static override examples = ['<%= config.bin %> help', '<%= config.bin %> help tail']
  static override args = {
    command: Args.string({description: 'the command to show help for', required: false}),
  }

  async run(): Promise<void> {
    const {argv} = await this.parse(Help)
    const words = argv as string[]
    // the same usage as `nsqkit <command> --help` (src/cli/main.ts answers most of these itself)
    const answer = frontAnswer(await loadManifest(), {argv: ['help', ...words]})
    if (answer) return writeAnswer(answer)
    // the same line as the init hook gives `nsqkit <words>`
    process.stderr.write(`${noCommandLine(words, this.config.bin, (c) => Boolean(this.config.findCommand(c)))}\n`)
    process.exitCode = EXIT_MISUSE
  }
}
