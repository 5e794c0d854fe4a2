/**
 * nsq's HTTP answers (internal/http_api: RespondV1, NSQ-SPEC §2.3 and §3.3), shared by nsqd,
 * nsqlookupd and the admin UI:
 *
 *   result string/Buffer → 200 text/plain; object → 200 JSON; null → 200 with an empty body
 *   error                → {"message":"CODE"} with its status
 *
 * Every V1 answer carries `X-NSQ-Content-Type: nsq; version=1.0`, which is what makes go-nsq
 * read a bare JSON body instead of the pre-1.0 envelope. `/ping` answers without it.
 */
import type {ServerResponse} from 'node:http'

export const V1_CONTENT_TYPE = 'nsq; version=1.0'

/** What a handler throws for a `{"message":"CODE"}` answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
  ) {
    super(code)
  }
}

/** JSON already written as text (what JSON.stringify cannot write: Go's int64 nanoseconds). */
export class JsonText {
  constructor(readonly text: string) {}
}

/** A handler that wrote its own answer (a stream: the admin's server-sent events) returns this. */
export const STREAMED: unique symbol = Symbol('the answer was written by the handler')

/** What a handler returns: text, bytes, a JSON value (or JSON text), nothing, or STREAMED. */
export type HttpResult = string | Buffer | object | null | typeof STREAMED

export function send(res: ServerResponse, status: number, body: Buffer | string, contentType: string | null, v1: boolean): void {
  const buf = typeof body === 'string' ? Buffer.from(body) : body
  if (contentType !== null) res.setHeader('Content-Type', contentType)
  if (v1) res.setHeader('X-NSQ-Content-Type', V1_CONTENT_TYPE)
  res.setHeader('Content-Length', buf.length)
  res.writeHead(status)
  res.end(buf)
}

export function respondV1(res: ServerResponse, result: Exclude<HttpResult, typeof STREAMED>): void {
  if (result === null) send(res, 200, Buffer.alloc(0), null, true)
  else if (typeof result === 'string' || Buffer.isBuffer(result)) send(res, 200, result, 'text/plain; charset=utf-8', true)
  else send(res, 200, result instanceof JsonText ? result.text : JSON.stringify(result), 'application/json; charset=utf-8', true)
}

export function respondError(res: ServerResponse, status: number, code: string): void {
  // escaped: the admin API's codes carry upstream error texts (`UPSTREAM_ERROR: … "…"`)
  send(res, status, JSON.stringify({message: code}), 'application/json; charset=utf-8', true)
}
