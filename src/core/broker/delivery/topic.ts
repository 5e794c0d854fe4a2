/**
 * A topic: every message published to it is copied to every channel (NSQ-SPEC §2.2
 * "Topic → channel fan-out"). Messages published while it has no channel, or while it is
 * paused, wait in the topic's own queue and go to the channels once there are some again.
 * The first channel gets the published record, the others a copy sharing the body.
 *
 * A topic made while lookupd is configured is held (`hold()`) until the broker has asked
 * lookupd which channels to pre-create for it (`start()`), as nsqd's topic waits for its start:
 * what is published meanwhile waits, so every pre-created channel gets it.
 */
import {diskQueueName} from '../../protocol/index.js'
import {MessageQueue} from '../queue/message-queue.js'
import {Channel, type ChannelContext} from './channel.js'
import {BrokerMessage} from './message.js'

export interface TopicContext extends ChannelContext {
  /** called when an ephemeral topic loses its last channel */
  onEmptyEphemeralTopic(t: Topic): void
  onChannelCreated?(t: Topic, ch: Channel): void
  onChannelDeleted?(t: Topic, ch: Channel): void
}

export class Topic {
  readonly ephemeral: boolean
  readonly channels = new Map<string, Channel>()
  readonly queue: MessageQueue<BrokerMessage>
  paused = false
  deleted = false
  /** false while held for lookupd's channel list */
  private started = true
  /** close() has begun: nothing moves to the channels any more */
  private closing = false
  messageCount = 0
  messageBytes = 0
  private readonly chanCtx: ChannelContext

  constructor(
    readonly name: string,
    private readonly ctx: TopicContext,
  ) {
    this.ephemeral = name.endsWith('#ephemeral')
    this.queue = new MessageQueue(ctx.memQueueSize, ctx.backend(diskQueueName(name), this.ephemeral, () => this.pump()))
    this.chanCtx = {
      memQueueSize: ctx.memQueueSize,
      maxMsgTimeout: ctx.maxMsgTimeout,
      maxChannelConsumers: ctx.maxChannelConsumers,
      tickMs: ctx.tickMs,
      now: ctx.now,
      backend: ctx.backend,
      changed: ctx.changed,
      keepDeferred: ctx.keepDeferred,
      takeDeferred: ctx.takeDeferred,
      deferredLog: ctx.deferredLog,
      onEmptyEphemeral: (ch) => this.deleteChannel(ch.name),
    }
  }

  get depth(): number {
    return this.queue.length
  }

  /** Publish: counts, then fan out (or hold while there is nowhere to go). */
  put(msgs: readonly BrokerMessage[]): void {
    this.messageCount += msgs.length
    for (let i = 0; i < msgs.length; i++) this.messageBytes += (msgs[i] as BrokerMessage).body.length
    if (this.paused || !this.started || this.channels.size === 0) {
      for (let i = 0; i < msgs.length; i++) this.queue.put(msgs[i] as BrokerMessage)
      return
    }
    this.fanOut(msgs)
  }

  private fanOut(msgs: readonly BrokerMessage[]): void {
    // every channel's records are made before any channel delivers (and counts attempts)
    const chans = [...this.channels.values()]
    const records = chans.map((_, i) => (i === 0 ? msgs : msgs.map((m) => m.copy())))
    for (let c = 0; c < chans.length; c++) {
      const ch = chans[c] as Channel
      const own = records[c] as readonly BrokerMessage[]
      let immediate: BrokerMessage[] | null = null
      for (let i = 0; i < own.length; i++) {
        const m = own[i] as BrokerMessage
        if (m.deferMs > 0) {
          ch.putDeferred(m, m.deferMs)
          if (immediate === null) immediate = own.slice(0, i)
        } else if (immediate !== null) {
          immediate.push(m)
        }
      }
      ch.putMany(immediate ?? own)
    }
  }

  /** Move what waited in the topic to the channels. */
  private pump(): void {
    if (this.closing || this.paused || !this.started || this.channels.size === 0 || this.queue.length === 0) return
    const batch: BrokerMessage[] = []
    for (let m = this.queue.shift(); m !== undefined; m = this.queue.shift()) {
      batch.push(m)
      if (batch.length === 1024) {
        this.fanOut(batch)
        batch.length = 0
      }
    }
    if (batch.length > 0) this.fanOut(batch)
  }

  getChannel(name: string): Channel {
    let ch = this.channels.get(name)
    if (ch === undefined) {
      ch = new Channel(this.name, name, this.chanCtx)
      this.channels.set(name, ch)
      this.ctx.onChannelCreated?.(this, ch)
      this.pump()
    }
    return ch
  }

  /** Returns false when there is no such channel. */
  deleteChannel(name: string): boolean {
    const ch = this.channels.get(name)
    if (ch === undefined) return false
    this.channels.delete(name)
    // memory and null backends delete at once; a disk backend's deletion finishes in the background
    void ch.delete()
    this.ctx.onChannelDeleted?.(this, ch)
    if (this.ephemeral && this.channels.size === 0 && !this.deleted) this.ctx.onEmptyEphemeralTopic(this)
    return true
  }

  /** Hold what is published (not shown as paused) until start(). */
  hold(): void {
    this.started = false
  }

  /** End a hold(): what waited goes to the channels. */
  start(): void {
    if (this.started) return
    this.started = true
    this.pump()
  }

  pause(): void {
    this.paused = true
    this.ctx.changed?.()
  }

  unpause(): void {
    this.paused = false
    this.ctx.changed?.()
    this.pump()
  }

  /** POST /topic/empty: drop what waits in the topic (not the channels). */
  empty(): void {
    this.queue.clear()
  }

  /** Delete (POST /topic/delete, an ephemeral topic's last channel gone): its channels and messages go. */
  delete(): Promise<void> {
    this.deleted = true
    const chans = [...this.channels.values()]
    this.channels.clear()
    return Promise.all([this.queue.delete(), ...chans.map((ch) => ch.delete())]).then(() => {})
  }

  /**
   * The broker is stopping: the channels' queues close, keeping what they hold, then the topic's
   * (last: a channel's deferred message may still hold its record in the topic's disk queue,
   * let go of as the channel writes it to its own).
   */
  close(): Promise<void> {
    // no more moving to the channels: their queues are closing (a read of the topic's queue that
    // lands now stays on disk, read again at the next start)
    this.closing = true
    return Promise.all([...this.channels.values()].map((ch) => ch.close())).then(() => this.queue.close())
  }

  scan(now: number): void {
    for (const ch of this.channels.values()) ch.scan(now)
  }
}

