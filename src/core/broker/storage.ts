/**
 * The broker's data path (NSQ-SPEC §2.8): which backend each queue gets, the flush barrier over
 * the disk queues, the lock, and nsqd.dat.
 *
 *  - Backends (the factory topics and channels are made with): a #ephemeral queue gets the
 *    NullBackend; with a data path, every other queue a DiskQueue in go-diskqueue's files;
 *    without one (a Broker an embedder makes with no dataPath) a MemoryBackend.
 *  - The flush barrier: a disk queue that was put to (or has a sync due) marks itself dirty;
 *    `flush()` writes every dirty queue once. The broker calls it at the start of its end-of-turn
 *    flush and before any client's output is written, so no OK leaves before the records it
 *    acknowledges were written.
 *  - The lock: `<data-path>/nsqkit.lock` holds the pid of the serve that uses the path. Node has
 *    no flock, so a lock left by a process that is gone (kill -9) is taken over; a Go nsqd's
 *    flock on the directory is seen in /proc/locks and refused too.
 *  - nsqd.dat: written (temp file, fsync, rename, as nsqd) when the broker asks, read at start.
 *  - `<queue>.nsqkit.deferred.json`: a clean shutdown's deferred messages' release times.
 */
import {closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {MESSAGE_HEADER_SIZE, decodeNsqdMetadata, encodeNsqdMetadata, type NsqdMetadata} from '../protocol/index.js'
import type {Logger} from '../util/logger.js'
import type {BackendFactory} from './queue/backend.js'
import {DiskQueue, type DiskIO, type RecordCodec} from './queue/disk-queue.js'
import {MemoryBackend} from './queue/memory.js'
import {NullBackend} from './queue/null.js'
import {DEFERRED_RECORDS, MESSAGE_RECORDS, type BrokerMessage} from './delivery/message.js'

export interface StorageOptions {
  /** '' = no data path: queues in memory */
  dataPath: string
  maxBytesPerFile: number
  maxMsgSize: number
  syncEvery: number
  syncTimeout: number
  memQueueSize: number
}

/** The data path is in use by another process. */
export class DataPathLockedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DataPathLockedError'
  }
}

export const LOCK_FILE = 'nsqkit.lock'
export const METADATA_FILE = 'nsqd.dat'

export class Storage {
  private readonly dirtyQueues: DiskQueue<BrokerMessage>[] = []
  private readonly queues = new Set<DiskQueue<BrokerMessage>>()
  private locked = false
  /** the last failure to write or sync a queue; null while the disk takes what it is given */
  private failure: Error | null = null

  constructor(
    private readonly o: StorageOptions,
    private readonly log: Logger,
    private readonly now: () => number,
    /** there is something to flush: make sure flush() runs at the end of this turn */
    private readonly wantFlush: () => void,
    private readonly io?: DiskIO,
  ) {}

  get durable(): boolean {
    return this.o.dataPath !== ''
  }

  /** The backend factory topics and channels are made with. */
  readonly backend: BackendFactory<BrokerMessage> = (name, ephemeral, wake) => {
    if (ephemeral) return new NullBackend()
    if (!this.durable) return new MemoryBackend()
    return this.diskQueue(name, MESSAGE_RECORDS, 0, wake)
  }

  private diskQueue(name: string, codec: RecordCodec<BrokerMessage>, extra: number, wake: () => void): DiskQueue<BrokerMessage> {
    const q: DiskQueue<BrokerMessage> = new DiskQueue<BrokerMessage>({
      dir: this.o.dataPath,
      name,
      codec,
      maxBytesPerFile: this.o.maxBytesPerFile,
      maxRecordDataSize: MESSAGE_HEADER_SIZE + this.o.maxMsgSize + extra,
      syncEvery: this.o.syncEvery,
      syncTimeout: this.o.syncTimeout,
      now: this.now,
      log: this.log,
      dirty: (d) => {
        this.dirtyQueues.push(d)
        this.wantFlush()
      },
      wake,
      io: this.io,
      // a topic's queue lets go of records only as it moves them to its channels: its metadata
      // follows at the next barrier, or a crash would copy them to the channels again
      syncOnRelease: !name.includes(':'),
      canSync: (self) => this.failure === null || !this.othersFailing(self),
    })
    this.queues.add(q)
    return q
  }

