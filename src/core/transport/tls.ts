/**
 * TLS over a Wire, both sides of NSQ's upgrade (NSQ-SPEC §2.2): after the IDENTIFY answer that
 * says `tls_v1: true`, the broker starts a TLS server handshake on the connection (5 s deadline,
 * nsqd's) and the client a TLS client handshake; the next frame, `OK`, travels over TLS.
 *
 * The broker's TLS settings are nsqd's (buildTLSConfig): a certificate and key (both or none),
 * `--tls-client-auth-policy` '' (no client certificate asked for), `require` (any certificate)
 * or `require-verify` (one signed by `--tls-root-ca-file`, or by the system's roots without it),
 * and `--tls-min-version`. nsqd 1.3.0 allows TLS 1.3; so does this.
 */
import {readFileSync} from 'node:fs'
import type {Duplex} from 'node:stream'
import {isIP} from 'node:net'
import {TLSSocket, connect as tlsConnect, createSecureContext, createServer as createTlsServer, type SecureContext, type SecureContextOptions, type SecureVersion} from 'node:tls'
import type {Wire} from './wire.js'

/** nsqd's --tls-min-version values (Go's names) as OpenSSL's; SSL 3.0 is gone from OpenSSL: TLS 1.0 is the oldest. */
const MIN_VERSIONS: Record<string, SecureVersion> = {
  'ssl3.0': 'TLSv1',
  'tls1.0': 'TLSv1',
  'tls1.1': 'TLSv1.1',
  'tls1.2': 'TLSv1.2',
  'tls1.3': 'TLSv1.3',
}

export function secureVersion(goName: string): SecureVersion {
  return MIN_VERSIONS[goName] ?? 'TLSv1'
}

export interface TlsServerSettings {
  cert: string
  key: string
  rootCaFile: string
  /** '' | 'require' | 'require-verify' */
  clientAuthPolicy: string
  /** Go's name: tls1.0 ... */
  minVersion: string
}

/** What the broker upgrades connections with: built once, at start. */
export interface TlsServer {
  readonly context: SecureContext
  /** the same as options, for a server that makes its own context (node:https) */
  readonly options: SecureContextOptions
  /** a client certificate is asked for */
  readonly requestCert: boolean
  /** ... and must verify against the root CAs */
  readonly verifyCert: boolean
}

/**
 * nsqd's buildTLSConfig: null when neither cert nor key is set; an Error naming the file that
 * cannot be read or used otherwise (nsqd: "failed to build TLS config - <err>").
 */
export function buildTlsServer(s: TlsServerSettings): TlsServer | null {
  if (s.cert === '' && s.key === '') return null
  try {
    const minVersion = secureVersion(s.minVersion)
    const options: SecureContextOptions = {
      cert: readFileSync(s.cert),
      key: readFileSync(s.key),
      ca: s.rootCaFile === '' ? undefined : readFileSync(s.rootCaFile),
      minVersion,
      // OpenSSL 3 refuses TLS 1.0/1.1 at its default security level; nsqd offers what it is told
      ...(minVersion === 'TLSv1' || minVersion === 'TLSv1.1' ? {ciphers: 'DEFAULT:@SECLEVEL=0'} : {}),
    }
    const context = createSecureContext(options)
    const requestCert = s.clientAuthPolicy === 'require' || s.clientAuthPolicy === 'require-verify'
    return {context, options, requestCert, verifyCert: s.clientAuthPolicy === 'require-verify'}
  } catch (err) {
    throw new Error(`failed to build TLS config - ${(err as Error).message}`)
  }
}

/** How a TLS connection was negotiated, as nsqd's /stats reports it. */
export interface TlsDescription {
  /** "TLS1.2", "TLS1.3" */
  version: string
  /** the IANA name, as Go's tls.CipherSuiteName */
  cipherSuite: string
  /** ALPN ('' when none) */
  negotiatedProtocol: string
  /** Go: "always true" since 1.16 */
  negotiatedProtocolIsMutual: boolean
  /** the peer certificate's subject CN ('' without one): what nsqd tells its auth server */
  commonName: string
}

export function describeTls(s: TLSSocket): TlsDescription {
  const proto = s.getProtocol() ?? ''
  const cipher = s.getCipher() as {standardName?: string; name: string} | undefined
  const alpn = s.alpnProtocol
  return {
    version: proto.replace(/^TLSv/, 'TLS').replace(/^TLS1$/, 'TLS1.0'),
    cipherSuite: cipher?.standardName ?? cipher?.name ?? '',
    negotiatedProtocol: typeof alpn === 'string' ? alpn : '',
    negotiatedProtocolIsMutual: true,
    commonName: peerCommonName(s),
  }
}

