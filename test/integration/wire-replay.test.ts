/**
 * The wire-compatibility gate: every exchange captured from a real nsqd 1.3.0
 * (test/fixtures/nsqd-1.3.0, see its README.md) replayed against a fresh `nsqkit serve` (the
 * built CLI as a child process, ports chosen at run time, a new data dir, default limits), the
 * HTTP cases in the order they were captured (replay-order.txt), then the TCP cases, each on a
 * fresh connection. One test per case; a failing case lists every difference it found.
 *
 * Compared, and normalised only where two runs of nsqd (or nsqd and a re-implementation)
 * legitimately differ:
 *  HTTP
 *   - the status code (not the reason phrase); X-NSQ-Content-Type and Content-Type present or
 *     absent as captured, with the same value (any letter case).
 *   - JSON bodies as values (key order free): "version", "hostname", "broadcast_address" may be
 *     any non-empty string, "start_time" any number; "http_port"/"tcp_port" must be the ports
 *     serve listens on (the capture ran on 4151/4150); "memory" (Go runtime figures) must have
 *     the same keys with numeric values. Every other body byte for byte.
 *  TCP
 *   - the frame sequence (type and bytes) and whether the server closed the connection; TCP
 *     segmentation is not compared, nor timing, but for a frame the capture shows coming 500 ms
 *     or more after the write before it (the heartbeat): serve's may not come before 90 % of
 *     that delay. A close later after the last write than the capture watched the connection is
 *     not one (nsqd closes a silent client after two heartbeats).
 *   - the replay is paced by the capture's times: after each write it waits for the frames the
 *     capture shows by then (or its close), 5 s at most, then 150 ms for anything extra.
 *   - message frames: the 8-byte timestamp is not compared (it must be nanoseconds within 1 h
 *     of now), nor the 16-byte id (it must be 16 chars [0-9a-f]); attempts and body are.
 *   - IDENTIFY's feature-negotiation JSON as a value (key order free); "version" may be any
 *     non-empty string, every other key and value must be equal.
 *   - pub_over_max_msg_size_with_body: nsqd answers as soon as it has read the size and closes
 *     with 1 MB unread, so the kernel may answer with a RST and the client lose the error frame
 *     (seen with the real nsqd): "no frame, ECONNRESET, closed by the server" counts as equal.
 */
import {after, before, describe, test} from 'node:test'
import assert from 'node:assert/strict'
import {readdirSync} from 'node:fs'
import {connect} from 'node:net'

import {CAPTURES_DIR, parseHttpAnswer, readCapture, type HttpAnswer} from '../helpers/nsqd-captures.js'
import {startServe, type ServeChild} from '../helpers/serve.js'

// serve's defaults, which the captures were taken with (nsqd's defaults)
const MAX_MSG_SIZE = 1024 * 1024
const MAX_BODY_SIZE = 5 * 1024 * 1024
const MAX_RDY_COUNT = 2500
/** curl -m 20, as the captures were taken */
const HTTP_TIMEOUT_MS = 20_000

type Json = null | boolean | number | string | Json[] | {[k: string]: Json}
const isObj = (v: unknown): v is {[k: string]: Json} => typeof v === 'object' && v !== null && !Array.isArray(v)

const short = (s: string, n = 90): string => (s.length > n ? `${s.slice(0, n)}...` : s)

/** JSON with sorted keys: equal strings for equal values, whatever the key order. */
function stable(v: Json | undefined): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable(v[k])}`).join(',')}}`
  return JSON.stringify(v) ?? 'undefined'
}

/** Every top-level key whose value differs: `"key": got X, expected Y`. */
function jsonDiff(exp: Json, got: Json): string {
  if (!isObj(exp) || !isObj(got)) return `${short(stable(got), 80)}, expected ${short(stable(exp), 80)}`
  const keys = [...new Set([...Object.keys(exp), ...Object.keys(got)])].sort()
  return keys
    .filter((k) => stable(exp[k]) !== stable(got[k]))
    .map((k) => `"${k}": ${k in got ? short(stable(got[k]), 60) : '(absent)'}, expected ${k in exp ? short(stable(exp[k]), 60) : '(absent)'}`)
    .join('; ')
}

// ---------------------------------------------------------------- HTTP

/** The HTTP cases: replay-order.txt first, then any other http_*.txt in name order. */
const HTTP_FILES = readdirSync(CAPTURES_DIR)
  .filter((f) => /^http_.*\.txt$/.test(f))
  .map((f) => f.slice('http_'.length, -'.txt'.length))
