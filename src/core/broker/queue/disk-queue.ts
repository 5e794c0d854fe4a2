/**
 * A disk queue in go-diskqueue's files (protocol/diskqueue.ts has the layout): the durable
 * broker's backend for one non-ephemeral topic or channel (NSQ-SPEC §2.2 "Queues", §2.8).
 * nsqd 1.3.0 reads what it leaves, and it reads what nsqd leaves.
 *
 *   put ──▶ write buffer ──flush()──▶ segment file (one write per flush; fsync per sync)
 *                                        │
 *   read() ◀── ready (decoded items) ◀───┴── async read-ahead (1 MiB chunks)
 *      │           ▲
 *      │           └─ write-through: a record put while the reader is caught up goes to `ready`
 *      │              at once (it is written all the same, but never read back)
 *      ▼
 *   held (read, not yet released) ──release(seq)──▶ the hold cursor moves past a released prefix
 *
 * Three positions (file number, byte offset):
 *  - write: the end of the records put (the buffered ones included); `flushedPos` is how much of
 *    the write file is on disk;
 *  - read: the next record not yet in `ready` or handed out;
 *  - hold: the start of the oldest record still held. This is what the metadata file records as
 *    its read position, and segments before it are deleted: a record leaves the durable state only
 *    when the item read from it is released (FIN, or put into a queue again), so after a crash
 *    every unreleased record is read again — the in-flight messages nsqd loses (#1386). nsqd itself
 *    simply resumes reading there. The metadata's depth counts every record from the hold
 *    position on (unread + held), so it is right for nsqd too.
 *
 * Writes are synchronous and batched: put() only encodes into the write buffer; the broker calls
 * flush() once per event-loop turn, before any client output of that turn leaves (its flush
 * barrier), so an OK for a PUB is sent only after the record's write() returned — a `kill -9`
 * cannot lose it (the kernel has it). fsync (and the metadata) every `syncEvery` operations (a
 * write or a read, as go-diskqueue counts them: a release moves the metadata's read position
 * at the next sync but is not one of them, or a consumer's FINs would double the syncs), on a
 * roll, at close, and from tick() every `syncTimeout` when there was activity, as go-diskqueue.
 * Reads are asynchronous (fs.read): read() returns undefined while a chunk is on its way, and
 * `wake` is called when it has landed.
 *
 * Opening recovers from a crash: records written after the last metadata sync (past its write
 * position, or in later segment files) are found and counted; a torn record at the tail makes the
 * writer start a new file. A corrupt record (a size outside 26 .. 26 + max-msg-size, a record cut
 * short) renames its segment `*.bad` and reading goes on with the next one, with an error line —
 * never a crash. A depth that no longer matches the files (after a `*.bad`) is reset when the
 * reader reaches the writer, as go-diskqueue's checkTailCorruption does.
 */
import * as fs from 'node:fs'
import {join} from 'node:path'
import {int32At} from '../../protocol/bytes.js'
import {MIN_RECORD_DATA_SIZE, RECORD_PREFIX_SIZE, formatDiskQueueMeta, metaFileName, parseDiskQueueMeta, segmentFileName} from '../../protocol/diskqueue.js'
import type {Logger} from '../../util/logger.js'
import type {BackendQueue, Held, HoldingLog, RecordHolder} from './backend.js'
import {Deque} from './deque.js'
import type {DiskIO} from './disk-io.js'
import {HoldCursor} from './hold-cursor.js'
import {scanSegment} from './segment-scan.js'

/** How items become records and back. */
export interface RecordCodec<T> {
  /** the bytes of `item`'s record, size prefix included */
  size(item: T): number
  /** write `item`'s record at `offset`; returns the offset after it */
  write(item: T, target: Buffer, offset: number): number
  /** the item of one record's data (the bytes after the size prefix: buf[start, end)); may keep views of it */
  read(buf: Buffer, start: number, end: number): T
}

