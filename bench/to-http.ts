/**
 * The to-http phase of `npm run bench`: N messages published to a topic, then the built CLI's
 * `nsqkit to-http -n 100` (a child process) sends them to a local sink that answers 200 at once
 * (sink.ts: node:http in a process of its own), timed until every message is FINed — to-http
 * FINs only after the sink's answer, so the sink has them all by then (checked). Then the yardstick (http-ceiling.ts):
 * the same requests from undici alone, the ceiling of this machine's HTTP stack at that moment.
 */
import {cpuPerMessage, fill, rate, timeDrain, type Broker} from './drain.js'
import {httpCeiling} from './http-ceiling.js'
import {startBareSink} from './sink.js'

export async function toHttpBench(b: Broker, messages: number, size: number, mode = 'round-robin'): Promise<string> {
  const topic = `tohttp_bench_${mode.replace(/-/g, '_')}`
  const channel = 'http'
  const sink = await startBareSink()
  try {
    await fill(b, topic, channel, messages, size)
    const args = ['to-http', `--topic=${topic}`, `--channel=${channel}`, `--nsqd-tcp-address=127.0.0.1:${b.tcpPort}`, `--post=${sink.url('/ingest')}`, '-n', '100', `--mode=${mode}`, '--status-every=0', '--log-level=warn']
    const run = await timeDrain(b, topic, channel, messages, args, 'TOHTTP_PROF')
    const code = await run.stop()
    if (code !== 0) throw new Error(`to-http exited with ${code} after SIGTERM`)
    const got = await sink.count()
    if (got < messages) throw new Error(`the sink got ${got} messages, expected ${messages}`)
    // the same requests to the same sink from undici alone: this machine's ceiling, now
    const ceiling = await httpCeiling(sink.url('/ingest'), messages, size)
    return [
      `to-http: ${messages} msgs of ${size} B in ${run.seconds.toFixed(2)}s = ${rate(messages, run.seconds)} msgs/s (POST to a local sink answering 200, -n 100, --mode ${mode}, max-in-flight 200; process start included${cpuPerMessage(run.cpuSeconds, messages)}; once flowing: ${rate(messages, run.flowSeconds)} msgs/s)`,
      `  undici alone, the same ${messages} POSTs to the same sink (100 under way, no NSQ): ${rate(messages, ceiling.seconds)} req/s${cpuPerMessage(ceiling.cpuSeconds, messages).replace('msg', 'req')}`,
    ].join('\n')
  } finally {
    await sink.close()
  }
}
