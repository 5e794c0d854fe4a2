/**
 * The client config the tools share (src/cli/tool-flags.ts `clientConfig`, NSQ-SPEC §0.2, §4.1),
 * through the built CLI of both tools that take it: `tail --consumer-opt` and
 * `pub --producer-opt`, against a `serve` child.
 *
 *  - as the Go tools build it: the opts first, then the tool's own flags over them, so
 *    --max-in-flight beats `max_in_flight` (the RDY the broker sees) and the tool's user agent
 *    beats `user_agent` (the user agent the broker sees)
 *  - TLS, snappy and deflate asked for: misuse before connecting (exit 2, one line naming the
 *    option as typed); the same options set off are fine
 */
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import type {ClientJson} from '../helpers/client-harness.js'
import {NSQKIT, assertExit, assertNoStack, assertOneLine, createChannel, exitWithin, killChildren, mpub, runCli, shim, spawnCli, waitLines} from '../helpers/cli.js'
import {topicNames} from '../helpers/names.js'
import {useServe} from '../helpers/serve.js'
import {waitFor} from '../helpers/wait.js'

const T = {timeout: 20_000}
const TAIL = [...NSQKIT, 'tail']
const PUB = [...NSQKIT, 'pub']

after(killChildren)
const broker = useServe()
let addr: string
before(async () => {
  addr = (await broker.start()).tcpAddress
})
const topicName = topicNames('flags')

/** The TCP clients that published (nsqd's top-level "producers" of /stats). */
async function producers(): Promise<ClientJson[]> {
  return (await broker.stats()).producers ?? []
}

describe('the tool\'s own flags win over --consumer-opt / --producer-opt, as in the Go tools', () => {
  test('tail --max-in-flight 7 --consumer-opt max_in_flight,5: the broker sees RDY 7', T, async () => {
    const topic = topicName('mif')
    const child = spawnCli([...TAIL, '--topic', topic, '--nsqd-tcp-address', addr, '--channel', 'c', '--max-in-flight', '7', '--consumer-opt', 'max_in_flight,5'])
    const [client] = await broker.waitSubscribed(topic, 'c')
    assert.equal(client?.ready_count, 7, `RDY from --max-in-flight: ${JSON.stringify(client)}`)
    child.proc.kill('SIGTERM')
    assertExit(await exitWithin(child, 5000, 'tail after SIGTERM'), 0)
  })

  test('tail --consumer-opt max_in_flight,5 alone: --max-in-flight\'s default (200) still wins, as nsq_tail sets cfg.MaxInFlight after the opts', T, async () => {
    const topic = topicName('mif_default')
    const child = spawnCli([...shim('nsq_tail'), `-topic=${topic}`, `-nsqd-tcp-address=${addr}`, '-channel=c', '-consumer-opt=max_in_flight,5'])
    const [client] = await broker.waitSubscribed(topic, 'c')
    assert.equal(client?.ready_count, 200, JSON.stringify(client))
    child.proc.kill('SIGTERM')
    assertExit(await exitWithin(child, 5000, 'tail after SIGTERM'), 0)
  })

  test('tail --consumer-opt user_agent,…: the broker sees nsq_tail\'s own user agent; -n still caps max_in_flight', T, async () => {
    const topic = topicName('ua')
    await createChannel(broker.httpPort, topic, 'c')
    const child = spawnCli([...TAIL, '--topic', topic, '--nsqd-tcp-address', addr, '--channel', 'c', '-n', '3', '--consumer-opt', 'user_agent,evil/1.0'])
    const [client] = await broker.waitSubscribed(topic, 'c')
    assert.match(client?.user_agent ?? '', /^nsq_tail\/1\.3\.0 nsqkit\/\d+\.\d+\.\d+\S*$/, JSON.stringify(client))
    assert.equal(client?.ready_count, 3, '-n 3 caps max_in_flight at 3')
    await mpub(broker.httpPort, topic, ['a', 'b', 'c'])
    const r = await exitWithin(child, 5000, 'tail -n 3')
    assertExit(r, 0)
    assert.equal(r.stdout, 'a\nb\nc\n')
  })

  test('pub --producer-opt user_agent,…: the broker sees to_nsq\'s own user agent', T, async () => {
    const topic = topicName('pub_ua')
    const child = spawnCli([...PUB, '--topic', topic, '--nsqd-tcp-address', addr, '--producer-opt', 'user_agent,evil/1.0'], {keepStdin: true})
    try {
      child.proc.stdin?.write('one\n')
      const p = await waitFor('pub as a producer in /stats', async () => (await producers()).find((c) => c.user_agent.startsWith('to_nsq/') || c.user_agent === 'evil/1.0'), {timeoutMs: 5000})
      assert.match(p.user_agent, /^to_nsq\/1\.3\.0 nsqkit\/\d+\.\d+\.\d+\S*$/)
    } finally {
      child.proc.stdin?.end()
    }
    assertExit(await exitWithin(child, 5000, 'pub after stdin closed'), 0)
  })
})