export type {DiskIO} from './disk-io.js'

export interface DiskQueueOptions<T extends Held> {
  /** the data path */
  dir: string
  /** nsqd's backend name: the topic, or `topic:channel` */
  name: string
  codec: RecordCodec<T>
  maxBytesPerFile: number
  /** the largest record data: 26 + --max-msg-size */
  maxRecordDataSize: number
  syncEvery: number
  /** ms */
  syncTimeout: number
  now(): number
  log: Logger
  /** the queue has something to write or sync: call flush() before this turn's output leaves */
  dirty(q: DiskQueue<T>): void
  /** items can be read again after a read() came back empty */
  wake(): void
  io?: DiskIO
  /**
   * may this queue's metadata move now? (false while another queue holds records it could not
   * write: the metadata could let go of a record whose new copy is among them)
   */
  canSync?(self: DiskQueue<T>): boolean
  /** sync at the next flush whenever the hold cursor moves (a topic's queue), not only per --sync-every */
  syncOnRelease?: boolean
}

/** bytes asked for per read */
const READ_CHUNK = 1024 * 1024
/** read ahead while `ready` holds less than this (bytes of records) */
const READY_LOW = 256 * 1024
/** `ready` holds at most this much: no read-ahead nor write-through past it */
const READY_MAX = 4 * 1024 * 1024
/** a write buffer this full is written at once, without waiting for the flush */
const WRITE_AT = 1024 * 1024
/**
 * a re-queued message whose record is older than this many reads is written anew rather than
 * kept: one message REQ'd forever must not keep every segment read since on disk
 */
const STALE_HOLD_RECORDS = 100_000

export class DiskQueue<T extends Held> implements BackendQueue<T>, HoldingLog<T>, RecordHolder {
  private readonly io: DiskIO
  readonly name: string
  // write side
  private writeFileNum = 0
  private writePos = 0
  private flushedPos = 0
  private writeFd = -1
  private wbuf = Buffer.allocUnsafe(64 * 1024)
  private wlen = 0
  private unsynced = false
  // read side
  private readFileNum = 0
  private readPos = 0
  private readFd = -1
  private readFdNum = -1
  private reading = false
  private readLen = READ_CHUNK
  private readonly ready = new Deque<T>(64)
  private readonly readyEndFile = new Deque<number>(64)
  private readonly readyEndPos = new Deque<number>(64)
  private readyBytes = 0
  private readDone: (() => void) | null = null
  /** bumped by empty(): a read issued before it is dropped */
  private generation = 0
  // hold side
  private readonly hold = new HoldCursor()
  // counts
  /** records stored and not handed out */
  private count = 0
  private ops = 0
  /** a release moved the hold cursor since the last sync (tick() syncs it after --sync-timeout) */
  private released = false
  private needSync = false
  private syncedAt: number
  private marked = false
  private closed = false
  private closing = false
  /** segments below this number are removed (those between it and the hold go at the next sync) */
  private removedBelow = 0
  /** tail ranges a start could not read to count their records (EMFILE, ...): counted from tick() */
  private readonly uncounted: {n: number; pos: number; size: number}[] = []
  /** an open or read that failed for a reason other than the content (EMFILE, EIO, ...): tried again from tick() */
  private readError: Error | null = null
  /** sizes of segments the writer has left (read to their end) */
  private readonly fileSizes = new Map<number, number>()
  /** the last write or sync error; null while the disk takes what it is given */
  error: Error | null = null

  constructor(private readonly o: DiskQueueOptions<T>) {
    this.io = o.io ?? fs
    this.name = o.name
    this.syncedAt = o.now()
    this.open()
  }

  // ---- BackendQueue ---------------------------------------------------------------------

  depth(): number {
    // a tail not yet counted holds records: at least one, so nothing overtakes them
    return this.uncounted.length > 0 ? Math.max(this.count, 1) : this.count
  }

