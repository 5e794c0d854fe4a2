// `npm start` runs this first: build when the build is missing or older than a source file.
// The build is tsc (dist/, stamped by dist/src/cli/main.js, the front door every bin loads),
// then the command manifest (oclif.manifest.json): each must exist and be newer than every
// file under src/.
import {execSync} from 'node:child_process'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** What the build writes last of each step, relative to the package root. */
export const STAMPS = ['dist/src/cli/main.js', 'oclif.manifest.json']

const newest = (dir) => {
  let t = 0
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}

/** The first stamp under `root` that is missing or older than a source file, or null when the build is current. */
export function staleStamp(root) {
  const src = newest(join(root, 'src'))
  return STAMPS.find((s) => !existsSync(join(root, s)) || statSync(join(root, s)).mtimeMs < src) ?? null
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(fileURLToPath(import.meta.url), '..', '..')
  const stale = staleStamp(root)
  if (stale !== null) {
    process.stderr.write(`building nsqkit (${stale} is missing or older than src/: tsc, command manifest)...\n`)
    execSync('npm run build', {stdio: 'inherit', cwd: root})
  }
}
