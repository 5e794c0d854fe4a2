/**
 * A topic's or channel's queue: nsqd's memory channel of `mem-queue-size` in front of a
 * backend queue (backend.ts) for the overflow.
 *
 * Unlike nsqd, it keeps FIFO order across the two tiers: once anything has spilled to the
 * backend, new messages follow it there until it is empty.
 *
 * A message put here lets go of the record it held in a durable backend (backend.ts, "Holds")
 * once it has its new place: a REQ, a timeout or a shutdown re-queues it, and the new copy (or
 * memory, for a memory-first broker) is what counts from then on.
 */
import {release, type BackendQueue, type Held} from './backend.js'
import {Deque} from './deque.js'

export class MessageQueue<T extends Held> {
  private readonly mem = new Deque<T>(64)

  constructor(
    private readonly memSize: number,
    readonly backend: BackendQueue<T>,
  ) {}

  /** false when the message was dropped (ephemeral overflow) */
  put(item: T): boolean {
    let ok = true
    if (this.mem.length < this.memSize && this.backend.depth() === 0) this.mem.push(item)
    else ok = this.backend.put(item)
    if (item.holder !== null) release(item)
    return ok
  }

  shift(): T | undefined {
    return this.mem.length > 0 ? this.mem.shift() : this.backend.read()
  }

  get length(): number {
    return this.mem.length + this.backend.depth()
  }

  get memoryDepth(): number {
    return this.mem.length
  }

  backendDepth(): number {
    return this.backend.depth()
  }

  /** Drop every message, in both tiers. */
  clear(): void {
    this.mem.clear()
    this.backend.empty()
  }

  /**
   * The broker is stopping: what waits in memory goes to the backend (as nsqd's flush on
   * Close), then the backend closes. What a backend cannot take (NullBackend) is lost, and the
   * memory messages land after the backend's, as in nsqd: FIFO order holds while running.
   */
  async close(): Promise<void> {
    for (let m = this.mem.shift(); m !== undefined; m = this.mem.shift()) this.backend.put(m)
    await this.backend.close()
  }

  /** The topic or channel is deleted: drop everything and delete the backend. */
  async delete(): Promise<void> {
    this.mem.clear()
    await this.backend.delete()
  }
}