  /** closed (the broker stopped) or deleted (its topic or channel went) */
  get isClosed(): boolean {
    return this.closed
  }

  put(item: T): boolean {
    if (this.closed) return false
    const size = this.o.codec.size(item)
    const dataSize = size - RECORD_PREFIX_SIZE
    if (dataSize < MIN_RECORD_DATA_SIZE || dataSize > this.o.maxRecordDataSize) {
      this.o.log.error(`DISKQUEUE(${this.name}): invalid message write size (${dataSize}) minMsgSize=${MIN_RECORD_DATA_SIZE} maxMsgSize=${this.o.maxRecordDataSize}`)
      return false
    }
    if (this.writePos > 0 && this.writePos + size > this.o.maxBytesPerFile) this.roll()
    if (this.wlen + size > this.wbuf.length) this.growWriteBuffer(this.wlen + size)
    this.wlen = this.o.codec.write(item, this.wbuf, this.wlen)
    const caughtUp = !this.reading && this.readFileNum === this.writeFileNum && this.readPos === this.writePos
    this.writePos += size
    this.count++
    this.ops++
    if (caughtUp && this.readyBytes < READY_MAX) {
      // write-through: the reader would read this very record back next
      this.pushReady(item, this.writeFileNum, this.writePos, size)
      this.readPos = this.writePos
    }
    this.mark()
    if (this.wlen >= WRITE_AT) this.flushWrites()
    return true
  }

  /** HoldingLog: write `item`'s record and, when the reader is caught up, hold it at once. */
  putHeld(item: T): 'held' | 'queued' | 'refused' {
    const caughtUp = this.ready.length === 0
    if (!this.put(item)) return 'refused'
    if (caughtUp && this.ready.peek() === item) {
      this.read()
      return 'held'
    }
    return 'queued'
  }

  read(): T | undefined {
    const item = this.ready.shift()
    if (item === undefined) {
      this.fill()
      return undefined
    }
    const endFile = this.readyEndFile.shift() as number
    const endPos = this.readyEndPos.shift() as number
    this.readyBytes -= this.o.codec.size(item)
    item.holder = this
    item.holdSeq = this.hold.hold(endFile, endPos)
    this.count--
    this.ops++
    if (this.ops >= this.o.syncEvery) this.mark()
    if (this.readyBytes < READY_LOW) this.fill()
    return item
  }

  /** RecordHolder: the item read as `seq` is done with its record. */
  release(seq: number): void {
    if (this.closed) return
    const fromFile = this.hold.file
    if (!this.hold.release(seq)) return
    // the segments left behind go once the metadata no longer points into them (sync), and only
    // after the records that replaced theirs in other queues are written (the flush barrier)
    if (this.hold.file !== fromFile || this.o.syncOnRelease === true) this.needSync = true
    this.released = true
    if (this.needSync) this.mark()
  }

  /** RecordHolder: a record held while this many later ones were read pins too much of the queue. */
  stale(seq: number): boolean {
    return this.hold.readSince(seq) > STALE_HOLD_RECORDS
  }

  empty(): void {
    // nsqd's Empty: every file goes, the queue goes on with the next file number
    this.generation++
    this.wlen = 0
    this.closeFds()
    this.removeSegments(Math.min(this.hold.file, this.readFileNum, this.removedBelow), this.writeFileNum + 1)
    this.writeFileNum++
    this.removedBelow = this.writeFileNum
    this.writePos = this.flushedPos = 0
    this.readFileNum = this.writeFileNum
    this.readPos = 0
    this.hold.reset(this.writeFileNum, 0)
    this.ready.clear()
    this.readyEndFile.clear()
    this.readyEndPos.clear()
    this.readyBytes = 0
    this.count = 0
    this.needSync = true
    this.mark()
  }

  async close(): Promise<void> {
    if (this.closed || this.closing) return
    // a read that lands from now on is dropped (its records stay on disk, read at the next start)
    this.closing = true
    await this.settleRead()
    this.sync()
    this.closed = true
    this.closeFds()
  }

