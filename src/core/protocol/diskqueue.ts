/**
 * nsqd's files in its --data-path, as pure codecs (NSQ-SPEC §2.8; go-diskqueue v1.1.0 and nsqd's
 * PersistMetadata): what `serve` writes is what nsqd 1.3.0 reads, and the other way round.
 *
 * A disk queue `<name>` (a topic's name, or `<topic>:<channel>` for a channel) is a run of
 * segment files and one metadata file:
 *
 *   <name>.diskqueue.000000.dat   records, back to back, rolled before one would pass
 *   <name>.diskqueue.000001.dat   --max-bytes-per-file
 *   …
 *   record   [4-byte BE size][8-byte BE timestamp ns][2-byte BE attempts][16-byte id][body]
 *            └ size ┘└──────────────── size bytes: the message as nsqd encodes it ─────┘
 *            size is 26 + body length, checked on read against 26 .. 26 + max-msg-size
 *
 *   <name>.diskqueue.meta.dat     text "<depth>\n<readFileNum>,<readPos>\n<writeFileNum>,<writePos>\n"
 *
 *   nsqd.dat   {"topics":[{"name":"t","paused":false,"channels":[{"name":"c","paused":false}]}],"version":"1.3.0"}
 *              the non-ephemeral topics and channels, in Go's field order
 */
import {int32At, putInt32} from './bytes.js'
import {MESSAGE_HEADER_SIZE, MSG_ID_LENGTH, MSG_ID_OFFSET, idString, writeIdWords, type MessageIdWords} from './message.js'
import {isValidChannelName, isValidTopicName} from './names.js'

/** the size prefix of a record */
export const RECORD_PREFIX_SIZE = 4
/** go-diskqueue's minMsgSize: a message with an empty body */
export const MIN_RECORD_DATA_SIZE = MESSAGE_HEADER_SIZE

/** The queue name of a topic (`t`) or of one of its channels (`t:c`), as nsqd names backends. */
export function diskQueueName(topic: string, channel?: string): string {
  return channel === undefined ? topic : `${topic}:${channel}`
}

/** `<name>.diskqueue.%06d.dat` */
export function segmentFileName(name: string, fileNum: number): string {
  return `${name}.diskqueue.${String(fileNum).padStart(6, '0')}.dat`
}

/** `<name>.diskqueue.meta.dat` */
export function metaFileName(name: string): string {
  return `${name}.diskqueue.meta.dat`
}

/** the bytes a message of `bodyLength` takes on disk, size prefix included */
export function recordSize(bodyLength: number): number {
  return RECORD_PREFIX_SIZE + MESSAGE_HEADER_SIZE + bodyLength
}

/**
 * Write one record at `offset` (room for recordSize(body.length) bytes is the caller's);
 * returns the offset after it. The timestamp comes as two uint32 halves, as the broker holds it.
 */
export function writeRecord(target: Buffer, offset: number, tsHigh: number, tsLow: number, attempts: number, id: MessageIdWords, body: Buffer): number {
  putInt32(target, offset, MESSAGE_HEADER_SIZE + body.length)
  putInt32(target, offset + 4, tsHigh)
  putInt32(target, offset + 8, tsLow)
  target[offset + 12] = attempts >>> 8
  target[offset + 13] = attempts
  writeIdWords(target, offset + 14, id)
  target.set(body, offset + 14 + MSG_ID_LENGTH)
  return offset + recordSize(body.length)
}

/** One record's message, read from its data bytes (the part after the size prefix). */
export interface RecordMessage {
  tsHigh: number
  tsLow: number
  attempts: number
  id: string
  /** a view into the data, not a copy */
  body: Buffer
}

/** What a record's fields are read into, with no object in between (the broker's message). */
export type RecordFactory<T> = (id0: number, id1: number, id2: number, id3: number, body: Buffer, tsHigh: number, tsLow: number, attempts: number) => T

/**
 * One record's message from its data bytes buf[start, end) (after the size prefix), the id as
 * its words (MessageIdWords) and the body a view, not a copy: the disk queue's read path, one
 * view and no string per record.
 */
