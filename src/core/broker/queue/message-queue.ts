/**
 * A topic's or channel's queue: nsqd's memory channel of `mem-queue-size` in front of a
 * backend queue (backend.ts) for the overflow.
 *
 * Unlike nsqd, it keeps FIFO order across the two tiers: once anything has spilled to the
 * backend, new messages follow it there until it is empty.
 *
 * A message put here lets go of the record it held in a durable backend (backend.ts, "Holds")
 * once it has its new place: a shutdown re-queues it, and the new copy is what counts from then on.
 * A message back from flight (REQ, a timeout, a deferral's end: `requeue`) that holds a record
 * keeps it instead and waits in memory ahead of the queue: no second record is written, so a
 * crash finds that message once, not twice (its first record, and the copy the metadata had not
 * yet let go of it for).
 */
import {release, type BackendQueue, type Held} from './backend.js'
import {Deque} from './deque.js'

export class MessageQueue<T extends Held> {
  private readonly mem = new Deque<T>(64)
  private closed = false
  private deleted = false
  /** back from flight, still holding their records: delivered first */
  private readonly again = new Deque<T>(16)

  constructor(
    private readonly memSize: number,
    readonly backend: BackendQueue<T>,
  ) {}

  /**
   * false when the message was dropped (ephemeral overflow) or refused (the queue is closed:
   * the broker is stopping). A refused message keeps the record it held: read again at the next
   * start, rather than released with nowhere else to live.
   */
  put(item: T): boolean {
    if (this.deleted) {
      release(item)
      return false
    }
    if (this.closed) return false
    let ok = true
    if (this.mem.length < this.memSize && this.backend.depth() === 0) this.mem.push(item)
    else ok = this.backend.put(item)
    if (item.holder !== null && (ok || this.backend.isClosed !== true)) release(item)
    return ok
  }

  /** A message back from flight (REQ, a timeout, the end of a deferral). */
  requeue(item: T): boolean {
    // written anew when its record would keep too much of the queue on disk (a message re-queued
    // again and again while the queue moves on past it)
    if (item.holder === null || item.holder.stale?.(item.holdSeq) === true) return this.put(item)
    this.again.push(item)
    return true
  }

  /**
   * nsqd's unbuffered memory channel (an ephemeral channel with --mem-queue-size 0): `items` go
   * to memory whatever its size, for a dispatch to hand to ready subscribers; `dropMemory()` then
   * drops what none took.
   */
  offer(items: readonly T[]): void {
    for (let i = 0; i < items.length; i++) {
      const m = items[i] as T
      this.mem.push(m)
      if (m.holder !== null) release(m)
    }
  }

  dropMemory(): void {
    this.mem.clear()
  }

  shift(): T | undefined {
    if (this.again.length > 0) return this.again.shift()
    return this.mem.length > 0 ? this.mem.shift() : this.backend.read()
  }

  get length(): number {
    return this.again.length + this.mem.length + this.backend.depth()
  }

  get memoryDepth(): number {
    return this.again.length + this.mem.length
  }

  backendDepth(): number {
    return this.backend.depth()
  }

  /** Drop every message, in both tiers. */
  clear(): void {
    for (let m = this.again.shift(); m !== undefined; m = this.again.shift()) release(m)
    this.mem.clear()
    this.backend.empty()
  }

  /**
   * The broker is stopping: what waits in memory goes to the backend (as nsqd's flush on
   * Close), then the backend closes. What a backend cannot take (NullBackend) is lost, and the
   * memory messages land after the backend's, as in nsqd: FIFO order holds while running.
   */
  async close(): Promise<void> {
    if (this.closed) return
    for (let m = this.again.shift(); m !== undefined; m = this.again.shift()) this.put(m)
    for (let m = this.mem.shift(); m !== undefined; m = this.mem.shift()) this.backend.put(m)
    this.closed = true
    await this.backend.close()
  }

  /** The topic or channel is deleted: drop everything and delete the backend. */
  async delete(): Promise<void> {
    this.closed = this.deleted = true
    this.again.clear()
    this.mem.clear()
    await this.backend.delete()
  }
}
