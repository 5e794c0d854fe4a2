/**
 * The backend-queue contract: where a topic's or channel's messages go once its memory tier
 * (message-queue.ts) is full, or all of them with --mem-queue-size 0 (NSQ-SPEC §2.2 "Queues";
 * nsqd's BackendQueue). Topics and channels see only this, and get their backend from the
 * broker's factory (`BackendFactory`): they never choose one.
 *
 * Backends: DiskQueue (disk-queue.ts: go-diskqueue's files, the durable broker's), MemoryBackend
 * (memory.ts: a broker without a data path, as an embedder makes one) and NullBackend (null.ts:
 * #ephemeral topics and channels, which drop the overflow as nsqd does).
 *
 * Reads may complete later: `read()` returns undefined while the next item is still being
 * fetched (depth() > 0 and nothing in hand), and the backend calls the `wake` it was made with
 * once items can be read; the reader (a channel's dispatch, a topic's pump) simply tries again.
 *
 * Holds: an item read from a durable backend still *holds* its record there (`Held`): the record
 * stays part of the durable state (a restart delivers it again) until the item is released —
 * when its message is FINed, dropped, or put into a queue again (its new record takes over).
 * MessageQueue releases on put; a channel releases on FIN. An item that never came from a
 * durable backend holds nothing.
 *
 * Close is not Delete (docs/ARCHITECTURE.md, "Habits"): `close()` is the broker stopping, and
 * keeps what is stored (a disk queue syncs it for the next start); `delete()` is the topic or
 * channel going away, and drops it for good. Both release what the backend holds open.
 */
export interface BackendQueue<T> {
  /** false when the message was dropped */
  put(item: T): boolean
  /** the oldest message, removed; undefined when there is none in hand yet (see `wake`) */
  read(): T | undefined
  /** messages stored and not yet read */
  depth(): number
  /** drop every message (POST /topic/empty, /channel/empty); the queue stays usable */
  empty(): void
  /** the broker is stopping: keep what is stored, release the resources */
  close(): Promise<void>
  /** the topic or channel is deleted: drop what is stored, release the resources */
  delete(): Promise<void>
  /** closed or deleted: a put is refused, and the record a refused item held stays held */
  readonly isClosed?: boolean
}

/** A backend that items hold records in (see "Holds" above). */
export interface RecordHolder {
  /** the item read as `seq` no longer needs its record */
  release(seq: number): void
  /** would keeping `seq`'s record much longer pin too much of the queue? (then write it anew) */
  stale?(seq: number): boolean
}

/** What an item carries to hold its record: set by the backend that read it. */
export interface Held {
  holder: RecordHolder | null
  holdSeq: number
}

/** Let go of whatever record `item` holds (a no-op when it holds none). */
export function release(item: Held): void {
  const h = item.holder
  if (h !== null) {
    item.holder = null
    h.release(item.holdSeq)
  }
}

/**
 * The broker's choice of backend for one queue: `name` is nsqd's backend name (the topic, or
 * `topic:channel`), `ephemeral` a #ephemeral topic or channel, `wake` what to call when a read
 * that came back empty can be tried again.
 */
export type BackendFactory<T> = (name: string, ephemeral: boolean, wake: () => void) => BackendQueue<T>

/**
 * A log whose records are held from the moment they are written (a channel's deferred
 * messages with --mem-queue-size 0: the record is the message's durable copy while it waits in
 * memory for its time). `putHeld` answers `held` when `item` holds its record now, `queued` when
 * the log is still reading older records (the item is written and comes back through read(), as
 * those do), `refused` when it cannot be written.
 */
export interface HoldingLog<T> {
  putHeld(item: T): 'held' | 'queued' | 'refused'
  read(): T | undefined
  empty(): void
  close(): Promise<void>
  delete(): Promise<void>
}
