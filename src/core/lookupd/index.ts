/** nsqlookupd (NSQ-SPEC §3): what `nsqkit lookupd` runs. */
export {Lookupd, type LookupdDeps, type LookupdListening} from './lookupd.js'
export {LOOKUPD_COMPAT_OPTIONS, LOOKUPD_OPTIONS, OptionError, type LookupdOptions} from './options.js'
