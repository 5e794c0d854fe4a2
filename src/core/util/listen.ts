/** Binding and closing the daemons' listeners (nsqd's and nsqlookupd's TCP and HTTP servers). */
import type {Server as HttpServer} from 'node:http'
import type {AddressInfo, Server as TcpServer} from 'node:net'

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
