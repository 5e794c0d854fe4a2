// `npm start` runs this first: build when dist/ is missing or older than a source file.
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
const stamp = 'dist/src/commands/serve.js'
if (!existsSync(stamp) || statSync(stamp).mtimeMs < newest('src')) {
  process.stderr.write('building nsqkit (tsc)...\n')
  execSync('npx tsc -p tsconfig.json', {stdio: 'inherit'})
}
