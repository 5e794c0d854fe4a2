/**
 * Client → server commands (NSQ TCP protocol V2, NSQ-SPEC §2.2 "Commands", go-nsq command.go).
 *
 *   NAME[ SP param]* LF                       IDENTIFY, SUB, RDY, FIN, REQ, TOUCH, CLS, NOP
 *   NAME[ SP param]* LF [size: int32 BE][body] IDENTIFY, AUTH, PUB, DPUB, MPUB
 *
 * MPUB's body is   [count: int32 BE]( [len: int32 BE][message bytes] )*count
 *
 * One builder per verb returns a Command that encodes itself. The server side reads
 * commands with CommandDecoder, which is incremental and validates the line and the size
 * prefix through hooks *before* buffering a body, so a 2 GB size prefix costs nothing.
 */
import {Accumulator} from './accumulator.js'
import {ProtocolError} from './errors.js'
import {MSG_ID_LENGTH, MSG_ID_OFFSET, idString, type MessageIdWords} from './message.js'
import type {IdentifyRequest} from './identify.js'

export type CommandName =
  | 'IDENTIFY'
  | 'AUTH'
  | 'SUB'
  | 'PUB'
  | 'MPUB'
  | 'DPUB'
  | 'RDY'
  | 'FIN'
  | 'REQ'
  | 'TOUCH'
  | 'CLS'
  | 'NOP'

/** Every verb, the hot ones first (the decoder matches names against this list). */
export const VERB_NAMES: readonly CommandName[] = ['FIN', 'RDY', 'REQ', 'TOUCH', 'PUB', 'MPUB', 'DPUB', 'NOP', 'SUB', 'CLS', 'IDENTIFY', 'AUTH']

/** The verbs whose line is followed by a size-prefixed body. */
export const BODY_COMMANDS: ReadonlySet<string> = new Set(['IDENTIFY', 'AUTH', 'PUB', 'MPUB', 'DPUB'])

/**
 * One command as a client sends it: name, space-separated params, an optional body. MPUB keeps
 * its message bodies as they are and writes them straight into the output (`encodeInto`), so a
 * batch is copied once on its way to the socket; `body` builds MPUB's body only when asked.
 */
export class Command {
  private body_: Buffer | null

  constructor(
    readonly name: CommandName,
    readonly params: readonly string[],
    body: Buffer | null = null,
    /** MPUB's message bodies (the body is [count]([len][bytes])*count) */
    private readonly parts: readonly Buffer[] | null = null,
  ) {
    this.body_ = body
  }

  /** the size-prefixed body, or null for the verbs without one */
  get body(): Buffer | null {
    if (this.body_ === null && this.parts !== null) this.body_ = encodeMpubBody(this.parts)
    return this.body_
  }

  private get bodyLength(): number {
    if (this.body_ !== null) return this.body_.length
    return this.parts === null ? -1 : mpubBodySize(this.parts)
  }

  /** its size on the wire */
  get byteLength(): number {
    let n = this.name.length + 1
    for (const p of this.params) n += 1 + Buffer.byteLength(p)
    const body = this.bodyLength
    return body < 0 ? n : n + 4 + body
  }

  /** Write the command at `offset`; returns the offset after it. */
  encodeInto(target: Buffer, offset: number): number {
    let o = offset + target.write(this.name, offset, 'latin1')
    for (const p of this.params) {
      target[o++] = 0x20
      o += target.write(p, o, 'utf8')
    }
    target[o++] = 0x0a
    if (this.body_ !== null) {
      target.writeInt32BE(this.body_.length, o)
      o += 4
      o += this.body_.copy(target, o)
    } else if (this.parts !== null) {
      target.writeInt32BE(mpubBodySize(this.parts), o)
      o = writeMpubBody(target, o + 4, this.parts)
    }
    return o
  }

  /** The bytes on the wire. */
  encode(): Buffer {
    const out = Buffer.allocUnsafe(this.byteLength)
    this.encodeInto(out, 0)
    return out
  }

  toString(): string {
    return [this.name, ...this.params].join(' ')
  }
}

const toBuf = (b: Buffer | string): Buffer => (typeof b === 'string' ? Buffer.from(b, 'utf8') : b)

/** IDENTIFY with a JSON body (see IdentifyRequest for the fields). */
export function identify(data: IdentifyRequest): Command {
  return new Command('IDENTIFY', [], Buffer.from(JSON.stringify(data), 'utf8'))
}
/** AUTH with the secret as its body. */
export function auth(secret: Buffer | string): Command {
  return new Command('AUTH', [], toBuf(secret))
}
/** SUB to a topic's channel. */
export function sub(topic: string, channel: string): Command {
  return new Command('SUB', [topic, channel])
}
/** PUB one message (a string is sent as UTF-8). */
export function pub(topic: string, body: Buffer | string): Command {
  return new Command('PUB', [topic], toBuf(body))
}
/** DPUB: a message nsqd delivers `deferMs` milliseconds from now. */
export function dpub(topic: string, deferMs: number, body: Buffer | string): Command {
  return new Command('DPUB', [topic, String(Math.trunc(deferMs))], toBuf(body))
}
/** MPUB: all messages published atomically. */
export function mpub(topic: string, bodies: readonly (Buffer | string)[]): Command {
  // a list of its own: the caller may reuse its array before the command is written
  return new Command('MPUB', [topic], null, bodies.map(toBuf))
}
/** RDY: how many messages this connection may have in flight. */
export function rdy(count: number): Command {
  return new Command('RDY', [String(Math.trunc(count))])
}
/** FIN: the message with this id is done. */
export function fin(id: string): Command {
  return new Command('FIN', [id])
}
/** The size of `FIN <id>\n` on the wire. */
export const FIN_SIZE = 4 + MSG_ID_LENGTH + 1

