/**
 * A snapshot of every command's flags (name, type, default, multiple), so renaming a flag or
 * changing a default is a visible change in review. Flags are users' scripts' API.
 * After a deliberate change: UPDATE_SNAPSHOT=1 npm test, and commit the fixture.
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import test from 'node:test'
import {pathToFileURL} from 'node:url'
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
