/** What a client session needs of the broker (kept narrow so sessions are testable alone). */
import type {Logger} from '../../util/logger.js'
import type {BrokerOptions} from '../options.js'
import type {Topic} from '../delivery/topic.js'
import type {ClientV2} from './client-session.js'
import type {GuidFactory} from '../delivery/guid.js'

export interface BrokerContext {
  readonly opts: BrokerOptions
  readonly log: Logger
  readonly guid: GuidFactory
  readonly version: string
  now(): number
  /** the wall clock in ns (message timestamps) */
  nowNs(): bigint
  /** get or create */
  getTopic(name: string): Topic
  scheduleFlush(c: ClientV2): void
  removeClient(c: ClientV2): void
}
