/**
 * nsqd's error codes (NSQ-SPEC §2.2, nsqd `internal/protocol/errors.go` + `protocol_v2.go`).
 *
 * An error frame's data is `"<CODE> <description>"` (just `"E_BAD_PROTOCOL"` for a bad magic).
 * Every code is fatal (the server sends the frame, then closes the connection) except
 * E_FIN_FAILED, E_REQ_FAILED and E_TOUCH_FAILED, which keep the connection open.
 */

export const ERROR_CODES = [
  'E_INVALID',
  'E_BAD_PROTOCOL',
  'E_BAD_TOPIC',
  'E_BAD_CHANNEL',
  'E_BAD_MESSAGE',
  'E_BAD_BODY',
  'E_PUB_FAILED',
  'E_MPUB_FAILED',
  'E_DPUB_FAILED',
  'E_FIN_FAILED',
  'E_REQ_FAILED',
  'E_TOUCH_FAILED',
  'E_SUB_FAILED',
  'E_IDENTIFY_FAILED',
  'E_AUTH_FAILED',
  'E_AUTH_DISABLED',
  'E_AUTH_FIRST',
  'E_AUTH_ERROR',
  'E_UNAUTHORIZED',
] as const

export type NsqErrorCode = (typeof ERROR_CODES)[number]

/** Codes after which nsqd keeps the connection open. */
export const NON_FATAL_CODES: ReadonlySet<NsqErrorCode> = new Set(['E_FIN_FAILED', 'E_REQ_FAILED', 'E_TOUCH_FAILED'])

export function isFatalCode(code: string): boolean {
  return !NON_FATAL_CODES.has(code as NsqErrorCode)
}

export function isNsqErrorCode(s: string): s is NsqErrorCode {
  return (ERROR_CODES as readonly string[]).includes(s)
}

/**
 * A protocol-level error: what nsqd puts in an error frame. Thrown by the pure decoders
 * (for malformed input) and by the broker's verb handlers; turned into a frame by one
 * dispatcher, which closes the connection when `fatal` is true.
 */
export class ProtocolError extends Error {
  readonly fatal: boolean
  constructor(
    readonly code: NsqErrorCode,
    readonly description: string,
    fatal?: boolean,
  ) {
    super(description === '' ? code : `${code} ${description}`)
    this.name = 'ProtocolError'
    this.fatal = fatal ?? isFatalCode(code)
  }

  /** The bytes nsqd puts in the error frame. */
  frameText(): string {
    return this.message
  }

  /** Parse the data of an error frame (`"E_CODE description"`) back into an error. */
  static fromFrame(data: Buffer | string): ProtocolError {
    const text = typeof data === 'string' ? data : data.toString('utf8')
    const sp = text.indexOf(' ')
    const code = sp < 0 ? text : text.slice(0, sp)
    const desc = sp < 0 ? '' : text.slice(sp + 1)
    return new ProtocolError(isNsqErrorCode(code) ? code : 'E_INVALID', isNsqErrorCode(code) ? desc : text)
  }
}

/**
 * A framing error found by a decoder: the byte stream cannot be NSQ (a size prefix that is
 * negative or beyond the configured maximum, an unknown frame type). The connection is unusable.
 */
export class FrameError extends Error {
  readonly code = 'E_BAD_FRAME'
  constructor(description: string) {
    super(description)
    this.name = 'FrameError'
  }
}

/**
 * Go's %q (strconv.Quote) over a *byte string* (one char per byte, as command lines are read):
 * valid UTF-8 that is printable stays as its bytes, invalid bytes become \xNN, control
 * characters get Go's escapes. The result is a byte string too: write it as latin1.
 */
export function goQuote(s: string): string {
  let out = '"'
  const n = s.length
  for (let i = 0; i < n; ) {
    const c = s.charCodeAt(i)
    if (c < 0x80) {
      i++
      if (c === 0x22) out += '\\"'
      else if (c === 0x5c) out += '\\\\'
      else if (c === 0x0a) out += '\\n'
      else if (c === 0x0d) out += '\\r'
      else if (c === 0x09) out += '\\t'
      else if (c === 0x07) out += '\\a'
      else if (c === 0x08) out += '\\b'
      else if (c === 0x0c) out += '\\f'
      else if (c === 0x0b) out += '\\v'
      else if (c < 0x20 || c === 0x7f) out += '\\x' + hex2(c)
      else out += s[i - 1]
      continue
    }
    const len = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0
    let cp = len === 2 ? c & 0x1f : len === 3 ? c & 0x0f : c & 0x07
    let ok = len > 0 && i + len <= n
    for (let k = 1; ok && k < len; k++) {
      const b = s.charCodeAt(i + k)
      if ((b & 0xc0) !== 0x80) ok = false
      else cp = (cp << 6) | (b & 0x3f)
    }
    // overlong, surrogate and out-of-range forms are invalid UTF-8
    if (ok && ((len === 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len === 4 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false
    if (!ok) {
      out += '\\x' + hex2(c)
      i++
      continue
    }
    const ch = String.fromCodePoint(cp)
    if (PRINTABLE.test(ch)) out += s.slice(i, i + len)
    else out += cp < 0x10000 ? '\\u' + cp.toString(16).padStart(4, '0') : '\\U' + cp.toString(16).padStart(8, '0')
    i += len
  }
  return out + '"'
}

// Go's unicode.IsPrint: letters, marks, numbers, punctuation, symbols (and ASCII space)
const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u
const hex2 = (c: number): string => c.toString(16).padStart(2, '0')
