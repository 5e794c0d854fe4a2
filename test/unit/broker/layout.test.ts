/**
 * The broker's modules import downhill only: no file of src/core/broker reaches itself again
 * through its imports, type-only imports included (a verb table that needs the byte pump and a
 * byte pump that needs the verb table is the loop this guards against). Lint zones keep the
 * folders in order; this catches a loop inside one folder too.
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import {readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

// dist/test/unit/broker/layout.test.js → the repository root
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..')
const BROKER = join(ROOT, 'src/core/broker')

function sources(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  )
}

/** The broker files a source file imports (static and type-only; relative specifiers). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const out: string[] = []
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.{1,2}\/[^'"]+)\.js['"]/g)) {
    const target = resolve(dirname(file), `${m[1] as string}.ts`)
    if (target.startsWith(BROKER + '/')) out.push(target)
  }
  return out
}

/** One import cycle, as a list of files, or null. */
function findCycle(graph: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (f: string): string[] | null => {
    if (state.get(f) === 'done') return null
    if (state.get(f) === 'open') return [...stack.slice(stack.indexOf(f)), f]
    state.set(f, 'open')
    stack.push(f)
    for (const g of graph.get(f) ?? []) {
      const c = visit(g)
      if (c) return c
    }
    stack.pop()
    state.set(f, 'done')
    return null
  }
  for (const f of graph.keys()) {
    const c = visit(f)
    if (c) return c
  }
  return null
}

test('src/core/broker has no import cycle, type-only imports included', () => {
  const files = sources(BROKER)
  assert.ok(files.length >= 15, `found ${files.length} broker sources under ${BROKER}`)
  const graph = new Map(files.map((f) => [f, importsOf(f)]))
  // the walk sees the imports (else it would pass for want of edges)
  const edges = [...graph.values()].reduce((n, e) => n + e.length, 0)
  assert.ok(edges >= 20, `only ${edges} imports found`)
  const cycle = findCycle(graph)
  assert.equal(cycle, null, `import cycle: ${(cycle ?? []).map((f) => relative(BROKER, f)).join(' → ')}`)
})

test('the cycle finder finds a loop', () => {
  const g = new Map([
    ['a', ['b']],
    ['b', ['c']],
    ['c', ['a']],
  ])
  assert.deepEqual(findCycle(g), ['a', 'b', 'c', 'a'])
  assert.equal(findCycle(new Map([['a', ['b']], ['b', []]])), null)
})