const HTTP_ORDER = readCapture('replay-order.txt')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'))
const HTTP_CASES = [...HTTP_ORDER.filter((n) => HTTP_FILES.includes(n)), ...HTTP_FILES.filter((n) => !HTTP_ORDER.includes(n)).sort()]

/** The bodies `--data-binary @NAME` stands for (generated, not stored). */
const GENERATED: Record<string, () => Buffer> = {
  over: () => Buffer.alloc(MAX_MSG_SIZE + 1, 'a'),
  exact: () => Buffer.alloc(MAX_MSG_SIZE, 'a'),
  overbody: () => Buffer.alloc(MAX_BODY_SIZE + 1, 'a'),
}

interface HttpRequest {
  method: string
  path: string
  body?: Buffer
}

const ANSI_C: Record<string, string> = {n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"'}

/**
 * Split the shell words of a request line as bash's `eval "args=($rest)"` does, for the
 * syntax the captures use: bare words, '...', "..." (no expansion), $'...' (\n \t \r \\ \' \"
 * \xHH). Anything else is refused rather than guessed. One char per byte (latin1).
 */
function shellWords(s: string): string[] {
  const words: string[] = []
  let i = 0
  const fail = (why: string): never => {
    throw new Error(`${why} at column ${i + 1} of ${JSON.stringify(s)}: the replay understands bare words, '...', "..." and $'...'`)
  }
  for (;;) {
    while (s[i] === ' ' || s[i] === '\t') i++
    if (i >= s.length) return words
    let w = ''
    while (i < s.length && s[i] !== ' ' && s[i] !== '\t') {
      const c = s[i] as string
      if (c === '$' && s[i + 1] === "'") {
        i += 2
        while (s[i] !== "'") {
          if (i >= s.length) fail("unterminated $'")
          if (s[i] === '\\') {
            const e = s[i + 1] ?? ''
            if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
              w += String.fromCharCode(parseInt(s.slice(i + 2, i + 4), 16))
              i += 4
            } else if (e in ANSI_C) {
              w += ANSI_C[e]
              i += 2
            } else fail(`unsupported escape \\${e}`)
          } else w += s[i++]
        }
        i++
      } else if (c === "'") {
        const end = s.indexOf("'", i + 1)
        if (end < 0) fail("unterminated '")
        w += s.slice(i + 1, end)
        i = end + 1
      } else if (c === '"') {
        i++
        while (s[i] !== '"') {
          if (i >= s.length) fail('unterminated "')
          if (s[i] === '$' || s[i] === '`') fail('no expansion inside "..."')
          if (s[i] === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\')) i++
          w += s[i++]
        }
        i++
      } else if (c === '\\') {
        if (i + 1 >= s.length) fail('trailing \\')
        w += s[i + 1]
        i += 2
      } else if ('$`;&|<>(){}*?[]~#'.includes(c)) fail(`unsupported shell character ${c}`)
      else w += s[i++]
    }
    words.push(w)
  }
}

/** "REQUEST: METHOD PATH [curl args]": the only curl argument used is --data-binary. */
function parseRequestLine(name: string, line: string): HttpRequest {
  const m = /^REQUEST:\s+(\S+)\s+(\S+)(.*)$/.exec(line)
  if (!m) throw new Error(`http_${name}.txt: the first line is not "REQUEST: METHOD PATH [curl args]": ${JSON.stringify(line)}`)
  const req: HttpRequest = {method: m[1] as string, path: m[2] as string}
  const args = shellWords(m[3] as string)
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string
    const v = args[i + 1]
    if (a !== '--data-binary' || v === undefined) throw new Error(`http_${name}.txt: curl argument ${JSON.stringify(a)} is not one the replay knows (--data-binary VALUE)`)
    i++
    if (v.startsWith('@')) {
      const gen = GENERATED[v.slice(1)]
      if (!gen) throw new Error(`http_${name}.txt: no generated body ${v} (known: ${Object.keys(GENERATED).map((k) => `@${k}`).join(' ')})`)
      req.body = gen()
    } else req.body = Buffer.from(v, 'latin1')
  }
  return req
}

/** A chunked body decoded, or undefined while incomplete. */
function dechunk(b: Buffer): Buffer | undefined {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const nl = b.indexOf('\r\n', at)
    if (nl < 0) return undefined
    const size = parseInt(b.subarray(at, nl).toString('latin1'), 16)
    if (Number.isNaN(size)) throw new Error(`bad chunk size line ${JSON.stringify(b.subarray(at, nl).toString('latin1'))}`)
    at = nl + 2
    if (size === 0) return b.indexOf('\r\n\r\n', at - 2) >= 0 ? Buffer.concat(parts) : undefined
    if (b.length < at + size + 2) return undefined
    parts.push(b.subarray(at, at + size))
    at += size + 2
  }
}

