/** The overflow kept in memory: what a durable broker puts on disk (backend.ts). */
import type {BackendQueue} from './backend.js'
import {Deque} from './deque.js'

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
  /** nothing outlives the process in memory: closing keeps the messages until then */
  async close(): Promise<void> {}
  async delete(): Promise<void> {
    this.q.clear()
  }
}
