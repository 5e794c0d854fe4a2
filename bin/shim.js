// Shared by the Go-named bin shims (nsqd, nsq_tail, ...): run one nsqkit command with the
// shim's own argv, so `nsqd -tcp-address=127.0.0.1:4150` works as the Go binary's line did.
import {execute} from '@oclif/core'

export async function run(command) {
  await execute({dir: import.meta.url, args: [command, ...process.argv.slice(2)]})
}

export function notBuilt(goName, command) {
  process.stderr.write(`${goName}: not built yet in nsqkit (\`nsqkit ${command}\` arrives in a later release)\n`)
  process.exitCode = 2
}
