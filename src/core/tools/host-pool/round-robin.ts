/**
 * `--mode=round-robin` (NSQ-SPEC §1.3, §1.4): nsq_to_http's and nsq_to_nsq's own counter, not
 * go-hostpool. Each message takes `atomic.AddUint64(&counter, 1) % len(addresses)`: the value
 * after the increment, so the first message goes to hosts[1] (hosts[0] when there is one), then
 * hosts[2], … wrapping to hosts[0]. No host is ever skipped: a failure is the message's problem
 * (REQ), not the host's, so mark() records nothing.
 */
import type {HostPick, HostPool} from './types.js'

export class RoundRobinPool implements HostPool {
  /** the counter modulo the host count (the same sequence, without a counter to overflow) */
  private last = 0

  constructor(readonly hosts: readonly string[]) {}

  pick(): HostPick {
    const index = (this.last + 1) % this.hosts.length
    this.last = index
    return {host: this.hosts[index] as string, index, mark: () => undefined}
  }
}
