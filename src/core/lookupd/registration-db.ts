/**
 * nsqlookupd's registration DB (nsqlookupd/registration_db.go, NSQ-SPEC §3.2–3.3): who serves
 * which topic and channel.
 *
 *   Registration {category, key, subKey}          → producers by peer id
 *   ("client", "", "")                            every identified nsqd
 *   ("topic", topic, "")                          the nsqd serving a topic
 *   ("channel", topic, channel)                   the nsqd with that channel
 *
 * Go's semantics, to the letter: adding a producer creates the registration; removing the last
 * producer leaves the registration (empty) in place, so a topic created over HTTP or left by a
 * departed nsqd still lists in /topics; only a registration's removal (HTTP delete, or an
 * UNREGISTER of an #ephemeral one with nobody left) forgets it. `*` as key or subkey matches
 * any. A producer is a peer's entry in one registration: each REGISTER makes its own, so a
 * tombstone is per (topic, node), and a re-REGISTER keeps the entry it had (and its tombstone).
 * Iteration is in insertion order (Go's is random: no order is promised to clients).
 */

/** An nsqd as it identified itself (lookup_protocol_v1.go PeerInfo). */
export interface PeerInfo {
  /** the TCP remote address of its connection: the peer's id */
  readonly id: string
  readonly remoteAddress: string
  readonly hostname: string
  readonly broadcastAddress: string
  readonly tcpPort: number
  readonly httpPort: number
  readonly version: string
  /** ns since the epoch of its IDENTIFY or last PING */
  lastUpdate: bigint
}

/** A peer's entry in one registration. */
export class Producer {
  tombstoned = false
  /** ns since the epoch; 0 until tombstoned */
  tombstonedAt = 0n

  constructor(readonly peer: PeerInfo) {}

  tombstone(nowNs: bigint): void {
    this.tombstoned = true
    this.tombstonedAt = nowNs
  }

  /** tombstoned less than `lifetimeMs` ago */
  isTombstoned(lifetimeMs: number, nowNs: bigint): boolean {
    return this.tombstoned && nowNs - this.tombstonedAt < msToNs(lifetimeMs)
  }
}

export type Category = 'client' | 'topic' | 'channel'

export interface Registration {
  readonly category: Category
  readonly key: string
  readonly subKey: string
}

const msToNs = (ms: number): bigint => BigInt(Math.round(ms * 1e6))
const idOf = (r: Registration): string => `${r.category}\0${r.key}\0${r.subKey}`

const matches = (r: Registration, category: Category, key: string, subKey: string): boolean =>
  r.category === category && (key === '*' || r.key === key) && (subKey === '*' || r.subKey === subKey)

export class RegistrationDB {
  private readonly map = new Map<string, {reg: Registration; producers: Map<string, Producer>}>()

  /** Create the registration if it is not there (HTTP create). */
  addRegistration(reg: Registration): void {
    this.entry(reg)
  }

  /** Add `p` under `reg` (creating it); false when that peer was already there (the old entry stays). */
  addProducer(reg: Registration, p: Producer): boolean {
    const producers = this.entry(reg)
    if (producers.has(p.peer.id)) return false
    producers.set(p.peer.id, p)
    return true
  }

  /** Remove peer `id` from `reg`: whether it was there, and how many are left. The registration stays. */
  removeProducer(reg: Registration, id: string): {removed: boolean; left: number} {
    const e = this.map.get(idOf(reg))
    if (e === undefined) return {removed: false, left: 0}
    const removed = e.producers.delete(id)
    return {removed, left: e.producers.size}
  }

  /** Forget the registration and its producers. */
  removeRegistration(reg: Registration): void {
    this.map.delete(idOf(reg))
  }

  /** The registrations matching (`*` = any key or subkey). */
  findRegistrations(category: Category, key: string, subKey: string): Registration[] {
    if (key !== '*' && subKey !== '*') {
      const e = this.map.get(idOf({category, key, subKey}))
      return e === undefined ? [] : [e.reg]
    }
    const out: Registration[] = []
    for (const {reg} of this.map.values()) if (matches(reg, category, key, subKey)) out.push(reg)
    return out
  }

  /** The producers of the matching registrations, each peer once (its first entry). */
  findProducers(category: Category, key: string, subKey: string): Producer[] {
    if (key !== '*' && subKey !== '*') return [...(this.map.get(idOf({category, key, subKey}))?.producers.values() ?? [])]
    const seen = new Set<string>()
    const out: Producer[] = []
    for (const {reg, producers} of this.map.values()) {
      if (!matches(reg, category, key, subKey)) continue
      for (const p of producers.values()) {
        if (seen.has(p.peer.id)) continue
        seen.add(p.peer.id)
        out.push(p)
      }
    }
    return out
  }

  /** Every registration peer `id` is in. */
  lookupRegistrations(id: string): Registration[] {
    const out: Registration[] = []
    for (const {reg, producers} of this.map.values()) if (producers.has(id)) out.push(reg)
    return out
  }

  /** Every registration with its producers (GET /debug). */
  entries(): IterableIterator<{reg: Registration; producers: ReadonlyMap<string, Producer>}> {
    return this.map.values()
  }

  private entry(reg: Registration): Map<string, Producer> {
    const id = idOf(reg)
    let e = this.map.get(id)
    if (e === undefined) {
      e = {reg: {category: reg.category, key: reg.key, subKey: reg.subKey}, producers: new Map()}
      this.map.set(id, e)
    }
    return e.producers
  }
}

/** Registrations → their keys (Go's Registrations.Keys). */
export const keysOf = (rr: readonly Registration[]): string[] => rr.map((r) => r.key)
/** Registrations → their subkeys (Go's Registrations.SubKeys). */
export const subKeysOf = (rr: readonly Registration[]): string[] => rr.map((r) => r.subKey)

/**
 * Go's Producers.FilterByActive: those whose last IDENTIFY/PING is at most `inactiveMs` old and
 * that are not tombstoned within `tombstoneLifetimeMs` (0: tombstones do not filter).
 */
export function filterByActive(pp: readonly Producer[], inactiveMs: number, tombstoneLifetimeMs: number, nowNs: bigint): Producer[] {
  const limit = msToNs(inactiveMs)
  return pp.filter((p) => !(nowNs - p.peer.lastUpdate > limit || p.isTombstoned(tombstoneLifetimeMs, nowNs)))
}
