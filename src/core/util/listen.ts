/** Binding and closing the daemons' listeners (nsqd's and nsqlookupd's TCP and HTTP servers). */
import type {Server as HttpServer} from 'node:http'
import type {AddressInfo, Server as TcpServer} from 'node:net'
import {formatHostPort} from './hostport.js'
import type {Logger} from './logger.js'

/** Listen on host:port (0 picks a free port); resolves with the bound address, rejects on EADDRINUSE and the like. */
export function listenOn(server: TcpServer | HttpServer, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve(server.address() as AddressInfo)
    })
  })
}

/** Stop accepting; resolves once the server has closed. */
export function closeServer(server: TcpServer | HttpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()))
}

/**
 * Stop a daemon's listener with nsqd's and nsqlookupd's line (`TCP: closing 127.0.0.1:4150`,
 * `HTTP: closing …`); resolves once it has closed.
 */
export function closeListener(log: Logger, proto: 'TCP' | 'HTTP' | 'HTTPS', server: TcpServer | HttpServer): Promise<void> {
  const a = server.address()
  if (a !== null && typeof a === 'object') log.info(`${proto}: closing ${formatHostPort({host: a.address, port: a.port})}`)
  return closeServer(server)
}
