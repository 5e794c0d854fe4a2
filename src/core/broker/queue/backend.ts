/**
 * The backend-queue contract: where a topic's or channel's messages go once its memory tier
 * (message-queue.ts) is full (NSQ-SPEC §2.2 "Queues"; nsqd's BackendQueue). Topics and
 * channels see only this, so the disk queue (issue 9) slots in without touching them.
 *
 * Backends: MemoryBackend (memory.ts: the overflow kept in memory; its length is what /stats
 * reports as backend_depth) and NullBackend (null.ts: #ephemeral topics and channels, which
 * drop the overflow as nsqd does).
 *
 * Close is not Delete (docs/ARCHITECTURE.md, "Habits"): `close()` is the broker stopping, and keeps what is stored
 * (a disk queue syncs it for the next start); `delete()` is the topic or channel going away,
 * and drops it for good. Both release what the backend holds open.
 */
export interface BackendQueue<T> {
  /** false when the message was dropped */
  put(item: T): boolean
  /** the oldest message, removed */
  read(): T | undefined
  depth(): number
  /** drop every message (POST /topic/empty, /channel/empty); the queue stays usable */
  empty(): void
  /** the broker is stopping: keep what is stored, release the resources */
  close(): Promise<void>
  /** the topic or channel is deleted: drop what is stored, release the resources */
  delete(): Promise<void>
}