  /**
   * The files go at once (a queue of the same name created next must not find them, nor lose its
   * own to a deletion finishing later); the read fd is closed once a read on its way has landed.
   */
  async delete(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (this.writeFd >= 0) this.closeFd(this.writeFd)
    this.writeFd = -1
    this.removeSegments(Math.min(this.hold.file, this.readFileNum, this.removedBelow), this.writeFileNum + 1)
    this.unlink(join(this.o.dir, metaFileName(this.name)))
    await this.settleRead()
    this.closeFds()
  }

  // ---- the broker's calls -----------------------------------------------------------------

  /**
   * Write what was put since the last flush, then sync when one is due. Returns false on a
   * write error. The broker's barrier calls write() on every dirty queue, then syncDue() on
   * each: no metadata moves its read position past a record another queue has not written yet.
   */
  flush(): boolean {
    const ok = this.write()
    this.syncDue()
    return ok
  }

  /** The first half of flush(): one write of the buffered records. */
  write(): boolean {
    this.marked = false
    if (this.closed) return true
    return this.flushWrites()
  }

  /** The second half: fsync and the metadata, when --sync-every or a roll asks for them. */
  syncDue(): void {
    if (this.closed || this.wlen > 0) return
    if (this.needSync || this.ops >= this.o.syncEvery) this.sync()
  }

  /** Will tick(now) sync? */
  tickSyncDue(now: number): boolean {
    return !this.closed && (this.ops > 0 || this.released || this.needSync) && now - this.syncedAt >= this.o.syncTimeout
  }

  /** The last write or sync failed (a full disk): records may be waiting that are not on it. */
  get failing(): boolean {
    return !this.closed && this.error !== null
  }

  /** The scan loop, first: what is buffered is written (a failed write tried again, a reader waiting on it woken). */
  writePending(): void {
    if (this.closed || this.wlen === 0) return
    if (this.flushWrites()) this.fill()
  }

  /** The scan loop: sync when there was activity and --sync-timeout has passed. */
  tick(now: number): void {
    if (this.closed) return
    this.writePending()
    if (this.uncounted.length > 0) this.countUncounted()
    if (this.readError !== null) this.fill(true)
    if ((this.ops > 0 || this.released || this.needSync) && now - this.syncedAt >= this.o.syncTimeout) this.sync()
  }

  // ---- write side -------------------------------------------------------------------------

  private mark(): void {
    if (this.marked) return
    this.marked = true
    this.o.dirty(this)
  }

  private growWriteBuffer(need: number): void {
    let n = this.wbuf.length * 2
    while (n < need) n *= 2
    const b = Buffer.allocUnsafe(n)
    this.wbuf.copy(b, 0, 0, this.wlen)
    this.wbuf = b
  }

  private segment(n: number): string {
    return join(this.o.dir, segmentFileName(this.name, n))
  }

  /** One write of the buffer at the end of the write file. */
  private flushWrites(): boolean {
    if (this.wlen === 0) return true
    let done = 0
    try {
      if (this.writeFd < 0) this.writeFd = this.io.openSync(this.segment(this.writeFileNum), fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600)
      while (done < this.wlen) done += this.io.writeSync(this.writeFd, this.wbuf, done, this.wlen - done, this.flushedPos + done)
    } catch (err) {
      // a short write then an error (ENOSPC): nothing counts as written, the whole buffer is
      // written again at the same offset, so the file never holds half a record before the next
      this.fail(err as Error, 'write')
      return false
    }
    this.flushedPos += this.wlen
    this.wlen = 0
    this.unsynced = true
    if (this.error !== null) {
      this.o.log.info(`DISKQUEUE(${this.name}): writes succeed again`)
      this.error = null
    }
    return true
  }

