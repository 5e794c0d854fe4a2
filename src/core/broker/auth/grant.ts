/**
 * What an auth server granted one connection (nsqd's internal/auth State; NSQ-SPEC §2.6), read
 * from its JSON answer and checked as nsqd checks it. Pure: JSON in, a grant out.
 *
 *   {"ttl": 3600, "identity": "…", "identity_url": "…",
 *    "authorizations": [{"topic": "<regex>", "channels": ["<regex>"], "permissions": ["subscribe", "publish"]}]}
 *
 * nsqd's rules, kept: ttl must be > 0 (seconds; the grant expires then and is asked for again at
 * the next command that needs it); a permission other than subscribe/publish, or a regex that
 * does not compile, refuses the whole answer. SUB needs `subscribe`, a topic regex matching the
 * topic and a channel regex matching the channel; PUB/MPUB/DPUB need `publish`, the topic, and a
 * channel regex matching "" (nsqd checks publishes with channel ""; `.*` does). Matching is a
 * search, not anchored (Go's MatchString).
 *
 * The regexes are Go's (RE2), read by util/go-regexp.ts (what JavaScript spells differently is
 * rewritten, what it would read otherwise is refused, as nsqd refuses a bad regex).
 */
import {goQuote} from '../../protocol/index.js'
import {goRegexp} from '../../util/go-regexp.js'

export class AuthError extends Error {}

export interface Authorization {
  readonly topic: RegExp
  readonly channels: readonly RegExp[]
  readonly permissions: ReadonlySet<'subscribe' | 'publish'>
}

export class AuthGrant {
  /** answers of isAllowed by "topic\nchannel": a grant's regexes run once per name, not per command */
  private readonly memo = new Map<string, boolean>()

  constructor(
    readonly identity: string,
    readonly identityUrl: string,
    readonly authorizations: readonly Authorization[],
    /** ms since the epoch */
    readonly expiresAt: number,
  ) {}

  get hasAuthorizations(): boolean {
    return this.authorizations.length > 0
  }

  expired(nowMs: number): boolean {
    return this.expiresAt < nowMs
  }

  /** channel '' = publish; else subscribe to topic/channel */
  isAllowed(topic: string, channel: string): boolean {
    const key = `${topic}\n${channel}`
    let ok = this.memo.get(key)
    if (ok === undefined) {
      ok = this.authorizations.some((a) => allows(a, topic, channel))
      if (this.memo.size < 10_000) this.memo.set(key, ok)
    }
    return ok
  }
}

function allows(a: Authorization, topic: string, channel: string): boolean {
  if (!a.permissions.has(channel === '' ? 'publish' : 'subscribe')) return false
  if (!a.topic.test(topic)) return false
  return a.channels.some((re) => re.test(channel))
}

function field<T>(o: Record<string, unknown>, key: string, kind: 'string' | 'number' | 'array', fallback: T): T {
  const v = o[key]
  if (v === undefined || v === null) return fallback
  const ok = kind === 'array' ? Array.isArray(v) : typeof v === kind
  if (!ok) throw new AuthError(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into field ${key} of type ${kind}`)
  return v as T
}

/**
 * The auth server's answer as a grant, expiring `ttl` seconds after `nowMs`; AuthError (nsqd's
 * texts: "invalid TTL 0 (must be >0)", "unknown permission x", "unable to compile topic …") when
 * nsqd would refuse it.
 */
export function parseAuthGrant(json: unknown, nowMs: number): AuthGrant {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new AuthError('json: the answer is not an object')
  const o = json as Record<string, unknown>
  const ttl = field(o, 'ttl', 'number', 0)
  const identity = field(o, 'identity', 'string', '')
  const identityUrl = field(o, 'identity_url', 'string', '')
  const list = field<unknown[]>(o, 'authorizations', 'array', [])
  const authorizations: Authorization[] = list.map((raw) => {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new AuthError('json: an authorization is not an object')
    const a = raw as Record<string, unknown>
    const perms = field<unknown[]>(a, 'permissions', 'array', [])
    const permissions = new Set<'subscribe' | 'publish'>()
    for (const p of perms) {
      if (p !== 'subscribe' && p !== 'publish') throw new AuthError(`unknown permission ${String(p)}`)
      permissions.add(p)
    }
    const topicSrc = field(a, 'topic', 'string', '')
    let topic: RegExp
    try {
      topic = goRegexp(topicSrc)
    } catch (err) {
      throw new AuthError(`unable to compile topic ${goQuote(topicSrc)} ${(err as Error).message}`)
    }
    const channels = field<unknown[]>(a, 'channels', 'array', []).map((c) => {
      if (typeof c !== 'string') throw new AuthError('json: cannot unmarshal a channel that is not a string')
      try {
        return goRegexp(c)
      } catch (err) {
        throw new AuthError(`unable to compile channel ${goQuote(c)} ${(err as Error).message}`)
      }
    })
    return {topic, channels, permissions}
  })
  if (!Number.isInteger(ttl) || ttl <= 0) throw new AuthError(`invalid TTL ${ttl} (must be >0)`)
  return new AuthGrant(identity, identityUrl, authorizations, nowMs + ttl * 1000)
}
