/**
 * An in-process broker plus the raw clients a test opens against it, all closed in one place;
 * and what the protocol tests share: collect messages until quiet, read /stats, assert that a
 * connection was closed by the server or is still usable, hand-made size prefixes.
 */
import assert from 'node:assert/strict'
import type {BrokerOptions} from '../../src/core/broker/index.js'
import {FrameType, identify, nop, pub, rdy, sub, type Message} from '../../src/core/protocol/index.js'
import {startBroker, type StatsJson, type TestBroker} from './broker.js'
import {RawClient} from './raw-client.js'

export type TopicStats = NonNullable<StatsJson['topics']>[number]
export type ChannelStats = TopicStats['channels'][number]

export interface ConsumerOptions {
  /** IDENTIFY body sent before SUB (expects a plain OK unless feature_negotiation is set) */
  identify?: object
  /** RDY sent after SUB's OK; omitted = no RDY */
  rdy?: number
}

export class Scenario {
  readonly clients: RawClient[] = []
  private pubClient: RawClient | null = null

  private constructor(readonly broker: TestBroker) {}

  static async start(opts: Partial<BrokerOptions> = {}): Promise<Scenario> {
    return new Scenario(await startBroker(opts))
  }

  get port(): number {
    return this.broker.tcpPort
  }

  async connect(opts: {magic?: boolean | Buffer} = {}): Promise<RawClient> {
    const c = await RawClient.connect(this.port, opts)
    this.clients.push(c)
    return c
  }

  /** Connect, optionally IDENTIFY, SUB (expects OK), optionally RDY. */
  async consumer(topic: string, channel: string, opts: ConsumerOptions = {}): Promise<RawClient> {
    const c = await this.connect()
    if (opts.identify) {
      c.send(identify(opts.identify))
      const r = await c.response()
      if (!(opts.identify as {feature_negotiation?: boolean}).feature_negotiation) assert.equal(r, 'OK')
    }
    c.send(sub(topic, channel))
    assert.equal(await c.response(), 'OK', `SUB ${topic} ${channel}`)
    if (opts.rdy !== undefined) c.send(rdy(opts.rdy))
    return c
  }

  /** PUB each body over one shared producer connection, waiting for every OK. */
  async publish(topic: string, bodies: readonly (string | Buffer)[]): Promise<void> {
    if (this.pubClient === null || this.pubClient.closed) this.pubClient = await this.connect()
    const c = this.pubClient
    c.send(...bodies.map((b) => pub(topic, b)))
    for (let i = 0; i < bodies.length; i++) assert.equal(await c.response(), 'OK', `PUB ${topic} #${i}`)
  }

  async topic(name: string): Promise<TopicStats | undefined> {
    const s = await this.broker.stats()
    return (s.topics ?? []).find((t) => t.topic_name === name)
  }

  async channel(topic: string, name: string): Promise<ChannelStats | undefined> {
    return (await this.topic(topic))?.channels.find((c) => c.channel_name === name)
  }

  async close(): Promise<void> {
    for (const c of this.clients) c.close()
    await this.broker.close()
  }
}

/** Run `fn` against a fresh broker; every client and the broker are closed afterwards. */
export async function withScenario(opts: Partial<BrokerOptions>, fn: (s: Scenario) => Promise<void>): Promise<void> {
  const s = await Scenario.start(opts)
  try {
    await fn(s)
  } finally {
    await s.close()
  }
}

/** The server sent exactly this error frame and then closed the connection. */
export async function expectFatal(c: RawClient, text: string, timeoutMs = 2000): Promise<void> {
  assert.equal(await c.error_(timeoutMs), text)
  await c.waitClosed(timeoutMs)
}

/**
 * The connection is still usable: NOP (no reply) then PUB answers OK. Message frames that
 * arrive meanwhile are skipped; an error frame or a close fails.
 */
export async function expectAlive(c: RawClient, topic = 'alive_check'): Promise<void> {
  c.send(nop(), pub(topic, 'ping'))
  for (;;) {
    const f = await c.next(2000)
    if (f.type === FrameType.Message) continue
    assert.equal(f.type, FrameType.Response, `expected OK, got frame type ${f.type}: ${f.text}`)
    assert.equal(f.text, 'OK')
    break
  }
  assert.equal(c.closed, false)
}

/** Messages until none arrives for `quietMs` (or `max` are in). Other frame types fail. */
export async function collect(c: RawClient, quietMs: number, max = Infinity): Promise<Message[]> {
  const out: Message[] = []
  while (out.length < max) {
    let m: Message
    try {
      m = await c.message(quietMs)
    } catch (err) {
      if (err instanceof Error && err.message.startsWith('no frame within')) break
      throw err
    }
    out.push(m)
  }
  return out
}

/** A 4-byte big-endian int32, for hand-made size prefixes. */
export function int32(n: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32BE(n)
  return b
}

/** `NAME params\n` + [size] + body, with a size that may lie about the body. */
export function rawBodyCommand(line: string, size: number, body: Buffer | string = Buffer.alloc(0)): Buffer {
  return Buffer.concat([Buffer.from(`${line}\n`, 'latin1'), int32(size), typeof body === 'string' ? Buffer.from(body, 'latin1') : body])
}

export const bodyText = (m: Message): string => m.body.toString('utf8')
