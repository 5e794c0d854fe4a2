/**
 * nsqkit's own version, sent as the IDENTIFY user_agent (`nsqkit/<version>`, the way go-nsq
 * sends `go-nsq/<version>`; NSQ-SPEC §0.2, §4.1). Must equal package.json's "version": a unit
 * test checks it, so a release bump touches both.
 */
export const NSQKIT_VERSION = '0.1.0'

export const USER_AGENT = `nsqkit/${NSQKIT_VERSION}`
