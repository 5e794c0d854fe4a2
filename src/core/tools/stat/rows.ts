/**
 * nsq_stat's numbers (NSQ-SPEC §1.6): a channel's counters summed over the nodes that have it,
 * and the line of one interval from two samples. Pure.
 *
 *   ingress = Δmessage_count / interval_s                       (as nsq_stat)
 *   egress  = Δ(message_count − depth − in_flight − deferred) / interval_s, at least 0
 *             (messages finished per second; nsq_stat's Δmessage_count − Δdepth counts a
 *             message still in flight or deferred as gone, and goes negative: #1392, #1399)
 *   total = depth, mem = depth − backend_depth, disk = backend_depth, inflt, def, req, t-o,
 *   msgs, clients: the sums of the current sample
 *
 * Both rates use the configured interval (as nsq_stat) and are truncated toward zero (Go's
 * int64()). Beyond nsq_stat, a delta is taken per node, over the nodes in both samples: a node
 * that did not answer last time (or is new) adds nothing to this interval's rates instead of
 * its whole count, and a node whose message_count went back (it restarted) counts from its new
 * values.
 */
import type {ChannelStats} from '../../protocol/index.js'
import type {StatRow} from './format.js'

/** The counters of one channel on one node (the fields of /stats a line is made from). */
export type ChannelCounters = Pick<
  ChannelStats,
  'depth' | 'backend_depth' | 'in_flight_count' | 'deferred_count' | 'message_count' | 'requeue_count' | 'timeout_count' | 'client_count' | 'paused'
>

/** A channel's counters summed over nodes, and how many nodes have it and have it paused. */
export interface ChannelTotals extends Omit<ChannelCounters, 'paused'> {
  nodes: number
  pausedNodes: number
}

/** Sum the counters of one channel over the nodes that have it. */
export function sumCounters(list: Iterable<ChannelCounters>): ChannelTotals {
  const t: ChannelTotals = {depth: 0, backend_depth: 0, in_flight_count: 0, deferred_count: 0, message_count: 0, requeue_count: 0, timeout_count: 0, client_count: 0, nodes: 0, pausedNodes: 0}
  for (const c of list) {
    t.depth += c.depth
    t.backend_depth += c.backend_depth
    t.in_flight_count += c.in_flight_count
    t.deferred_count += c.deferred_count
    t.message_count += c.message_count
    t.requeue_count += c.requeue_count
    t.timeout_count += c.timeout_count
    t.client_count += c.client_count
    t.nodes++
    if (c.paused) t.pausedNodes++
  }
  return t
}

/** Messages that left the channel for good: counted in, and neither queued, in flight nor deferred. */
export function finished(c: Omit<ChannelCounters, 'paused'>): number {
  return c.message_count - c.depth - c.in_flight_count - c.deferred_count
}

/** The two rates over one interval from two samples, node → counters (per node, see above). */
export function rates(prev: ReadonlyMap<string, ChannelCounters>, cur: ReadonlyMap<string, ChannelCounters>, intervalMs: number): {ingress: number; egress: number} {
  let dIn = 0
  let dOut = 0
  for (const [node, c] of cur) {
    const p = prev.get(node)
    if (p === undefined || c.message_count < p.message_count) continue
    dIn += c.message_count - p.message_count
    dOut += finished(c) - finished(p)
  }
  const s = intervalMs / 1000
  return {ingress: Math.trunc(dIn / s), egress: Math.max(0, Math.trunc(dOut / s))}
}

/** The line of an interval: the rates from `prev` to `cur`, the rest from `cur`'s sums. */
export function statRow(prev: ReadonlyMap<string, ChannelCounters>, cur: ReadonlyMap<string, ChannelCounters>, intervalMs: number): StatRow {
  const t = sumCounters(cur.values())
  return {...rates(prev, cur, intervalMs), ...totalsColumns(t)}
}

/** The columns read from the sums alone (everything but the rates). */
export function totalsColumns(t: ChannelTotals): Omit<StatRow, 'ingress' | 'egress'> {
  return {
    total: t.depth,
    mem: t.depth - t.backend_depth,
    disk: t.backend_depth,
    inflt: t.in_flight_count,
    def: t.deferred_count,
    req: t.requeue_count,
    't-o': t.timeout_count,
    msgs: t.message_count,
    clients: t.client_count,
  }
}
