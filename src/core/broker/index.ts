/** nsqd: the broker behind `nsqkit serve`. */
export {Broker, NSQD_VERSION, type BrokerDeps, type ListenResult} from './broker.js'
export {DEFAULT_BROKER_OPTIONS, OPTION_FLAGS, OptionError, resolveBrokerOptions, defaultNodeId, type BrokerOptions} from './options.js'
export type {BackendQueue} from './queue/backend.js'
