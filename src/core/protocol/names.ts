/**
 * Topic and channel names (NSQ-SPEC §2.2 "Names"): `^[.a-zA-Z0-9_-]+(#ephemeral)?$`,
 * 1 to 64 characters including the suffix. One rule for TCP, HTTP and lookupd.
 */
const NAME = /^[.a-zA-Z0-9_-]+(#ephemeral)?$/
export const EPHEMERAL_SUFFIX = '#ephemeral'
export const MAX_NAME_LENGTH = 64

/** A valid topic or channel name (the same rule for both). */
export function isValidName(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_NAME_LENGTH && NAME.test(name)
}

/** A valid topic name: `^[.a-zA-Z0-9_-]+(#ephemeral)?$`, 1 to 64 characters. */
export const isValidTopicName = isValidName
/** A valid channel name: `^[.a-zA-Z0-9_-]+(#ephemeral)?$`, 1 to 64 characters. */
export const isValidChannelName = isValidName

/** A `#ephemeral` topic or channel, dropped with its last channel / consumer. */
export function isEphemeral(name: string): boolean {
  return name.endsWith(EPHEMERAL_SUFFIX)
}
