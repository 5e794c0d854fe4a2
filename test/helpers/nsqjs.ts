/**
 * The real nsqjs client as an interop peer: publish bodies with a Writer and read them back
 * with a Reader, both with the same options (TLS, deflate, snappy, authSecret, …).
 */
import nsq from 'nsqjs'
import {HOST} from './net.js'
import {withTimeout} from './wait.js'

export interface NsqjsTarget {
  tcpPort: number
  tcpAddress: string
}

/**
 * Publish `bodies` to `topic` (MPUB of 100 each), then consume them from `channel` (maxInFlight
 * 100, FIN each) until every one arrived; `whileConnected` runs before both close (to read
 * `/stats` while they are there). Resolves with the bodies read, in order of arrival.
 */
export async function nsqjsRoundTrip<T>(
  serve: NsqjsTarget,
  topic: string,
  channel: string,
  opts: nsq.ConnectionConfigOptions,
  bodies: string[],
  whileConnected: () => Promise<T>,
): Promise<{got: string[]; result: T}> {
  const writer = new nsq.Writer(HOST, serve.tcpPort, opts)
  try {
    await withTimeout(new Promise<void>((resolve, reject) => {
      writer.once('ready', () => resolve())
      writer.once('error', reject)
      writer.connect()
    }), 5000, `nsqjs writer ${JSON.stringify(opts)}`)
    for (let i = 0; i < bodies.length; i += 100) {
      await new Promise<void>((resolve, reject) => writer.publish(topic, bodies.slice(i, i + 100), (err) => (err ? reject(err) : resolve())))
    }
    const got: string[] = []
    const want = new Set(bodies)
    const seen = new Set<string>()
    const reader = new nsq.Reader(topic, channel, {nsqdTCPAddresses: [serve.tcpAddress], maxInFlight: 100, ...opts})
    try {
      await withTimeout(new Promise<void>((resolve, reject) => {
        reader.on('message', (m) => {
          const b = m.body.toString()
          got.push(b)
          m.finish()
          if (want.has(b)) seen.add(b)
          if (seen.size === want.size) resolve()
        })
        reader.on('error', reject)
        reader.connect()
      }), 15_000, () => `nsqjs read ${seen.size} of ${want.size} (${JSON.stringify(opts)})`)
      return {got, result: await whileConnected()}
    } finally {
      reader.close()
    }
  } finally {
    writer.close()
  }
}
