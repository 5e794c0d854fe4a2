// Shared by the Go-named bin shims (nsqd, nsq_tail, ...): run one nsqkit command with the
// shim's own argv, so `nsqd -tcp-address=127.0.0.1:4150` works as the Go binary's line did.
// A command not built yet answers "not built yet" from the CLI's own table (init hook).
import {basename} from 'node:path'
import {execute} from '@oclif/core'

export async function run(command) {
  // error lines then start with the name the user typed (nsq_tail: ...), as the Go tools' do
  process.env.NSQKIT_PROGRAM = basename(process.argv[1] ?? command)
  await execute({dir: import.meta.url, args: [command, ...process.argv.slice(2)]})
}
