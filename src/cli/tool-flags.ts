/**
 * Flags and checks shared by the tools, with the Go apps' names and rules (NSQ-SPEC §0.2).
 */
import {Flags} from '@oclif/core'
import {
  ConfigError,
  DEFAULT_CLIENT_CONFIG,
  normaliseOptionKey,
  parseOptFlag,
  resolveClientConfig,
  setOption,
  unsupportedOption,
  type ClientConfig,
} from '../core/client/options.js'
import {NSQ_VERSION, NSQKIT_VERSION} from '../core/version.js'
import {createLogger, type Logger, type LogLevel} from '../core/util/logger.js'
import {parseHostPort} from '../core/util/hostport.js'
import {UsageError} from './base.js'
import {logLevel} from './flags.js'

export const nsqdTcpAddress = Flags.string({summary: 'nsqd TCP address (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: '<host:port>'})
export const lookupdHttpAddress = Flags.string({summary: 'lookupd HTTP address (repeatable)', multiple: true, multipleNonGreedy: true, helpValue: '<host:port>'})
export const consumerOpt = Flags.string({summary: 'option to passthrough to the consumer (repeatable): key,value', multiple: true, multipleNonGreedy: true, helpValue: '<key,value>'})
export const producerOpt = Flags.string({summary: 'option to passthrough to the producer (repeatable): key,value', multiple: true, multipleNonGreedy: true, helpValue: '<key,value>'})
export const toolLogLevel = logLevel({summary: 'log level on stderr: debug, info, warn, error or fatal, any case (debug also prints stack traces)', default: 'info'})
// every bool takes Go's -flag=false (as --no-flag, src/cli/go-args.ts), so every bool has allowNo
export const version = Flags.boolean({summary: 'print the version and exit', allowNo: true})

export {versionLine} from './commands-table.js'

/**
 * The Go apps' user agent form, `<app>/<nsq version> <client>/<version>` (nsq_tail sends
 * `nsq_tail/1.3.0 go-nsq/1.1.0`): the same two versions as the version line.
 */
export function userAgent(goName: string): string {
  return `${goName}/${NSQ_VERSION} nsqkit/${NSQKIT_VERSION}`
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

/**
 * The client config as the Go tools build it: go-nsq's defaults and the tool's `defaults`,
 * then every --consumer-opt/--producer-opt in order (nsq.ConfigFlag's cfg.Set while flags are
 * parsed), then the tool's own settings in `base` (nsq_tail: `cfg.UserAgent = …;
 * cfg.MaxInFlight = *maxInFlight` after parsing), so a dedicated flag and the tool's user agent
 * win over an opt of the same key, and an opt wins over a tool default. Snappy or deflate, or a
 * TLS setting without tls_v1, is refused here, before anything connects. Every error is misuse
 * (exit 2) and names the flag and the option as typed.
 */
export function clientConfig(
  flag: '--consumer-opt' | '--producer-opt',
  base: Partial<ClientConfig>,
  opts: readonly string[] = [],
  defaults: Partial<ClientConfig> = {},
): ClientConfig {
  const cfg: ClientConfig = {...DEFAULT_CLIENT_CONFIG, ...defaults}
  /** normalised key -> the key as the user typed it (the last flag setting it) */
  const typed = new Map<string, string>()
  try {
    for (const opt of opts) {
      const {key, value} = parseOptFlag(opt)
      setOption(cfg, key, value)
      typed.set(normaliseOptionKey(key), opt.split(',', 1)[0] as string)
    }
    const out = resolveClientConfig({...cfg, ...base})
    const unsupported = unsupportedOption(out)
    if (unsupported !== null) throw new UsageError(`${flag} ${typed.get(unsupported.key) ?? unsupported.key}: ${unsupported.reason}`)
    return out
  } catch (err) {
    if (err instanceof ConfigError) throw new UsageError(`${flag}: ${err.message}`)
    throw err
  }
}

/** The tools log to stderr only. */
export function stderrLogger(level: LogLevel, prefix = ''): Logger {
  return createLogger({level, prefix, write: (l) => process.stderr.write(l)})
}
