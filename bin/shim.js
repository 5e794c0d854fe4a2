// The start of every entry point: nsqkit (bin/run.js) and the Go-named shims (nsqd, nsq_tail,
// ...), each running one nsqkit command with the shim's own argv, so `nsqd
// -tcp-address=127.0.0.1:4150` works as the Go binary's line did. A command not built yet
// answers "not built yet" from the CLI's own table (init hook).
// What escapes is one line on stderr and exit 1, never a stack: a tree not built yet (no dist/)
// says so.
import {basename} from 'node:path'
import {fileURLToPath} from 'node:url'

/** Run `entry` (src/cli/main.ts's Entry) through the built front door. */
export async function start(entry) {
  const program = entry.program ?? 'nsqkit'
  let main
  try {
    ;({main} = await import('../dist/src/cli/main.js'))
  } catch (err) {
    return fail(program, notBuilt(err) ? 'not built (run npm run build)' : err)
  }
  try {
    await main(entry)
  } catch (err) {
    fail(program, err)
  }
}

/** A shim: run nsqkit's `command`, named as the shim was typed. */
export function run(command) {
  return start({command, program: basename(process.argv[1] ?? command), argv: process.argv.slice(2)})
}

/** The module missing is one of the build's (dist/), not a package the build imports. */
function notBuilt(err) {
  if (err?.code !== 'ERR_MODULE_NOT_FOUND') return false
  const dist = new URL('../dist/', import.meta.url)
  // Node 20.10+ names the missing module in err.url; the message says it as a path
  return String(err.url ?? '').startsWith(dist.href) || String(err.message).startsWith(`Cannot find module '${fileURLToPath(dist)}`)
}

function fail(program, err) {
  const text = typeof err === 'string' ? err : String(err?.message ?? err).split('\n')[0]
  process.stderr.write(`${program}: ${text}\n`)
  process.exitCode = 1
}
