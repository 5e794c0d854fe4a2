import {Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {checkAddress, clientConfig, consumerOpt, lookupdHttpAddress, nsqdTcpAddress, producerOpt, requireOneSource, stderrLogger, toolLogLevel, userAgent, version, versionLine} from '../cli/tool-flags.js'
import {isValidChannelName, isValidTopicName} from '../core/protocol/names.js'

const MODES = ['hostpool', 'round-robin', 'epsilon-greedy'] as const

export default class Relay extends NsqCommand {
  static override summary = 'Copy the messages of topics to other nsqd (Go name: nsq_to_nsq)'
  static override description = `Consumes every --topic on one channel and publishes each message to a destination nsqd (--destination-nsqd-tcp-address, repeatable; --mode picks one per message: hostpool, round-robin or epsilon-greedy), to --destination-topic or the topic of the same name. A message is FINed only once the destination answered OK; a failed publish is REQueued with go-nsq's delay and backoff, and nothing is given up on unless --consumer-opt=max_attempts,N says so: a destination that is down only holds messages back.
Messages go in MPUB batches of up to --batch-size per destination (1: one PUB each, as nsq_to_nsq). --require-json-field/--require-json-value pass only JSON messages with that field (and value); --whitelist-json-field keeps only those fields. SIGINT/SIGTERM: what is under way is answered, the rest requeued, exit 0.`
  static override hiddenAliases = ['nsq_to_nsq']
  static override examples = [
    'nsq_to_nsq -topic=events -lookupd-http-address=127.0.0.1:4161 -destination-nsqd-tcp-address=10.0.0.2:4150',
    '<%= config.bin %> relay --topic events --nsqd-tcp-address 127.0.0.1:4150 --destination-nsqd-tcp-address 127.0.0.1:5150 --require-json-field type --require-json-value click',
  ]

  static override flags = {
    topic: Flags.string({summary: 'nsq topic (repeatable)', multiple: true, multipleNonGreedy: true}),
    channel: Flags.string({summary: 'nsq channel', default: 'nsq_to_nsq'}),
    'destination-topic': Flags.string({summary: 'use this destination topic for all consumed topics (default is consumed topic name)', default: ''}),
    'destination-nsqd-tcp-address': Flags.string({summary: 'destination nsqd TCP address (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: '<host:port>'}),
    mode: Flags.option({options: MODES, summary: 'the destination to publish to: hostpool, round-robin or epsilon-greedy', default: 'hostpool' as const})(),
    'max-in-flight': Flags.integer({summary: 'max number of messages to allow in flight', default: 200, min: 0}),
    'status-every': Flags.integer({summary: 'the number of requests between status lines, per destination; 0 = none', default: 250, min: 0}),
    'require-json-field': Flags.string({summary: 'for JSON messages: only pass messages that contain this field', default: ''}),
    'require-json-value': Flags.string({summary: 'for JSON messages: only pass messages in which the required field has this value', default: ''}),
    'whitelist-json-field': Flags.string({summary: 'for JSON messages: pass this field (repeatable; the others are removed)', multiple: true, multipleNonGreedy: true, helpValue: '<field>'}),
    'batch-size': Flags.integer({summary: 'messages per MPUB to a destination (1 = one PUB per message, as nsq_to_nsq)', default: 50, min: 1}),
    'nsqd-tcp-address': nsqdTcpAddress,
    'lookupd-http-address': lookupdHttpAddress,
    'consumer-opt': consumerOpt,
    'producer-opt': producerOpt,
    'log-level': toolLogLevel,
    version,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Relay)
    if (flags.version) {
      this.log(versionLine('nsq_to_nsq'))
      return
    }
    const topics = flags.topic ?? []
    if (topics.length === 0 || flags.channel === '') throw new UsageError('--topic and --channel are required')
    for (const t of topics) if (!isValidTopicName(t)) throw new UsageError(`--topic: invalid topic name ${JSON.stringify(t)}`)
    if (!isValidChannelName(flags.channel)) throw new UsageError(`--channel: invalid channel name ${JSON.stringify(flags.channel)}`)
    const destTopic = flags['destination-topic']
    if (destTopic !== '' && !isValidTopicName(destTopic)) throw new UsageError(`--destination-topic: invalid topic name ${JSON.stringify(destTopic)}`)
    const nsqd = flags['nsqd-tcp-address'] ?? []
    const lookupd = flags['lookupd-http-address'] ?? []
    requireOneSource(nsqd, lookupd)
    const destinations = flags['destination-nsqd-tcp-address'] ?? []
    if (destinations.length === 0) throw new UsageError('--destination-nsqd-tcp-address required')
    for (const d of destinations) checkAddress('--destination-nsqd-tcp-address', d)
    if (flags['require-json-value'] !== '' && flags['require-json-field'] === '') throw new UsageError('--require-json-value needs --require-json-field')
    // the consumer gives up on nothing unless asked: a destination outage must not drop messages
    const config = clientConfig('--consumer-opt', {max_in_flight: flags['max-in-flight'], user_agent: userAgent('nsq_to_nsq')}, flags['consumer-opt'], {max_attempts: 0})
    const producerConfig = clientConfig('--producer-opt', {user_agent: userAgent('nsq_to_nsq')}, flags['producer-opt'])
    const log = stderrLogger(flags['log-level'])
    // the engine (client, sockets) is loaded only to run: help and --version do without it
    const {startRelay} = await import('../core/tools/relay/relay.js')
    const {signal} = this.stopSignal()
    const run = startRelay(
      {
        topics,
        channel: flags.channel,
        nsqdTcpAddresses: nsqd,
        lookupdHttpAddresses: lookupd,
        destinations,
        destinationTopic: destTopic,
        mode: flags.mode,
        filter: {requireField: flags['require-json-field'], requireValue: flags['require-json-value'], whitelist: flags['whitelist-json-field'] ?? []},
        statusEvery: flags['status-every'],
        batchSize: flags['batch-size'],
        config,
        producerConfig,
      },
      {signal, log},
    )
    await run.done
  }
}