  /**
   * Another queue holds records it could not write (a full disk): then this queue's metadata may
   * not move, since it could let go of a record whose new copy is among them. (Records merely
   * buffered are written by the flush before any sync, or by the closing queue's own sync.)
   */
  private othersFailing(self: DiskQueue<BrokerMessage>): boolean {
    for (const q of this.queues) if (q !== self && q.failing) return true
    return false
  }

  /**
   * A channel's deferred log (`<topic>:<channel>#deferred`, nsqkit's own files in go-diskqueue's
   * layout, records with their release time): only with --mem-queue-size 0 on a durable broker,
   * where every message goes through disk; memory-first keeps deferred messages in memory, as nsqd.
   */
  deferredLog(queueName: string, wake: () => void): DiskQueue<BrokerMessage> | null {
    if (!this.durable || this.o.memQueueSize > 0) return null
    return this.diskQueue(`${queueName}#deferred`, DEFERRED_RECORDS, 8, wake)
  }

  /** Write every queue that was put to since the last flush (the barrier before output). */
  flush(): void {
    const d = this.dirtyQueues
    if (d.length === 0) return
    // every queue's records first, then the syncs: a queue's metadata may record that it let go
    // of a record (FIN, fan-out to a channel) only once the record's new place is written
    for (let i = 0; i < d.length; i++) (d[i] as DiskQueue<BrokerMessage>).write()
    this.checkHealth() // a write that failed just now holds every other queue's metadata back
    let due = false
    for (let i = 0; i < d.length && !due; i++) due = (d[i] as DiskQueue<BrokerMessage>).syncIsDue
    if (due) {
      // and on the disk before any metadata lets go of what they replace (a power loss)
      this.fsyncAll()
      for (let i = 0; i < d.length; i++) (d[i] as DiskQueue<BrokerMessage>).syncDue()
    }
    d.length = 0
    this.checkHealth()
  }

  /** fsync every queue's written records (the first half of any queue's sync). */
  private fsyncAll(): void {
    for (const q of this.queues) q.fsyncData()
  }

  /** The scan loop: syncs due by --sync-timeout, failed writes tried again. */
  tick(now: number): void {
    // what is buffered first (a failed write tried again), then the syncs --sync-timeout asks for
    for (const q of this.queues) {
      if (q.isClosed) this.queues.delete(q) // closed or deleted with its topic or channel
      else q.writePending()
    }
    this.checkHealth()
    let synced = false
    for (const q of this.queues) {
      if (!synced && q.tickSyncDue(now)) {
        this.fsyncAll()
        synced = true
      }
      q.tick(now)
    }
    if (this.failure !== null) this.checkHealth()
  }

  /** null while every queue can write; else the error (nsqd's health: /ping, E_PUB_FAILED). */
  get error(): Error | null {
    return this.failure
  }

  private checkHealth(): void {
    let err: Error | null = null
    for (const q of this.queues) if (q.error !== null && !q.isClosed) err = q.error
    this.failure = err
  }

  // ---- the lock -------------------------------------------------------------------------

