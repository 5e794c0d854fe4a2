/**
 * The command manifest: every command's id, summary, flags (name, type, default, ...) and
 * examples, as oclif caches them in `oclif.manifest.json` at the package root. `npm run build`
 * writes it (scripts/manifest.js) and the package ships it, so neither oclif nor nsqkit's own
 * help and flag checks import every command (and their engines) to know the flags.
 *
 * Without the file (a tree built with `tsc` alone) the same data is computed the slow way,
 * through oclif, which imports every command.
 */
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export interface FlagInfo {
  name: string
  type: 'boolean' | 'option'
  char?: string
  summary?: string
  description?: string
  default?: unknown
  multiple?: boolean
  hidden?: boolean
  helpValue?: string
  options?: readonly string[]
  allowNo?: boolean
}

export interface ArgInfo {
  name: string
  description?: string
  required?: boolean
}

export type Example = string | {command: string; description: string}

export interface CommandInfo {
  id: string
  summary?: string
  description?: string
  examples?: Example[]
  flags: Record<string, FlagInfo>
  args: Record<string, ArgInfo>
  strict?: boolean
  hidden?: boolean
  aliases: string[]
  hiddenAliases: string[]
}

export interface Manifest {
  version: string
  commands: Record<string, CommandInfo>
}

export const MANIFEST_FILE = 'oclif.manifest.json'

/** The package root: compiled, this file is dist/src/cli/manifest.js. */
export const PACKAGE_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..')

/** The manifest shipped at `root`, or null when there is none. */
export function readManifest(root = PACKAGE_ROOT): Manifest | null {
  let text: string
  try {
    text = readFileSync(join(root, MANIFEST_FILE), 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw err
  }
  try {
    return JSON.parse(text) as Manifest
  } catch (err) {
    throw new Error(`cannot read ${join(root, MANIFEST_FILE)}: ${(err as Error).message} (npm run build writes it)`)
  }
}

/** The manifest as oclif computes it from the command files (importing every one of them). */
export async function buildManifest(root = PACKAGE_ROOT): Promise<Manifest> {
  const {Plugin} = await import('@oclif/core')
  // as `oclif manifest` does: a command that fails to load is an error, not a missing command
  const plugin = new Plugin({root, isRoot: true, ignoreManifest: true, errorOnManifestCreate: true, respectNoCacheDefault: true})
  await plugin.load()
  const manifest = plugin.manifest as unknown as Manifest
  // oclif caches no default of a bool flag; the help shows a bool that defaults to true
  for (const [id, info] of Object.entries(manifest.commands)) {
    const cls = (await plugin.findCommand(id, {must: true})) as {flags?: Record<string, {type: string; default?: unknown}>}
    for (const [name, f] of Object.entries(cls.flags ?? {})) {
      const cached = info.flags[name]
      if (cached && f.type === 'boolean' && typeof f.default === 'boolean') cached.default = f.default
    }
  }
  return manifest
}

/** The shipped manifest, or the computed one. */
export async function loadManifest(root = PACKAGE_ROOT): Promise<Manifest> {
  return readManifest(root) ?? (await buildManifest(root))
}