  private fail(err: Error, what: string): void {
    if (this.error === null) this.o.log.error(`DISKQUEUE(${this.name}) failed to ${what} - ${err.message}`)
    this.error = err
  }

  /** go-diskqueue's roll: the next record would pass --max-bytes-per-file. */
  private roll(): void {
    if (!this.flushWrites()) return // the file grows past the limit while the disk fails
    if (this.writeFd >= 0) {
      try {
        this.io.fsyncSync(this.writeFd)
        this.unsynced = false
      } catch (err) {
        this.fail(err as Error, 'sync')
      }
      this.closeFd(this.writeFd)
      this.writeFd = -1
    }
    this.fileSizes.set(this.writeFileNum, this.writePos)
    const caughtUp = !this.reading && this.readFileNum === this.writeFileNum && this.readPos === this.writePos
    this.writeFileNum++
    this.writePos = this.flushedPos = 0
    if (caughtUp) {
      this.readFileNum = this.writeFileNum
      this.readPos = 0
    }
    this.needSync = true
    this.mark()
  }

  /** fsync the write file, then the metadata (temp file, fsync, rename), as go-diskqueue's sync. */
  private sync(): void {
    if (!this.flushWrites()) return
    if (this.o.canSync?.(this) === false) return
    try {
      if (this.unsynced && this.writeFd >= 0) this.io.fsyncSync(this.writeFd)
      this.unsynced = false
      this.writeMeta()
    } catch (err) {
      this.fail(err as Error, 'sync')
      return
    }
    const [holdFile] = this.metaHold()
    if (holdFile > this.removedBelow) {
      this.removeSegments(this.removedBelow, holdFile)
      this.removedBelow = holdFile
    }
    this.ops = 0
    this.released = false
    this.needSync = false
    this.syncedAt = this.o.now()
    if (this.error !== null) {
      // an fsync that failed before (a write failing clears it itself once it succeeds)
      this.o.log.info(`DISKQUEUE(${this.name}): syncs succeed again`)
      this.error = null
    }
  }

  /**
   * The hold position as the metadata records it: at the end of a finished file it is the start
   * of the next one (go-diskqueue would take a read position at a file's end for a bad file).
   */
  private metaHold(): [number, number] {
    let f = this.hold.file
    let pos = this.hold.pos
    if (f < this.removedBelow) {
      // in a file already removed: only its end was left, the next file's start
      f = this.removedBelow
      pos = 0
    }
    while (f < this.writeFileNum) {
      const size = this.fileSizes.get(f)
      if (size === undefined || (size >= 0 && pos < size)) break
      f++
      pos = 0
    }
    return [f, pos]
  }

  /** Push the flushed records of the write file to the disk (the first half of a sync). */
  fsyncData(): void {
    if (this.closed || !this.unsynced || this.writeFd < 0) return
    try {
      this.io.fsyncSync(this.writeFd)
      this.unsynced = false
    } catch (err) {
      this.fail(err as Error, 'sync')
    }
  }

  /** Will syncDue() sync? */
  get syncIsDue(): boolean {
    return !this.closed && this.wlen === 0 && (this.needSync || this.ops >= this.o.syncEvery)
  }

  private writeMeta(): void {
    // every record from the hold position on is read again at the next start: unread and held
    const [holdFile, holdPos] = this.metaHold()
    const text = formatDiskQueueMeta({depth: this.count + this.hold.size, readFileNum: holdFile, readPos: holdPos, writeFileNum: this.writeFileNum, writePos: this.flushedPos})
    const path = join(this.o.dir, metaFileName(this.name))
    const tmp = `${path}.${Math.floor(Math.random() * 2 ** 53)}.tmp`
    const fd = this.io.openSync(tmp, 'w', 0o600)
    try {
      this.io.writeSync(fd, text)
      this.io.fsyncSync(fd)
    } finally {
      this.io.closeSync(fd)
    }
    this.io.renameSync(tmp, path)
  }

  // ---- read side --------------------------------------------------------------------------

