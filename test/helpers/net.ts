/** The loopback address every test server listens on, and a port of it nothing listens on. */
import {createServer} from 'node:net'

export const HOST = '127.0.0.1'

/** A TCP port of 127.0.0.1 that nothing listens on (bound once, then released). */
export async function unusedPort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject)
    srv.listen(0, HOST, () => resolve())
  })
  const addr = srv.address()
  const port = typeof addr === 'object' && addr !== null ? addr.port : 0
  await new Promise<void>((resolve) => srv.close(() => resolve()))
  return port
}
