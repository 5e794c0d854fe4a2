/**
 * The client's errors: classes with stable `code`s that callers and tests match on
 * (docs/ARCHITECTURE.md, "Habits"; the codes are listed in README). Each says whether retrying can help.
 *
 *   ERR_CONNECTION_REFUSED  nothing listens at the address (or it reset the dial)
 *   ERR_TIMEOUT             dial, read (2 missed heartbeats) or a bounded wait ran out
 *   ERR_PROTOCOL            the broker answered with an error frame; `nsqCode` is its E_* code
 *   ERR_NOT_CONNECTED       the connection closed before the command was answered
 *   ERR_STOPPED             the producer or consumer was stopped
 *   ERR_BAD_RESPONSE        the peer is not speaking NSQ (bad frame, bad JSON)
 *   ERR_LOOKUPD             a lookupd query failed (HTTP status or body)
 *   ERR_NSQD_HTTP           an nsqd HTTP query (/stats) failed (HTTP status or body)
 *   ERR_INVALID_CONFIG      an unknown option, a value out of bounds, a bad topic/channel name
 *
 * Each class narrows `code` to its own literal. These classes are part of the public API
 * (src/index.ts), except NsqdHttpError: the nsqd HTTP client (nsqd-http.ts) is the tools' only.
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
  | 'ERR_NSQD_HTTP'
  | 'ERR_INVALID_CONFIG'

/** The base of every error the client raises: `code` is stable, `message` is for people. */
export class NsqClientError extends Error {
  constructor(
    /** stable, for programs to match on (README "Errors") */
    readonly code: ClientErrorCode,
    message: string,
    /** the nsqd or lookupd address involved, '' when there is none */
    readonly addr: string = '',
    /** whether the same call may succeed if tried again (a refused or lost connection, a timeout) */
    readonly retriable: boolean = true,
    options?: {cause?: unknown},
  ) {
    super(message, options)
    this.name = 'NsqClientError'
  }
}

/** Nothing listens at the nsqd address (or it reset the connection while dialling). */
export class ConnectionRefusedError extends NsqClientError {
  declare readonly code: 'ERR_CONNECTION_REFUSED'
  constructor(addr: string, cause?: unknown) {
    super('ERR_CONNECTION_REFUSED', `cannot connect to nsqd at ${addr}: connection refused`, addr, true, {cause})
    this.name = 'ConnectionRefusedError'
  }
}

/** A dial, a read (two missed heartbeats), a write or a bounded wait ran out of time. */
export class TimeoutError extends NsqClientError {
  declare readonly code: 'ERR_TIMEOUT'
  constructor(what: string, addr = '') {
    super('ERR_TIMEOUT', `${what} timed out${addr ? ` (${addr})` : ''}`, addr, true)
    this.name = 'TimeoutError'
  }
}

/**
 * The broker answered with an error frame: `nsqCode` is its E_* code (README lists them), `fatal`
 * whether nsqd closes the connection after it.
 */
export class ProtocolResponseError extends NsqClientError {
  declare readonly code: 'ERR_PROTOCOL'
  readonly fatal: boolean
  constructor(
    /** the E_* code of the frame; nsqd's are NsqErrorCode, other brokers may send others */
    readonly nsqCode: NsqErrorCode | (string & {}),
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

/** The connection closed (or never opened) before the command was answered. */
export class NotConnectedError extends NsqClientError {
  declare readonly code: 'ERR_NOT_CONNECTED'
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

/** The producer or consumer was stopped. */
export class StoppedError extends NsqClientError {
  declare readonly code: 'ERR_STOPPED'
  constructor(what = 'producer') {
    super('ERR_STOPPED', `${what} stopped`, '', false)
    this.name = 'StoppedError'
  }
}

/** The peer does not speak NSQ (a bad frame, an IDENTIFY answer that is not JSON). */
export class BadResponseError extends NsqClientError {
  declare readonly code: 'ERR_BAD_RESPONSE'
  constructor(addr: string, why: string) {
    super('ERR_BAD_RESPONSE', `unexpected answer from ${addr}: ${why}`, addr, false)
    this.name = 'BadResponseError'
  }
}

/** A lookupd query failed; `status` is the HTTP status when there was one (else 0). */
export class LookupdError extends NsqClientError {
  declare readonly code: 'ERR_LOOKUPD'
  constructor(addr: string, why: string, readonly status = 0) {
    super('ERR_LOOKUPD', `lookupd ${addr}: ${why}`, addr, true)
    this.name = 'LookupdError'
  }
}

/** An nsqd HTTP query (/stats) failed; `status` is the HTTP status when there was one (else 0). */
export class NsqdHttpError extends NsqClientError {
  declare readonly code: 'ERR_NSQD_HTTP'
  constructor(addr: string, why: string, readonly status = 0) {
    super('ERR_NSQD_HTTP', `nsqd ${addr}: ${why}`, addr, true)
    this.name = 'NsqdHttpError'
  }
}

/**
 * An unknown option, a value out of bounds (`key` names the option) or an invalid topic or
 * channel name (`key` is then ''). Raised when a Producer or Consumer is made, by setOption and
 * applyOptFlags, and by changeMaxInFlight.
 */
export class ConfigError extends NsqClientError {
  declare readonly code: 'ERR_INVALID_CONFIG'
  constructor(
    /** the option at fault (normalised), '' when there is none */
    readonly key: string,
    message: string,
    options?: {cause?: unknown},
  ) {
    super('ERR_INVALID_CONFIG', message, '', false, options)
    this.name = 'ConfigError'
  }
}
