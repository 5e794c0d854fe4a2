/**
 * nsqkit's public API: `import {Producer, Consumer} from 'nsqkit'`. The client the tools use,
 * with go-nsq 1.1.0's semantics and promises. Only what is named here is public; the package's
 * other modules are internals (package.json "exports" keeps them out of reach). The wire codecs
 * are the second entry point, `nsqkit/protocol` (src/protocol.ts).
 */
export {Producer, type ProducerDeps} from './core/client/producer.js'
export {
  Consumer,
  type ConsumerDeps,
  type ConsumerMessage,
  type ConsumerOptions,
  type ConsumerStats,
  type MessageHandler,
} from './core/client/consumer.js'
export {
  DEFAULT_CLIENT_CONFIG,
  OPTION_KEYS,
  applyOptFlags,
  resolveClientConfig,
  setOption,
  type BackoffStrategy,
  type ClientConfig,
} from './core/client/options.js'
export {
  BadResponseError,
  ConfigError,
  ConnectionRefusedError,
  LookupdError,
  NotConnectedError,
  NsqClientError,
  ProtocolResponseError,
  StoppedError,
  TimeoutError,
  type ClientErrorCode,
} from './core/client/errors.js'
export type {Dialer} from './core/client/connection.js'
export type {IdentifyResponse, Message, NsqErrorCode} from './core/protocol/index.js'
export {createLogger, type LogLevel, type Logger} from './core/util/logger.js'
export {NSQKIT_VERSION, NSQ_VERSION} from './core/version.js'
