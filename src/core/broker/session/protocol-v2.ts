/**
 * The verbs of TCP protocol V2, one handler each (nsqd protocol_v2.go; NSQ-SPEC §2.2).
 *
 * Each handler validates, acts on the session's state (state.ts) and the broker, and returns
 * the response data (or null for none), or throws a ProtocolError whose code and text are
 * nsqd's to the byte. The connection's read loop (client-session.ts) turns errors into error
 * frames and closes on the fatal ones. Body verbs are validated in two steps the command
 * decoder calls before buffering anything: `checkLine` (state, params, names) and `checkSize`
 * (the size prefix against max-msg-size / max-body-size).
 *
 * A verb never touches bytes or timers: what it needs of the connection is the narrow
 * SessionIO below (the session as a channel's subscriber; "the heartbeat interval changed").
 * IDENTIFY's upgrades are asked for, not done, here: it answers a Negotiation, and the
 * connection sends the JSON on the plain layer, wraps the stream (TLS, then snappy or deflate)
 * and says OK on each new layer, as nsqd does.
 */
import {
  ProtocolError,
  decodeIdentify,
  decodeMpubBody,
  goQuote,
  idWords,
  isValidChannelName,
  isValidTopicName,
  type IdentifyRequest,
  type IdentifyResponse,
  type MessageIdWords,
  type ReceivedCommand,
} from '../../protocol/index.js'
import type {AuthQuery} from '../auth/authd.js'
import type {AuthGrant} from '../auth/grant.js'
import type {Channel, Subscriber} from '../delivery/channel.js'
import {ClientState, type SessionState} from './state.js'
import {bodySizeFault, deferFault, messageSizeFault, publishMessages, topicNameFault, type PublishError} from '../delivery/publish.js'

/** What a verb may ask of the connection that carries the session. */
export interface SessionIO {
  /** the session as a channel sees it: SUB adds it to the channel */
  readonly subscriber: Subscriber
  /** IDENTIFY set the heartbeat interval: restart the heartbeat ticker and the read deadline */
  heartbeatChanged(): void
  /**
   * A slot of this client's RDY window was freed (FIN): let the channel hand out messages once
   * the commands read with this one are done, so a burst of FINs is one dispatch, not one each.
   */
  dispatchSoon(): void
}

/**
 * IDENTIFY's answer when features were negotiated: the JSON response goes out on the current
 * layer, then each upgrade in nsqd's order (TLS, snappy, deflate), each followed by `OK` on the
 * new layer. The connection does the upgrades (they wait for the peer) and reads no command
 * until they are done.
 */
export interface Negotiation {
  readonly response: string
  readonly tls: boolean
  readonly snappy: boolean
  /** 0 = no deflate */
  readonly deflateLevel: number
}

/** Response data, or nothing (null). */
export type Answer = string | Buffer | null

/**
 * What a verb answers: response data, nothing (null), IDENTIFY's negotiation, or the answer
 * later (AUTH, and a command whose grant expired, wait for the auth server): the connection
 * reads no further command until it settles, so one client's commands stay in order.
 */
export type Reply = Answer | Negotiation | Promise<Answer>

export function isNegotiation(r: Reply): r is Negotiation {
  return r !== null && typeof r === 'object' && !Buffer.isBuffer(r) && !(r instanceof Promise)
}

type Handler = (c: SessionState, cmd: ReceivedCommand, io: SessionIO) => Reply

const OK = 'OK'
const invalid = (text: string): ProtocolError => new ProtocolError('E_INVALID', text)

/** Go's protocol.ByteToBase10: digits only ('' is 0); anything else fails. */
function base10(s: string): number | null {
  if (!/^\d*$/.test(s)) return null
  return s === '' ? 0 : Number(s)
}

/** The id a FIN, REQ or TOUCH names (a FIN's comes read from the bytes by the decoder). */
function messageId(c: SessionState, verb: string, cmd: ReceivedCommand, need: number): MessageIdWords {
  const state = c.state
  if (state !== ClientState.Subscribed && state !== ClientState.Closing) throw invalid(`cannot ${verb} in current state`)
  if (cmd.id !== undefined && cmd.id !== null) return cmd.id
  const params = cmd.params
  if (params.length < need) throw invalid(`${verb} insufficient number of params`)
  const id = params[1] as string
  if (id.length !== 16) throw invalid('invalid message ID')
  return idWords(id)
}