/**
 * Write `FIN <id>\n` at `offset`, the id copied byte for byte from a message payload (a
 * consumer's hot path: no Command, no id string). Returns the offset after it.
 */
export function writeFin(target: Buffer, offset: number, payload: Buffer): number {
  target[offset] = 0x46 // F
  target[offset + 1] = 0x49 // I
  target[offset + 2] = 0x4e // N
  target[offset + 3] = 0x20
  const o = offset + 4
  for (let i = 0; i < MSG_ID_LENGTH; i++) target[o + i] = payload[MSG_ID_OFFSET + i] as number
  target[o + MSG_ID_LENGTH] = 0x0a
  return o + MSG_ID_LENGTH + 1
}

/** REQ: deliver the message again after `delayMs` (negative counts as 0). */
export function req(id: string, delayMs: number): Command {
  return new Command('REQ', [id, String(Math.max(0, Math.trunc(delayMs)))])
}
/** TOUCH: reset the message's in-flight timeout. */
export function touch(id: string): Command {
  return new Command('TOUCH', [id])
}
/** CLS: start closing; nsqd answers CLOSE_WAIT and sends no more messages. */
export function cls(): Command {
  return new Command('CLS', [])
}
/** NOP: the answer to a heartbeat. */
export function nop(): Command {
  return new Command('NOP', [])
}

/** `[count][len][body]...`, the body of TCP MPUB (and, without a size prefix, HTTP /mpub?binary=true). */
export function encodeMpubBody(bodies: readonly Buffer[]): Buffer {
  const out = Buffer.allocUnsafe(mpubBodySize(bodies))
  writeMpubBody(out, 0, bodies)
  return out
}

/** The size of MPUB's body for these messages. */
export function mpubBodySize(bodies: readonly Buffer[]): number {
  let size = 4
  for (const b of bodies) size += 4 + b.length
  return size
}

function writeMpubBody(target: Buffer, offset: number, bodies: readonly Buffer[]): number {
  target.writeInt32BE(bodies.length, offset)
  let o = offset + 4
  for (const b of bodies) {
    target.writeInt32BE(b.length, o)
    o += 4
    // TypedArray#set, not Buffer#copy: cheaper for the small bodies of a batch (message.ts)
    target.set(b, o)
    o += b.length
  }
  return o
}

export interface MpubLimits {
  maxMsgSize: number
  maxBodySize: number
}

/**
 * Split an MPUB body into message bodies (zero-copy views), with nsqd's checks and texts
 * (readMPUB). `errPrefix` is "MPUB" over TCP; HTTP maps the codes onto its own.
 */
export function decodeMpubBody(body: Buffer, limits: MpubLimits): Buffer[] {
  if (body.length < 4) throw new ProtocolError('E_BAD_BODY', 'MPUB failed to read message count')
  const count = body.readInt32BE(0)
  const maxMessages = Math.floor((limits.maxBodySize - 4) / 5)
  if (count <= 0 || count > maxMessages) throw new ProtocolError('E_BAD_BODY', `MPUB invalid message count ${count}`)
  const out: Buffer[] = new Array(count)
  let o = 4
  for (let i = 0; i < count; i++) {
    if (o + 4 > body.length) throw new ProtocolError('E_BAD_MESSAGE', `MPUB failed to read message(${i}) body size`)
    const size = body.readInt32BE(o)
    o += 4
    if (size <= 0) throw new ProtocolError('E_BAD_MESSAGE', `MPUB invalid message(${i}) body size ${size}`)
    if (size > limits.maxMsgSize) throw new ProtocolError('E_BAD_MESSAGE', `MPUB message too big ${size} > ${limits.maxMsgSize}`)
    if (o + size > body.length) throw new ProtocolError('E_BAD_MESSAGE', 'MPUB failed to read message body')
    out[i] = body.subarray(o, o + size)
    o += size
  }
  return out
}

/** A command as the server reads it. Params are the raw words, the name first. */
export interface ReceivedCommand {
  readonly name: string
  readonly params: string[]
  /** the size-prefixed body, for the verbs that have one (zero-copy view) */
  readonly body: Buffer | null
  /** FIN's message id as read from the bytes (the decoder's fast path); null or absent otherwise */
  readonly id?: MessageIdWords | null
}

