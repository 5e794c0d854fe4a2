/**
 * The auth servers of `--auth-http-address` (nsqd's internal/auth QueryAnyAuthd; NSQ-SPEC §2.6):
 * one query asks them in turn, from a random one, until one answers with a grant nsqd would
 * accept; each failure is logged and the last one is the query's error.
 *
 *   GET http://<addr>/auth?common_name=<cn>&remote_ip=<ip>&secret=<secret>&tls=<true|false>
 *   (an address with `://` is the URL itself: <url>?…; the query as Go's url.Values.Encode)
 *
 * Over the shared JSON GET (transport/http-json.ts: the --http-client-connect-timeout and
 * --http-client-request-timeout, the `Accept: application/vnd.nsq; version=1.0` header, a 403
 * naming an https_port asked again over HTTPS); https:// servers are verified against
 * --tls-root-ca-file when it is set, as nsqd's client TLS config does.
 */
import {readFileSync} from 'node:fs'
import {JsonGetter, type HttpTimeouts} from '../../transport/http-json.js'
import type {Logger} from '../../util/logger.js'
import {AuthError, parseAuthGrant, type AuthGrant} from './grant.js'

/** What nsqd tells the auth server about the connection. */
export interface AuthRequest {
  remoteIp: string
  tls: boolean
  /** the AUTH body as it came: a byte string (a char a byte) */
  secret: string
  /** the client certificate's subject CN over TLS; '' otherwise */
  commonName: string
}

/** What a session asks: a grant for this connection, or an Error (never shown to the client). */
export interface AuthQuery {
  query(req: AuthRequest): Promise<AuthGrant>
  close(): Promise<void>
}

/**
 * Go's url.QueryEscape: unreserved bytes as they are, space as '+', every other byte %XX. `s` is
 * text (its UTF-8 bytes), or with 'latin1' a byte string (the AUTH body as it came, a char a byte).
 */
export function goQueryEscape(s: string, encoding: 'utf8' | 'latin1' = 'utf8'): string {
  let out = ''
  for (const b of Buffer.from(s, encoding)) {
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e) out += String.fromCharCode(b)
    else if (b === 0x20) out += '+'
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`
  }
  return out
}

/** The auth URL for one address: keys sorted, as url.Values.Encode writes them. */
export function authUrl(addr: string, req: AuthRequest): URL {
  const q = [
    `common_name=${goQueryEscape(req.commonName)}`,
    `remote_ip=${goQueryEscape(req.remoteIp)}`,
    `secret=${goQueryEscape(req.secret, 'latin1')}`,
    `tls=${req.tls ? 'true' : 'false'}`,
  ].join('&')
  const base = addr.includes('://') ? addr : `http://${addr}/auth`
  return new URL(`${base}${base.includes('?') ? '&' : '?'}${q}`)
}

export class AuthServers implements AuthQuery {
  private readonly http: JsonGetter

  constructor(
    private readonly addresses: readonly string[],
    timeouts: HttpTimeouts,
    private readonly log: Logger,
    private readonly now: () => number,
    rootCaFile = '',
  ) {
    const ca = rootCaFile === '' ? undefined : readFileSync(rootCaFile)
    this.http = new JsonGetter(timeouts, (host, why) => new AuthError(`${host}: ${why}`), '', ca ? {ca} : {})
  }

  async query(req: AuthRequest): Promise<AuthGrant> {
    const n = this.addresses.length
    const start = Math.floor(Math.random() * n)
    let last: Error = new AuthError('no auth server')
    for (let i = 0; i < n; i++) {
      const addr = this.addresses[(start + i) % n] as string
      try {
        return parseAuthGrant(await this.http.get(authUrl(addr, req)), this.now())
      } catch (err) {
        last = err as Error
        this.log.error(`failed auth against ${addr} ${last.message}`)
      }
    }
    throw last
  }

  /** At shutdown: queries under way fail at once (their sessions are closed by then). */
  close(): Promise<void> {
    return this.http.destroy()
  }
}
