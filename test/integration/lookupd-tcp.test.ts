/**
 * nsqlookupd's TCP protocol V1 (NSQ-SPEC §3.2) against an in-process Lookupd on 127.0.0.1:0,
 * from raw sockets, and what each command does to what its HTTP API shows (§3.3): the IDENTIFY
 * answer, REGISTER/UNREGISTER of topics and channels (#ephemeral ones go with their last
 * producer), a closed connection taking the peer's registrations with it, every error being one
 * size-prefixed "E_…" reply and then a close, commands split across writes at every byte,
 * tombstones for their lifetime and producers hidden once inactive.
 */
import {describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {hostname} from 'node:os'
import {Duplex} from 'node:stream'

import type {ChannelsResult, LookupResult, NodesResult, TopicsResult} from '../../src/core/protocol/index.js'
import {MAGIC_V1, identifyCmd, expectFatalV1, withLookupd, type TestLookupd, type V1Client} from '../helpers/lookupd-wire.js'
import {sleep, waitFor} from '../helpers/wait.js'

const T = {timeout: 20_000}

const PEER = {broadcast_address: '127.0.0.1', tcp_port: 4150, http_port: 4151, version: '1.3.0', hostname: 'nsqd-host'}

const lookup = (l: TestLookupd, topic: string): Promise<LookupResult> => l.get<LookupResult>(`/lookup?topic=${encodeURIComponent(topic)}`)
const channels = async (l: TestLookupd, topic: string): Promise<string[]> => (await l.get<ChannelsResult>(`/channels?topic=${encodeURIComponent(topic)}`)).channels.sort()
const topics = async (l: TestLookupd): Promise<string[]> => (await l.get<TopicsResult>('/topics')).topics.sort()
const nodes = async (l: TestLookupd): Promise<NodesResult['producers']> => (await l.get<NodesResult>('/nodes')).producers
/** the tcp ports of /lookup's producers, sorted */
const lookupPorts = async (l: TestLookupd, topic: string): Promise<number[]> => (await lookup(l, topic)).producers.map((p) => p.tcp_port).sort((a, b) => a - b)
const nodePorts = async (l: TestLookupd): Promise<number[]> => (await nodes(l)).map((p) => p.tcp_port).sort((a, b) => a - b)

async function ok(c: V1Client, line: string): Promise<void> {
  assert.equal(await c.command(line), 'OK', line)
}

describe('IDENTIFY', () => {
  test('answers lookupd\'s own JSON, keys sorted, its real ports; the peer is then a node', T, async () => {
    await withLookupd({}, async (l) => {
      const c = await l.connect()
      c.send(identifyCmd(PEER))
      const answer = await c.reply()
      assert.equal(answer, `{"broadcast_address":"lookupd-test-host","hostname":${JSON.stringify(hostname())},"http_port":${l.httpPort},"tcp_port":${l.tcpPort},"version":"1.3.0"}`)
      assert.deepEqual(await nodes(l), [{remote_address: c.localAddress, hostname: 'nsqd-host', broadcast_address: '127.0.0.1', tcp_port: 4150, http_port: 4151, version: '1.3.0', tombstones: [], topics: []}])
      assert.ok(
        l.lines.some((x) => x.includes(`CLIENT(${c.localAddress}): IDENTIFY Address:127.0.0.1 TCP:4150 HTTP:4151 Version:1.3.0`)),
        l.lines.join(''),
      )
      assert.ok(await c.silentFor(100), 'the connection stays open after IDENTIFY')
    })
  })

  test('PING before IDENTIFY answers OK and the connection stays usable', T, async () => {
    await withLookupd({}, async (l) => {
      const c = await l.connect()
      await ok(c, 'PING')
      await ok(c, 'PING')
      const a = await c.identify(PEER)
      assert.equal(a.tcp_port, l.tcpPort)
      await ok(c, 'PING')
      await ok(c, 'REGISTER t')
      assert.deepEqual(await lookupPorts(l, 't'), [4150])
    })
  })

  test('several commands in one write are answered in order; lines are trimmed (CRLF, surrounding spaces)', T, async () => {
    await withLookupd({}, async (l) => {
      const c = await l.connect()
      c.send(Buffer.concat([identifyCmd(PEER), Buffer.from('PING\r\n  REGISTER t c \r\nREGISTER u\t\nUNREGISTER u\n')]))
      assert.match(await c.reply(), /^\{"broadcast_address"/)
      for (let i = 0; i < 4; i++) assert.equal(await c.reply(), 'OK', `reply ${i + 2}`)
      assert.deepEqual(await lookup(l, 't'), {channels: ['c'], producers: [{remote_address: c.localAddress, hostname: 'nsqd-host', broadcast_address: '127.0.0.1', tcp_port: 4150, http_port: 4151, version: '1.3.0'}]})
      assert.deepEqual(await lookupPorts(l, 'u'), [])
    })
  })
})

describe('REGISTER and UNREGISTER', () => {
  test('REGISTER with and without a channel: /lookup, /channels, /topics and /nodes show it', T, async () => {
    await withLookupd({}, async (l) => {
      const c = await l.peer(PEER)
      await ok(c, 'REGISTER t1 c1')
      await ok(c, 'REGISTER t2')
      const lk = await lookup(l, 't1')
      assert.deepEqual(lk, {channels: ['c1'], producers: [{remote_address: c.localAddress, hostname: 'nsqd-host', broadcast_address: '127.0.0.1', tcp_port: 4150, http_port: 4151, version: '1.3.0'}]})
      assert.deepEqual(await lookup(l, 't2'), {channels: [], producers: lk.producers}, 'a topic alone')
      assert.deepEqual(await channels(l, 't1'), ['c1'])
      assert.deepEqual(await channels(l, 't2'), [])
      assert.deepEqual(await topics(l), ['t1', 't2'], 'REGISTER with a channel registers its topic too')
      const [n, ...more] = await nodes(l)
      assert.equal(more.length, 0)
      assert.deepEqual([...(n?.topics ?? [])].sort(), ['t1', 't2'])
      assert.deepEqual(n?.tombstones, [false, false])
      assert.ok(l.lines.some((x) => x.includes(`DB: client(${c.localAddress}) REGISTER category:channel key:t1 subkey:c1`)))
    })
  })

  test('REGISTER again is OK and lists the peer once; two peers of a topic are both listed', T, async () => {
    await withLookupd({}, async (l) => {
      const a = await l.peer({tcp_port: 1001, http_port: 2001})
      const b = await l.peer({tcp_port: 1002, http_port: 2002})
      await ok(a, 'REGISTER t c')
      await ok(a, 'REGISTER t c')
      await ok(a, 'REGISTER t')
      await ok(b, 'REGISTER t')
      assert.deepEqual(await lookupPorts(l, 't'), [1001, 1002])
      assert.deepEqual(await nodePorts(l), [1001, 1002])
      assert.deepEqual(await channels(l, 't'), ['c'])
    })
  })

  test('UNREGISTER of a channel: the peer leaves it; a non-ephemeral channel stays listed (empty), the topic keeps the peer', T, async () => {
    await withLookupd({}, async (l) => {
      const c = await l.peer(PEER)
      await ok(c, 'REGISTER t c')
      await ok(c, 'UNREGISTER t c')
      assert.deepEqual(await channels(l, 't'), ['c'])
      assert.deepEqual(await lookupPorts(l, 't'), [4150])
      const debug = await l.get<Record<string, unknown>>('/debug')
      assert.ok(!('channel:t:c' in debug), `no producer left in the channel: ${JSON.stringify(debug)}`)
      // unregistering what it is not in is still OK
      await ok(c, 'UNREGISTER t c')
      await ok(c, 'UNREGISTER nope nope')
    })
  })

  test('an #ephemeral channel is removed when its last producer unregisters; a non-ephemeral one stays', T, async () => {
    await withLookupd({}, async (l) => {
      const a = await l.peer({tcp_port: 1001})
      const b = await l.peer({tcp_port: 1002})
      await ok(a, 'REGISTER t keep')
      await ok(a, 'REGISTER t tail#ephemeral')
      await ok(b, 'REGISTER t tail#ephemeral')
      assert.deepEqual(await channels(l, 't'), ['keep', 'tail#ephemeral'])
      await ok(a, 'UNREGISTER t tail#ephemeral')
      assert.deepEqual(await channels(l, 't'), ['keep', 'tail#ephemeral'], 'another producer still has it')
      await ok(b, 'UNREGISTER t tail#ephemeral')
      assert.deepEqual(await channels(l, 't'), ['keep'], 'gone with its last producer')
      await ok(a, 'UNREGISTER t keep')
      assert.deepEqual(await channels(l, 't'), ['keep'], 'a non-ephemeral channel stays, empty')
      assert.deepEqual((await lookup(l, 't')).channels, ['keep'])
    })
  })

  test('UNREGISTER of a topic also removes the peer from its channels (with a warning each), not another peer', T, async () => {
    await withLookupd({}, async (l) => {
      const a = await l.peer({tcp_port: 1001})
      const b = await l.peer({tcp_port: 1002})
      await ok(a, 'REGISTER t c1')
      await ok(a, 'REGISTER t c2')
      await ok(b, 'REGISTER t c1')
      await ok(a, 'UNREGISTER t')
      assert.deepEqual(await lookupPorts(l, 't'), [1002])
      const debug = await l.get<Record<string, {tcp_port: number}[]>>('/debug')
      assert.deepEqual(Object.keys(debug).sort(), ['channel:t:c1', 'client::', 'topic:t:'])
      assert.deepEqual(debug['channel:t:c1']?.map((p) => p.tcp_port), [1002])
      assert.deepEqual(await channels(l, 't'), ['c1', 'c2'], 'the channel registrations stay')
      const n = (await nodes(l)).find((x) => x.tcp_port === 1001)
      assert.deepEqual(n?.topics, [])
      const warns = l.lines.filter((x) => / WARNING: client\(.*\) unexpected UNREGISTER category:channel key:t subkey:c[12]$/.test(x.trimEnd()))
      assert.equal(warns.length, 2, l.lines.join(''))
    })
  })

  test('UNREGISTER of an #ephemeral topic with nobody left removes it from /topics', T, async () => {
    await withLookupd({}, async (l) => {
      const c = await l.peer(PEER)
      await ok(c, 'REGISTER e#ephemeral')
      await ok(c, 'REGISTER plain')
      assert.deepEqual(await topics(l), ['e#ephemeral', 'plain'])
      await ok(c, 'UNREGISTER e#ephemeral')
      await ok(c, 'UNREGISTER plain')
      assert.deepEqual(await topics(l), ['plain'])
      const r = await l.http('/lookup?topic=e%23ephemeral')
      assert.equal(r.status, 404)
      assert.equal(await r.text(), '{"message":"TOPIC_NOT_FOUND"}')
    })
  })

  test('closing the connection removes all of the peer\'s registrations; /topics still lists the topic', T, async () => {
    await withLookupd({}, async (l) => {
      const a = await l.peer({tcp_port: 1001})
      const b = await l.peer({tcp_port: 1002})
      await ok(a, 'REGISTER t c')
      await ok(a, 'REGISTER u')
      await ok(b, 'REGISTER t')
      const aAddr = a.localAddress
      a.close()
      await waitFor('peer a gone from /lookup?topic=t', async () => (await lookupPorts(l, 't')).join() === '1002')
      assert.deepEqual(await lookup(l, 'u'), {channels: [], producers: []})
      assert.deepEqual(await nodePorts(l), [1002])
      assert.deepEqual(await topics(l), ['t', 'u'])
      assert.deepEqual(await channels(l, 't'), ['c'])
      assert.ok(l.lines.some((x) => x.includes(`PROTOCOL(V1): [${aAddr}] exiting ioloop`)))
      assert.ok(l.lines.some((x) => x.includes(`DB: client(${aAddr}) UNREGISTER category:client key: subkey:`)))
      b.close()
      await waitFor('no nodes', async () => (await nodes(l)).length === 0)
      assert.deepEqual(await lookup(l, 't'), {channels: ['c'], producers: []})
    })
  })

  test('a peer that reconnects is a new peer: its old entries are gone, the new ones listed once', T, async () => {
    await withLookupd({}, async (l) => {
      const a = await l.peer(PEER)
      await ok(a, 'REGISTER t')
      a.close()
      await waitFor('old connection gone', async () => (await nodes(l)).length === 0)
      const a2 = await l.peer(PEER)
      await ok(a2, 'REGISTER t')
      const lk = await lookup(l, 't')
      assert.deepEqual(lk.producers.map((p) => p.remote_address), [a2.localAddress])
    })
  })
})

describe('errors: one size-prefixed "E_…" reply, then the connection closes', () => {
  interface Case {
    name: string
    magic?: string
    identify?: boolean
    send: (string | Buffer)[]
    reply: string
  }
  const cases: Case[] = [
    {name: 'bad magic', magic: '  V2', send: ['PING\n'], reply: 'E_BAD_PROTOCOL'},
    {name: 'no magic at all: a command first', magic: 'PING', send: ['\n'], reply: 'E_BAD_PROTOCOL'},
    {name: 'REGISTER before IDENTIFY', send: ['REGISTER t\n'], reply: 'E_INVALID client must IDENTIFY'},
    {name: 'UNREGISTER before IDENTIFY', send: ['UNREGISTER t c\n'], reply: 'E_INVALID client must IDENTIFY'},
    {name: 'REGISTER with no topic', identify: true, send: ['REGISTER\n'], reply: 'E_INVALID REGISTER insufficient number of params'},
    {name: 'UNREGISTER with no topic', identify: true, send: ['UNREGISTER\n'], reply: 'E_INVALID UNREGISTER insufficient number of params'},
    {name: 'REGISTER a bad topic', identify: true, send: ['REGISTER a/b\n'], reply: "E_BAD_TOPIC REGISTER topic name 'a/b' is not valid"},
    {name: 'UNREGISTER a bad topic', identify: true, send: ['UNREGISTER a/b c\n'], reply: "E_BAD_TOPIC UNREGISTER topic name 'a/b' is not valid"},
    {name: 'REGISTER a topic name over 64 characters', identify: true, send: [`REGISTER ${'x'.repeat(65)}\n`], reply: `E_BAD_TOPIC REGISTER topic name '${'x'.repeat(65)}' is not valid`},
    {name: 'REGISTER a bad channel', identify: true, send: ['REGISTER t c!x\n'], reply: "E_BAD_CHANNEL REGISTER channel name 'c!x' is not valid"},
    {name: 'UNREGISTER a bad channel', identify: true, send: ['UNREGISTER t c#bad\n'], reply: "E_BAD_CHANNEL UNREGISTER channel name 'c#bad' is not valid"},
    {name: 'two spaces: an empty topic', identify: true, send: ['REGISTER  t\n'], reply: "E_BAD_TOPIC REGISTER topic name '' is not valid"},
    {name: 'a second IDENTIFY', identify: true, send: [identifyCmd(PEER)], reply: 'E_INVALID cannot IDENTIFY again'},
    {name: 'an unknown verb', send: ['BOGUS x y\n'], reply: 'E_INVALID invalid command BOGUS'},
    {name: 'verbs are case-sensitive', send: ['ping\n'], reply: 'E_INVALID invalid command ping'},
    {name: 'an empty line', send: ['\n'], reply: 'E_INVALID invalid command '},
    {name: 'IDENTIFY without broadcast_address', send: [identifyCmd({tcp_port: 1, http_port: 2, version: 'v'})], reply: 'E_BAD_BODY IDENTIFY missing fields'},
    {name: 'IDENTIFY with tcp_port 0', send: [identifyCmd({...PEER, tcp_port: 0})], reply: 'E_BAD_BODY IDENTIFY missing fields'},
    {name: 'IDENTIFY with a null body', send: [identifyCmd('null')], reply: 'E_BAD_BODY IDENTIFY missing fields'},
    {name: 'IDENTIFY with bad JSON', send: [identifyCmd('{"broadcast_address":')], reply: 'E_BAD_BODY IDENTIFY failed to decode JSON body'},
    {name: 'IDENTIFY with a port as a string', send: [identifyCmd({...PEER, tcp_port: '4150'})], reply: 'E_BAD_BODY IDENTIFY failed to decode JSON body'},
    {name: 'IDENTIFY with a JSON array', send: [identifyCmd('[]')], reply: 'E_BAD_BODY IDENTIFY failed to decode JSON body'},
  ]
  for (const k of cases) {
    test(`${k.name} → ${k.reply}`, T, async () => {
      await withLookupd({}, async (l) => {
        const c = await l.connect(k.magic ?? MAGIC_V1)
        if (k.identify) await c.identify(PEER)
        c.send(...k.send)
        await expectFatalV1(c, k.reply)
        if (k.reply !== 'E_BAD_PROTOCOL') {
          assert.ok(l.lines.some((x) => / ERROR: \[127\.0\.0\.1:\d+\] - /.test(x) && x.trimEnd().endsWith(k.reply.trimEnd())), `logged:\n${l.lines.join('')}`)
        }
      })
    })
  }

  test('the replies before the error arrive first, commands after it are not run, and the peer\'s registrations go', T, async () => {
    await withLookupd({}, async (l) => {
      const c = await l.peer(PEER)
      c.send('REGISTER t\nPING\nBOGUS\nREGISTER u\n')
      assert.equal(await c.reply(), 'OK')
      assert.equal(await c.reply(), 'OK')
      await expectFatalV1(c, 'E_INVALID invalid command BOGUS')
      await waitFor('the peer gone from /nodes', async () => (await nodes(l)).length === 0)
      assert.deepEqual(await lookup(l, 't'), {channels: [], producers: []})
      assert.deepEqual(await topics(l), ['t'], 'REGISTER u was never run')
    })
  })

  test('bad magic is logged with what was sent', T, async () => {
    await withLookupd({}, async (l) => {
      const c = await l.connect('HTTP')
      await expectFatalV1(c, 'E_BAD_PROTOCOL')
      assert.ok(l.lines.some((x) => / ERROR: client\(127\.0\.0\.1:\d+\) bad protocol magic 'HTTP'/.test(x)), l.lines.join(''))
    })
  })
})

describe('commands split across writes', () => {
  const body = JSON.stringify(PEER)
  const stream = Buffer.concat([Buffer.from(MAGIC_V1), Buffer.from('PING\n'), identifyCmd(body), Buffer.from('REGISTER t c\nUNREGISTER t c\nREGISTER u\n')])

  async function expectReplies(c: V1Client, l: TestLookupd, where: string): Promise<void> {
    assert.equal(await c.reply(), 'OK', `PING (${where})`)
    assert.match(await c.reply(), new RegExp(`"tcp_port":${l.tcpPort},`), `IDENTIFY (${where})`)
    for (const what of ['REGISTER t c', 'UNREGISTER t c', 'REGISTER u']) assert.equal(await c.reply(), 'OK', `${what} (${where})`)
  }

  test('split in two at every byte (magic, lines, the size prefix and the JSON body): the same five replies', {timeout: 60_000}, async () => {
    await withLookupd({}, async (l) => {
      for (let at = 1; at < stream.length; at++) {
        const c = await l.connect(false)
        c.send(stream.subarray(0, at))
        await sleep(2)
        c.send(stream.subarray(at))
        await expectReplies(c, l, `split at byte ${at}`)
        c.close()
      }
      assert.deepEqual(await topics(l), ['t', 'u'])
    })
  })

  test('pipelined commands are answered at once, not one per delayed ACK (TCP_NODELAY, as Go)', T, async () => {
    await withLookupd({}, async (l) => {
      const c = await l.peer(PEER)
      // Nagle's algorithm would hold each reply after the first until the client ACKs the one
      // before (~40 ms on Linux); the fastest of a few rounds shows whether it is on
      let fastest = Infinity
      for (let round = 0; round < 5; round++) {
        const t0 = performance.now()
        c.send('PING\nPING\nPING\nPING\n')
        for (let i = 0; i < 4; i++) assert.equal(await c.reply(), 'OK')
        fastest = Math.min(fastest, performance.now() - t0)
        await sleep(5)
      }
      assert.ok(fastest < 25, `4 pipelined PINGs took at best ${fastest.toFixed(1)} ms`)
    })
  })

  test('one byte per write over one connection', {timeout: 30_000}, async () => {
    await withLookupd({}, async (l) => {
      const c = await l.connect(false)
      for (const byte of stream) {
        c.send(Buffer.from([byte]))
        await sleep(1)
      }
      await expectReplies(c, l, 'byte by byte')
      assert.deepEqual(await lookupPorts(l, 'u'), [4150])
      assert.deepEqual(await channels(l, 't'), ['c'])
    })
  })

  test('one byte per data event (a stream handed to lookupd: no coalescing possible)', T, async () => {
    await withLookupd({}, async (l) => {
      const out: Buffer[] = []
      const duplex = new Duplex({
        read() {},
        write(chunk: Buffer, _enc, cb) {
          out.push(chunk)
          cb()
        },
      })
      l.lookupd.handle(duplex, '10.0.0.1:5555')
      for (const byte of stream) {
        duplex.push(Buffer.from([byte]))
        await new Promise((r) => setImmediate(r))
      }
      const replies: string[] = []
      let buf = Buffer.concat(out)
      while (buf.length >= 4) {
        const n = buf.readInt32BE(0)
        replies.push(buf.subarray(4, 4 + n).toString())
        buf = buf.subarray(4 + n)
      }
      assert.equal(replies.length, 5, JSON.stringify(replies))
      assert.deepEqual([replies[0], ...replies.slice(2)], ['OK', 'OK', 'OK', 'OK'])
      assert.deepEqual((await lookup(l, 'u')).producers.map((p) => p.remote_address), ['10.0.0.1:5555'])
      duplex.destroy()
      await waitFor('the stream\'s peer gone', async () => (await nodes(l)).length === 0)
    })
  })
})

describe('tombstones', () => {
  test('POST /topic/tombstone hides that producer of that topic from /lookup; /nodes shows tombstones:[true]', T, async () => {
    await withLookupd({}, async (l) => {
      const a = await l.peer({broadcast_address: 'nsqd-a', tcp_port: 1001, http_port: 2001})
      const b = await l.peer({broadcast_address: 'nsqd-b', tcp_port: 1002, http_port: 2002})
      await ok(a, 'REGISTER t')
      await ok(a, 'REGISTER other')
      await ok(b, 'REGISTER t')
      // the node is broadcast_address:http_port: the tcp port does not match
      await l.post('/topic/tombstone?topic=t&node=nsqd-a:1001')
      assert.deepEqual(await lookupPorts(l, 't'), [1001, 1002])
      await l.post('/topic/tombstone?topic=t&node=nsqd-a:2001')
      assert.deepEqual(await lookupPorts(l, 't'), [1002])
      assert.deepEqual(await lookupPorts(l, 'other'), [1001], 'a tombstone is per topic')
      const na = (await nodes(l)).find((n) => n.tcp_port === 1001)
      assert.ok(na, 'a tombstoned node is still in /nodes')
      assert.deepEqual(
        na.topics.map((t, i) => [t, na.tombstones[i]]).sort(),
        [
          ['other', false],
          ['t', true],
        ],
      )
      assert.deepEqual((await nodes(l)).find((n) => n.tcp_port === 1002)?.tombstones, [false])
      // a REGISTER again from the same connection keeps the tombstone
      await ok(a, 'REGISTER t')
      assert.deepEqual(await lookupPorts(l, 't'), [1002])
      const debug = await (await l.http('/debug')).text()
      assert.match(debug, /"topic:t:":\[\{"broadcast_address":"nsqd-a",[^}]*"tombstoned":true,"tombstoned_at":\d{19},/)
    })
  })

  test('with --tombstone-lifetime 300ms the producer is back in /lookup after it, and /nodes says false', T, async () => {
    await withLookupd({tombstoneLifetime: 300}, async (l) => {
      const a = await l.peer({broadcast_address: 'nsqd-a', http_port: 2001})
      await ok(a, 'REGISTER t')
      const t0 = Date.now()
      await l.post('/topic/tombstone?topic=t&node=nsqd-a:2001')
      assert.deepEqual(await lookupPorts(l, 't'), [])
      assert.deepEqual((await nodes(l))[0]?.tombstones, [true])
      await waitFor('the producer back in /lookup', async () => (await lookupPorts(l, 't')).length === 1, {timeoutMs: 5000})
      assert.ok(Date.now() - t0 >= 300, `back after ${Date.now() - t0}ms, before the 300 ms lifetime`)
      assert.deepEqual((await nodes(l))[0]?.tombstones, [false])
    })
  })
})

describe('inactive producers', () => {
  test('with --inactive-producer-timeout 300ms a peer that does not PING leaves /lookup and /nodes; a PING brings it back', T, async () => {
    await withLookupd({inactiveProducerTimeout: 300}, async (l) => {
      const t0 = Date.now()
      const quiet = await l.peer({tcp_port: 1001})
      await ok(quiet, 'REGISTER t')
      assert.deepEqual(await lookupPorts(l, 't'), [1001])
      await waitFor('the quiet peer gone from /lookup', async () => (await lookupPorts(l, 't')).length === 0, {timeoutMs: 5000})
      assert.ok(Date.now() - t0 >= 300, `gone after ${Date.now() - t0}ms, before the 300 ms timeout`)
      assert.deepEqual(await nodes(l), [])
      // still registered: /topics, /debug
      assert.deepEqual(await topics(l), ['t'])
      assert.match(await (await l.http('/debug')).text(), /"topic:t:":\[\{/)
      await ok(quiet, 'PING')
      assert.deepEqual(await lookupPorts(l, 't'), [1001])
      assert.deepEqual(await nodePorts(l), [1001])
      assert.ok(l.lines.some((x) => /CLIENT\(127\.0\.0\.1:\d+\): pinged \(last ping \d/.test(x)), l.lines.join(''))
    })
  })

  test('a peer that PINGs more often than the timeout stays listed while a quiet one goes', T, async () => {
    await withLookupd({inactiveProducerTimeout: 600}, async (l) => {
      const busy = await l.peer({tcp_port: 1001})
      const quiet = await l.peer({tcp_port: 1002})
      await ok(busy, 'REGISTER t')
      await ok(quiet, 'REGISTER t')
      let pinging = true
      const pinger = (async () => {
        while (pinging) {
          await ok(busy, 'PING')
          await sleep(50)
        }
      })()
      try {
        await waitFor('the quiet peer gone from /lookup', async () => (await lookupPorts(l, 't')).join() === '1001', {timeoutMs: 5000})
        assert.deepEqual(await nodePorts(l), [1001])
      } finally {
        pinging = false
        await pinger
      }
    })
  })
})