  /** Take the data path, or throw DataPathLockedError naming who has it. */
  lock(): void {
    if (!this.durable || this.locked) return
    const dir = this.o.dataPath
    mkdirSync(dir, {recursive: true}) // --data-path: created if missing
    const nsqd = flockHolder(dir)
    if (nsqd !== null) throw new DataPathLockedError(`failed to lock data-path: ${dir} is locked by process ${nsqd} (possibly another instance of nsqd)`)
    const path = join(dir, LOCK_FILE)
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const fd = openSync(path, 'wx', 0o644)
        writeSync(fd, `${process.pid}\n`)
        closeSync(fd)
        this.locked = true
        return
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
      }
      const pid = Number.parseInt(readText(path) ?? '', 10)
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isNodeProcess(pid)) {
        throw new DataPathLockedError(`failed to lock data-path: ${dir} is in use by process ${pid} (another nsqkit serve; ${path})`)
      }
      // left behind by a process that is gone: take it over
      this.log.warn(`data-path ${dir}: lock of process ${Number.isNaN(pid) ? '?' : pid}, which is gone, taken over`)
      try {
        unlinkSync(path)
      } catch {
        // another starter removed it first: try again
      }
    }
    throw new DataPathLockedError(`failed to lock data-path: ${dir} (${path} keeps coming back)`)
  }

  unlock(): void {
    if (!this.locked) return
    this.locked = false
    const path = join(this.o.dataPath, LOCK_FILE)
    if (readText(path)?.trim() === String(process.pid)) {
      try {
        unlinkSync(path)
      } catch {
        // gone already
      }
    }
  }

  // ---- deferred messages across a clean shutdown --------------------------------------------

  /**
   * `<queue>.nsqkit.deferred.json`: the release times (ms since the epoch) of the messages a
   * clean shutdown wrote to that queue while they were deferred (nsqd would deliver them at once;
   * nsqd ignores this file). Nothing deferred: the file goes.
   */
  keepDeferred(queueName: string, until: ReadonlyMap<string, number>): void {
    if (!this.locked) return
    const path = join(this.o.dataPath, deferredFileName(queueName))
    if (until.size === 0) {
      removeIfThere(path)
      return
    }
    const deferred = [...until].map(([id, t]) => ({id, until: t}))
    this.writeAtomically(path, JSON.stringify({deferred}), 'deferred messages')
  }

  /** What keepDeferred left for `queueName` (the file is removed: it is written again at the next shutdown). */
  takeDeferred(queueName: string): Map<string, number> | null {
    if (!this.locked) return null
    const path = join(this.o.dataPath, deferredFileName(queueName))
    const text = readText(path)
    if (text === null) return null
    removeIfThere(path)
    try {
      const doc = JSON.parse(text) as {deferred?: {id?: unknown; until?: unknown}[]}
      const out = new Map<string, number>()
      for (const e of doc.deferred ?? []) if (typeof e.id === 'string' && typeof e.until === 'number') out.set(e.id, e.until)
      return out.size > 0 ? out : null
    } catch (err) {
      this.log.error(`${deferredFileName(queueName)}: ${(err as Error).message}; its messages are delivered without their delay`)
      return null
    }
  }

  /** temp file, fsync, rename (nsqd's way with nsqd.dat); a failure is logged */
  private writeAtomically(path: string, text: string, what: string): void {
    const tmp = `${path}.${Math.floor(Math.random() * 2 ** 53)}.tmp`
    try {
      const fd = openSync(tmp, 'w', 0o600)
      try {
        writeFileSync(fd, text)
        fsyncSync(fd)
      } finally {
        closeSync(fd)
      }
      renameSync(tmp, path)
    } catch (err) {
      this.log.error(`failed to persist ${what} - ${(err as Error).message}`)
    }
  }

  // ---- nsqd.dat ---------------------------------------------------------------------------

  /** The topics and channels of the last run; null when there is no nsqd.dat (or no data path). */
  loadMetadata(): NsqdMetadata | null {
    if (!this.durable) return null
    const path = join(this.o.dataPath, METADATA_FILE)
    const text = readText(path)
    if (text === null) return null
    const m = decodeNsqdMetadata(text)
    for (const s of m.skipped) this.log.warn(`skipping creation of invalid ${s} from ${METADATA_FILE}`)
    return m
  }

  /** nsqd's PersistMetadata: temp file, fsync, rename. A failure is logged, as nsqd does. */
  persistMetadata(m: NsqdMetadata): void {
    if (!this.locked) return // not ours (yet): never write into a path another process has
    this.writeAtomically(join(this.o.dataPath, METADATA_FILE), encodeNsqdMetadata(m), 'metadata')
  }
}

export const deferredFileName = (queueName: string): string => `${queueName}.nsqkit.deferred.json`

function removeIfThere(path: string): void {
  try {
    unlinkSync(path)
  } catch {
    // not there
  }
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return null
  }
}

/** Is `pid` alive and a node process (a pid reused by something else after a reboot is not)? */
function isNodeProcess(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const cmd = readText(`/proc/${pid}/cmdline`)
  return cmd === null || /node|nsq/.test(cmd)
}

/** The pid of a live process holding a flock on `dir` (a Go nsqd), from Linux's /proc/locks. */
function flockHolder(dir: string): number | null {
  const locks = readText('/proc/locks')
  if (locks === null) return null
  let ino: number
  try {
    ino = statSync(dir).ino
  } catch {
    return null
  }
  for (const line of locks.split('\n')) {
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
    const f = line.trim().split(/\s+/)
    if (f[1] !== 'FLOCK' || f[3] !== 'WRITE') continue
    const pid = Number(f[4])
    const inode = Number((f[5] ?? '').split(':')[2])
    if (inode === ino && pid !== process.pid) {
      try {
        process.kill(pid, 0)
        return pid
      } catch {
        continue
      }
    }
  }
  return null
}
