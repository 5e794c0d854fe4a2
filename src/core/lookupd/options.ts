/**
 * nsqlookupd's options (NSQ-SPEC §3.1; nsqlookupd `NewOptions()`), the one declaration of each:
 * `lookupd`'s flags are generated from this table and the daemon validates with it. Durations
 * are ms. As `serve`, the addresses default to 127.0.0.1 (nsqlookupd: 0.0.0.0), so a lookupd
 * started by hand is not open to the network.
 */
import {hostname} from 'node:os'
import {OptionError, OptionTable, option, type OptionValues} from '../util/options-table.js'

const SEC = 1000

const LOOKUPD_OPTION_SPECS = {
  tcpAddress: option.address({flag: 'tcp-address', default: '127.0.0.1:4160', description: '<addr>:<port> to listen on for TCP clients (nsqd); port 0 picks a free port'}),
  httpAddress: option.address({flag: 'http-address', default: '127.0.0.1:4161', description: '<addr>:<port> to listen on for HTTP clients; port 0 picks a free port'}),
  broadcastAddress: option.string({flag: 'broadcast-address', default: hostname(), defaultText: 'the OS hostname', description: 'address of this lookupd node (in its IDENTIFY answer)'}),
  inactiveProducerTimeout: option.duration({flag: 'inactive-producer-timeout', default: 300 * SEC, min: 0, description: 'an nsqd not heard from (IDENTIFY or PING) for this long is left out of /lookup and /nodes'}),
  tombstoneLifetime: option.duration({flag: 'tombstone-lifetime', default: 45 * SEC, min: 0, description: 'how long a tombstoned producer is left out of /lookup'}),
  logLevel: option.logLevel(),
  logPrefix: option.string({flag: 'log-prefix', default: '[nsqlookupd] ', description: 'log message prefix'}),
}

export type LookupdOptions = OptionValues<typeof LOOKUPD_OPTION_SPECS>

const flagLabel = (key: string, spec: {flag?: string}): string => (spec.flag === undefined ? key : `--${spec.flag}`)

export const LOOKUPD_OPTIONS = new OptionTable(LOOKUPD_OPTION_SPECS, {label: flagLabel})

/** nsqlookupd's flags that `lookupd` takes and warns about (not acted on). */
export const LOOKUPD_COMPAT_OPTIONS = new OptionTable(
  {config: option.string({flag: 'config', cfg: null, default: '', description: 'path to a TOML config file'})},
  {label: flagLabel},
)

export {OptionError}
