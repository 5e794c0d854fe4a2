/** nsqd: the broker behind `nsqkit serve`. */
export {Broker, NSQD_VERSION, type BrokerDeps, type ListenResult} from './broker.js'
export {
  BROKER_OPTIONS,
  DEFAULT_BROKER_OPTIONS,
  NSQD_COMPAT_OPTIONS,
  OptionError,
  resolveBrokerOptions,
  defaultNodeId,
  type BrokerOptions,
} from './options.js'
export type {BackendQueue} from './queue/backend.js'
