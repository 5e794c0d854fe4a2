/** Fresh names for the tests of a file that share one broker, so no test sees another's messages. */

let seq = 0

/**
 * `topicNames('tail')('syntax')` is `tail_syntax_<pid>_<n>`: a new n each call, the pid for
 * brokers that outlive one test process.
 */
export const topicNames =
  (prefix: string) =>
  (what: string): string =>
    `${prefix}_${what}_${process.pid}_${++seq}`