/** A publish rule's fault (publish.ts) as nsqd's error frame for `verb`. */
function publishFault(verb: string, e: PublishError): ProtocolError {
  switch (e.fault) {
    case 'BAD_TOPIC': {
      // nsqd 1.3.0's MPUB repeats the code in its text: "E_BAD_TOPIC E_BAD_TOPIC MPUB topic name ..."
      const prefix = verb === 'MPUB' ? 'E_BAD_TOPIC ' : ''
      return new ProtocolError('E_BAD_TOPIC', `${prefix}${verb} topic name ${goQuote(String(e.value))} is not valid`)
    }
    case 'EMPTY_MESSAGE':
      return new ProtocolError('E_BAD_MESSAGE', `${verb} invalid message body size ${e.value}`)
    case 'MESSAGE_SIZE':
      return new ProtocolError('E_BAD_MESSAGE', `${verb} message too big ${e.value} > ${e.max}`)
    case 'EMPTY_BODY':
      return new ProtocolError('E_BAD_BODY', `${verb} invalid body size ${e.value}`)
    case 'BODY_SIZE':
      return new ProtocolError('E_BAD_BODY', `${verb} body too big ${e.value} > ${e.max}`)
    case 'DEFER_RANGE':
      // nsqd prints the bound as MaxReqTimeout/time.Millisecond: whole milliseconds
      return invalid(`${verb} timeout ${e.value} out of range 0-${Math.floor(e.max)}`)
  }
}

function topicParam(verb: string, params: string[], need: number): string {
  if (params.length < need) throw invalid(`${verb} insufficient number of parameters`)
  const topic = params[1] as string
  const fault = topicNameFault(topic)
  if (fault !== null) throw publishFault(verb, fault)
  return topic
}

function dpubDelay(c: SessionState, params: string[]): number {
  const raw = params[2] as string
  const ms = base10(raw)
  if (ms === null) throw invalid(`DPUB could not parse timeout ${raw}`)
  const fault = deferFault(ms, c.ctx.opts)
  if (fault !== null) throw publishFault('DPUB', fault)
  return ms
}

// ---- body verbs: line and size checks, before the body is read ------------------------------

/** nsqd's enforceTLSPolicy: with TLS required, a plain connection may only IDENTIFY (and upgrade). */
function enforceTls(c: SessionState, name: string): void {
  if (c.ctx.tlsRequired && !c.tls && name !== 'IDENTIFY') throw invalid(`cannot ${name} in current state (TLS required)`)
}

// ---- auth (NSQ-SPEC §2.6) -----------------------------------------------------------------

/** Ask the auth servers for this connection's grant (AUTH, or a grant that expired). */
async function queryGrant(c: SessionState): Promise<AuthGrant> {
  const auth = c.ctx.auth as AuthQuery
  const tls = c.tlsInfo
  return auth.query({remoteIp: c.remoteIp, tls: c.tls, secret: c.authSecret, commonName: tls?.commonName ?? ''})
}

/** nsqd hides why the auth server failed from the client: logged, and a bare E_AUTH_FAILED */
function authFailed(c: SessionState, err: unknown): ProtocolError {
  c.ctx.log.warn(`PROTOCOL(V2): [${c.info.remoteAddress}] AUTH failed ${(err as Error).message}`)
  return new ProtocolError('E_AUTH_FAILED', 'AUTH failed')
}

/** CheckAuth's wording when a grant could not be asked for again */
function recheckFailed(c: SessionState, err: unknown): ProtocolError {
  c.ctx.log.warn(`PROTOCOL(V2): [${c.info.remoteAddress}] auth failed - ${(err as Error).message}`)
  return new ProtocolError('E_AUTH_FAILED', 'AUTH failed')
}