/**
 * The decoder's FIN: `FIN <16-byte id>\n` read with no string and no array made, its id in four
 * words (protocol/message.ts MessageIdWords) for the broker's in-flight table; params are made
 * only if asked for (a debug log line, an error text).
 */
class DecodedFin implements ReceivedCommand, MessageIdWords {
  readonly name = 'FIN'
  readonly body = null
  constructor(
    readonly id0: number,
    readonly id1: number,
    readonly id2: number,
    readonly id3: number,
  ) {}
  get id(): MessageIdWords {
    return this
  }
  get params(): string[] {
    return ['FIN', idString(this)]
  }
}

/** the length of a FIN line: "FIN " and the id */
const FIN_LINE = 4 + MSG_ID_LENGTH

export interface CommandDecoderHooks {
  /** Does this verb carry a body? Default: BODY_COMMANDS. */
  hasBody?(name: string): boolean
  /** Validate a body verb's line before its size is read (throw a ProtocolError). */
  checkLine?(name: string, params: string[]): void
  /** Validate a body verb's size prefix before its body is buffered (throw a ProtocolError). */
  checkSize(name: string, params: string[], size: number): void
}

/** nsqd reads lines through a 16 KiB bufio.Reader; a longer line ends the connection. */
export const MAX_LINE_LENGTH = 16 * 1024

const enum State {
  Line,
  Size,
  Body,
}

/**
 * Incremental server-side command decoder. `push()` each chunk, then `next()` until undefined.
 * Throws only ProtocolError (from the hooks, E_INVALID for an over-long line, E_BAD_BODY for a
 * negative size prefix that the hooks let through).
 */
export class CommandDecoder {
  private readonly acc = new Accumulator()
  private state = State.Line
  private scanned = 0
  private name = ''
  private params: string[] = []
  private size = 0

  constructor(private readonly hooks: CommandDecoderHooks) {}

  /**
   * The line before the newline at `nl` as a FIN with a well-formed id (16 bytes, none a space,
   * the last no CR: what nsqd's split would read as one 16-byte param), or null.
   */
  private readFin(nl: number): DecodedFin | null {
    const acc = this.acc
    if (nl !== FIN_LINE || acc.byte(0) !== 0x46 || acc.byte(1) !== 0x49 || acc.byte(2) !== 0x4e || acc.byte(3) !== 0x20) return null
    for (let i = 4; i < FIN_LINE; i++) if (acc.byte(i) === 0x20) return null
    if (acc.byte(FIN_LINE - 1) === 0x0d) return null
    const fin = new DecodedFin(acc.int32(4), acc.int32(8), acc.int32(12), acc.int32(16))
    acc.skip(FIN_LINE + 1)
    return fin
  }

  push(chunk: Buffer): void {
    this.acc.push(chunk, this.state === State.Body ? this.size : 0)
  }

  get buffered(): number {
    return this.acc.available
  }

  /**
   * The bytes read past the last whole command, taken out (a stream upgrade hands them to the
   * new layer). Only between commands: after next() returned undefined or a command.
   */
  takeRest(): Buffer {
    this.scanned = 0
    return this.acc.takeRest()
  }

  next(): ReceivedCommand | undefined {
    const acc = this.acc
    for (;;) {
      switch (this.state) {
        case State.Line: {
          const nl = acc.indexOf(0x0a, this.scanned)
          if (nl < 0) {
            this.scanned = acc.available
            if (acc.available > MAX_LINE_LENGTH) throw new ProtocolError('E_INVALID', `command line longer than ${MAX_LINE_LENGTH} bytes`)
            return undefined
          }
          // same limit whether or not the newline came in the same chunk
          if (nl > MAX_LINE_LENGTH) throw new ProtocolError('E_INVALID', `command line longer than ${MAX_LINE_LENGTH} bytes`)
          this.scanned = 0
          const fin = this.readFin(nl)
          if (fin !== null) return fin
          const words = acc.words(nl, VERB_NAMES)
          const name = words[0] as string
          const hasBody = this.hooks.hasBody ? this.hooks.hasBody(name) : BODY_COMMANDS.has(name)
          if (!hasBody) return {name, params: words, body: null, id: null}
          this.hooks.checkLine?.(name, words)
          this.name = name
          this.params = words
          this.state = State.Size
          continue
        }
        case State.Size: {
          if (acc.available < 4) return undefined
          const size = acc.int32()
          this.hooks.checkSize(this.name, this.params, size)
          // a hook that lets a negative size through must not move the cursor backwards
          if (size < 0) throw new ProtocolError('E_BAD_BODY', `${this.name} invalid body size ${size}`)
          acc.skip(4)
          this.size = size
          this.state = State.Body
          continue
        }
        case State.Body: {
          if (acc.available < this.size) {
            acc.reserve(this.size)
            return undefined
          }
          const body = acc.take(this.size)
          this.state = State.Line
          const cmd = {name: this.name, params: this.params, body, id: null}
          this.params = []
          return cmd
        }
      }
    }
  }
}
