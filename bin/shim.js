// Shared by the Go-named bin shims (nsqd, nsq_tail, ...): run one nsqkit command with the
// shim's own argv, so `nsqd -tcp-address=127.0.0.1:4150` works as the Go binary's line did.
// A command not built yet answers "not built yet" from the CLI's own table (init hook).
import {basename} from 'node:path'

export async function run(command) {
  const {main} = await import('../dist/src/cli/main.js')
  await main({command, program: basename(process.argv[1] ?? command), argv: process.argv.slice(2)})
}
