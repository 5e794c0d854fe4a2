/**
 * The relay phase of `npm run bench`: N messages published to a topic of one broker, then the
 * built CLI's `nsqkit relay` (a child process) copies them to a second broker, timed until the
 * source channel has every message FINed and the destination topic holds all N — relay FINs only
 * after the destination's OK. The line also gives both brokers' CPU per message over the run (the
 * three processes share the two cores, and each message crosses all three).
 */
import {startServe} from '../test/helpers/serve.js'
import {cpuPerMessage, cpuSecondsOf, fill, rate, timeDrain, topicMessages, type Broker} from './drain.js'

export async function relayBench(b: Broker, messages: number, size: number, batchSize: number): Promise<string> {
  const topic = `relay_bench_b${batchSize}`
  const channel = 'relay'
  const dest = await startServe(['--mem-queue-size=10000000'])
  try {
    const d: Broker = {tcpPort: dest.tcpPort, httpPort: dest.httpPort}
    await fill(b, topic, channel, messages, size)
    const cpu0 = [cpuSecondsOf(b.pid), cpuSecondsOf(dest.proc.pid)]
    const args = ['relay', `--topic=${topic}`, `--channel=${channel}`, `--nsqd-tcp-address=127.0.0.1:${b.tcpPort}`, `--destination-nsqd-tcp-address=127.0.0.1:${dest.tcpPort}`, `--batch-size=${batchSize}`, '--status-every=0', '--log-level=warn', ...(process.env.RELAY_MIF ? [`--max-in-flight=${process.env.RELAY_MIF}`] : [])]
    const run = await timeDrain(b, topic, channel, messages, args, 'RELAY_PROF', async () => (await topicMessages(d, topic)) >= messages)
    const cpu1 = [cpuSecondsOf(b.pid), cpuSecondsOf(dest.proc.pid)]
    const code = await run.stop()
    if (code !== 0) throw new Error(`relay exited with ${code} after SIGTERM`)
    const got = await topicMessages(d, topic)
    if (got !== messages) throw new Error(`the destination has ${got} messages, expected ${messages}`)
    return `relay: ${messages} msgs of ${size} B in ${run.seconds.toFixed(2)}s = ${rate(messages, run.seconds)} msgs/s (broker to broker, --batch-size ${batchSize}, max-in-flight ${process.env.RELAY_MIF ?? 200}; process start included${cpuPerMessage(run.cpuSeconds, messages)}; once flowing: ${rate(messages, run.flowSeconds)} msgs/s)${brokersCpu(cpu0, cpu1, messages)}`
  } finally {
    await dest.stop()
  }
}

/** `; brokers' CPU: source X, destination Y µs/msg` where /proc tells both (the three processes share the cores) */
function brokersCpu(before: (number | null)[], after: (number | null)[], n: number): string {
  const us = (i: number): string | null => {
    const a = before[i]
    const b = after[i]
    return a === null || a === undefined || b === null || b === undefined ? null : (((b - a) * 1e6) / n).toFixed(1)
  }
  const src = us(0)
  const dst = us(1)
  return src === null || dst === null ? '' : `; brokers' CPU over the run: source ${src}, destination ${dst} µs/msg`
}
