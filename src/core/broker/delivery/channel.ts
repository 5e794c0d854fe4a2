/**
 * A channel: its own copy of every message of its topic, shared by the sessions subscribed
 * to it (NSQ-SPEC §2.2 "RDY semantics", "Timeouts, REQ, TOUCH, DPUB").
 *
 *   queue (memory + backend) ──dispatch──▶ ready subscriber ──▶ in flight ──FIN──▶ gone
 *        ▲                                                          │
 *        ├──────────── REQ 0 / msg timeout (scan loop) ◀────────────┤
 *        └── deferred (REQ n, DPUB) ◀───────────── REQ n ───────────┘
 *
 * Delivery goes round-robin from a moving start over the subscribers that are ready
 * (in flight < RDY, socket not backed up), one message each per round: every subscriber
 * gets a fair share, none is starved. In-flight deadlines sit in per-timeout lanes
 * (in-flight.ts), deferred ones in a timing wheel (deferred.ts); the broker's one scan loop
 * expires both, with no timer per message.
 *
 * After a crash a message may have two records (one written by a re-queue or by its topic's
 * copy, one whose release the crash kept from the metadata): a copy read while the other is in
 * flight is dropped, so an id is in flight once at most.
 *
 * A channel knows its subscribers only through `Subscriber`: it never sees a session's
 * bytes or state (delivery does not import session).
 */
import {diskQueueName, type MessageIdWords} from '../../protocol/index.js'
import {release, type BackendFactory, type HoldingLog} from '../queue/backend.js'
import {MessageQueue} from '../queue/message-queue.js'
import type {BrokerMessage} from './message.js'
import {InFlightTable, NOT_OWNER} from './in-flight.js'
import {TimeoutWheel} from './deferred.js'

/** What a channel needs of a subscribed session. */
export interface Subscriber {
  readonly id: number
  /** may a message be sent to it now? */
  readonly ready: boolean
  /** 0 = off; else a message is discarded when randInt(100) > sampleRate */
  readonly sampleRate: number
  readonly msgTimeout: number
  /** send a message that has just been put in flight */
  deliver(msg: BrokerMessage): void
  /** a message of this subscriber's timed out */
  timedOut(): void
  /** the channel emptied: nothing of this subscriber's is in flight any more */
  emptied(): void
  /** the channel is deleted or the broker stops: close the connection */
  close(): void
}

export interface ChannelContext {
  readonly memQueueSize: number
  readonly maxMsgTimeout: number
  readonly maxChannelConsumers: number
  readonly tickMs: number
  now(): number
  /** the broker's choice of backend for each topic's and channel's queue */
  readonly backend: BackendFactory<BrokerMessage>
  /** called when an ephemeral channel loses its last subscriber */
  onEmptyEphemeral(ch: Channel): void
  /** called when what the metadata records changes (pause, unpause) */
  changed?(): void
  /**
   * A clean shutdown's deferred messages, by queue name: kept (id → release time, ms since the
   * epoch) beside the disk queue that holds their records, and taken back at the next start.
   */
  keepDeferred?(queueName: string, until: Map<string, number>): void
  takeDeferred?(queueName: string): Map<string, number> | null
  /**
   * the log that makes this channel's deferred messages durable (--mem-queue-size 0 on a
   * durable broker), or null; `wake`: records can be read from it
   */
  deferredLog?(queueName: string, wake: () => void): HoldingLog<BrokerMessage> | null
}

export class Channel {
  readonly ephemeral: boolean
  /** ephemeral with --mem-queue-size 0: a message is handed to a ready subscriber or dropped, as nsqd */
  private readonly handOff: boolean
  readonly queue: MessageQueue<BrokerMessage>
  readonly inFlight = new InFlightTable()
  private readonly deferredWheel: TimeoutWheel<BrokerMessage>
  private readonly subs: Subscriber[] = []
  private readonly subsById = new Map<number, Subscriber>()
  private rr = 0
  private dispatching = false
  /** deferred at the last clean shutdown: re-deferred as their records are read (id → release time) */
  private restored: Map<string, number> | null = null
  /** deferred messages' durable copies (with --mem-queue-size 0), or null: memory only, as nsqd */
  private readonly deferLog: HoldingLog<BrokerMessage> | null
  paused = false
  deleted = false
  messageCount = 0
  requeueCount = 0
  timeoutCount = 0

  constructor(
    readonly topicName: string,
    readonly name: string,
    private readonly ctx: ChannelContext,
  ) {
    this.ephemeral = name.endsWith('#ephemeral')
    this.handOff = this.ephemeral && ctx.memQueueSize === 0
    this.queue = new MessageQueue(ctx.memQueueSize, ctx.backend(diskQueueName(topicName, name), this.ephemeral, () => this.dispatch()))
    this.deferredWheel = new TimeoutWheel(ctx.tickMs, ctx.now())
    if (!this.ephemeral) this.restored = ctx.takeDeferred?.(diskQueueName(topicName, name)) ?? null
    this.deferLog = this.ephemeral ? null : (ctx.deferredLog?.(diskQueueName(topicName, name), () => this.loadDeferred()) ?? null)
    this.loadDeferred()
  }

