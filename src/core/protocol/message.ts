/**
 * The message payload of a frame of type 2 (NSQ-SPEC §2.2 "Message payload", nsqd message.go):
 *
 *   [ timestamp: int64 BE, ns since epoch ][ attempts: uint16 BE ][ id: 16 ASCII hex bytes ][ body ]
 *     0                                      8                      10                        26
 *
 * attempts counts deliveries, the first being 1. The id is opaque to clients.
 */
import {FrameType, writeFrameHeader, FRAME_HEADER_SIZE} from './frame.js'
import {putInt32} from './bytes.js'
import {FrameError} from './errors.js'

export const MSG_ID_LENGTH = 16
/** where the id starts in a message payload */
export const MSG_ID_OFFSET = 10
export const MESSAGE_HEADER_SIZE = 26

export interface Message {
  /** publish time in nanoseconds since the epoch */
  timestamp: bigint
  attempts: number
  /** 16 ASCII hex characters */
  id: string
  body: Buffer
}

/** Decode a message frame's data. The body is a zero-copy view. */
export function decodeMessage(data: Buffer): Message {
  if (data.length < MESSAGE_HEADER_SIZE) throw new FrameError(`message frame too short (${data.length} bytes)`)
  return {
    timestamp: data.readBigInt64BE(0),
    attempts: data.readUInt16BE(8),
    id: data.toString('latin1', MSG_ID_OFFSET, MESSAGE_HEADER_SIZE),
    body: data.subarray(MESSAGE_HEADER_SIZE),
  }
}

/** Encode a message payload (the frame's data, without the frame header). */
export function encodeMessage(msg: Message): Buffer {
  const out = Buffer.allocUnsafe(MESSAGE_HEADER_SIZE + msg.body.length)
  out.writeBigInt64BE(msg.timestamp, 0)
  writeMessageTail(out, 8, msg.attempts, msg.id, msg.body)
  return out
}

/**
 * Write a whole message frame (header included) into `target` at `offset`, the broker's hot
 * path: the timestamp comes as two uint32 halves so no BigInt is made per message.
 * Returns the offset after the frame.
 */
export function writeMessageFrame(
  target: Buffer,
  offset: number,
  tsHigh: number,
  tsLow: number,
  attempts: number,
  id: MessageIdWords,
  body: Buffer,
): number {
  let o = writeFrameHeader(target, offset, FrameType.Message, MESSAGE_HEADER_SIZE + body.length)
  putInt32(target, o, tsHigh)
  putInt32(target, o + 4, tsLow)
  o += 8
  target[o] = (attempts >>> 8) & 0xff
  target[o + 1] = attempts & 0xff
  writeIdWords(target, o + 2, id)
  target.set(body, o + 2 + MSG_ID_LENGTH)
  return o + 2 + MSG_ID_LENGTH + body.length
}

export function messageFrameSize(bodyLength: number): number {
  return FRAME_HEADER_SIZE + MESSAGE_HEADER_SIZE + bodyLength
}

function writeMessageTail(target: Buffer, o: number, attempts: number, id: string, body: Buffer): number {
  target[o] = (attempts >>> 8) & 0xff
  target[o + 1] = attempts & 0xff
  const at = o + 2
  writeMessageId(target, at, id)
  target.set(body, at + MSG_ID_LENGTH)
  return at + MSG_ID_LENGTH + body.length
}

/**
 * A message id as the broker keys it: the four big-endian 32-bit words of its 16 bytes. Numbers,
 * not a string: FIN's id is read from the command's bytes into them and compared with no string
 * made or hashed (the broker's in-flight table, broker/delivery/in-flight.ts), and a frame or a
 * disk record is written from them. Any 16 bytes are an id (nsqd's MessageID is a [16]byte).
 */
export interface MessageIdWords {
  readonly id0: number
  readonly id1: number
  readonly id2: number
  readonly id3: number
}

/** Word `k` (0-3) of an id given as its 16 latin1 characters. */
export function idWordOf(id: string, k: number): number {
  const i = k * 4
  return (id.charCodeAt(i) << 24) | (id.charCodeAt(i + 1) << 16) | (id.charCodeAt(i + 2) << 8) | id.charCodeAt(i + 3)
}

/** The words of an id given as its 16 latin1 characters. */
export function idWords(id: string): MessageIdWords {
  return {id0: idWordOf(id, 0), id1: idWordOf(id, 1), id2: idWordOf(id, 2), id3: idWordOf(id, 3)}
}

/** An id's 16 bytes at `at`. */
export function writeIdWords(target: Uint8Array, at: number, id: MessageIdWords): void {
  putInt32(target, at, id.id0)
  putInt32(target, at + 4, id.id1)
  putInt32(target, at + 8, id.id2)
  putInt32(target, at + 12, id.id3)
}

/** An id's 16 latin1 characters (for texts and the rare paths that key by string). */
export function idString(id: MessageIdWords): string {
  const b = Buffer.allocUnsafe(MSG_ID_LENGTH)
  writeIdWords(b, 0, id)
  return b.latin1Slice(0, MSG_ID_LENGTH)
}

/**
 * A message id's 16 latin1 characters at `at`, stored one by one. On the hot paths (a frame or
 * a disk record per message) this and TypedArray#set for the body beat Buffer#write and
 * Buffer#copy, whose argument handling costs more than copying a few hundred bytes: a 200-byte
 * message frame was written in ~370 ns through those, ~160 ns this way.
 */
export function writeMessageId(target: Buffer, at: number, id: string): void {
  for (let i = 0; i < MSG_ID_LENGTH; i++) target[at + i] = id.charCodeAt(i)
}

/** Split a nanosecond timestamp into the two uint32 halves writeMessageFrame takes. */
export function splitTimestamp(ns: bigint): [number, number] {
  return [Number((ns >> 32n) & 0xffffffffn), Number(ns & 0xffffffffn)]
}

export function joinTimestamp(high: number, low: number): bigint {
  return (BigInt(high) << 32n) | BigInt(low >>> 0)
}
