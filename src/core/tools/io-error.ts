/**
 * A tool's input that cannot be read, or its output that cannot be written (other than a reader
 * that went away): one line, exit 1. `code` like the client's errors: ERR_INPUT, ERR_OUTPUT.
 */
export class IoError extends Error {
  readonly code: 'ERR_INPUT' | 'ERR_OUTPUT'

  constructor(
    readonly op: 'read' | 'write',
    /** what could not be read or written ("stdin", "stdout") */
    readonly what: string,
    cause: Error,
  ) {
    super(`${op === 'read' ? 'cannot read' : 'cannot write to'} ${what}: ${cause.message}`, {cause})
    this.code = op === 'read' ? 'ERR_INPUT' : 'ERR_OUTPUT'
    this.name = 'IoError'
  }
}