/**
 * One request over a fresh raw socket, sent as curl sends it (`curl -i -H 'Expect:' -X METHOD
 * --data-binary ...`), and the answer as `curl -i` prints it: the status line and headers as
 * they came, then the (de-chunked) body. A body of its own length is read without waiting
 * for the close, so keep-alive does not matter; a server that answers early and closes while
 * the upload is still going is fine as long as the answer arrived whole.
 */
function exchange(port: number, req: HttpRequest): Promise<string> {
  const head =
    `${req.method} ${req.path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: curl/8 (nsqkit wire-replay)\r\nAccept: */*\r\n` +
    (req.body === undefined ? '' : `Content-Length: ${req.body.length}\r\nContent-Type: application/x-www-form-urlencoded\r\n`) +
    '\r\n'
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1')
    let buf = Buffer.alloc(0)
    let done = false
    let error: NodeJS.ErrnoException | undefined
    const finish = (err: Error | undefined, text = ''): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      sock.destroy()
      if (err) reject(err)
      else resolve(text)
    }
    const got = (): string => (buf.length ? `${buf.length} bytes: ${short(JSON.stringify(buf.toString('latin1')), 120)}` : 'nothing')
    const timer = setTimeout(() => finish(new Error(`no whole answer within ${HTTP_TIMEOUT_MS} ms (got ${got()})`)), HTTP_TIMEOUT_MS)
    const check = (closed: boolean): void => {
      const end = buf.indexOf('\r\n\r\n')
      if (end >= 0) {
        const headText = buf.subarray(0, end + 4).toString('latin1')
        const rest = buf.subarray(end + 4)
        const status = Number(/^HTTP\/\S+ (\d{3})/.exec(headText)?.[1])
        const length = /^content-length:[ \t]*(\d+)[ \t]*$/im.exec(headText)?.[1]
        let body: Buffer | undefined
        if (status === 204 || status === 304 || (status >= 100 && status < 200)) body = Buffer.alloc(0)
        else if (/^transfer-encoding:[ \t]*chunked[ \t]*$/im.test(headText)) body = dechunk(rest)
        else if (length !== undefined) body = rest.length >= Number(length) ? rest.subarray(0, Number(length)) : undefined
        else if (closed) body = rest
        if (body) return finish(undefined, headText + body.toString('latin1'))
      }
      if (closed) finish(new Error(`the connection closed${error ? ` (${error.code ?? error.message})` : ''} before a whole answer (got ${got()})`))
    }
    sock.on('connect', () => sock.write(Buffer.concat([Buffer.from(head, 'latin1'), req.body ?? Buffer.alloc(0)])))
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      check(false)
    })
    sock.on('error', (e: NodeJS.ErrnoException) => {
      error = e
    })
    sock.on('close', () => check(true))
  })
}

/** The values of a JSON answer that differ between runs, replaced by their kind. */
function normJson(v: Json, ports: {http: number; tcp: number}): Json {
  if (Array.isArray(v)) return v.map((x) => normJson(x, ports))
  if (!isObj(v)) return v
  const o: {[k: string]: Json} = {}
  for (const [k, x] of Object.entries(v)) {
    if (k === 'memory' && isObj(x)) o[k] = Object.fromEntries(Object.entries(x).map(([mk, mv]) => [mk, typeof mv === 'number' ? '<number>' : mv]))
    else if (['version', 'hostname', 'broadcast_address'].includes(k) && typeof x === 'string' && x.length) o[k] = '<string>'
    else if (k === 'start_time' && typeof x === 'number') o[k] = '<number>'
    else if (k === 'http_port' && x === ports.http) o[k] = '<http_port>'
    else if (k === 'tcp_port' && x === ports.tcp) o[k] = '<tcp_port>'
    else o[k] = normJson(x, ports)
  }
  return o
}

