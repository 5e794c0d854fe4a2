// `npm run build` runs this after tsc: writes oclif.manifest.json (every command's flags,
// summary, examples) from the compiled commands, so that neither oclif nor nsqkit's help
// imports every command at start-up. The package ships the file ("files" in package.json).
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {MANIFEST_FILE, PACKAGE_ROOT, buildManifest} from '../dist/src/cli/manifest.js'

const manifest = await buildManifest(PACKAGE_ROOT)
writeFileSync(join(PACKAGE_ROOT, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`)
