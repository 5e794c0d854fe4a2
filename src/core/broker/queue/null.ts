/** No overflow: #ephemeral topics and channels drop what does not fit in memory, as nsqd (backend.ts). */
import type {BackendQueue} from './backend.js'

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
  async delete(): Promise<void> {}
}