/** Every difference between the captured answer and serve's. */
function compareHttp(ref: HttpAnswer, got: HttpAnswer, ports: {http: number; tcp: number}): string[] {
  const probs: string[] = []
  if (ref.status !== got.status) probs.push(`status ${got.status}, expected ${ref.status}`)
  for (const h of ['x-nsq-content-type', 'content-type']) {
    const rv = ref.headers[h]
    const gv = got.headers[h]
    if ((rv ?? '').toLowerCase() !== (gv ?? '').toLowerCase()) probs.push(`${h}: ${gv === undefined ? '(absent)' : JSON.stringify(gv)}, expected ${rv === undefined ? '(absent)' : JSON.stringify(rv)}`)
  }
  // the capture script piped curl through grep and echo, which added up to two "\n": the
  // captured body ends at its Content-Length; serve's answer is read byte-exact
  const rcl = ref.headers['content-length']
  const rb = rcl !== undefined ? ref.body.slice(0, Number(rcl)) : ref.body.replace(/\n\n?$/, '')
  const gb = got.body
  const rt = rb.trim()
  if (rt.startsWith('{') || rt.startsWith('[')) {
    let gj: Json | undefined
    try {
      gj = JSON.parse(gb.trim()) as Json
    } catch {
      gj = undefined
    }
    if (gj === undefined) probs.push(`body not JSON: ${short(JSON.stringify(gb), 80)}`)
    else {
      const rn = normJson(JSON.parse(rt) as Json, {http: 4151, tcp: 4150})
      const gn = normJson(gj, ports)
      if (stable(rn) !== stable(gn)) probs.push(`body ${jsonDiff(rn, gn)}`)
    }
  } else if (rb !== gb) probs.push(`body ${short(JSON.stringify(gb), 60)}, expected ${short(JSON.stringify(rb), 60)}`)
  return probs
}

// ---------------------------------------------------------------- TCP

interface ProbeContext {
  lastMsgId?: string
}

interface Step {
  /** one write (the capture's `sent` lists them, after the magic) */
  send: Buffer | ((ctx: ProbeContext) => Buffer)
}

interface TcpCase {
  name: string
  /** "  V2" unless told otherwise */
  magic?: Buffer
  steps: Step[]
}

// the bytes are built by hand, not with the project's codecs, so that a fault shared by our
// encoder and decoder cannot hide
const MAGIC = Buffer.from('  V2')
const line = (s: string): Buffer => Buffer.from(`${s}\n`)
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32BE(n >>> 0)
  return b
}
const withBody = (cmd: string, body: string | Buffer): Buffer => {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body)
  return Buffer.concat([line(cmd), u32(b.length), b])
}
const identify = (o: Record<string, string | number | boolean>): Buffer => withBody('IDENTIFY', JSON.stringify(o))
const FAKE_ID = '0000000000000000'

/** What the probe that took tcp_frames.json sent, case by case (each on a fresh connection). */
const TCP_CASES: TcpCase[] = [
  {name: 'identify_feature_negotiation', steps: [{send: identify({client_id: 'probe', hostname: 'probe-host', user_agent: 'anchors-probe/1.0', feature_negotiation: true})}]},
  {name: 'identify_no_feature_negotiation', steps: [{send: identify({client_id: 'probe', hostname: 'probe-host'})}]},
  {name: 'identify_twice', steps: [{send: identify({client_id: 'probe'})}, {send: identify({client_id: 'probe'})}]},
  {name: 'bad_magic', magic: Buffer.from('  V1'), steps: [{send: line('NOP')}]},
  {name: 'unknown_command', steps: [{send: line('FOO')}]},
  {name: 'nop_then_unknown_command', steps: [{send: line('NOP')}, {send: line('BAR baz')}]},
  {name: 'sub_invalid_topic', steps: [{send: line('SUB bad!topic ch')}]},
  {name: 'sub_invalid_channel', steps: [{send: line('SUB ref_tcp ch!bad')}]},
  {name: 'sub_missing_params', steps: [{send: line('SUB ref_tcp')}]},
  {name: 'pub_ok', steps: [{send: withBody('PUB ref_tcp', 'hello')}]},
  {name: 'pub_invalid_topic', steps: [{send: withBody('PUB bad!topic', 'x')}]},
  {name: 'pub_empty_body', steps: [{send: withBody('PUB ref_tcp', '')}]},
  {name: 'pub_over_max_msg_size_header_only', steps: [{send: Buffer.concat([line('PUB ref_tcp'), u32(MAX_MSG_SIZE + 1)])}]},
  {name: 'pub_over_max_msg_size_with_body', steps: [{send: withBody('PUB ref_tcp', Buffer.alloc(MAX_MSG_SIZE + 1, 0x61))}]},
  {name: 'mpub_zero_messages', steps: [{send: Buffer.concat([line('MPUB ref_tcp'), u32(4), u32(0)])}]},
  {name: 'fin_unknown_id_subscribed', steps: [{send: line('SUB ref_tcp_fin ch')}, {send: line(`FIN ${FAKE_ID}`)}, {send: line('NOP')}]},
  {name: 'fin_not_subscribed', steps: [{send: line(`FIN ${FAKE_ID}`)}]},
  {name: 'fin_bad_id_length', steps: [{send: line('SUB ref_tcp_fin ch')}, {send: line('FIN abc')}]},
  {name: 'req_unknown_id', steps: [{send: line('SUB ref_tcp_fin ch')}, {send: line(`REQ ${FAKE_ID} 0`)}]},
  {name: 'touch_unknown_id', steps: [{send: line('SUB ref_tcp_fin ch')}, {send: line(`TOUCH ${FAKE_ID}`)}]},
  {name: 'rdy_over_max_rdy_count', steps: [{send: line('SUB ref_tcp_fin ch')}, {send: line(`RDY ${MAX_RDY_COUNT + 1}`)}]},
  {name: 'rdy_not_subscribed', steps: [{send: line('RDY 1')}]},
  {name: 'auth_when_disabled', steps: [{send: withBody('AUTH', 'secret')}]},
  {
    name: 'message_delivery_fin_cls',
    steps: [
      {send: withBody('PUB ref_tcp_msg', 'hello world')},
      {send: line('SUB ref_tcp_msg ch')},
      {send: line('RDY 1')},
      {send: (ctx) => (ctx.lastMsgId ? line(`FIN ${ctx.lastMsgId}`) : line('NOP'))},
      {send: line('CLS')},
    ],
  },
  // the heartbeat comes about 1 s after IDENTIFY: the capture's frame times say so (see stepPlans)
  {name: 'heartbeat_1s', steps: [{send: identify({client_id: 'probe', heartbeat_interval: 1000})}]},
]