  private pushReady(item: T, endFile: number, endPos: number, size: number): void {
    this.ready.push(item)
    this.readyEndFile.push(endFile)
    this.readyEndPos.push(endPos)
    this.readyBytes += size
  }

  /** Where the records of file `n` end (the writer's position in the write file). */
  private fileEnd(n: number): number {
    if (n === this.writeFileNum) return this.flushedPos
    let size = this.fileSizes.get(n)
    if (size === undefined) {
      try {
        size = this.io.statSync(this.segment(n)).size
      } catch {
        size = -1 // gone (renamed *.bad, removed by hand): skipped
      }
      this.fileSizes.set(n, size)
    }
    return size
  }

  /**
   * Start reading the next chunk, unless one is on its way or `ready` is full enough. After an
   * open or read error, only tick() tries again (`retry`).
   */
  private fill(retry = false): void {
    if (this.reading || this.closed || this.closing || this.readyBytes >= READY_LOW) return
    if (this.readError !== null && !retry) return
    let end: number
    for (;;) {
      if (this.readFileNum === this.writeFileNum) {
        if (this.readPos >= this.writePos) {
          this.checkDepth()
          return
        }
        if (this.readPos >= this.flushedPos && !this.flushWrites()) return
        end = this.flushedPos
        break
      }
      end = this.fileEnd(this.readFileNum)
      if (this.readPos < end) break
      if (end < 0) this.o.log.error(`DISKQUEUE(${this.name}): ${segmentFileName(this.name, this.readFileNum)} is missing; skipped`)
      this.nextReadFile()
    }
    const fileNum = this.readFileNum
    const start = this.readPos
    const len = Math.min(end - start, Math.max(this.readLen, RECORD_PREFIX_SIZE))
    try {
      if (this.readFdNum !== fileNum) {
        if (this.readFd >= 0) this.closeFd(this.readFd)
        this.readFd = -1
        this.readFd = this.io.openSync(this.segment(fileNum), 'r')
        this.readFdNum = fileNum
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        // removed by hand: nothing to read there (the writer goes on in a new file if it was its)
        this.o.log.error(`DISKQUEUE(${this.name}): ${segmentFileName(this.name, fileNum)} is missing; skipped`)
        if (fileNum === this.writeFileNum) this.leaveWriteFile()
        this.fileSizes.set(fileNum, -1)
        this.nextReadFile()
        this.needSync = true
        this.mark()
        this.fill()
      } else this.readFailed(err as Error, 'open', fileNum)
      return
    }
    const buf = Buffer.allocUnsafe(len)
    const gen = this.generation
    this.reading = true
    this.io.read(this.readFd, buf, 0, len, start, (err, n) => this.landed(gen, fileNum, start, end, err, buf, n))
  }

  /** A chunk has been read: its whole records go to `ready`. */
  private landed(gen: number, fileNum: number, start: number, end: number, err: Error | null, buf: Buffer, n: number): void {
    this.reading = false
    const done = this.readDone
    this.readDone = null
    if (this.closed || this.closing || gen !== this.generation || fileNum !== this.readFileNum || start !== this.readPos) {
      done?.()
      return
    }
    if (err !== null) {
      this.readFailed(err, 'read', fileNum)
      done?.()
      return
    }
    if (this.readError !== null) {
      this.o.log.info(`DISKQUEUE(${this.name}): reads succeed again`)
      this.readError = null
    }
    let off = 0
    let got = 0
    let bad: string | null = null
    while (off + RECORD_PREFIX_SIZE <= n) {
      const size = int32At(buf, off)
      if (size < MIN_RECORD_DATA_SIZE || size > this.o.maxRecordDataSize) {
        bad = `invalid message read size (${size})`
        break
      }
      const recEnd = off + RECORD_PREFIX_SIZE + size
      if (recEnd > n) {
        if (start + recEnd > end) bad = `a record of ${size} bytes is cut short by the end of the file`
        else this.readLen = recEnd // a record longer than the chunk: ask for all of it next time
        break
      }
      const item = this.o.codec.read(buf, off + RECORD_PREFIX_SIZE, recEnd)
      off = recEnd
      this.pushReady(item, fileNum, start + off, RECORD_PREFIX_SIZE + size)
      got++
    }
    // fewer than 4 bytes left before the end of the data: a torn header
    if (bad === null && off + RECORD_PREFIX_SIZE > n && start + n >= end && start + off < end) bad = 'the file ends inside a record header'
    this.readPos = start + off
    if (got > 0) this.readLen = READ_CHUNK
    if (bad !== null) this.badFile(fileNum, bad)
    done?.()
    if (got > 0) this.o.wake()
    this.fill()
  }

