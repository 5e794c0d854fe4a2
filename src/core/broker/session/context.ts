/** What a client session needs of the broker (kept narrow so sessions are testable alone). */
import type {Clock} from '../../util/clock.js'
import type {Logger} from '../../util/logger.js'
import type {BrokerOptions} from '../options.js'
import type {Topic} from '../delivery/topic.js'
import type {GuidFactory} from '../delivery/guid.js'
import type {TlsServer} from '../../transport/tls.js'
import type {AuthQuery} from '../auth/authd.js'

export interface BrokerContext {
  readonly opts: BrokerOptions
  readonly log: Logger
  readonly guid: GuidFactory
  readonly version: string
  /** ms time and the timers behind heartbeats and read deadlines */
  readonly clock: Clock
  /** what TLS upgrades use; null without --tls-cert/--tls-key */
  readonly tls: TlsServer | null
  /** TCP clients must upgrade to TLS before any command but IDENTIFY (--tls-required true or tcp-https, or a client auth policy) */
  readonly tlsRequired: boolean
  /** the auth servers clients must AUTH with (--auth-http-address); null when auth is off */
  readonly auth: AuthQuery | null
  /** the wall clock in ns (message timestamps) */
  nowNs(): bigint
  /** get or create */
  getTopic(name: string): Topic
  /** call `s.flush()` once at the end of this I/O turn (one batch for every session) */
  scheduleFlush(s: {flush(): void}): void
  /** write the disk queues' pending records now: called before any output leaves (an OK follows its write) */
  commit(): void
  /** null while the backends can write; else the error (PUB answers E_PUB_FAILED) */
  readonly storageError: Error | null
  /** the session with this id has ended */
  removeClient(id: number): void
}
