/**
 * `nsqkit/protocol`: the NSQ TCP protocol V2 as pure codecs (Buffer in, values out; no I/O),
 * the ones the client and the broker use, and the JSON that nsqd's `/stats?format=json` and
 * nsqlookupd's HTTP API answer, as typed decoders (what nsq_stat and the admin UI read).
 * nsqd's error codes and the errors the decoders throw are here too. Only what is named here is
 * public.
 */
export {
  ERROR_CODES,
  FrameError,
  NON_FATAL_CODES,
  ProtocolError,
  isFatalCode,
  isNsqErrorCode,
  type NsqErrorCode,
} from './core/protocol/errors.js'
export {
  CLOSE_WAIT,
  FRAME_HEADER_SIZE,
  FrameDecoder,
  FrameType,
  HEARTBEAT,
  MAGIC_V2,
  OK,
  encodeFrame,
  type Frame,
  type FrameDecoderOptions,
} from './core/protocol/frame.js'
export {MESSAGE_HEADER_SIZE, MSG_ID_LENGTH, decodeMessage, encodeMessage, type Message} from './core/protocol/message.js'
export {EPHEMERAL_SUFFIX, MAX_NAME_LENGTH, isEphemeral, isValidChannelName, isValidTopicName} from './core/protocol/names.js'
export {
  Command,
  CommandDecoder,
  MAX_LINE_LENGTH,
  auth,
  cls,
  decodeMpubBody,
  dpub,
  encodeMpubBody,
  fin,
  identify,
  mpub,
  nop,
  pub,
  rdy,
  req,
  sub,
  touch,
  type CommandDecoderHooks,
  type CommandName,
  type MpubLimits,
  type ReceivedCommand,
} from './core/protocol/commands.js'
export {decodeIdentify, decodeIdentifyResponse, type IdentifyRequest, type IdentifyResponse} from './core/protocol/identify.js'
export {JsonShapeError, parseJsonBody} from './core/protocol/json-shape.js'
export {
  decodeStats,
  decodeStatsBody,
  type ChannelStats,
  type ClientStats,
  type E2eLatency,
  type MemStats,
  type StatsDoc,
  type TopicStats,
} from './core/protocol/stats-json.js'
export {
  decodeChannels,
  decodeLookup,
  decodeLookupdInfo,
  decodeNodes,
  decodeTopics,
  type ChannelsResult,
  type LookupResult,
  type LookupdInfo,
  type LookupdNode,
  type LookupdProducer,
  type NodesResult,
  type TopicsResult,
} from './core/protocol/lookupd-json.js'
