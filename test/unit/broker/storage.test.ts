/**
 * Storage's flush barrier over several disk queues: no queue's metadata moves while another
 * queue holds records it could not write, so a message moved from a topic's queue to a channel's
 * is in one of them after a crash, even when the disk filled as it moved.
 */
import test from 'node:test'
import assert from 'node:assert/strict'
import * as fs from 'node:fs'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {BrokerMessage} from '../../../src/core/broker/delivery/message.js'
import type {DiskIO} from '../../../src/core/broker/queue/disk-queue.js'
import {MessageQueue} from '../../../src/core/broker/queue/message-queue.js'
import {Storage} from '../../../src/core/broker/storage.js'
import {silentLogger} from '../../../src/core/util/logger.js'

test('the channel queue cannot write while the topic queue could sync: the topic keeps the record; a crash finds the message', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'nsqkit-storage-'))
  t.after(() => rmSync(dir, {recursive: true, force: true}))
  const paths = new Map<number, string>()
  let channelFull = false
  const io: DiskIO = {
    ...fs,
    openSync: ((p: fs.PathLike, f: fs.OpenMode, mo?: fs.Mode) => {
      const fd = fs.openSync(p, f, mo)
      paths.set(fd, String(p))
      return fd
    }) as typeof fs.openSync,
    writeSync: ((fd: number, ...rest: unknown[]) => {
      // a segment write of the channel fails; the topic's small metadata file would still fit
      if (channelFull && /t:c\.diskqueue\.\d+\.dat$/.test(paths.get(fd) ?? '')) throw Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC'})
      return (fs.writeSync as (...a: unknown[]) => number)(fd, ...rest)
    }) as typeof fs.writeSync,
  }
  const opts = {dataPath: dir, maxBytesPerFile: 100 * 1024 * 1024, maxMsgSize: 1024, syncEvery: 1, syncTimeout: 2000, memQueueSize: 0}
  const s = new Storage(opts, silentLogger, () => Date.now(), () => {}, io)
  let wake: () => void = () => {}
  const topic = new MessageQueue<BrokerMessage>(0, s.backend('t', false, () => wake()))
  topic.put(BrokerMessage.withId('0000000000000001', Buffer.from('acked'), 0, 1)) // PUB before any channel: written, synced, OK
  s.flush()
  const channel = new MessageQueue<BrokerMessage>(0, s.backend('t:c', false, () => {}))
  let m = topic.shift()
  if (m === undefined) {
    await new Promise<void>((resolve) => (wake = resolve))
    m = topic.shift()
  }
  assert.ok(m)
  channelFull = true
  channel.put(m) // the topic's pump: to the channel, letting go of the topic's record
  s.flush()
  assert.match(String(s.error?.message), /ENOSPC/)
  // kill -9 now, and start again
  const s2 = new Storage(opts, silentLogger, () => Date.now(), () => {})
  const t2 = new MessageQueue<BrokerMessage>(0, s2.backend('t', false, () => {}))
  const c2 = new MessageQueue<BrokerMessage>(0, s2.backend('t:c', false, () => {}))
  assert.equal(t2.length + c2.length, 1, 'the acknowledged message is on disk')
})