  /**
   * An open or read that failed for what the file system said (EMFILE, EACCES, EIO), not for
   * what the file holds: the segment is kept and tried again from tick(), never taken for bad.
   */
  private readFailed(err: Error, what: string, fileNum: number): void {
    if (this.readError === null) this.o.log.error(`DISKQUEUE(${this.name}) failed to ${what} ${segmentFileName(this.name, fileNum)} - ${err.message}; trying again`)
    this.readError = err
    if (this.readFd >= 0) this.closeFd(this.readFd)
    this.readFd = this.readFdNum = -1
  }

  private nextReadFile(): void {
    this.readFileNum++
    this.readPos = 0
    if (this.readFd >= 0) this.closeFd(this.readFd)
    this.readFd = -1
    this.readFdNum = -1
  }

  /** go-diskqueue's handleReadError: the segment is renamed `*.bad`, reading goes on after it. */
  private badFile(fileNum: number, why: string): void {
    const file = this.segment(fileNum)
    if (fileNum === this.writeFileNum) this.leaveWriteFile()
    try {
      this.io.renameSync(file, `${file}.bad`)
    } catch {
      // already gone
    }
    this.o.log.error(`DISKQUEUE(${this.name}): ${segmentFileName(this.name, fileNum)}: ${why}; renamed it ${segmentFileName(this.name, fileNum)}.bad and skipped the rest of it`)
    this.fileSizes.set(fileNum, -1)
    this.nextReadFile()
    this.needSync = true
    this.mark()
  }

  /** The write file is bad or gone: what is still buffered goes to a new file. */
  private leaveWriteFile(): void {
    if (this.writeFd >= 0) this.closeFd(this.writeFd)
    this.writeFd = -1
    this.writeFileNum++
    this.flushedPos = 0
    this.writePos = this.wlen
  }

  /** At the writer with nothing in hand: a depth other than 0 is a count the files no longer back. */
  private checkDepth(): void {
    if (this.count !== this.ready.length && this.ready.length === 0) {
      this.o.log.error(`DISKQUEUE(${this.name}): depth ${this.count} but no more records: reset to 0`)
      this.count = 0
      this.needSync = true
      this.mark()
    }
  }

  private settleRead(): Promise<void> {
    if (!this.reading) return Promise.resolve()
    return new Promise((resolve) => (this.readDone = resolve))
  }

  /** Remove segment files [from, to): fully read and released. */
  private removeSegments(from: number, to: number): void {
    for (let n = from; n < to; n++) {
      this.unlink(this.segment(n))
      this.fileSizes.delete(n)
    }
  }

  private unlink(path: string): void {
    try {
      this.io.unlinkSync(path)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.o.log.error(`DISKQUEUE(${this.name}) failed to remove ${path} - ${(err as Error).message}`)
    }
  }

  private closeFd(fd: number): void {
    try {
      this.io.closeSync(fd)
    } catch {
      // closing is best effort
    }
  }

  private closeFds(): void {
    if (this.writeFd >= 0) this.closeFd(this.writeFd)
    if (this.readFd >= 0) this.closeFd(this.readFd)
    this.writeFd = this.readFd = this.readFdNum = -1
  }

