/** `host:port` parsing shared by flags and clients. IPv6 hosts use brackets: `[::1]:4150`. */

export interface HostPort {
  host: string
  port: number
}

export class AddressError extends Error {
  readonly code = 'ERR_INVALID_ADDRESS'
  constructor(readonly input: string, why: string) {
    super(`invalid address "${input}": ${why}`)
    this.name = 'AddressError'
  }
}

export function parseHostPort(input: string): HostPort {
  const s = input.trim()
  let host: string
  let portStr: string
  if (s.startsWith('[')) {
    const end = s.indexOf(']')
    if (end < 0 || s[end + 1] !== ':') throw new AddressError(input, 'expected [host]:port')
    host = s.slice(1, end)
    portStr = s.slice(end + 2)
  } else {
    const i = s.lastIndexOf(':')
    if (i < 0) throw new AddressError(input, 'missing port (expected host:port)')
    host = s.slice(0, i)
    portStr = s.slice(i + 1)
  }
  if (!/^\d+$/.test(portStr)) throw new AddressError(input, 'port is not a number')
  const port = Number(portStr)
  if (port > 65535) throw new AddressError(input, 'port out of range 0-65535')
  return {host: host === '' ? '0.0.0.0' : host, port}
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`
}
