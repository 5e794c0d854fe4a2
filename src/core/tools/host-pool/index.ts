/**
 * The host pools nsq_to_http (`to-http`) and nsq_to_nsq (`relay`) pick a destination from, one
 * per message (NSQ-SPEC §1.3 "Modes", §1.4): `round-robin` (the apps' own counter,
 * round-robin.ts), `hostpool` (go-hostpool's standard pool, standard.ts) and `epsilon-greedy`
 * (go-hostpool's epsilon-greedy pool, epsilon-greedy.ts). Multicast and the apps' handling of
 * an unknown mode are the engines' business, not a pool's.
 */
import {EpsilonGreedyPool} from './epsilon-greedy.js'
import {RoundRobinPool} from './round-robin.js'
import {StandardPool} from './standard.js'
import type {HostPool, HostPoolDeps, PoolMode} from './types.js'

export type {HostPick, HostPool, HostPoolDeps, PoolMode} from './types.js'

/** The pool of `mode` over `hosts` (at least one; an Error otherwise). */
export function createHostPool(mode: PoolMode, hosts: readonly string[], deps: HostPoolDeps = {}): HostPool {
  if (hosts.length === 0) throw new Error('a host pool needs at least one host')
  switch (mode) {
    case 'round-robin':
      return new RoundRobinPool(hosts)
    case 'hostpool':
      return new StandardPool(hosts, deps)
    case 'epsilon-greedy':
      return new EpsilonGreedyPool(hosts, deps)
  }
  throw new Error(`unknown host pool mode: ${String(mode)}`)
}