interface ProbeFrame {
  frame_type: number
  raw_hex: string
  /** ms after the magic was sent that the frame was whole */
  t_ms: number
}

interface ProbeWrite {
  /** ms after the magic was sent */
  t_ms: number
  bytes?: number
}

/** A case as tcp_frames.json holds it (and as probe() returns it). */
interface ProbeResult {
  name: string
  /** the magic, then each step's write */
  sent: ProbeWrite[]
  frames: ProbeFrame[]
  closed_by_server: boolean
  /** ms after the magic was sent that the connection closed (by the server or by the probe) */
  close_t_ms: number
  error: string | null
}

/** How long a step may take to bring what the capture shows for it (a loaded machine is slow). */
const STEP_LIMIT_MS = 5000
/** After a step has brought what the capture shows, how long to wait for more (an extra frame, a close). */
const QUIET_MS = 150
/** A captured frame this long or longer after its step's write was a timer's (the heartbeat), not an answer. */
const TIMED_MS = 500
/** ...and serve's may not come before this share of the captured delay (timers do not fire early). */
const TIMED_EARLIEST = 0.9

/** What the capture shows for a step, from its times: the frames up to its end, a close, a late frame. */
interface StepPlan {
  /** frames the capture has by the end of this step, those of earlier steps included */
  framesBy: number
  /** the server closed after this step (the last one the probe sent) */
  close: boolean
  /** the longest a frame of this step came after the step's write, if one was timed (>= TIMED_MS) */
  timedMs: number
}

/** A captured frame that came TIMED_MS or more after its step's write: which step, how late. */
interface TimedFrame {
  frame: number
  step: number
  afterMs: number
}

/** The step (index into the writes after the magic) each captured frame answers: the last write before it. */
function stepOfFrames(ref: ProbeResult): number[] {
  const writes = ref.sent.slice(1).map((w) => w.t_ms)
  return ref.frames.map((f) => {
    let k = 0
    for (let i = 0; i < writes.length; i++) if ((writes[i] as number) <= f.t_ms) k = i
    return k
  })
}

function timedFrames(ref: ProbeResult): TimedFrame[] {
  const steps = stepOfFrames(ref)
  return ref.frames.flatMap((f, frame) => {
    const step = steps[frame] as number
    const afterMs = f.t_ms - (ref.sent[step + 1]?.t_ms ?? 0)
    return afterMs >= TIMED_MS ? [{frame, step, afterMs}] : []
  })
}

/** One plan per step, read from the capture's times (the probe paused 250 ms or more between writes). */
function stepPlans(ref: ProbeResult, nSteps: number): StepPlan[] {
  const steps = stepOfFrames(ref)
  const timed = timedFrames(ref)
  return Array.from({length: nSteps}, (_, k) => ({
    framesBy: steps.filter((s) => s <= k).length,
    close: ref.closed_by_server && k === nSteps - 1,
    timedMs: Math.max(0, ...timed.filter((t) => t.step === k).map((t) => t.afterMs)),
  }))
}