function allowed(grant: AuthGrant, verb: string, topic: string, channel: string): void {
  if (!grant.isAllowed(topic, channel)) throw new ProtocolError('E_UNAUTHORIZED', `AUTH failed for ${verb} on ${goQuote(topic)} ${goQuote(channel)}`)
}

/**
 * nsqd's CheckAuth for `verb` on topic/channel (channel '' for publishes): with auth off, or a
 * grant that allows it, null (go on now); a grant that expired is asked for again, and the
 * promise settles when the answer allows it (or rejects with nsqd's fatal error). No grant:
 * E_AUTH_FIRST.
 */
function authorize(c: SessionState, verb: string, topic: string, channel: string): Promise<void> | null {
  if (c.ctx.auth === null) return null
  const grant = c.auth
  if (grant === null || !grant.hasAuthorizations) throw new ProtocolError('E_AUTH_FIRST', `AUTH required before ${verb}`)
  if (!grant.expired(c.ctx.clock.now())) {
    allowed(grant, verb, topic, channel)
    return null
  }
  return queryGrant(c).then(
    (fresh) => {
      c.auth = fresh
      allowed(fresh, verb, topic, channel)
    },
    (err: unknown) => {
      throw recheckFailed(c, err)
    },
  )
}

/** `then` now when `gate` is null, else once it settles. */
function after(gate: Promise<void> | null, then: () => Answer): Answer | Promise<Answer> {
  return gate === null ? then() : gate.then(then)
}

export function checkLine(c: SessionState, name: string, params: string[]): void {
  enforceTls(c, name)
  switch (name) {
    case 'IDENTIFY':
      if (c.state !== ClientState.Init) throw invalid('cannot IDENTIFY in current state')
      return
    case 'AUTH':
      if (c.state !== ClientState.Init) throw invalid('cannot AUTH in current state')
      if (params.length !== 1) throw invalid('AUTH invalid number of parameters')
      return
    case 'PUB':
      topicParam('PUB', params, 2)
      return
    case 'MPUB': {
      // nsqd checks MPUB's auth before it reads the body size (PUB and DPUB after the body);
      // a grant that expired is asked for again when the command runs
      const topic = topicParam('MPUB', params, 2)
      if (c.ctx.auth !== null) {
        const grant = c.auth
        if (grant === null || !grant.hasAuthorizations) throw new ProtocolError('E_AUTH_FIRST', 'AUTH required before MPUB')
        if (!grant.expired(c.ctx.clock.now())) allowed(grant, 'MPUB', topic, '')
      }
      return
    }
    case 'DPUB':
      topicParam('DPUB', params, 3)
      dpubDelay(c, params)
      return
  }
}

export function checkSize(c: SessionState, name: string, _params: string[], size: number): void {
  const o = c.ctx.opts
  switch (name) {
    case 'IDENTIFY':
      if (size > o.maxBodySize) throw new ProtocolError('E_BAD_BODY', `IDENTIFY body too big ${size} > ${o.maxBodySize}`)
      if (size <= 0) throw new ProtocolError('E_BAD_BODY', `IDENTIFY invalid body size ${size}`)
      return
    case 'AUTH':
      if (size <= 0) throw new ProtocolError('E_BAD_BODY', `AUTH invalid body size ${size}`)
      if (size > o.maxBodySize) throw new ProtocolError('E_BAD_BODY', `AUTH body too big ${size} > ${o.maxBodySize}`)
      return
    case 'PUB':
    case 'DPUB': {
      const fault = messageSizeFault(size, o)
      if (fault !== null) throw publishFault(name, fault)
      return
    }
    case 'MPUB': {
      const fault = bodySizeFault(size, o)
      if (fault !== null) throw publishFault(name, fault)
      return
    }
  }
}

