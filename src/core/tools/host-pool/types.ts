/**
 * The shapes every host pool shares (NSQ-SPEC §1.3 "Modes", §1.4): nsq_to_http and nsq_to_nsq
 * ask a pool for one destination per message and tell it how the attempt went.
 *
 *   pool.pick() ─▶ {host, index, mark} ─▶ request to hosts[index] ─▶ mark(err | null)
 *
 * `mark` is go-hostpool's HostPoolResponse.Mark: null or undefined is a success, anything else
 * a failure; only its first call counts (Go guards it with a sync.Once), and it should be
 * called once per pick, right after the attempt, since epsilon-greedy times the attempt
 * between pick() and mark().
 */

export type PoolMode = 'round-robin' | 'hostpool' | 'epsilon-greedy'

export interface HostPick {
  readonly host: string
  /** the position in `hosts` that was picked */
  readonly index: number
  /** null/undefined = success; the first call counts, later ones are ignored */
  mark(err: unknown): void
}

export interface HostPool {
  readonly hosts: readonly string[]
  pick(): HostPick
}

export interface HostPoolDeps {
  /** ms (performance.now by default): dead-host retry times and epsilon-greedy's timings */
  now?: () => number
  /** [0, 1) (Math.random by default): epsilon-greedy's exploration and weighted choice */
  random?: () => number
}
