/** Query parameters as nsq's daemons read them (the query string only, never a form body). */
import {HttpError} from './respond.js'

/** nsq's boolParams for query flags (include_clients, include_mem, binary): not strconv.ParseBool */
export const HTTP_BOOL: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
])

/** The parameter, present (possibly empty), or an HttpError 400 with `code` (MISSING_ARG_…). */
export function requireParam(q: URLSearchParams, name: string, code: string): string {
  if (!q.has(name)) throw new HttpError(400, code)
  return q.get(name) as string
}