/** The IDENTIFY body as nsqd logs it: Go's `%+v` of its identifyDataV2 struct (absent fields are zero). */
export function identifyLogText(d: IdentifyRequest): string {
  const fields: [string, string | number | boolean | undefined, string | number | boolean][] = [
    ['ClientID', d.client_id, ''],
    ['Hostname', d.hostname, ''],
    ['HeartbeatInterval', d.heartbeat_interval, 0],
    ['OutputBufferSize', d.output_buffer_size, 0],
    ['OutputBufferTimeout', d.output_buffer_timeout, 0],
    ['FeatureNegotiation', d.feature_negotiation, false],
    ['TLSv1', d.tls_v1, false],
    ['Deflate', d.deflate, false],
    ['DeflateLevel', d.deflate_level, 0],
    ['Snappy', d.snappy, false],
    ['SampleRate', d.sample_rate, 0],
    ['UserAgent', d.user_agent, ''],
    ['MsgTimeout', d.msg_timeout, 0],
  ]
  return `{${fields.map(([name, v, zero]) => `${name}:${String(v ?? zero)}`).join(' ')}}`
}

// ---- publishing ---------------------------------------------------------------------------

/**
 * The shared publish (delivery/publish.ts), then the client's own count for /stats pub_counts.
 * While the disk cannot write, nsqd's fatal E_PUB_FAILED (`PUB failed <error>`) instead.
 */
function publish(c: SessionState, verb: string, topicName: string, bodies: readonly Buffer[], deferMs: number): void {
  const err = c.ctx.storageError
  if (err !== null) throw new ProtocolError('E_PUB_FAILED', `${verb} failed ${err.message}`)
  publishMessages(c.ctx, c.ctx.getTopic(topicName), bodies, deferMs)
  c.pubCounts.set(topicName, (c.pubCounts.get(topicName) ?? 0) + bodies.length)
}

// ---- the verb table -----------------------------------------------------------------------

