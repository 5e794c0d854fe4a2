/**
 * The client's errors: classes with stable `code`s that callers and tests match on
 * (STYLE.md 8; the codes are listed in README). Each says whether retrying can help.
 *
 *   ERR_CONNECTION_REFUSED  nothing listens at the address (or it reset the dial)
 *   ERR_TIMEOUT             dial, read (2 missed heartbeats) or a bounded wait ran out
 *   ERR_PROTOCOL            the broker answered with an error frame; `nsqCode` is its E_* code
 *   ERR_NOT_CONNECTED       the connection closed before the command was answered
 *   ERR_STOPPED             the producer or consumer was stopped
 *   ERR_BAD_RESPONSE        the peer is not speaking NSQ (bad frame, bad JSON)
 *   ERR_LOOKUPD             a lookupd query failed (HTTP status or body)
 */
import {isFatalCode, type NsqErrorCode} from '../protocol/index.js'

export type ClientErrorCode =
  | 'ERR_CONNECTION_REFUSED'
  | 'ERR_TIMEOUT'
  | 'ERR_PROTOCOL'
  | 'ERR_NOT_CONNECTED'
  | 'ERR_STOPPED'
  | 'ERR_BAD_RESPONSE'
  | 'ERR_LOOKUPD'

export class NsqClientError extends Error {
  constructor(
    readonly code: ClientErrorCode,
    message: string,
    /** the nsqd or lookupd address involved, when there is one */
    readonly addr: string = '',
    readonly retriable: boolean = true,
    options?: {cause?: unknown},
  ) {
    super(message, options)
    this.name = 'NsqClientError'
  }
}

export class ConnectionRefusedError extends NsqClientError {
  constructor(addr: string, cause?: unknown) {
    super('ERR_CONNECTION_REFUSED', `cannot connect to nsqd at ${addr}: connection refused`, addr, true, {cause})
    this.name = 'ConnectionRefusedError'
  }
}

export class TimeoutError extends NsqClientError {
  constructor(what: string, addr = '') {
    super('ERR_TIMEOUT', `${what} timed out${addr ? ` (${addr})` : ''}`, addr, true)
    this.name = 'TimeoutError'
  }
}

/** An error frame from the broker. */
export class ProtocolResponseError extends NsqClientError {
  readonly fatal: boolean
  constructor(
    readonly nsqCode: NsqErrorCode | string,
    readonly description: string,
    addr = '',
  ) {
    super('ERR_PROTOCOL', description === '' ? nsqCode : `${nsqCode} ${description}`, addr, false)
    this.name = 'ProtocolResponseError'
    this.fatal = isFatalCode(nsqCode)
  }

  static fromFrame(data: Buffer, addr = ''): ProtocolResponseError {
    const text = data.toString('utf8')
    const sp = text.indexOf(' ')
    return sp < 0 ? new ProtocolResponseError(text, '', addr) : new ProtocolResponseError(text.slice(0, sp), text.slice(sp + 1), addr)
  }
}

export class NotConnectedError extends NsqClientError {
  constructor(
    addr = '',
    why = 'not connected',
    /** the broker closed the connection after answering another command with this fatal E_* code */
    readonly afterCode?: string,
  ) {
    super('ERR_NOT_CONNECTED', `${why}${addr ? ` (${addr})` : ''}`, addr, true)
    this.name = 'NotConnectedError'
  }
}

export class StoppedError extends NsqClientError {
  constructor(what = 'producer') {
    super('ERR_STOPPED', `${what} stopped`, '', false)
    this.name = 'StoppedError'
  }
}

export class BadResponseError extends NsqClientError {
  constructor(addr: string, why: string) {
    super('ERR_BAD_RESPONSE', `unexpected answer from ${addr}: ${why}`, addr, false)
    this.name = 'BadResponseError'
  }
}

export class LookupdError extends NsqClientError {
  constructor(addr: string, why: string, readonly status = 0) {
    super('ERR_LOOKUPD', `lookupd ${addr}: ${why}`, addr, true)
    this.name = 'LookupdError'
  }
}
