/** The NSQ wire protocol: pure codecs, no I/O. */
export * from './errors.js'
export * from './frame.js'
export * from './message.js'
export * from './names.js'
export * from './commands.js'
export * from './identify.js'
export {Accumulator} from './accumulator.js'
