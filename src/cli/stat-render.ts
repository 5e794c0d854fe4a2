/**
 * `nsqkit stat`'s output from the engine's reports (core/tools/stat): nsq_stat's table
 * (core/tools/stat/format.ts) or, with --json, one JSON object per interval per topic/channel.
 *
 *  - the table: both header lines at iterations 0, 25, 50, … (nsq_stat's `i % 25 == 0`), then a
 *    line per interval from iteration 1 on
 *  - titled (no --topic or no --channel): before each block's lines of an interval its
 *    `topic/channel` title, and the headers also the first time a block shows up
 *  - colour (a TTY only, never a pipe): the total column red while the depth grows, green while
 *    it shrinks
 *  - --json: `{"time","topic","channel",<the columns by name>,"paused"}`, no header, no baseline
 */
import chalk from 'chalk'
import {dataLine, header, pausedText, type Paint} from '../core/tools/stat/format.js'
import type {StatReport} from '../core/tools/stat/stat.js'

export interface RenderOptions {
  json: boolean
  extended: boolean
  titled: boolean
  color: boolean
}

/** A renderer keeping what it needs between reports (the blocks seen, the last depths); '' when nothing is printed. */
export function statRenderer(o: RenderOptions): (r: StatReport) => string {
  const seen = new Set<string>()
  const lastDepth = new Map<string, number>()
  const colors = new chalk.Instance({level: o.color ? Math.max(1, chalk.level) as 1 | 2 | 3 : 0})
  return (r) => {
    let out = ''
    const headerNow = r.i % 25 === 0
    if (!o.json && !o.titled && headerNow) out += header(o.extended)
    for (const b of r.blocks) {
      const key = `${b.topic}/${b.channel}`
      const first = !seen.has(key)
      seen.add(key)
      const before = lastDepth.get(key)
      lastDepth.set(key, b.totals.depth)
      if (o.json) {
        if (b.row !== null) out += `${JSON.stringify({time: r.time.toISOString(), topic: b.topic, channel: b.channel, ...b.row, paused: b.totals.pausedNodes > 0})}\n`
        continue
      }
      if (o.titled && (b.row !== null || headerNow || first)) out += `${key}\n`
      if (o.titled && (headerNow || first)) out += header(o.extended)
      if (b.row === null) continue
      const paint: Paint = (col, text) => {
        if (!o.color || col !== 'total' || before === undefined || b.totals.depth === before) return text
        return b.totals.depth > before ? colors.red(text) : colors.green(text)
      }
      out += dataLine(b.row, o.extended ? pausedText(b.totals.pausedNodes, b.totals.nodes) : undefined, paint)
    }
    return out
  }
}
