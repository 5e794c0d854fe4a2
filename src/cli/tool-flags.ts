/**
 * Flags and checks shared by the tools, with the Go apps' names and rules (NSQ-SPEC §0.2).
 */
import {Flags} from '@oclif/core'
import {ConfigError, applyOptFlags, resolveClientConfig, type ClientConfig} from '../core/client/options.js'
import {NSQ_VERSION, NSQKIT_VERSION} from '../core/version.js'
import {createLogger, LOG_LEVELS, type Logger, type LogLevel} from '../core/util/logger.js'
import {parseHostPort} from '../core/util/hostport.js'
import {UsageError} from './base.js'

export const nsqdTcpAddress = Flags.string({summary: 'nsqd TCP address (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: '<host:port>'})
export const lookupdHttpAddress = Flags.string({summary: 'lookupd HTTP address (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: '<host:port>'})
export const consumerOpt = Flags.string({summary: 'option to passthrough to the consumer (repeatable): key,value', multiple: true, multipleNonGreedy: true, helpValue: '<key,value>'})
export const producerOpt = Flags.string({summary: 'option to passthrough to the producer (repeatable): key,value', multiple: true, multipleNonGreedy: true, helpValue: '<key,value>'})
export const logLevel = Flags.option({options: LOG_LEVELS, summary: 'log level on stderr (debug also prints stack traces)', default: 'info' as LogLevel})
export const version = Flags.boolean({summary: 'print the version and exit'})

/**
 * One shape for every command: `<go name> v<NSQ version it matches> (nsqkit v<version>)`, as
 * the Go apps print `nsq_tail v1.3.0` (and nsqd `nsqd v1.3.0 (built w/go1.21)`).
 */
export function versionLine(goName: string): string {
  return `${goName} v${NSQ_VERSION} (nsqkit v${NSQKIT_VERSION})`
}

/** The Go apps' user agent form: `<app>/<version> <client>/<version>`. */
export function userAgent(goName: string): string {
  return `${goName}/${NSQKIT_VERSION} nsqkit/${NSQKIT_VERSION}`
}

/** --nsqd-tcp-address or --lookupd-http-address: one of them, not both (nsq_tail, nsq_to_file, nsq_to_http). */
export function requireOneSource(nsqd: readonly string[], lookupd: readonly string[]): void {
  if (nsqd.length === 0 && lookupd.length === 0) throw new UsageError('--nsqd-tcp-address or --lookupd-http-address required')
  if (nsqd.length > 0 && lookupd.length > 0) throw new UsageError('use --nsqd-tcp-address or --lookupd-http-address not both')
  for (const a of nsqd) checkAddress('--nsqd-tcp-address', a)
}

export function checkAddress(flag: string, addr: string): void {
  try {
    parseHostPort(addr)
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`)
  }
}

/** Client config from the tool's own settings plus --consumer-opt/--producer-opt; errors exit 2. */
export function clientConfig(flag: '--consumer-opt' | '--producer-opt', base: Partial<ClientConfig>, opts: readonly string[] = []): ClientConfig {
  try {
    return applyOptFlags(resolveClientConfig(base), opts)
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`${flag}: ${err.message}`)
    throw err
  }
}

/** The tools log to stderr only. */
export function stderrLogger(level: LogLevel, prefix = ''): Logger {
  return createLogger({level, prefix, write: (l) => process.stderr.write(l)})
}
