/**
 * What the consuming tools' engines share about a run's life: connect a Consumer the way the
 * flags say (nsqd directly, retrying the ones it cannot reach yet, or through the lookupds), and
 * wait for the stop signal while keeping the process alive (the client's timers are unref'd, so
 * a run whose connections are all down would otherwise just end).
 */
import type {Consumer} from '../client/consumer.js'
import type {Logger} from '../util/logger.js'

/** What the fan-out engines (to-http, relay) run with. */
export interface FanOutContext {
  /** aborts at SIGINT/SIGTERM: the run ends */
  signal: AbortSignal
  log: Logger
  /** [0, 1) (Math.random by default): --sample and the host pools */
  random?: () => number
  /** ms (performance.now by default): request times */
  now?: () => number
}

export async function connectConsumer(c: Consumer, nsqdTcpAddresses: readonly string[], lookupdHttpAddresses: readonly string[]): Promise<void> {
  if (nsqdTcpAddresses.length > 0) await c.connectToNsqdsRetrying([...nsqdTcpAddresses])
  if (lookupdHttpAddresses.length > 0) await c.connectToLookupd(...lookupdHttpAddresses)
}

/** Resolves when `signal` aborts (at once if it has); the process stays alive meanwhile. */
export async function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return
  const keepAlive = setInterval(() => undefined, 1 << 30)
  try {
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), {once: true}))
  } finally {
    clearInterval(keepAlive)
  }
}

/**
 * A fan-out tool's life: `start` (connect its consumers), run until `signal` aborts, then
 * `shutdown` — also when the start failed, so what was connected is closed.
 */
export async function runUntilAborted(signal: AbortSignal, start: () => Promise<void>, shutdown: () => Promise<void>): Promise<void> {
  try {
    await start()
    await untilAborted(signal)
  } finally {
    await shutdown()
  }
}
