/**
 * What one client session is, as nsqd's clientV2 keeps it and /stats reports it: who the client
 * said it is (IDENTIFY), the settings it negotiated, where the state machine is
 * (init → subscribed → closing, or disconnected), its RDY window and counters, and the channel
 * it is subscribed to, and the broker it belongs to. Data: the verbs (protocol-v2.ts) change it,
 * the connection that carries the session (client-session.ts) reads it, stats.ts reports it.
 * No bytes, no timers.
 */
import type {TlsDescription} from '../../transport/tls.js'
import {splitHostPort} from '../../util/hostport.js'
import type {AuthGrant} from '../auth/grant.js'
import type {Channel} from '../delivery/channel.js'
import type {BrokerContext} from './context.js'

/** nsqd's client states, as /stats reports them */
export const ClientState = {
  Init: 0,
  Disconnected: 1,
  Connected: 2,
  Subscribed: 3,
  Closing: 4,
} as const

export interface ClientInfo {
  remoteAddress: string
  /** the broker's end of the connection (named in nsqd's read-timeout error) */
  localAddress?: string
}

export class SessionState {
  state: number = ClientState.Init
  clientId: string
  hostname: string
  userAgent = ''
  /** ms; 0 = no heartbeats (IDENTIFY heartbeat_interval -1) */
  heartbeatInterval: number
  msgTimeout: number
  outputBufferSize = 16 * 1024
  outputBufferTimeout: number
  sampleRate = 0
  deflate = false
  snappy = false
  tls = false
  /** how TLS was negotiated (for /stats), once it was */
  tlsInfo: TlsDescription | null = null
  /** what the auth server granted (AUTH; asked again when it expires), and the secret it was granted for */
  auth: AuthGrant | null = null
  authSecret = ''
  readyCount = 0
  inFlightCount = 0
  messageCount = 0
  finishCount = 0
  requeueCount = 0
  /** seconds since the epoch */
  readonly connectTs: number
  readonly pubCounts = new Map<string, number>()
  channel: Channel | null = null
  /** the remote address's host (what the auth server is told) */
  readonly remoteIp: string

  constructor(
    readonly id: number,
    readonly info: ClientInfo,
    readonly ctx: BrokerContext,
  ) {
    const opts = ctx.opts
    const host = hostOf(info.remoteAddress)
    this.remoteIp = host
    this.clientId = host
    this.hostname = host
    this.heartbeatInterval = opts.clientTimeout / 2
    this.msgTimeout = opts.msgTimeout
    this.outputBufferTimeout = opts.outputBufferTimeout
    this.connectTs = Math.floor(ctx.clock.now() / 1000)
  }

  /** Subscribed, and fewer messages in flight than its RDY count (the session's side of "ready"). */
  get wantsMessages(): boolean {
    return this.state === ClientState.Subscribed && this.inFlightCount < this.readyCount
  }

  get isProducer(): boolean {
    return this.pubCounts.size > 0
  }
}

/** The host of a remote address (`[::1]:5555` → `::1`); '' when it has none, as nsqd ignores SplitHostPort's error. */
function hostOf(addr: string): string {
  try {
    return splitHostPort(addr).host
  } catch {
    return ''
  }
}

/** The port of a remote address, as text; '' when it has none. */
export function portOf(addr: string): string {
  try {
    return splitHostPort(addr).port
  } catch {
    return ''
  }
}
