/**
 * Topic and channel names (NSQ-SPEC §2.2 "Names"): `^[.a-zA-Z0-9_-]+(#ephemeral)?$`,
 * 1 to 64 characters including the suffix. One rule for TCP, HTTP and lookupd.
 */
const NAME = /^[.a-zA-Z0-9_-]+(#ephemeral)?$/
export const EPHEMERAL_SUFFIX = '#ephemeral'
export const MAX_NAME_LENGTH = 64

export function isValidName(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_NAME_LENGTH && NAME.test(name)
}

export const isValidTopicName = isValidName
export const isValidChannelName = isValidName

export function isEphemeral(name: string): boolean {
  return name.endsWith(EPHEMERAL_SUFFIX)
}
