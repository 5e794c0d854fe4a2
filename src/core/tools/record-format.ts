/**
 * How the tools write one message as one record (tail's stdout lines, to-file's files), and the
 * one copy of a batch of records into a single buffer for one write.
 *
 *  raw              the body and '\n' (nsq_tail, nsq_to_file); tail may prefix `<topic> | `
 *  json             one object per line, {"topic","id","attempts","timestamp","body"}: the body
 *                   as text when it is valid UTF-8, else base64 with "encoding":"base64"; the
 *                   nanosecond timestamp as an exact integer (beyond a double's precision)
 *  length-prefixed  a 4-byte big-endian length, then the body: binary-safe, no separator
 *
 * A record is returned as parts (the body Buffer is never copied or decoded for raw and
 * length-prefixed); the writer copies every part once into the batch it writes (joinParts).
 */
import {isUtf8} from 'node:buffer'
import type {Message} from '../protocol/index.js'

export type RecordFormat = 'raw' | 'json' | 'length-prefixed'

export const RECORD_FORMATS: readonly RecordFormat[] = ['raw', 'json', 'length-prefixed']

/** The parts of one record. `printTopic` (tail's --print-topic) applies to raw only. */
export function formatRecord(topic: string, msg: Message, format: RecordFormat, printTopic = false): (Buffer | string)[] {
  switch (format) {
    case 'json': {
      const text = isUtf8(msg.body)
      const o: Record<string, unknown> = {topic, id: msg.id, attempts: msg.attempts, timestamp: '__TS__'}
      o.body = text ? msg.body.toString('utf8') : msg.body.toString('base64')
      if (!text) o.encoding = 'base64'
      return [JSON.stringify(o).replace('"__TS__"', msg.timestamp.toString()) + '\n']
    }
    case 'length-prefixed': {
      const len = Buffer.allocUnsafe(4)
      len.writeUInt32BE(msg.body.length, 0)
      return [len, msg.body]
    }
    default:
      return printTopic ? [`${topic} | `, msg.body, '\n'] : [msg.body, '\n']
  }
}

/** a one-character ASCII string (the '\n' of raw records): sized and copied without a call into C++ */
export const isAsciiChar = (s: string): boolean => s.length === 1 && s.charCodeAt(0) < 0x80

/** The bytes a part takes. */
export const partSize = (p: Buffer | string): number => (typeof p !== 'string' ? p.length : isAsciiChar(p) ? 1 : Buffer.byteLength(p))

/** parts[from, to) copied into one new buffer of `total` bytes (their summed partSize). */
export function joinParts(parts: readonly (Buffer | string)[], from: number, to: number, total: number): Buffer {
  const chunk = Buffer.allocUnsafe(total)
  let o = 0
  for (let i = from; i < to; i++) {
    const p = parts[i] as Buffer | string
    if (typeof p !== 'string') {
      chunk.set(p, o)
      o += p.length
    } else if (isAsciiChar(p)) chunk[o++] = p.charCodeAt(0)
    else o += chunk.write(p, o)
  }
  return chunk
}