const VERBS: Record<string, Handler> = {
  NOP: () => null,

  IDENTIFY(c, cmd, io) {
    const data = decodeIdentify(cmd.body as Buffer)
    const log = c.ctx.log
    if (log.level === 'debug' || log.level === 'info') {
      const text = identifyLogText(data)
      // nsqd logs the body twice: at debug in protocol_v2, at info in clientV2.Identify
      if (log.level === 'debug') log.debug(`PROTOCOL(V2): [${c.info.remoteAddress}] ${text}`)
      log.info(`[${c.info.remoteAddress}] IDENTIFY: ${text}`)
    }
    const o = c.ctx.opts
    const bad = (what: string, v: number): ProtocolError => new ProtocolError('E_BAD_BODY', `IDENTIFY ${what} (${v}) is invalid`)
    if (data.client_id !== undefined) c.clientId = data.client_id
    if (data.hostname !== undefined) c.hostname = data.hostname
    if (data.user_agent !== undefined) c.userAgent = data.user_agent

    const hb = data.heartbeat_interval ?? 0
    let heartbeat = c.heartbeatInterval
    if (hb === -1) heartbeat = 0
    else if (hb === 0) {
      // 0: keep the current value (the default until set)
    }
    else if (hb >= 1000 && hb <= o.maxHeartbeatInterval) heartbeat = hb
    else throw bad('heartbeat interval', hb)

    const obt = data.output_buffer_timeout ?? 0
    let bufTimeout = c.outputBufferTimeout
    if (obt === -1) bufTimeout = 0
    else if (obt === 0) {
      // keep
    }
    else if (obt >= o.minOutputBufferTimeout && obt <= o.maxOutputBufferTimeout) bufTimeout = obt
    else throw bad('output buffer timeout', obt)

    const obs = data.output_buffer_size ?? 0
    let bufSize = c.outputBufferSize
    if (obs === -1) {
      bufSize = 1
      bufTimeout = 0
    } else if (obs === 0) {
      // default
    } else if (obs >= 64 && obs <= o.maxOutputBufferSize) bufSize = obs
    else throw bad('output buffer size', obs)

    const sr = data.sample_rate ?? 0
    if (sr < 0 || sr > 99) throw bad('sample rate', sr)

    const mt = data.msg_timeout ?? 0
    let msgTimeout = c.msgTimeout
    if (mt === 0) {
      // keep
    }
    else if (mt >= 1000 && mt <= o.maxMsgTimeout) msgTimeout = mt
    else throw bad('msg timeout', mt)

    c.heartbeatInterval = heartbeat
    c.outputBufferTimeout = bufTimeout
    c.outputBufferSize = bufSize
    c.sampleRate = sr
    c.msgTimeout = msgTimeout
    io.heartbeatChanged()

    if (data.feature_negotiation !== true) return OK
    const tls = c.ctx.tls !== null && data.tls_v1 === true
    const deflate = o.deflate && data.deflate === true
    // nsqd: 6, or what was asked when deflate is on, capped at --max-deflate-level (reported either way)
    let deflateLevel = 6
    if (deflate && (data.deflate_level ?? 0) > 0) deflateLevel = data.deflate_level as number
    if (o.maxDeflateLevel < deflateLevel) deflateLevel = o.maxDeflateLevel
    const snappy = o.snappy && data.snappy === true
    if (deflate && snappy) throw new ProtocolError('E_IDENTIFY_FAILED', 'cannot enable both deflate and snappy compression')
    const res: IdentifyResponse = {
      max_rdy_count: o.maxRdyCount,
      version: c.ctx.version,
      max_msg_timeout: Math.floor(o.maxMsgTimeout),
      msg_timeout: Math.floor(msgTimeout),
      tls_v1: tls,
      deflate,
      deflate_level: deflateLevel,
      max_deflate_level: o.maxDeflateLevel,
      snappy,
      sample_rate: sr,
      auth_required: c.ctx.auth !== null,
      output_buffer_size: bufSize,
      output_buffer_timeout: Math.floor(bufTimeout),
    }
    return {response: JSON.stringify(res), tls, snappy, deflateLevel: deflate ? deflateLevel : 0}
  },

  AUTH(c, cmd) {
    // state and params were checked on the line, the size before the body was read (checkLine,
    // checkSize); the body was read, as nsqd does, before "already set" or "disabled" is said
    if (c.auth?.hasAuthorizations) throw invalid('AUTH already set')
    if (c.ctx.auth === null) throw new ProtocolError('E_AUTH_DISABLED', 'AUTH disabled')
    c.authSecret = (cmd.body as Buffer).toString('latin1')
    return queryGrant(c).then(
      (grant) => {
        c.auth = grant
        if (!grant.hasAuthorizations) throw new ProtocolError('E_UNAUTHORIZED', 'AUTH no authorizations found')
        return JSON.stringify({identity: grant.identity, identity_url: grant.identityUrl, permission_count: grant.authorizations.length})
      },
      (err: unknown) => {
        throw authFailed(c, err)
      },
    )
  },

  SUB(c, cmd, io) {
    const params = cmd.params
    if (c.state !== ClientState.Init) throw invalid('cannot SUB in current state')
    if (c.heartbeatInterval <= 0) throw invalid('cannot SUB with heartbeats disabled')
    if (params.length < 3) throw invalid('SUB insufficient number of parameters')
    const topicName = params[1] as string
    if (!isValidTopicName(topicName)) throw new ProtocolError('E_BAD_TOPIC', `SUB topic name ${goQuote(topicName)} is not valid`)
    const channelName = params[2] as string
    if (!isValidChannelName(channelName)) throw new ProtocolError('E_BAD_CHANNEL', `SUB channel name ${goQuote(channelName)} is not valid`)
    return after(authorize(c, 'SUB', topicName, channelName), () => {
      // after a re-query the connection may have closed meanwhile (state Disconnected): no subscriber then
      if (c.state !== ClientState.Init) throw invalid('cannot SUB in current state')
      const channel = c.ctx.getTopic(topicName).getChannel(channelName)
      const err = channel.addSubscriber(io.subscriber)
      if (err !== null) throw new ProtocolError('E_SUB_FAILED', `SUB failed ${err}`)
      c.state = ClientState.Subscribed
      c.channel = channel
      return OK
    })
  },

  RDY(c, cmd) {
    if (c.state === ClientState.Closing) {
      c.ctx.log.info(`PROTOCOL(V2): [${c.info.remoteAddress}] ignoring RDY after CLS in state ClientStateV2Closing`)
      return null
    }
    if (c.state !== ClientState.Subscribed) throw invalid('cannot RDY in current state')
    let count = 1
    if (cmd.params.length > 1) {
      const raw = cmd.params[1] as string
      const n = base10(raw)
      if (n === null) throw invalid(`RDY could not parse count ${raw}`)
      count = n
    }
    const max = c.ctx.opts.maxRdyCount
    if (count < 0 || count > max) throw invalid(`RDY count ${count} out of range 0-${max}`)
    c.readyCount = count
    c.channel?.dispatch()
    return null
  },

  FIN(c, cmd, io) {
    const id = messageId(c, 'FIN', cmd, 2)
    const ch = c.channel as Channel
    const err = ch.finish(io.subscriber, id)
    if (err !== null) throw new ProtocolError('E_FIN_FAILED', `FIN ${cmd.params[1] as string} failed ${err}`)
    c.finishCount++
    if (c.inFlightCount > 0) c.inFlightCount--
    io.dispatchSoon()
    return null
  },

  REQ(c, cmd, io) {
    const params = cmd.params
    const id = messageId(c, 'REQ', cmd, 3)
    const raw = params[2] as string
    const ms = base10(raw)
    if (ms === null) throw invalid(`REQ could not parse timeout ${raw}`)
    const max = c.ctx.opts.maxReqTimeout
    const delay = ms > max ? max : ms
    if (delay !== ms) {
      // nsqd prints these time.Durations with %d: integer nanoseconds
      const ns = (v: number): string => String(BigInt(Math.round(v)) * 1_000_000n)
      c.ctx.log.info(`PROTOCOL(V2): [${c.info.remoteAddress}] REQ timeout ${ns(ms)} out of range 0-${ns(max)}. Setting to ${ns(delay)}`)
    }
    const ch = c.channel as Channel
    const err = ch.requeue(io.subscriber, id, delay)
    if (err !== null) throw new ProtocolError('E_REQ_FAILED', `REQ ${params[1] as string} failed ${err}`)
    c.requeueCount++
    if (c.inFlightCount > 0) c.inFlightCount--
    ch.dispatch()
    return null
  },

  TOUCH(c, cmd, io) {
    const id = messageId(c, 'TOUCH', cmd, 2)
    const ch = c.channel as Channel
    const err = ch.touch(io.subscriber, id)
    if (err !== null) throw new ProtocolError('E_TOUCH_FAILED', `TOUCH ${cmd.params[1] as string} failed ${err}`)
    return null
  },

  CLS(c) {
    if (c.state !== ClientState.Subscribed) throw invalid('cannot CLS in current state')
    c.readyCount = 0
    c.state = ClientState.Closing
    return 'CLOSE_WAIT'
  },

  PUB(c, cmd) {
    const topicName = cmd.params[1] as string
    return after(authorize(c, 'PUB', topicName, ''), () => {
      publish(c, 'PUB', topicName, [cmd.body as Buffer], 0)
      return OK
    })
  },

  MPUB(c, cmd) {
    const o = c.ctx.opts
    const topicName = cmd.params[1] as string
    return after(authorize(c, 'MPUB', topicName, ''), () => {
      c.ctx.getTopic(topicName) // nsqd creates the topic before reading the messages
      const bodies = decodeMpubBody(cmd.body as Buffer, {maxMsgSize: o.maxMsgSize, maxBodySize: o.maxBodySize})
      publish(c, 'MPUB', topicName, bodies, 0)
      return OK
    })
  },

  DPUB(c, cmd) {
    const delay = dpubDelay(c, cmd.params)
    const topicName = cmd.params[1] as string
    return after(authorize(c, 'DPUB', topicName, ''), () => {
      publish(c, 'DPUB', topicName, [cmd.body as Buffer], delay)
      return OK
    })
  },
}

/** Run one command; returns the response data, or null when the verb answers nothing. */
export function execCommand(c: SessionState, cmd: ReceivedCommand, io: SessionIO): Reply {
  enforceTls(c, cmd.name)
  const h = VERBS[cmd.name]
  if (h === undefined || !Object.hasOwn(VERBS, cmd.name)) throw invalid(`invalid command ${cmd.name}`)
  return h(c, cmd, io)
}