export function readRecord<T>(buf: Buffer, start: number, end: number, make: RecordFactory<T>): T {
  const at = start + MSG_ID_OFFSET
  const attempts = ((buf[start + 8] as number) << 8) | (buf[start + 9] as number)
  return make(int32At(buf, at), int32At(buf, at + 4), int32At(buf, at + 8), int32At(buf, at + 12), buf.subarray(start + MESSAGE_HEADER_SIZE, end), int32At(buf, start) >>> 0, int32At(buf, start + 4) >>> 0, attempts)
}

export function readRecordData(data: Buffer): RecordMessage {
  return readRecord(data, 0, data.length, (id0, id1, id2, id3, body, tsHigh, tsLow, attempts) => ({tsHigh, tsLow, attempts, id: idString({id0, id1, id2, id3}), body}))
}

/** The positions a disk queue's metadata file records. */
export interface DiskQueueMeta {
  depth: number
  readFileNum: number
  readPos: number
  writeFileNum: number
  writePos: number
}

export function formatDiskQueueMeta(m: DiskQueueMeta): string {
  return `${m.depth}\n${m.readFileNum},${m.readPos}\n${m.writeFileNum},${m.writePos}\n`
}

/**
 * Read a metadata file as go-diskqueue's fmt.Fscanf("%d\n%d,%d\n%d,%d\n") does; null when it
 * does not parse (the caller starts the queue empty, as go-diskqueue does with an error line).
 */
export function parseDiskQueueMeta(text: string): DiskQueueMeta | null {
  const m = /^\s*(-?\d+)\n\s*(\d+),(\d+)\n\s*(\d+),(\d+)(?:\n|$)/.exec(text)
  if (m === null) return null
  const [depth, readFileNum, readPos, writeFileNum, writePos] = m.slice(1).map(Number) as [number, number, number, number, number]
  if (![depth, readFileNum, readPos, writeFileNum, writePos].every(Number.isSafeInteger)) return null
  return {depth, readFileNum, readPos, writeFileNum, writePos}
}

/** nsqd.dat: the non-ephemeral topics and channels, and whether each is paused. */
export interface NsqdMetadata {
  topics: {name: string; paused: boolean; channels: {name: string; paused: boolean}[]}[]
  version: string
}

/** nsqd.dat as Go's json.Marshal writes it (struct field order, no spaces). */
export function encodeNsqdMetadata(m: NsqdMetadata): string {
  return JSON.stringify({
    topics: m.topics.map((t) => ({name: t.name, paused: t.paused, channels: t.channels.map((c) => ({name: c.name, paused: c.paused}))})),
    version: m.version,
  })
}

/**
 * Read nsqd.dat as nsqd's LoadMetadata does: invalid topic and channel names are skipped (they
 * are returned in `skipped` for the log line nsqd writes); a missing `paused` is false. Throws a
 * SyntaxError (or TypeError for a wrong shape) when the file is not nsqd's JSON.
 */
export function decodeNsqdMetadata(text: string): NsqdMetadata & {skipped: string[]} {
  const raw: unknown = JSON.parse(text)
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TypeError('nsqd.dat is not a JSON object')
  const o = raw as {topics?: unknown; version?: unknown}
  const topics: NsqdMetadata['topics'] = []
  const skipped: string[] = []
  const list = o.topics ?? []
  if (!Array.isArray(list)) throw new TypeError('nsqd.dat: "topics" is not an array')
  for (const t of list as {name?: unknown; paused?: unknown; channels?: unknown}[]) {
    const name = typeof t?.name === 'string' ? t.name : ''
    if (!isValidTopicName(name)) {
      skipped.push(`topic ${JSON.stringify(name)}`)
      continue
    }
    const channels: NsqdMetadata['topics'][number]['channels'] = []
    const cl = t.channels ?? []
    if (!Array.isArray(cl)) throw new TypeError(`nsqd.dat: "channels" of topic ${name} is not an array`)
    for (const c of cl as {name?: unknown; paused?: unknown}[]) {
      const cn = typeof c?.name === 'string' ? c.name : ''
      if (!isValidChannelName(cn)) {
        skipped.push(`channel ${JSON.stringify(cn)} of topic ${name}`)
        continue
      }
      channels.push({name: cn, paused: c.paused === true})
    }
    topics.push({name, paused: t.paused === true, channels})
  }
  return {topics, version: typeof o.version === 'string' ? o.version : '', skipped}
}
