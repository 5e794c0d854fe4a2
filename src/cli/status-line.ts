/**
 * A live status line on a terminal (stderr): redrawn in place every `everyMs`, drawn a last
 * time and ended with a newline when stopped. The tools start one only when the stream is a
 * TTY; a pipe or a file gets log lines instead.
 */
import type {Writable} from 'node:stream'

/** Start redrawing `render()`; returns the stopper. */
export function startStatusLine(out: Writable, render: () => string, everyMs = 250): () => void {
  const draw = (): void => {
    out.write(`\r\x1b[K${render()}`)
  }
  const timer = setInterval(draw, everyMs)
  timer.unref()
  return () => {
    clearInterval(timer)
    draw()
    out.write('\n')
  }
}