function peerCommonName(s: TLSSocket): string {
  const cn = (s.getPeerCertificate() as {subject?: {CN?: string | string[]}} | null)?.subject?.CN
  return Array.isArray(cn) ? (cn[0] ?? '') : (cn ?? '')
}

const HANDSHAKE_MS = 5000

/**
 * The server side: the wire's stream becomes a TLS server socket; resolves once the handshake is
 * done. A TLS socket made on its own checks no client certificate (Node verifies them in its
 * tls.Server), so `require-verify` hands the connection to a tls.Server of its own, which
 * refuses a certificate the root CAs did not sign; the shared context serves everything else.
 */
export function upgradeToTlsServer(wire: Wire, cfg: TlsServer, leftover: Buffer): Promise<TLSSocket> {
  if (cfg.verifyCert) return wire.upgradeStream((raw) => verifyingHandshake(raw, cfg), leftover)
  const sock = wire.replaceStream((raw: Duplex) => new TLSSocket(raw, {isServer: true, secureContext: cfg.context, requestCert: cfg.requestCert}), leftover)
  return handshake(sock, 'secure', () => {
    // `require`: any certificate, but one there must be (Go's RequireAnyClientCert)
    if (cfg.requestCert && Object.keys(sock.getPeerCertificate() ?? {}).length === 0) throw new Error("tls: client didn't provide a certificate")
  })
}

/** Go's RequireAndVerifyClientCert through a tls.Server made for this one connection. */
function verifyingHandshake(raw: Duplex, cfg: TlsServer): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolve, reject) => {
    const server = createTlsServer({...cfg.options, requestCert: true, rejectUnauthorized: true})
    const timer = setTimeout(() => fail(new Error('TLS handshake timed out')), HANDSHAKE_MS)
    let settled = false
    const fail = (err: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      raw.destroy()
      reject(err)
    }
    server.once('secureConnection', (sock: TLSSocket) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resolve(sock)
    })
    server.once('tlsClientError', (err: Error) => fail(err))
    // an unverified certificate: Node's tls.Server destroys the socket without an error
    raw.once('close', () => fail(new Error('tls: failed to verify client certificate (or the connection closed during the handshake)')))
    server.emit('connection', raw)
  })
}

export interface TlsClientSettings {
  /** the broker's host, for SNI and the certificate's name check */
  host: string
  ca?: Buffer
  cert?: Buffer
  key?: Buffer
  /** false: any certificate is accepted (tls_insecure_skip_verify) */
  verify: boolean
  minVersion?: SecureVersion
}

/** The client side: the wire's stream becomes a TLS client socket; resolves once the handshake is done. */
export function upgradeToTlsClient(wire: Wire, s: TlsClientSettings, leftover: Buffer): Promise<TLSSocket> {
  const sock = wire.replaceStream(
    (raw: Duplex) =>
      tlsConnect({
        socket: raw,
        // SNI takes a name, never an address; the name check takes either
        ...(isIP(s.host) === 0 ? {servername: s.host} : {host: s.host}),
        ca: s.ca,
        cert: s.cert,
        key: s.key,
        rejectUnauthorized: s.verify,
        minVersion: s.minVersion,
        ...(s.minVersion === 'TLSv1' || s.minVersion === 'TLSv1.1' ? {ciphers: 'DEFAULT:@SECLEVEL=0'} : {}),
      }),
    leftover,
  )
  return handshake(sock, 'secureConnect')
}

function handshake(sock: TLSSocket, event: 'secure' | 'secureConnect', check?: () => void): Promise<TLSSocket> {
  return new Promise<TLSSocket>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error('TLS handshake timed out')), HANDSHAKE_MS)
    const done = (): void => {
      clearTimeout(timer)
      sock.off('error', fail)
      sock.off('close', closed)
    }
    const fail = (err: Error): void => {
      done()
      sock.destroy()
      reject(err)
    }
    const closed = (): void => fail(new Error('connection closed during the TLS handshake'))
    sock.once(event, () => {
      try {
        check?.()
      } catch (err) {
        fail(err as Error)
        return
      }
      done()
      resolve(sock)
    })
    sock.once('error', fail)
    sock.once('close', closed)
  })
}
