/**
 * Reading the JSON the NSQ daemons answer into typed values: small field readers that check
 * each field's type, fill in a default for a field an older version does not send, and name
 * the path of anything wrong (`topics[0].channels[1].depth: expected a number, got "x"`).
 * Pure: text or parsed values in, values out.
 *
 * Both the 1.x bare body and the pre-1.0 envelope `{"status_code":200,"status_txt":"OK",
 * "data":{...}}` are read (NSQ-SPEC §3.3 "HTTP client compatibility"); an empty body is `{}`,
 * as go-nsq reads it.
 */

/** What the JSON decoders throw: not JSON, a non-200 envelope, or a field of the wrong type (`path` says where). */
export class JsonShapeError extends Error {
  readonly code = 'ERR_JSON_SHAPE'
  constructor(
    /** where in the document: `$`, `topics[0].depth` */
    readonly path: string,
    why: string,
  ) {
    super(path === '$' ? why : `${path}: ${why}`)
    this.name = 'JsonShapeError'
  }
}

export type JsonObject = Readonly<Record<string, unknown>>

/** The body as JSON; '' (or only whitespace) is `{}`. Throws JsonShapeError. */
export function parseJsonBody(body: string | Buffer): unknown {
  const text = typeof body === 'string' ? body : body.toString('utf8')
  if (text.trim() === '') return {}
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    throw new JsonShapeError('$', `not JSON (${(err as Error).message})`)
  }
}

/** The document inside a pre-1.0 envelope, or the document itself. A non-200 envelope is an error. */
export function unwrapEnvelope(doc: unknown): unknown {
  if (!isObject(doc) || !('status_code' in doc) || !('data' in doc)) return doc
  const status = doc.status_code
  if (status !== 200) throw new JsonShapeError('$', `status_code ${String(status)} ${typeof doc.status_txt === 'string' ? doc.status_txt : ''}`.trim())
  return doc.data
}

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

const describe = (v: unknown): string => (v === undefined ? 'nothing' : v === null ? 'null' : Array.isArray(v) ? 'an array' : JSON.stringify(v))

export function object(v: unknown, path: string): JsonObject {
  if (!isObject(v)) throw new JsonShapeError(path, `expected an object, got ${describe(v)}`)
  return v
}

const join = (path: string, key: string): string => (path === '$' ? key : `${path}.${key}`)

function field<T>(o: JsonObject, key: string, path: string, is: (v: unknown) => v is T, what: string, def?: T): T {
  const v = o[key]
  if (v === undefined && def !== undefined) return def
  if (!is(v)) throw new JsonShapeError(join(path, key), `expected ${what}, got ${describe(v)}`)
  return v
}

const isString = (v: unknown): v is string => typeof v === 'string'
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v)
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean'

/** A string field; `def` when it is missing (no default: it must be there). */
export const str = (o: JsonObject, key: string, path: string, def?: string): string => field(o, key, path, isString, 'a string', def)
export const num = (o: JsonObject, key: string, path: string, def?: number): number => field(o, key, path, isNumber, 'a number', def)
export const bool = (o: JsonObject, key: string, path: string, def?: boolean): boolean => field(o, key, path, isBoolean, 'true or false', def)

/**
 * An array field, each item read by `item`. `nullable`: JSON null (Go's nil slice) is kept as
 * null; `missing`: the value when the field is absent (no value: it must be there).
 */
export function list<T>(
  o: JsonObject,
  key: string,
  path: string,
  item: (v: unknown, path: string) => T,
  opts: {nullable?: boolean; missing?: T[] | null} = {},
): T[] | null {
  const v = o[key]
  const p = join(path, key)
  if (v === undefined && opts.missing !== undefined) return opts.missing
  if (v === null && opts.nullable) return null
  if (!Array.isArray(v)) throw new JsonShapeError(p, `expected an array${opts.nullable ? ' or null' : ''}, got ${describe(v)}`)
  return v.map((x, i) => item(x, `${p}[${i}]`))
}

/** An array field that is never null (a nil slice reads as []). */
export function items<T>(o: JsonObject, key: string, path: string, item: (v: unknown, path: string) => T, missing?: T[]): T[] {
  return list(o, key, path, item, {nullable: true, missing}) ?? []
}

export function stringItem(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new JsonShapeError(path, `expected a string, got ${describe(v)}`)
  return v
}

export function booleanItem(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw new JsonShapeError(path, `expected true or false, got ${describe(v)}`)
  return v
}