/**
 * Run one case as the capture's probe did, paced by what came back rather than by the clock:
 * connect, send the magic, then each step, and wait until the frames the capture shows by the
 * end of that step have come (or the close it shows, or the server closed), STEP_LIMIT_MS at
 * most (plus the captured delay of a timed frame), then QUIET_MS more for anything the capture
 * does not have; stop if the server has closed, and close the connection ourselves if it has not
 * by the end. What is missing after the limit, or extra in the quiet window, is a difference.
 * Frames are cut by their size prefix, by hand.
 */
function probe(port: number, c: TcpCase, plans: StepPlan[]): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const res: ProbeResult = {name: c.name, sent: [], frames: [], closed_by_server: false, close_t_ms: 0, error: null}
    const ctx: ProbeContext = {}
    let buf = Buffer.alloc(0)
    let connected = false
    let closed = false
    let weClosed = false
    let t0 = 0
    const now = (): number => Math.round(performance.now() - t0)
    // resolved when `cond` holds (checked on every frame and on the close) or after `ms`
    let wake: (() => void) | undefined
    const until = (cond: () => boolean, ms: number): Promise<void> =>
      new Promise((done) => {
        const finish = (): void => {
          clearTimeout(timer)
          wake = undefined
          done()
        }
        const timer = setTimeout(finish, ms)
        wake = () => {
          if (cond()) finish()
        }
        wake()
      })
    const sock = connect(port, '127.0.0.1')
    sock.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      while (buf.length >= 4) {
        const size = buf.readUInt32BE(0)
        if (buf.length < 4 + size) break
        const type = buf.readUInt32BE(4)
        const data = buf.subarray(8, 4 + size)
        if (type === 2 && data.length >= 26) ctx.lastMsgId = data.subarray(10, 26).toString('latin1')
        res.frames.push({frame_type: type, raw_hex: buf.subarray(0, 4 + size).toString('hex'), t_ms: now()})
        buf = buf.subarray(4 + size)
      }
      wake?.()
    })
    sock.on('error', (e: NodeJS.ErrnoException) => {
      res.error = e.code ?? e.message
    })
    sock.on('close', () => {
      closed = true
      res.closed_by_server = !weClosed
      res.close_t_ms = now()
      wake?.()
      if (!connected) resolve(res) // could not connect: res.error says why
    })
    sock.on('connect', async () => {
      connected = true
      t0 = performance.now()
      const magic = c.magic ?? MAGIC
      sock.write(magic)
      res.sent.push({t_ms: 0, bytes: magic.length})
      for (const [k, st] of c.steps.entries()) {
        if (closed) break
        const plan = plans[k] ?? {framesBy: 0, close: false, timedMs: 0}
        const b = typeof st.send === 'function' ? st.send(ctx) : st.send
        sock.write(b)
        res.sent.push({t_ms: now(), bytes: b.length})
        await until(() => closed || (res.frames.length >= plan.framesBy && !plan.close), STEP_LIMIT_MS + plan.timedMs)
        await until(() => closed, QUIET_MS)
      }
      if (!closed) {
        weClosed = true
        sock.destroy()
        await until(() => closed, 1000)
      }
      resolve(res)
    })
  })
}

const TYPE_NAMES: Record<number, string> = {0: 'response', 1: 'error'}

/** A frame as compared: message frames without timestamp and id, IDENTIFY JSON as a value. */
function frameKey(f: ProbeFrame, isRef: boolean): string {
  const data = Buffer.from(f.raw_hex, 'hex').subarray(8)
  if (f.frame_type === 2) {
    if (data.length < 26) return `message(short ${data.length} bytes)`
    const ts = data.readBigUInt64BE(0)
    const attempts = data.readUInt16BE(8)
    const id = data.subarray(10, 26).toString('latin1')
    const body = data.subarray(26).toString('latin1')
    const probs: string[] = []
    if (!isRef) {
      if (!/^[0-9a-f]{16}$/.test(id)) probs.push(`id ${JSON.stringify(id)} not 16 hex chars`)
      if (Math.abs(Number(ts / 1_000_000n) - Date.now()) > 3600e3) probs.push(`timestamp ${ts} is not ns near now`)
    }
    return `message(attempts=${attempts}, body=${JSON.stringify(body)}${probs.length ? `, ${probs.join(', ')}` : ''})`
  }
  const tn = TYPE_NAMES[f.frame_type] ?? `type${f.frame_type}`
  if (f.frame_type === 0 && data[0] === 0x7b) {
    let j: Json
    try {
      j = JSON.parse(data.toString('utf8')) as Json
    } catch {
      return `${tn}(not JSON: ${short(data.toString('latin1'))})`
    }
    if (isObj(j) && typeof j.version === 'string' && j.version.length) j.version = '<version>'
    return `${tn}(json ${stable(j)})`
  }
  return `${tn}(${JSON.stringify(data.toString('latin1'))})`
}