  get depth(): number {
    return this.queue.length
  }
  get deferredCount(): number {
    return this.deferredWheel.size
  }
  get clientCount(): number {
    return this.subs.length
  }
  get subscribers(): readonly Subscriber[] {
    return this.subs
  }

  /** A published message. */
  put(msg: BrokerMessage): void {
    this.messageCount++
    if (this.handOff) return this.offer([msg])
    this.queue.put(msg)
    this.dispatch()
  }

  putMany(msgs: readonly BrokerMessage[]): void {
    this.messageCount += msgs.length
    if (this.handOff) return this.offer(msgs)
    for (let i = 0; i < msgs.length; i++) this.queue.put(msgs[i] as BrokerMessage)
    this.dispatch()
  }

  /** nsqd's unbuffered channel: to a ready subscriber now, or dropped (there is no backend). */
  private offer(msgs: readonly BrokerMessage[]): void {
    this.queue.offer(msgs)
    this.settle()
  }

  /**
   * A message published with a delay (DPUB, /pub?defer). With a deferred log it is written there
   * first (so a crash does not lose it) and holds that record until it leaves the wheel.
   */
  putDeferred(msg: BrokerMessage, delayMs: number): void {
    this.messageCount++
    const until = this.ctx.now() + delayMs
    if (this.deferLog !== null) {
      msg.deadline = until
      // the record it held (in its topic's queue) is let go of once the log has its own
      const prev = msg.holder
      const prevSeq = msg.holdSeq
      msg.holder = null
      const r = this.deferLog.putHeld(msg)
      prev?.release(prevSeq)
      // queued: the log is still reading what a crash left; the message comes back with those
      if (r === 'queued') return
    }
    this.deferredWheel.add(msg, until)
  }

  /** What the deferred log holds (a crash's leftovers at start, late DPUBs): into the wheel. */
  private loadDeferred(): void {
    const log = this.deferLog
    if (log === null) return
    for (let m = log.read(); m !== undefined; m = log.read()) this.deferredWheel.add(m, m.deadline)
  }

  addSubscriber(c: Subscriber): string | null {
    const max = this.ctx.maxChannelConsumers
    if (max !== 0 && this.subs.length >= max) {
      return `consumers for ${this.topicName}:${this.name} exceeds limit of ${max}`
    }
    this.subs.push(c)
    this.subsById.set(c.id, c)
    this.rr = Math.floor(Math.random() * this.subs.length)
    return null
  }

  removeSubscriber(c: Subscriber): void {
    const i = this.subs.indexOf(c)
    if (i < 0) return
    this.subs.splice(i, 1)
    this.subsById.delete(c.id)
    if (this.ephemeral && this.subs.length === 0 && !this.deleted) this.ctx.onEmptyEphemeral(this)
  }

  /** Hand queued messages to ready subscribers until one side runs out. */
  dispatch(): void {
    if (this.paused || this.dispatching) return
    const cs = this.subs
    const n = cs.length
    if (n === 0 || this.queue.length === 0) return
    this.dispatching = true
    try {
      const now = this.ctx.now()
      let i = this.rr < n ? this.rr : 0
      let idle = 0
      while (idle < n) {
        const c = cs[i] as Subscriber
        if (!c.ready) {
          idle++
          i = i + 1 === n ? 0 : i + 1
          continue
        }
        const msg = this.queue.shift()
        // out of messages: this subscriber stays first in line for the next one
        if (msg === undefined) break
        if (this.restored !== null && this.redefer(msg, now)) continue
        // a second record of a message in flight: what a crash leaves when it falls between a
        // re-queue's new record (or a topic's copy) and the metadata that lets go of the old one
        if (msg.holder !== null && this.inFlight.has(msg)) {
          release(msg)
          continue
        }
        idle = 0
        i = i + 1 === n ? 0 : i + 1
        if (c.sampleRate > 0 && Math.floor(Math.random() * 100) > c.sampleRate) {
          // nsqd consumes a sampled-out message: it is gone from the channel
          if (msg.holder !== null) release(msg)
          continue
        }
        msg.attempts++
        msg.clientId = c.id
        msg.delivered = now
        this.inFlight.add(msg, c.msgTimeout, now)
        c.deliver(msg)
      }
      this.rr = i
    } finally {
      this.dispatching = false
    }
  }

  /** A message deferred at the last shutdown, read back before its time: to the wheel again. */
  private redefer(msg: BrokerMessage, now: number): boolean {
    const restored = this.restored as Map<string, number>
    const until = restored.get(msg.id)
    if (until === undefined) return false
    restored.delete(msg.id)
    if (restored.size === 0) this.restored = null
    if (until <= now) return false
    this.deferredWheel.add(msg, until)
    return true
  }