  // ---- opening ------------------------------------------------------------------------------

  /** Read the metadata, then find what was written after it (a crash) and count it. */
  private open(): void {
    const metaPath = join(this.o.dir, metaFileName(this.name))
    let text: string | null = null
    try {
      text = this.io.readFileSync(metaPath, 'latin1')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.o.log.error(`DISKQUEUE(${this.name}) failed to retrieveMetaData - ${(err as Error).message}`)
    }
    if (text !== null) {
      const m = parseDiskQueueMeta(text)
      if (m === null) {
        this.o.log.error(`DISKQUEUE(${this.name}) failed to retrieveMetaData - cannot parse ${metaFileName(this.name)}; starting empty`)
      } else {
        this.count = Math.max(0, m.depth)
        this.readFileNum = this.removedBelow = m.readFileNum
        this.readPos = m.readPos
        this.hold.reset(m.readFileNum, m.readPos)
        this.writeFileNum = m.writeFileNum
        this.writePos = this.flushedPos = m.writePos
      }
    }
    this.recoverTail()
  }

  /**
   * Records past the metadata's write position, in the write file and in any later file, were
   * written after its last sync: they count, and writing goes on after the last whole one (in a
   * new file when the tail is torn, as go-diskqueue starts a new file after a short writePos).
   */
  private recoverTail(): void {
    let n = this.writeFileNum
    let pos = this.writePos
    let found = 0
    for (;;) {
      let size: number
      try {
        size = this.io.statSync(this.segment(n)).size
      } catch {
        break
      }
      const {records, end, failed} = this.countRecords(n, pos, size)
      found += records
      if (failed) this.uncounted.push({n, pos, size})
      const next = this.exists(this.segment(n + 1))
      if (next) {
        this.fileSizes.set(n, size)
        n++
        pos = 0
        continue
      }
      this.writeFileNum = n
      if (end === size) {
        this.writePos = this.flushedPos = size
      } else {
        if (!failed) this.o.log.warn(`DISKQUEUE(${this.name}): ${segmentFileName(this.name, n)} ends in ${size - end} bytes that are not a whole record; writing goes on in a new file`)
        this.fileSizes.set(n, size)
        this.writeFileNum = n + 1
        this.writePos = this.flushedPos = 0
      }
      break
    }
    if (found > 0) {
      this.o.log.warn(`DISKQUEUE(${this.name}): found ${found} records written after the last metadata sync`)
      this.count += found
      this.needSync = true
    }
  }

  /** The tail ranges a start could not count: counted now, if they can be read. */
  private countUncounted(): void {
    const u = this.uncounted[0] as {n: number; pos: number; size: number}
    const {records, failed} = this.countRecords(u.n, u.pos, u.size)
    if (failed) return
    this.uncounted.shift()
    this.o.log.warn(`DISKQUEUE(${this.name}): found ${records} records written after the last metadata sync in ${segmentFileName(this.name, u.n)}`)
    this.count += records
    this.needSync = true
    this.mark()
    this.fill()
  }

  private exists(path: string): boolean {
    try {
      this.io.statSync(path)
      return true
    } catch {
      return false
    }
  }

  /** Whole records in [pos, size) of segment `n` (scanSegment); `failed`: counted again from tick(). */
  private countRecords(n: number, pos: number, size: number): {records: number; end: number; failed: boolean} {
    const r = scanSegment(this.io, this.segment(n), pos, size, this.o.maxRecordDataSize)
    // unreadable now: writing goes on in a new file, and the count is tried again from tick()
    if (r.error !== null && this.uncounted.length === 0) this.o.log.error(`DISKQUEUE(${this.name}) failed to read ${segmentFileName(this.name, n)} to recover its tail - ${r.error.message}; trying again`)
    return {records: r.records, end: r.end, failed: r.error !== null}
  }
}
