import {Args, loadHelpClass} from '@oclif/core'
import {EXIT_MISUSE, NsqCommand} from '../cli/base.js'
import {noCommandLine} from '../cli/commands-table.js'

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
    const id = words.join(':')
    if (words.length > 0 && !this.config.findCommand(id) && !this.config.findTopic(id)) {
      // the same line as the init hook gives `nsqkit <words>`
      process.stderr.write(`${noCommandLine(words, this.config.bin, (c) => Boolean(this.config.findCommand(c)))}\n`)
      process.exitCode = EXIT_MISUSE
      return
    }
    const HelpClass = await loadHelpClass(this.config)
    await new HelpClass(this.config).showHelp(words)
  }
}
