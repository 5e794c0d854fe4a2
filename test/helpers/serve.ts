/**
 * Start the built CLI's `serve` as a child process on ports chosen at run time; shared by
 * the bench and the tests that drive a real `nsqkit serve`.
 */
import {spawn, type ChildProcess} from 'node:child_process'
import {mkdtempSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const REPO_ROOT = (() => {
  // compiled to dist/test/helpers/serve.js: the repo root is the parent of dist/
  let d = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (d.endsWith('/dist')) return dirname(d)
    d = dirname(d)
  }
  throw new Error('cannot find the repository root')
})()

export const RUN_JS = join(REPO_ROOT, 'bin', 'run.js')

export interface ServeChild {
  proc: ChildProcess
  tcpPort: number
  httpPort: number
  dataPath: string
  /** everything written to stderr so far */
  stderr(): string
  /** SIGTERM, resolves with the exit code */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

export interface StartServeOptions {
  bin?: string[]
  timeoutMs?: number
  /** listen for TCP on this port of 127.0.0.1 (to restart a broker where it was); 0 by default */
  tcpPort?: number
}

export async function startServe(extraArgs: string[] = [], opts: StartServeOptions = {}): Promise<ServeChild> {
  const dataPath = mkdtempSync(join(tmpdir(), 'nsqkit-serve-'))
  const argv = opts.bin ?? [RUN_JS, 'serve']
  const proc = spawn(process.execPath, [...argv, `--tcp-address=127.0.0.1:${opts.tcpPort ?? 0}`, '--http-address=127.0.0.1:0', `--data-path=${dataPath}`, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  proc.stderr?.setEncoding('utf8')
  proc.stderr?.on('data', (d: string) => {
    err += d
  })
  proc.stdout?.resume()
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)))
  const ports = await new Promise<{tcp: number; http: number}>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`serve did not start in time:\n${err}`)), opts.timeoutMs ?? 15_000)
    const check = (): void => {
      const tcp = /TCP: listening on [^\s]+:(\d+)/.exec(err)
      const http = /HTTP: listening on [^\s]+:(\d+)/.exec(err)
      if (tcp && http) {
        clearTimeout(t)
        proc.stderr?.off('data', check)
        resolve({tcp: Number(tcp[1]), http: Number(http[1])})
      }
    }
    proc.stderr?.on('data', check)
    proc.once('exit', (code) => {
      clearTimeout(t)
      reject(new Error(`serve exited with ${code}:\n${err}`))
    })
  })
  return {
    proc,
    tcpPort: ports.tcp,
    httpPort: ports.http,
    dataPath,
    stderr: () => err,
    stop: async (signal: NodeJS.Signals = 'SIGTERM') => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal)
      return exited
    },
  }
}
