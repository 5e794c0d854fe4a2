/**
 * Bounded waits, the one copy every test uses: `sleep`, `waitFor` (poll until truthy) and
 * `withTimeout` (a promise raced against a deadline). A wait that runs out fails the test with
 * what it was waiting for; `what` may be a function, read when the wait runs out, so the message
 * shows the state at that moment ("3 of 5 lines") rather than at the start.
 */
import assert from 'node:assert/strict'

export type What = string | (() => string)

const say = (what: What): string => (typeof what === 'function' ? what() : what)

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

export interface WaitOptions {
  /** fail after this long (3 s by default) */
  timeoutMs?: number
  /** poll this often (20 ms by default) */
  everyMs?: number
}

/** Poll `check` until it returns something truthy and return that; fails naming `what` after `timeoutMs`. */
export async function waitFor<T>(what: What, check: () => T | Promise<T>, {timeoutMs = 3000, everyMs = 20}: WaitOptions = {}): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const last = await check()
    if (last) return last as NonNullable<T>
    if (Date.now() >= deadline) assert.fail(`timed out after ${timeoutMs}ms waiting for ${say(what)} (last: ${JSON.stringify(last)})`)
    await sleep(everyMs)
  }
}

/** `p`'s outcome, or a rejection naming `what` if it takes longer than `ms`. */
export async function withTimeout<T>(p: Promise<T>, ms: number, what: What): Promise<T> {
  let t: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        t = setTimeout(() => reject(new Error(`${say(what)}: no result within ${ms}ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(t)
  }
}
