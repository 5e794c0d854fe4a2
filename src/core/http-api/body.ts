/** Request bodies, read with a limit (nsq's daemons read at most max-msg-size / max-body-size). */
import type {IncomingMessage} from 'node:http'

/** Read the body, at most `limit` bytes; `over` when there was more. */
export function readBody(req: IncomingMessage, limit: number): Promise<{body: Buffer; over: boolean}> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let n = 0
    let done = false
    const finish = (over: boolean): void => {
      if (done) return
      done = true
      req.off('data', onData)
      resolve({body: Buffer.concat(chunks, Math.min(n, limit)), over})
    }
    const onData = (c: Buffer): void => {
      n += c.length
      if (n > limit) {
        const keep = c.length - (n - limit)
        if (keep > 0) chunks.push(c.subarray(0, keep))
        finish(true)
        return
      }
      chunks.push(c)
    }
    req.on('data', onData)
    req.on('end', () => finish(false))
    req.on('error', (e) => {
      if (!done) reject(e)
    })
  })
}

/** The Content-Length the client declared, or -1. */
export function declaredLength(req: IncomingMessage): number {
  const v = req.headers['content-length']
  return v === undefined ? -1 : Number(v)
}
