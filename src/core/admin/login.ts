/**
 * Built-in login for the admin server (nsqadmin has none: "put an auth proxy in front", #1103):
 * `--basic-auth-file` lists who may log in, one `user:scrypt:<salt hex>:<key hex>` line each
 * (`nsqkit admin --hash-password` makes one), and every request but /ping must carry HTTP Basic
 * credentials that match a line (401 with a `WWW-Authenticate` challenge otherwise, so the browser
 * asks). Who may act is then the logged-in user: an admin when --admin-user names them (or when
 * no --admin-user is set), read-only otherwise.
 *
 * scrypt from node:crypto (N 16384, r 8, p 1, 32-byte key, 16-byte salt): no dependency; a
 * check costs ~50 ms of the event loop, so a header that was verified is remembered (the last
 * 256), a failed check makes that peer wait 250 ms before its next one is even tried (a flood of
 * guesses cannot take the loop), an unknown user costs the same scrypt as a known one (the time
 * does not tell which names exist), and keys are compared in constant time. Blank lines and `#` comments are skipped; a malformed line is an error
 * naming its number.
 */
import {randomBytes, scryptSync, timingSafeEqual} from 'node:crypto'
import type {IncomingMessage} from 'node:http'

const KEY_LEN = 32
const COST = {N: 16384, r: 8, p: 1}

export class LoginFileError extends Error {}

interface Entry {
  salt: Buffer
  key: Buffer
}

/** The user and password of a `Basic` Authorization header, as Go's Request.BasicAuth reads it; null when it is none. */
export function basicCredentials(h: string | undefined): {user: string; password: string} | null {
  if (h === undefined || !/^basic /i.test(h)) return null
  const text = Buffer.from(h.slice(6).trim(), 'base64').toString('utf8')
  const i = text.indexOf(':')
  return i < 0 ? null : {user: text.slice(0, i), password: text.slice(i + 1)}
}

/** One line for the file: `user:scrypt:<salt>:<key>`. */
export function hashPassword(user: string, password: string, salt: Buffer = randomBytes(16)): string {
  if (user === '' || user.includes(':')) throw new LoginFileError(`a user name must be non-empty and without ':' (${JSON.stringify(user)})`)
  const key = scryptSync(password, salt, KEY_LEN, COST)
  return `${user}:scrypt:${salt.toString('hex')}:${key.toString('hex')}`
}

/** How long a peer whose login failed waits before another is tried. */
const FAILURE_PAUSE_MS = 250
const DUMMY: Entry = {salt: Buffer.alloc(16), key: Buffer.alloc(KEY_LEN)}

export class Logins {
  private readonly users = new Map<string, Entry>()
  /** Authorization headers already verified, oldest first */
  private readonly verified = new Map<string, string>()
  /** a peer's address → when its last login failed (ms) */
  private readonly failed = new Map<string, number>()

  /** Read the file's text. @throws LoginFileError naming the line */
  constructor(text: string) {
    text.split('\n').forEach((raw, i) => {
      const line = raw.trim()
      if (line === '' || line.startsWith('#')) return
      const m = /^([^:]+):scrypt:([0-9a-f]{2,}):([0-9a-f]{64})$/i.exec(line)
      if (!m) throw new LoginFileError(`line ${i + 1}: not user:scrypt:<salt hex>:<key hex> (make one with nsqkit admin --hash-password)`)
      this.users.set(m[1] as string, {salt: Buffer.from(m[2] as string, 'hex'), key: Buffer.from(m[3] as string, 'hex')})
    })
    if (this.users.size === 0) throw new LoginFileError('no user in the file')
  }

  /** The logged-in user of `req`, or null when its credentials are missing or wrong. */
  user(req: IncomingMessage, nowMs = Date.now()): string | null {
    const h = req.headers.authorization
    if (h === undefined) return null
    const known = this.verified.get(h)
    if (known !== undefined) return known
    const peer = req.socket.remoteAddress ?? ''
    const last = this.failed.get(peer)
    if (last !== undefined && nowMs - last < FAILURE_PAUSE_MS) return null
    const cred = basicCredentials(h)
    if (cred === null) return null
    const user = cred.user
    const e = this.users.get(user)
    const key = scryptSync(cred.password, (e ?? DUMMY).salt, KEY_LEN, COST)
    if (e === undefined || !timingSafeEqual(key, e.key)) {
      if (this.failed.size > 10_000) this.failed.clear()
      this.failed.set(peer, nowMs)
      return null
    }
    this.failed.delete(peer)
    this.verified.set(h, user)
    if (this.verified.size > 256) this.verified.delete(this.verified.keys().next().value as string)
    return user
  }
}
