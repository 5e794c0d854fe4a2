/**
 * The answers captured from a real nsqd 1.3.0 (test/fixtures/nsqd-1.3.0, see its README.md):
 * where they are, and how an HTTP capture reads.
 */
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'

import {REPO_ROOT} from './serve.js'

export const CAPTURES_DIR = join(REPO_ROOT, 'test', 'fixtures', 'nsqd-1.3.0')

/** A capture's text (UTF-8 unless told otherwise: latin1 keeps one char per byte). */
export function readCapture(name: string, encoding: BufferEncoding = 'utf8'): string {
  const p = join(CAPTURES_DIR, name)
  if (!existsSync(p)) throw new Error(`no such nsqd 1.3.0 capture: ${p}`)
  return readFileSync(p, encoding)
}

export interface HttpAnswer {
  /** the line before "----" ("REQUEST: METHOD PATH [curl args]"), if any */
  request?: string
  status: number
  /** lower-cased names; the last one wins */
  headers: Record<string, string>
  /** everything after the blank line, as written */
  body: string
}

/**
 * An answer as `curl -i` prints it ("HTTP/1.1 200 OK\r\nName: value\r\n\r\nbody"), optionally
 * after "REQUEST: ...\n----\n" as in the http_*.txt captures; undefined when there is no status
 * line.
 */
export function parseHttpAnswer(text: string): HttpAnswer | undefined {
  const sep = text.indexOf('\n----\n')
  const request = sep >= 0 ? text.slice(0, sep) : undefined
  const rest = sep >= 0 ? text.slice(sep + 6) : text
  const m = /^HTTP\/\d(?:\.\d)? (\d{3})[^\n]*\n/.exec(rest)
  if (!m) return undefined
  let i = m[0].length
  const headers: Record<string, string> = {}
  for (;;) {
    const nl = rest.indexOf('\n', i)
    if (nl < 0) {
      i = rest.length
      break
    }
    const ln = rest.slice(i, nl).replace(/\r$/, '')
    i = nl + 1
    if (ln === '') break
    const c = ln.indexOf(':')
    if (c > 0) headers[ln.slice(0, c).trim().toLowerCase()] = ln.slice(c + 1).trim()
  }
  return {...(request === undefined ? {} : {request}), status: Number(m[1]), headers, body: rest.slice(i)}
}
