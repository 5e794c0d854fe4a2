import {Args} from '@oclif/core'
import {NsqCommand} from '../cli/base.js'
import {helpAnswer, writeAnswer} from '../cli/main.js'
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
    // src/cli/main.ts answers `nsqkit help ...` itself; this is the same answer through oclif
    writeAnswer(helpAnswer(await loadManifest(), words))
  }
}
