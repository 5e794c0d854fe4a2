/** `host:port` parsing shared by flags and clients. IPv6 hosts use brackets: `[::1]:4150`. */

export interface HostPort {
  host: string
  port: number
}

export class AddressError extends Error {
  readonly code = 'ERR_INVALID_ADDRESS'
  constructor(
    readonly input: string,
    /** what is wrong, without the input ("missing port (expected host:port)") */
    readonly reason: string,
  ) {
    super(`invalid address "${input}": ${reason}`)
    this.name = 'AddressError'
  }
}

/**
 * The host and port parts of `host:port` or `[host]:port` as Go's net.SplitHostPort gives
 * them: the host without brackets, the port as text (not checked here). One difference: a bare
 * IPv6 address with a port (`::1:4150`), which Go refuses ("too many colons"), splits at the
 * last colon.
 */
export function splitHostPort(input: string): {host: string; port: string} {
  const s = input.trim()
  if (s.startsWith('[')) {
    const end = s.indexOf(']')
    if (end < 0 || s[end + 1] !== ':') throw new AddressError(input, 'expected [host]:port')
    return {host: s.slice(1, end), port: s.slice(end + 2)}
  }
  const i = s.lastIndexOf(':')
  if (i < 0) throw new AddressError(input, 'missing port (expected host:port)')
  return {host: s.slice(0, i), port: s.slice(i + 1)}
}

/** `host:port` with a port number 0-65535; an empty host means all interfaces (0.0.0.0). */
export function parseHostPort(input: string): HostPort {
  const {host, port: portStr} = splitHostPort(input)
  if (!/^\d+$/.test(portStr)) throw new AddressError(input, 'port is not a number')
  const port = Number(portStr)
  if (port > 65535) throw new AddressError(input, 'port out of range 0-65535')
  return {host: host === '' ? '0.0.0.0' : host, port}
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`
}
