/**
 * Where a topic's or channel's messages wait: nsqd's memory channel of `mem-queue-size`
 * plus a backend queue for the overflow (NSQ-SPEC §2.2 "Queues"). The backend sits behind
 * BackendQueue so the disk queue (issue 7) slots in without touching topics or channels.
 *
 * Backends today:
 *  - MemoryBackend: the overflow kept in memory (what a durable broker will put on disk);
 *    its length is what /stats reports as backend_depth.
 *  - NullBackend: for #ephemeral topics and channels, which drop the overflow as nsqd does.
 *
 * Unlike nsqd, MessageQueue keeps FIFO order across the two tiers: once anything has spilled
 * to the backend, new messages follow it there until it is empty.
 */
import {Deque} from './deque.js'

export interface BackendQueue<T> {
  /** false when the message was dropped */
  put(item: T): boolean
  /** the oldest message, removed */
  read(): T | undefined
  depth(): number
  /** drop every message */
  empty(): void
  close(): Promise<void>
}

export class MemoryBackend<T> implements BackendQueue<T> {
  private readonly q = new Deque<T>(64)
  put(item: T): boolean {
    this.q.push(item)
    return true
  }
  read(): T | undefined {
    return this.q.shift()
  }
  depth(): number {
    return this.q.length
  }
  empty(): void {
    this.q.clear()
  }
  async close(): Promise<void> {}
}

export class NullBackend<T> implements BackendQueue<T> {
  put(): boolean {
    return false
  }
  read(): T | undefined {
    return undefined
  }
  depth(): number {
    return 0
  }
  empty(): void {}
  async close(): Promise<void> {}
}

/** Memory tier of `memSize` in front of a backend. */
export class MessageQueue<T> {
  private readonly mem = new Deque<T>(64)

  constructor(
    private readonly memSize: number,
    readonly backend: BackendQueue<T>,
  ) {}

  /** false when the message was dropped (ephemeral overflow) */
  put(item: T): boolean {
    if (this.mem.length < this.memSize && this.backend.depth() === 0) {
      this.mem.push(item)
      return true
    }
    return this.backend.put(item)
  }

  /** Put a message back at the front (a delivery that could not complete). */
  putFront(item: T): void {
    this.mem.unshift(item)
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

  clear(): void {
    this.mem.clear()
    this.backend.empty()
  }
}