const jsonOf = (key: string): Json | undefined => {
  const m = /^response\(json (.*)\)$/.exec(key)
  return m ? (JSON.parse(m[1] as string) as Json) : undefined
}

/**
 * A timed frame of the capture (the heartbeat) that serve sent too early: before TIMED_EARLIEST
 * of the captured delay after the same step's write. Only where the frame itself is the same.
 */
function timingDiffs(ref: ProbeResult, got: ProbeResult, r: string[], g: string[]): string[] {
  return timedFrames(ref).flatMap(({frame, step, afterMs}) => {
    const gf = got.frames[frame]
    const gw = got.sent[step + 1]
    if (gf === undefined || gw === undefined || r[frame] !== g[frame]) return []
    const gotMs = gf.t_ms - gw.t_ms
    const earliest = Math.floor(afterMs * TIMED_EARLIEST)
    return gotMs < earliest ? [`frame ${frame + 1} came ${gotMs} ms after step ${step + 1}'s write, expected about ${afterMs} ms as captured (not before ${earliest} ms)`] : []
  })
}

/** ms from the last write to the close. */
const openAfterLastWrite = (p: ProbeResult): number => p.close_t_ms - (p.sent[p.sent.length - 1]?.t_ms ?? 0)

/**
 * serve closed, but only after all the capture's writes and later after the last one than the
 * capture watched an open connection (nsqd too closes a silent client, after 2 heartbeats): not
 * a difference. Only heartbeat_1s watches long enough for that, when a loaded machine delays its
 * heartbeat towards the 2 s read deadline.
 */
function closedAfterCapture(ref: ProbeResult, got: ProbeResult): boolean {
  return !ref.closed_by_server && got.closed_by_server && got.sent.length === ref.sent.length && openAfterLastWrite(got) >= openAfterLastWrite(ref)
}

/** When things happened, for a failure message: "writes 0 1, frames 2 1003, closed by the probe 1552" (ms). */
const timesOf = (p: ProbeResult): string =>
  `writes ${p.sent.map((w) => w.t_ms).join(' ')}, frames ${p.frames.map((f) => f.t_ms).join(' ') || '-'}, closed by the ${p.closed_by_server ? 'server' : 'probe'} ${p.close_t_ms}`

/** Every difference between the captured case and serve's: each differing frame, the count, the close, a timed frame too early. */
function compareTcp(ref: ProbeResult, got: ProbeResult): string[] {
  const r = ref.frames.map((f) => frameKey(f, true))
  const g = got.frames.map((f) => frameKey(f, false))
  const timing = timingDiffs(ref, got, r, g)
  const sameFrames = r.length === g.length && r.every((x, i) => x === g[i])
  const gotClosed = got.closed_by_server && !closedAfterCapture(ref, got)
  if (sameFrames && ref.closed_by_server === gotClosed) return timing
  if (ref.name === 'pub_over_max_msg_size_with_body' && gotClosed && g.length === 0 && got.error === 'ECONNRESET') return []
  const probs: string[] = []
  for (let k = 0; k < Math.max(r.length, g.length); k++) {
    const rk = r[k]
    const gk = g[k]
    if (rk === gk) continue
    const rj = rk === undefined ? undefined : jsonOf(rk)
    const gj = gk === undefined ? undefined : jsonOf(gk)
    probs.push(
      rj !== undefined && gj !== undefined
        ? `frame ${k + 1} (IDENTIFY JSON): ${jsonDiff(rj, gj)}`
        : `frame ${k + 1}: got ${short(gk ?? '(none)')}, expected ${short(rk ?? '(none)')}`,
    )
  }
  if (r.length !== g.length) probs.push(`${g.length} frames, expected ${r.length}`)
  if (ref.closed_by_server !== gotClosed) {
    probs.push(`connection ${gotClosed ? 'closed by the server' : 'left open'}, expected ${ref.closed_by_server ? 'closed by the server' : 'left open'}`)
  }
  if (got.error) probs.push(`socket error ${got.error}`)
  return [...probs, ...timing]
}

const TCP_REF = (JSON.parse(readCapture('tcp_frames.json')) as {cases: ProbeResult[]}).cases

// ---------------------------------------------------------------- the replay

