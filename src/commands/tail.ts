import {Flags} from '@oclif/core'
import {NsqCommand, UsageError} from '../cli/base.js'
import {clientConfig, consumerOpt, toolLogLevel, lookupdHttpAddress, nsqdTcpAddress, requireOneSource, stderrLogger, userAgent, version, versionLine} from '../cli/tool-flags.js'
import type {TailFormat} from '../core/tools/tail.js'

export default class Tail extends NsqCommand {
  static override summary = 'Print the messages of topics to stdout (Go name: nsq_tail)'
  static override description = `Subscribes to every --topic on one channel (by default a random tail<6 digits>#ephemeral, so it takes a copy without disturbing other consumers) and prints each message body and a newline to stdout; logs go to stderr.
With -n N it prints N messages in total, FINs every one of them and exits 0. --format json prints one JSON object per message for jq.`
  static override hiddenAliases = ['nsq_tail']
  static override examples = [
    'nsq_tail -topic=events -lookupd-http-address=127.0.0.1:4161',
    '<%= config.bin %> tail --topic events --nsqd-tcp-address 127.0.0.1:4150 -n 10 --format json | jq .body',
  ]

  static override flags = {
    topic: Flags.string({summary: 'NSQ topic (repeatable)', multiple: true, multipleNonGreedy: true}),
    channel: Flags.string({summary: 'NSQ channel (default: a random tail<6 digits>#ephemeral)', default: ''}),
    n: Flags.integer({char: 'n', summary: 'total messages to show (will wait if starved); 0 = no limit', default: 0, min: 0}),
    'print-topic': Flags.boolean({summary: 'prefix each line with "<topic> | "', allowNo: true}),
    'max-in-flight': Flags.integer({summary: 'max number of messages to allow in flight', default: 200, min: 0}),
    'nsqd-tcp-address': nsqdTcpAddress,
    'lookupd-http-address': lookupdHttpAddress,
    'consumer-opt': consumerOpt,
    format: Flags.option({options: ['raw', 'json'] as const, summary: 'raw: the body and a newline; json: {"topic","id","attempts","timestamp","body"} per line', default: 'raw' as const})(),
    'log-level': toolLogLevel,
    version,
  }

  async run(): Promise<void> {
    const {flags} = await this.parse(Tail)
    if (flags.version) {
      this.log(versionLine('nsq_tail'))
      return
    }
    const topics = flags.topic ?? []
    if (topics.length === 0) throw new UsageError('--topic is required')
    const nsqd = flags['nsqd-tcp-address'] ?? []
    const lookupd = flags['lookupd-http-address'] ?? []
    requireOneSource(nsqd, lookupd)
    // max_attempts 0: tail's own REQs (past -n, after the reader left) are no failures, and a
    // message delivered a 6th time must be printed, not FINed unseen (--consumer-opt may set it)
    const config = clientConfig('--consumer-opt', {max_in_flight: flags['max-in-flight'], user_agent: userAgent('nsq_tail')}, flags['consumer-opt'], {max_attempts: 0})
    // the engine (client, sockets) is loaded only to run: help and --version do without it
    const {tail} = await import('../core/tools/tail.js')
    const {signal} = this.stopSignal()
    const log = stderrLogger(flags['log-level'])
    // the engine's writer handles stdout's errors (EPIPE ends the run, others exit 1 with one
    // line); oclif's own listener would rethrow them as an uncaught exception with a stack
    process.stdout.removeAllListeners('error')
    await tail(
      {
        topics,
        channel: flags.channel,
        nsqdTcpAddresses: nsqd,
        lookupdHttpAddresses: lookupd,
        count: flags.n,
        printTopic: flags['print-topic'],
        format: flags.format as TailFormat,
        config,
      },
      {signal, out: process.stdout, log},
    )
  }
}
