/**
 * The wire-compatibility gate: ../shared/tools/check-wire replays the requests captured from
 * the real nsqd 1.3.0 (25 TCP cases, 24 HTTP cases) against a fresh `nsqkit serve` and
 * compares every answer. CI always has the shared directory beside the repository.
 */
import {after, test} from 'node:test'
import assert from 'node:assert/strict'
import {execFile} from 'node:child_process'
import {existsSync} from 'node:fs'
import {join} from 'node:path'

import {REPO_ROOT, startServe, type ServeChild} from '../helpers/serve.js'

const CHECK_WIRE = join(REPO_ROOT, '..', 'shared', 'tools', 'check-wire')

let serve: ServeChild | undefined

after(async () => {
  await serve?.stop('SIGKILL')
})

test('check-wire: every captured nsqd 1.3.0 exchange matches', {timeout: 180_000}, async () => {
  assert.ok(
    existsSync(CHECK_WIRE),
    `${CHECK_WIRE} does not exist: the shared reference directory must sit beside the repository (../shared/tools, ../shared/reference), as it does in CI`,
  )
  serve = await startServe()
  const s = serve
  const r = await new Promise<{code: number | null; signal: string | null; stdout: string; stderr: string}>((resolve) => {
    const child = execFile(
      CHECK_WIRE,
      [String(s.tcpPort), String(s.httpPort)],
      {cwd: REPO_ROOT, timeout: 150_000, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024},
      (err, stdout, stderr) => {
        const e = err as (Error & {code?: number | string; signal?: string}) | null
        resolve({
          code: child.exitCode ?? (typeof e?.code === 'number' ? e.code : null),
          signal: child.signalCode ?? e?.signal ?? null,
          stdout: String(stdout),
          stderr: String(stderr),
        })
      },
    )
  })
  const report = `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n--- serve stderr (tail)\n${s.stderr().slice(-2000)}`
  assert.equal(r.signal, null, `check-wire was killed (timeout?)\n${report}`)
  assert.equal(r.code, 0, `check-wire exit code\n${report}`)
  assert.match(r.stdout, /25\/25 TCP/, report)
  assert.match(r.stdout, /24\/24 HTTP/, report)
  // the broker survived the replay
  const ping = await fetch(`http://127.0.0.1:${s.httpPort}/ping`)
  assert.equal(await ping.text(), 'OK')
  assert.equal(await s.stop('SIGTERM'), 0, `serve exit code after the replay\n${s.stderr().slice(-2000)}`)
})
