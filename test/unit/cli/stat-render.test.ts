/**
 * cli/stat-render.ts: what `nsqkit stat` prints from the engine's reports: the headers at
 * iterations 0, 25, 50 (nsq_stat's i % 25 == 0) and a line per interval after the baseline; the
 * titled blocks when a topic or channel is not given; --json; colour only when asked for.
 */
import assert from 'node:assert/strict'
import test from 'node:test'
import {statRenderer, type RenderOptions} from '../../../src/cli/stat-render.js'
import {dataLine, header} from '../../../src/core/tools/stat/format.js'
import type {StatBlock, StatReport} from '../../../src/core/tools/stat/stat.js'
import type {StatRow} from '../../../src/core/tools/stat/format.js'

const ESC = '\u001b'
const ROW: StatRow = {ingress: 1, egress: 1, total: 3, mem: 3, disk: 0, inflt: 0, def: 0, req: 0, 't-o': 0, msgs: 9, clients: 1}
const totals = (depth = 3, paused = 0): StatBlock['totals'] => ({depth, backend_depth: 0, in_flight_count: 0, deferred_count: 0, message_count: 9, requeue_count: 0, timeout_count: 0, client_count: 1, nodes: 1, pausedNodes: paused})
const block = (i: number, topic = 't', channel = 'c', depth = 3): StatBlock => ({topic, channel, totals: totals(depth), row: i === 0 ? null : {...ROW, total: depth, mem: depth}})
const report = (i: number, blocks: StatBlock[] = [block(i)]): StatReport => ({i, time: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), blocks})
const opts = (o: Partial<RenderOptions> = {}): RenderOptions => ({json: false, extended: false, titled: false, color: false, ...o})

test('one topic/channel: the headers at 0, 25, 50, a line per interval from 1 on (nsq_stat\'s layout)', () => {
  const render = statRenderer(opts())
  let out = ''
  for (let i = 0; i <= 51; i++) out += render(report(i))
  const lines = out.split('\n').slice(0, -1)
  assert.equal(lines.length, 3 * 2 + 51)
  assert.equal(out.slice(0, header().length), header())
  assert.equal(lines[2], dataLine(ROW).slice(0, -1))
  // iteration 25: the headers, then its line
  assert.equal(`${lines[26]}\n${lines[27]}\n`, header())
  assert.equal(`${lines[28]}\n`, dataLine(ROW))
  assert.equal(`${lines[53]}\n${lines[54]}\n`, header())
})

test('a report with no block (nothing answered) prints nothing but a due header', () => {
  const render = statRenderer(opts())
  assert.equal(render(report(0, [])), header())
  assert.equal(render(report(1, [])), '')
})

test('--extended: the paused column', () => {
  const render = statRenderer(opts({extended: true}))
  assert.equal(render(report(0)), header(true))
  assert.equal(render(report(1)), dataLine(ROW, 'no'))
})

test('titled blocks: topic/channel before each block\'s lines, headers at i % 25 == 0 and when a block first shows up', () => {
  const render = statRenderer(opts({titled: true}))
  assert.equal(render(report(0, [block(0, 'a', 'x'), block(0, 'b', 'y')])), `a/x\n${header()}b/y\n${header()}`)
  assert.equal(render(report(1, [block(1, 'a', 'x'), block(0, 'b', 'z')])), `a/x\n${dataLine(ROW)}b/z\n${header()}`)
  assert.equal(render(report(2, [block(2, 'a', 'x'), block(2, 'b', 'z')])), `a/x\n${dataLine(ROW)}b/z\n${dataLine(ROW)}`)
})

test('--json: one object per block per interval, the columns by name plus topic, channel, time and paused; no header, no baseline', () => {
  const render = statRenderer(opts({json: true, titled: true}))
  assert.equal(render(report(0)), '')
  const out = render(report(1, [block(1, 'a', 'x'), block(1, 'b', 'y')]))
  const objs = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
  assert.equal(objs.length, 2)
  assert.deepEqual(objs[0], {time: '2026-01-02T03:04:05.000Z', topic: 'a', channel: 'x', ...ROW, paused: false})
  assert.equal(objs[1]?.topic, 'b')
})

test('colour: none unless asked; the total cell red when the depth grows, green when it shrinks, the widths kept', () => {
  const plain = statRenderer(opts())
  plain(report(0))
  assert.ok(!plain(report(1, [block(1, 't', 'c', 10)])).includes(ESC))
  const render = statRenderer(opts({color: true}))
  render(report(0, [block(0, 't', 'c', 3)]))
  const grew = render(report(1, [block(1, 't', 'c', 10)]))
  assert.ok(grew.includes(`${ESC}[31m     10${ESC}[39m`), grew)
  const shrank = render(report(2, [block(2, 't', 'c', 4)]))
  assert.ok(shrank.includes(`${ESC}[32m      4${ESC}[39m`), shrank)
  const same = render(report(3, [block(3, 't', 'c', 4)]))
  assert.ok(!same.includes(ESC))
  assert.equal(grew.replaceAll(`${ESC}[31m`, '').replaceAll(`${ESC}[39m`, ''), dataLine({...ROW, total: 10, mem: 10}))
})
