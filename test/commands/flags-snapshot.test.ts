/**
 * A snapshot of every command's flags (name, type, default, multiple), so renaming a flag or
 * changing a default is a visible change in review. Flags are users' scripts' API.
 * After a deliberate change: UPDATE_SNAPSHOT=1 npm test, and commit the fixture.
 *
 * And the command manifest the build writes (oclif.manifest.json, which the help, the flag
 * checks and oclif read instead of the commands): it must be what the commands say now.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import test from 'node:test'
import {pathToFileURL} from 'node:url'
import {MANIFEST_FILE, buildManifest, readManifest} from '../../src/cli/manifest.js'
import {REPO_ROOT} from '../helpers/serve.js'

const SNAPSHOT = join(REPO_ROOT, 'test', 'fixtures', 'command-snapshot.json')
/** defaults that depend on the machine (hostname) */
const MACHINE_DEFAULTS = new Set(['serve.node-id', 'serve.broadcast-address'])

interface FlagDef {
  type: string
  default?: unknown
  multiple?: boolean
  hidden?: boolean
  allowNo?: boolean
}

test('command flags match test/fixtures/command-snapshot.json', async () => {
  const dir = join(REPO_ROOT, 'dist', 'src', 'commands')
  const snap: Record<string, unknown> = {}
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
    const id = file.slice(0, -3)
    const mod = (await import(pathToFileURL(join(dir, file)).href)) as {default: {flags?: Record<string, FlagDef>; aliases?: string[]; hiddenAliases?: string[]}}
    const flags = mod.default.flags ?? {}
    snap[id] = {
      aliases: [...(mod.default.aliases ?? []), ...(mod.default.hiddenAliases ?? [])].sort(),
      flags: Object.fromEntries(
        Object.keys(flags)
          .sort()
          .map((name) => {
            const f = flags[name] as FlagDef
            const def = MACHINE_DEFAULTS.has(`${id}.${name}`) ? '<machine>' : typeof f.default === 'function' ? '<computed>' : f.default
            return [name, {type: f.type, default: def ?? null, multiple: Boolean(f.multiple), hidden: Boolean(f.hidden)}]
          }),
      ),
    }
  }
  const text = JSON.stringify(snap, null, 2) + '\n'
  if (process.env.UPDATE_SNAPSHOT === '1') writeFileSync(SNAPSHOT, text)
  assert.equal(text, readFileSync(SNAPSHOT, 'utf8'), 'flags changed: if deliberate, run UPDATE_SNAPSHOT=1 npm test and commit the snapshot')
})

test(`${MANIFEST_FILE} is the manifest of the commands as built (npm run build writes it)`, async () => {
  const shipped = readManifest(REPO_ROOT)
  assert.ok(shipped, `no ${MANIFEST_FILE}: npm run build writes it`)
  // through JSON, as the file holds it (no undefined fields)
  const fresh = JSON.parse(JSON.stringify(await buildManifest(REPO_ROOT))) as unknown
  assert.deepEqual(shipped, fresh, `${MANIFEST_FILE} is stale: run npm run build`)
  // no build machine's hostname in the package
  assert.doesNotMatch(JSON.stringify(shipped), new RegExp(`"${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`))
})