let serve: ServeChild | undefined

before(async () => {
  serve = await startServe()
})

after(async () => {
  await serve?.stop('SIGKILL')
})

const running = (): ServeChild => {
  assert.ok(serve, 'serve did not start')
  return serve
}

test('every capture has a replay and every replay a capture', () => {
  const probs: string[] = []
  for (const n of HTTP_ORDER) if (!HTTP_FILES.includes(n)) probs.push(`replay-order.txt names ${n}, but there is no http_${n}.txt`)
  for (const rc of TCP_REF) if (!TCP_CASES.some((c) => c.name === rc.name)) probs.push(`tcp_frames.json has ${rc.name}, but TCP_CASES does not say what to send`)
  for (const c of TCP_CASES) if (!TCP_REF.some((rc) => rc.name === c.name)) probs.push(`TCP_CASES has ${c.name}, but tcp_frames.json has no capture of it`)
  // the replay is paced by the capture's times, step by step: the steps must be its writes
  for (const rc of TCP_REF) {
    const c = TCP_CASES.find((x) => x.name === rc.name)
    if (!c) continue
    const writes = rc.sent.slice(1)
    if (writes.length !== c.steps.length) probs.push(`${rc.name}: ${c.steps.length} steps, but the capture has ${writes.length} writes after the magic`)
    c.steps.forEach((st, k) => {
      const n = (typeof st.send === 'function' ? st.send({lastMsgId: FAKE_ID}) : st.send).length
      if (writes[k] !== undefined && writes[k].bytes !== n) probs.push(`${rc.name}: step ${k + 1} writes ${n} bytes, the capture's write ${writes[k].bytes ?? '(no length)'}`)
    })
    if ([...rc.sent, ...rc.frames].some((x) => typeof x.t_ms !== 'number')) probs.push(`${rc.name}: a write or frame without its time (t_ms)`)
  }
  assert.deepEqual(probs, [])
  // what the fixtures held when this test was written: a lost file shows up here
  assert.ok(HTTP_CASES.length >= 24, `${HTTP_CASES.length} HTTP cases`)
  assert.ok(TCP_REF.length >= 25, `${TCP_REF.length} TCP cases`)
})

describe('HTTP: the nsqd 1.3.0 answers, replayed in their captured order', () => {
  for (const name of HTTP_CASES) {
    test(`http ${name}`, {timeout: HTTP_TIMEOUT_MS + 10_000}, async () => {
      const s = running()
      const text = readCapture(`http_${name}.txt`, 'latin1')
      const ref = parseHttpAnswer(text)
      assert.ok(ref?.request !== undefined, `http_${name}.txt: no "REQUEST: ..." line and "----" before the answer`)
      const req = parseRequestLine(name, ref.request)
      let answer: string
      try {
        answer = await exchange(s.httpPort, req)
      } catch (e) {
        assert.fail(`http ${name}: ${req.method} ${req.path}: no HTTP answer: ${(e as Error).message}\n--- serve stderr (tail)\n${s.stderr().slice(-2000)}`)
      }
      const got = parseHttpAnswer(answer)
      if (!got) assert.fail(`http ${name}: ${req.method} ${req.path}: not an HTTP answer: ${short(JSON.stringify(answer), 200)}`)
      const probs = compareHttp(ref, got, {http: s.httpPort, tcp: s.tcpPort})
      assert.ok(probs.length === 0, `http ${name}: ${req.method} ${req.path}:\n  ${probs.join('\n  ')}`)
    })
  }
})

describe('TCP: the nsqd 1.3.0 frames, one fresh connection per case', () => {
  for (const rc of TCP_REF) {
    const c = TCP_CASES.find((x) => x.name === rc.name)
    test(`tcp ${rc.name}`, {skip: c ? false : 'no replay (see the first test)'}, async () => {
      const tc = c as TcpCase
      const got = await probe(running().tcpPort, tc, stepPlans(rc, tc.steps.length))
      const probs = compareTcp(rc, got)
      assert.ok(probs.length === 0, `tcp ${rc.name}:\n  ${probs.join('\n  ')}\n  (ms after the magic: serve ${timesOf(got)}; nsqd ${timesOf(rc)})`)
    })
  }
})

test('serve is still up after the replay and stops cleanly on SIGTERM', async () => {
  const s = running()
  const ping = await fetch(`http://127.0.0.1:${s.httpPort}/ping`)
  assert.equal(await ping.text(), 'OK')
  assert.equal(await s.stop('SIGTERM'), 0, `serve's exit code after the replay\n${s.stderr().slice(-2000)}`)
})
