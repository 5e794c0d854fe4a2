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
  secret: string
  /** the client certificate's subject CN over TLS; '' otherwise */
  commonName: string
}

/** What a session asks: a grant for this connection, or an Error (never shown to the client). */
export interface AuthQuery {
  query(req: AuthRequest): Promise<AuthGrant>
  close(): Promise<void>
}

/** Go's url.QueryEscape: unreserved bytes as they are, space as '+', everything else %XX. */
export function goQueryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
}

/** The auth URL for one address: keys sorted, as url.Values.Encode writes them. */
export function authUrl(addr: string, req: AuthRequest): URL {
  const q = [
    ['common_name', req.commonName],
    ['remote_ip', req.remoteIp],
    ['secret', req.secret],
    ['tls', req.tls ? 'true' : 'false'],
  ]
    .map(([k, v]) => `${k}=${goQueryEscape(v as string)}`)
    .join('&')
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

  close(): Promise<void> {
    return this.http.close()
  }
}
