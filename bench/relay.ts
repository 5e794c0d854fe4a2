/**
 * The relay phase of `npm run bench`: N messages published to a topic of one broker, then the
 * built CLI's `nsqkit relay` (a child process) copies them to a second broker, timed until the
 * source channel has every message FINed and the destination topic holds all N — relay FINs only
 * after the destination's OK.
 */
import {startServe} from '../test/helpers/serve.js'
import {cpuPerMessage, fill, rate, timeDrain, topicMessages, type Broker} from './drain.js'

export async function relayBench(b: Broker, messages: number, size: number, batchSize: number): Promise<string> {
  const topic = `relay_bench_b${batchSize}`
  const channel = 'relay'
  const dest = await startServe(['--mem-queue-size=10000000'])
  try {
    const d: Broker = {tcpPort: dest.tcpPort, httpPort: dest.httpPort}
    await fill(b, topic, channel, messages, size)
    const args = ['relay', `--topic=${topic}`, `--channel=${channel}`, `--nsqd-tcp-address=127.0.0.1:${b.tcpPort}`, `--destination-nsqd-tcp-address=127.0.0.1:${dest.tcpPort}`, `--batch-size=${batchSize}`, '--status-every=0', '--log-level=warn', ...(process.env.RELAY_MIF ? [`--max-in-flight=${process.env.RELAY_MIF}`] : [])]
    const run = await timeDrain(b, topic, channel, messages, args, 'RELAY_PROF', async () => (await topicMessages(d, topic)) >= messages)
    const code = await run.stop()
    if (code !== 0) throw new Error(`relay exited with ${code} after SIGTERM`)
    const got = await topicMessages(d, topic)
    if (got !== messages) throw new Error(`the destination has ${got} messages, expected ${messages}`)
    return `relay: ${messages} msgs of ${size} B in ${run.seconds.toFixed(2)}s = ${rate(messages, run.seconds)} msgs/s (broker to broker, --batch-size ${batchSize}, max-in-flight ${process.env.RELAY_MIF ?? 200}; process start included${cpuPerMessage(run.cpuSeconds, messages)}; once flowing: ${rate(messages, run.flowSeconds)} msgs/s)`
  } finally {
    await dest.stop()
  }
}
