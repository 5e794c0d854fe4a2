/** `nsqkit admin` as a child process on a free port: the built CLI, as a user starts it. */
import {NSQKIT, spawnCli, type CliChild} from './cli.js'
import {waitFor} from './wait.js'

/** Start `nsqkit admin --http-address=127.0.0.1:0 <args>`; resolves with its base URL once it logged it. */
export async function startAdmin(args: string[]): Promise<{child: CliChild; url: string}> {
  const child = spawnCli([...NSQKIT, 'admin', '--http-address=127.0.0.1:0', ...args])
  const addr = await waitFor(
    () => `admin's listening line (stderr: ${child.stderr()})`,
    // fail at once when it exits instead (a flag refused)
    () => {
      if (child.proc.exitCode !== null) throw new Error(`admin exited with ${child.proc.exitCode}: ${child.stderr()}`)
      return /HTTP: listening on (\S+)/.exec(child.stderr())?.[1]
    },
    {timeoutMs: 10_000, everyMs: 20},
  )
  return {child, url: `http://${addr}`}
}
