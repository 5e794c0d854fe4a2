// `npm start` runs this first: build when the build (tsc, then the command manifest) is missing
// or older than a source file.
import {execSync} from 'node:child_process'
import {existsSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'

const newest = (dir) => {
  let t = 0
  for (const e of readdirSync(dir, {withFileTypes: true})) {
    const p = join(dir, e.name)
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs)
  }
  return t
}
const stamp = 'oclif.manifest.json'
if (!existsSync(stamp) || statSync(stamp).mtimeMs < newest('src')) {
  process.stderr.write('building nsqkit (tsc, command manifest)...\n')
  execSync('npm run build', {stdio: 'inherit'})
}