  private popInFlight(c: Subscriber, id: MessageIdWords): BrokerMessage | string {
    const msg = this.inFlight.take(id.id0, id.id1, id.id2, id.id3, c.id)
    if (msg === undefined) return 'ID not in flight'
    if (msg === NOT_OWNER) return 'client does not own message'
    msg.clientId = 0
    return msg
  }

  /** FIN. Returns an error text (nsqd's) or null. The message's disk record goes with it. */
  finish(c: Subscriber, id: MessageIdWords): string | null {
    const msg = this.popInFlight(c, id)
    if (typeof msg === 'string') return msg
    if (msg.holder !== null) release(msg)
    return null
  }

  /** REQ: back to the queue now (0) or after `delayMs`. Returns an error text or null. */
  requeue(c: Subscriber, id: MessageIdWords, delayMs: number): string | null {
    const msg = this.popInFlight(c, id)
    if (typeof msg === 'string') return msg
    this.requeueCount++
    if (delayMs <= 0) {
      this.back(msg)
      this.settle()
    } else {
      this.deferredWheel.add(msg, this.ctx.now() + delayMs)
    }
    return null
  }

  /** TOUCH: push the deadline out by the client's msg timeout, capped by max-msg-timeout. */
  touch(c: Subscriber, id: MessageIdWords): string | null {
    const msg = this.inFlight.get(id)
    if (msg === undefined) return 'ID not in flight'
    if (msg.clientId !== c.id) return 'client does not own message'
    const now = this.ctx.now()
    let deadline = now + c.msgTimeout
    const cap = msg.delivered + this.ctx.maxMsgTimeout
    if (deadline >= cap) deadline = cap
    this.inFlight.touch(msg, c.msgTimeout, deadline, now)
    return null
  }

  /** The scan loop: time out in-flight messages, release deferred ones. */
  scan(now: number): void {
    this.inFlight.expire(now, (msg) => {
      this.timeoutCount++
      this.subsById.get(msg.clientId)?.timedOut()
      msg.clientId = 0
      this.back(msg)
    })
    if (this.deferredWheel.size > 0) this.deferredWheel.expire(now, (msg) => this.back(msg))
    this.settle()
  }

  /** A message back from flight or from its deferral: to the queue, or offered (handOff). */
  private back(msg: BrokerMessage): void {
    if (this.handOff) this.queue.offer([msg])
    else this.queue.requeue(msg)
  }

  /** Dispatch; with handOff, what no subscriber took is dropped (nsqd's unbuffered channel). */
  private settle(): void {
    this.dispatch()
    if (this.handOff) this.queue.dropMemory()
  }

  pause(): void {
    this.paused = true
    this.ctx.changed?.()
  }

  unpause(): void {
    this.paused = false
    this.ctx.changed?.()
    this.dispatch()
  }

  /** Drop everything queued, in flight and deferred (POST /channel/empty). */
  empty(): void {
    this.queue.clear()
    for (const m of this.inFlight.drain()) {
      m.clientId = 0
      release(m)
    }
    for (const m of this.deferredWheel.drain()) release(m)
    this.deferLog?.empty()
    for (const c of this.subs) c.emptied()
  }

  /**
   * Delete (POST /channel/delete, an ephemeral channel's last subscriber gone): drop every
   * message and close every subscribed session.
   */
  delete(): Promise<void> {
    this.deleted = true
    this.empty()
    this.dropSubscribers()
    return Promise.all([this.queue.delete(), this.deferLog?.delete()]).then(() => {})
  }

  /**
   * The broker is stopping: close every subscribed session; what is in flight or deferred goes
   * back to the queue, which then closes, keeping it (nsqd's channel.flush on Close).
   */
  close(): Promise<void> {
    this.dropSubscribers()
    for (const m of this.inFlight.drain()) {
      m.clientId = 0
      this.queue.put(m)
    }
    // deferred ones go to the queue as nsqd puts them (nsqd would deliver them at once), and
    // their release times beside it: serve defers them again for the time they had left
    const until = new Map<string, number>()
    for (const m of this.deferredWheel.drain()) {
      until.set(m.id, m.deadline)
      this.queue.put(m)
    }
    // deferred at the last shutdown and not read back since: still deferred
    if (this.restored !== null) for (const [id, t] of this.restored) if (!until.has(id)) until.set(id, t)
    if (!this.ephemeral) this.ctx.keepDeferred?.(diskQueueName(this.topicName, this.name), until)
    // the queue first: it holds the deferred messages' records now, and the log has let go of them
    return this.queue.close().then(() => this.deferLog?.close())
  }

  private dropSubscribers(): void {
    for (const c of [...this.subs]) c.close()
    this.subs.length = 0
    this.subsById.clear()
  }
}
