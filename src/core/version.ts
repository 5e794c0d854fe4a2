/**
 * Versions: nsqkit's own, and the NSQ release whose behaviour it matches (NSQ-SPEC is NSQ
 * 1.3.0 read from its source). nsqkit's is sent as the IDENTIFY user_agent
 * (`nsqkit/<version>`, the way go-nsq sends `go-nsq/<version>`). NSQKIT_VERSION must equal
 * package.json's "version": a unit test checks it, so a release bump touches both.
 */
export const NSQKIT_VERSION = '0.1.0'

/** The NSQ release nsqkit's tools and broker match: nsqd's /info and `--version` report it. */
export const NSQ_VERSION = '1.3.0'

export const USER_AGENT = `nsqkit/${NSQKIT_VERSION}`
