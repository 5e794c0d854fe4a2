/**
 * A snapshot of every command's flags (name, type, default, multiple), so renaming a flag or
 * changing a default is a visible change in review. Flags are users' scripts' API.
 * After a deliberate change: UPDATE_SNAPSHOT=1 npm test, and commit the fixture.
 *
 * And the command manifest the build writes (oclif.manifest.json, which the help, the flag
 * checks and oclif read instead of the commands): it must say what the command classes in
 * dist/src/commands say, read here from the classes themselves, not through the function that
 * wrote the file (so a stale, hand-edited or wrongly built manifest fails, which comparing it
 * with a second run of that function could not show).
 */
import assert from 'node:assert/strict'
import {readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname} from 'node:os'
import {join} from 'node:path'
import test from 'node:test'
import {pathToFileURL} from 'node:url'
import {MANIFEST_FILE, readManifest, type CommandInfo, type FlagInfo} from '../../src/cli/manifest.js'
import {REPO_ROOT} from '../helpers/serve.js'

const SNAPSHOT = join(REPO_ROOT, 'test', 'fixtures', 'command-snapshot.json')
/** defaults that depend on the machine (hostname) */
const MACHINE_DEFAULTS = new Set(['serve.node-id', 'serve.broadcast-address'])

/** A flag as the command class defines it (oclif's object): the manifest's fields, oclif's own type names. */
type FlagDef = Omit<FlagInfo, 'name' | 'type'> & {type: string; noCacheDefault?: boolean}

interface CommandClass {
  flags?: Record<string, FlagDef>
  aliases?: string[]
  hiddenAliases?: string[]
  summary?: string
  description?: string
  examples?: unknown[]
  args?: Record<string, unknown>
}

/** Every command class in the build, by id. */
async function commandClasses(): Promise<Map<string, CommandClass>> {
  const dir = join(REPO_ROOT, 'dist', 'src', 'commands')
  const out = new Map<string, CommandClass>()
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
    out.set(file.slice(0, -3), ((await import(pathToFileURL(join(dir, file)).href)) as {default: CommandClass}).default)
  }
  return out
}

test('command flags match test/fixtures/command-snapshot.json', async () => {
  const snap: Record<string, unknown> = {}
  for (const [id, cls] of await commandClasses()) {
    const flags = cls.flags ?? {}
    snap[id] = {
      aliases: [...(cls.aliases ?? []), ...(cls.hiddenAliases ?? [])].sort(),
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

/** What the front door and the help read of a flag (src/cli/manifest.ts FlagInfo), without undefined fields. */
const FLAG_FIELDS = ['name', 'type', 'char', 'summary', 'description', 'default', 'multiple', 'hidden', 'helpValue', 'options', 'allowNo'] as const

function flagFields(f: Partial<Record<(typeof FLAG_FIELDS)[number], unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const k of FLAG_FIELDS) {
    const v = f[k]
    // false and a missing field read the same (`Boolean(f.allowNo)`, `f.multiple`)
    if (v !== undefined && v !== false) out[k] = Array.isArray(v) ? [...(v as unknown[])] : v
  }
  return out
}

test(`${MANIFEST_FILE} says what the command classes say (flags, aliases, summary, examples)`, async () => {
  const shipped = readManifest(REPO_ROOT)
  assert.ok(shipped, `no ${MANIFEST_FILE}: npm run build writes it`)
  const classes = await commandClasses()
  assert.deepEqual(Object.keys(shipped.commands).sort(), [...classes.keys()].sort(), `${MANIFEST_FILE}: the commands (stale: npm run build)`)
  for (const [id, cls] of classes) {
    const info: CommandInfo | undefined = shipped.commands[id]
    assert.ok(info)
    const what = `${MANIFEST_FILE} ${id}`
    assert.deepEqual([info.summary, info.description, info.examples ?? []], [cls.summary, cls.description, cls.examples ?? []], `${what}: summary, description, examples`)
    assert.deepEqual([info.aliases, info.hiddenAliases], [cls.aliases ?? [], cls.hiddenAliases ?? []], `${what}: aliases`)
    assert.deepEqual(Object.keys(info.args ?? {}).sort(), Object.keys(cls.args ?? {}).sort(), `${what}: arguments`)
    const flags = cls.flags ?? {}
    assert.deepEqual(Object.keys(info.flags).sort(), Object.keys(flags).sort(), `${what}: the flags`)
    for (const [name, f] of Object.entries(flags)) {
      // a default of the machine (noCacheDefault: the hostname's) is not in the package; a
      // computed one is the manifest builder's to cache or not
      const def = f.noCacheDefault ? undefined : typeof f.default === 'function' ? (info.flags[name] as FlagInfo).default : f.default
      const expected = flagFields({...f, name, default: def})
      assert.deepEqual(flagFields(info.flags[name] as FlagInfo), expected, `${what}: --${name}`)
    }
  }
  // no build machine's hostname in the package
  assert.doesNotMatch(JSON.stringify(shipped), new RegExp(`"${hostname().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"`))
})