describe('snappy with deflate, and TLS settings without tls_v1: misuse before connecting, naming the option as typed', {concurrency: true}, () => {
  const cases: [string, string[], RegExp][] = [
    ['tail --consumer-opt snappy with deflate', [...TAIL, '--topic', 't', '--nsqd-tcp-address', '127.0.0.1:1', '--consumer-opt', 'snappy', '--consumer-opt', 'deflate,true'], /^tail: --consumer-opt snappy: cannot be used with deflate \(nsqd refuses both at once\)$/],
    ['tail --consumer-opt tls_cert,… without tls_v1', [...TAIL, '--topic', 't', '--nsqd-tcp-address', '127.0.0.1:1', '--consumer-opt', 'tls_cert,/etc/cert.pem'], /^tail: --consumer-opt tls_cert: is used only with tls_v1=true/],
    ['nsq_tail -consumer-opt=TLS-MIN-VERSION,tls1.2 without tls_v1 (flag and option as typed)', [...shim('nsq_tail'), '-topic=t', '-nsqd-tcp-address=127.0.0.1:1', '-consumer-opt=TLS-MIN-VERSION,tls1.2'], /^nsq_tail: -consumer-opt TLS-MIN-VERSION: is used only with tls_v1=true/],
    ['tail tls_v1 with tls_key but no tls_cert', [...TAIL, '--topic', 't', '--nsqd-tcp-address', '127.0.0.1:1', '--consumer-opt', 'tls_v1', '--consumer-opt', 'tls_key,/etc/key.pem'], /^tail: --consumer-opt tls_key: needs tls_cert too$/],
    ['to_nsq -producer-opt=snappy -producer-opt=deflate', [...shim('to_nsq'), '-topic=t', '-nsqd-tcp-address=127.0.0.1:1', '-producer-opt=snappy', '-producer-opt=deflate', 'x'], /^to_nsq: -producer-opt snappy: cannot be used with deflate/],
  ]
  for (const [name, argv, line] of cases) {
    test(name, T, async () => {
      // port 1: nothing listens; a check made only at connect would exit 1 with "cannot connect"
      const r = await runCli(argv)
      assertExit(r, 2, name)
      assertOneLine(r, line)
      assert.equal(r.stdout, '')
    })
  }

  test('the same options set off are fine: tls_v1,false snappy,false deflate,false tls_insecure_skip_verify,false (tail and pub)', T, async () => {
    const topic = topicName('off')
    await createChannel(broker.httpPort, topic, 'c')
    const off = ['tls_v1,false', 'snappy,false', 'deflate,false', 'tls_insecure_skip_verify,false', 'deflate_level,3']
    const p = await runCli([...PUB, '--topic', topic, '--nsqd-tcp-address', addr, ...off.flatMap((o) => ['--producer-opt', o]), 'hello'])
    assertExit(p, 0, 'pub')
    assertNoStack(p.stderr)
    const child = spawnCli([...TAIL, '--topic', topic, '--nsqd-tcp-address', addr, '--channel', 'c', '-n', '1', ...off.flatMap((o) => ['--consumer-opt', o])])
    assert.deepEqual(await waitLines(child, 1, 5000), ['hello'])
    assertExit(await exitWithin(child, 5000, 'tail -n 1'), 0)
  })
})
