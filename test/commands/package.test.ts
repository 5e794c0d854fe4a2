/**
 * The package as a user gets it (issue 5 §4): `npm pack` of the built tree, installed from the
 * tarball into a fresh project and globally into a fresh prefix, then used the way the README
 * says.
 *
 *  - the tarball ships the entry points' declarations and the LICENSE, and none of test/, bench/,
 *    the sources or the source maps (whose sources it does not ship)
 *  - `npm install <tarball>` in a temporary project: the README's client example (taken from
 *    README.md itself, so the doc cannot drift) compiles with `tsc --strict` against the shipped
 *    declarations, next to a file that uses `nsqkit/protocol` and checks at type level that the
 *    internals cannot be imported; then it runs against the packed `nsqd` shim on port 0 and
 *    prints what the README says it prints, and the public /stats decoder reads that nsqd's stats
 *  - `nsqkit` and `nsqkit/protocol` export exactly the documented names (each named in the
 *    README), deep imports fail with ERR_PACKAGE_PATH_NOT_EXPORTED, and no `any` and no
 *    `Buffer<…>` (which an older, non-generic @types/node rejects) is reachable from the entry
 *    points' declarations
 *  - CommonJS resolvers (require.resolve, as jest and esbuild's cjs output resolve) find both
 *    entry points, and `require('nsqkit')` works where Node has require(esm)
 *  - `npm i -g <tarball> --prefix <tmp>`: `nsqd -version` and `nsq_tail -help` from that PATH
 *
 * npm runs with --prefer-offline: the dependencies (@oclif/core, undici) come from the cache
 * `npm ci` filled, the registry only for what the cache lacks.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, dirname, join} from 'node:path'
import {after, before, describe, test} from 'node:test'
import {NSQKIT_VERSION, NSQ_VERSION} from '../../src/core/version.js'
import {REPO_ROOT, startServe, type ServeChild} from '../helpers/serve.js'

/** The runtime names each entry point exports: what the README documents. */
const MAIN_EXPORTS = [
  'BadResponseError',
  'ConfigError',
  'ConnectionRefusedError',
  'Consumer',
  'DEFAULT_CLIENT_CONFIG',
  'LookupdError',
  'NSQKIT_VERSION',
  'NSQ_VERSION',
  'NotConnectedError',
  'NsqClientError',
  'OPTION_KEYS',
  'Producer',
  'ProtocolResponseError',
  'StoppedError',
  'TimeoutError',
  'applyOptFlags',
  'createLogger',
  'resolveClientConfig',
  'setOption',
]
const PROTOCOL_EXPORTS = [
  'CLOSE_WAIT',
  'Command',
  'CommandDecoder',
  'ERROR_CODES',
  'EPHEMERAL_SUFFIX',
  'FRAME_HEADER_SIZE',
  'FrameDecoder',
  'FrameError',
  'FrameType',
  'HEARTBEAT',
  'MAGIC_V2',
  'MAX_LINE_LENGTH',
  'MAX_NAME_LENGTH',
  'MESSAGE_HEADER_SIZE',
  'MSG_ID_LENGTH',
  'NON_FATAL_CODES',
  'OK',
  'ProtocolError',
  'auth',
  'cls',
  'JsonShapeError',
  'decodeChannels',
  'decodeIdentify',
  'decodeIdentifyResponse',
  'decodeLookup',
  'decodeLookupdInfo',
  'decodeMessage',
  'decodeMpubBody',
  'decodeNodes',
  'decodeStats',
  'decodeStatsBody',
  'decodeTopics',
  'dpub',
  'encodeFrame',
  'encodeMessage',
  'encodeMpubBody',
  'fin',
  'identify',
  'isEphemeral',
  'isFatalCode',
  'isNsqErrorCode',
  'isValidChannelName',
  'isValidTopicName',
  'mpub',
  'nop',
  'parseJsonBody',
  'pub',
  'rdy',
  'req',
  'sub',
  'touch',
]

const README = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
const EXAMPLE_MARK = '<!-- readme-example:'

/** The ```ts block after the README's example marker. */
function readmeExample(): string {
  const at = README.indexOf(EXAMPLE_MARK)
  assert.ok(at >= 0, `README.md has no ${EXAMPLE_MARK} marker`)
  const m = /```ts\n([\s\S]*?)\n```/.exec(README.slice(at))
  assert.ok(m, 'no ```ts block after the README example marker')
  return `${m[1]}\n`
}

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** The child's environment: npm's own variables from a surrounding `npm test` left out, but for its cache and registry settings. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_/i.test(k) && !/^npm_config_(cache|registry|userconfig|globalconfig|cafile|ca|strict_ssl|proxy|https_proxy|noproxy)$/i.test(k)) continue
    if (k === 'INIT_CWD') continue
    env[k] = v
  }
  return {...env, NO_COLOR: '1', ...extra}
}

/** Run `cmd args` in `cwd`, SIGKILLed after `timeoutMs`. */
function exec(cmd: string, args: string[], opts: {cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd, args, {cwd: opts.cwd, env: opts.env ?? childEnv(), stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    const t = setTimeout(() => proc.kill('SIGKILL'), opts.timeoutMs)
    proc.once('error', (err) => {
      clearTimeout(t)
      reject(err)
    })
    proc.once('close', (code, signal) => {
      clearTimeout(t)
      resolve({code, signal, stdout, stderr})
    })
  })
}

/** npm as the surrounding `npm test` runs it (its npm-cli.js), else the one on PATH. */
function npm(args: string[], cwd: string, timeoutMs = 120_000): Promise<Run> {
  const cli = process.env.npm_execpath
  const argv = ['--no-audit', '--no-fund', '--no-update-notifier', ...args]
  return cli !== undefined && cli.endsWith('.js') ? exec(process.execPath, [cli, ...argv], {cwd, timeoutMs}) : exec('npm', argv, {cwd, timeoutMs})
}

function assertOk(r: Run, what: string): void {
  assert.equal(r.code, 0, `${what} exited with ${r.code ?? r.signal}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`)
}

/**
 * Every .d.ts reachable from `entry` through relative module references: `import … from './x.js'`
 * and `export … from`, and the `import("./x.js").T` type references tsc writes for inferred types.
 */
function declarationClosure(entry: string): Map<string, string> {
  const seen = new Map<string, string>()
  const todo = [entry]
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) {
    if (seen.has(f)) continue
    const text = readFileSync(f, 'utf8')
    seen.set(f, text)
    for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)(['"])(\.[^'"]+)\.js\1/g)) todo.push(join(dirname(f), `${m[2]}.d.ts`))
  }
  return seen
}

describe('the npm package', {timeout: 240_000}, () => {
  let tmp = ''
  let tarball = ''
  let files: string[] = []
  let project = ''
  let serve: ServeChild | null = null

  before(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'nsqkit-pack-'))
    // the suite has built dist/ already (pretest), so no prepack build
    const r = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], REPO_ROOT)
    assertOk(r, 'npm pack')
    const info = JSON.parse(r.stdout) as {filename: string; files: {path: string}[]}[]
    const first = info[0]
    assert.ok(first, `npm pack --json printed nothing usable: ${r.stdout}`)
    tarball = join(tmp, first.filename)
    files = first.files.map((f) => f.path)
  })

  after(async () => {
    await serve?.stop()
    if (serve) rmSync(serve.dataPath, {recursive: true, force: true})
    if (tmp) rmSync(tmp, {recursive: true, force: true})
  })

  test('the tarball ships the entry points and their declarations, no tests, bench or sources', () => {
    for (const f of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/protocol.js', 'dist/src/protocol.d.ts', 'bin/nsqd', 'bin/nsq_tail', 'README.md', 'LICENSE']) {
      assert.ok(files.includes(f), `${f} is not in the tarball`)
    }
    const stray = files.filter((f) => /^(dist\/(test|bench)|src|test|bench|scripts)\//.test(f))
    assert.deepEqual(stray, [])
    // a map names ../../src/*.ts, which is not shipped: no map rather than a broken one
    assert.deepEqual(
      files.filter((f) => f.endsWith('.map')),
      [],
    )
  })

  test('installed into a project, the README example compiles under strict and runs against serve', {timeout: 180_000}, async () => {
    project = join(tmp, 'project')
    mkdirSync(project)
    writeFileSync(join(project, 'package.json'), JSON.stringify({name: 'nsqkit-example', private: true, type: 'module'}))
    assertOk(await npm(['install', '--prefer-offline', tarball], project), 'npm install <tarball>')

    writeFileSync(join(project, 'example.ts'), readmeExample())
    writeFileSync(
      join(project, 'surface.ts'),
      [
        "import {ConfigError, DEFAULT_CLIENT_CONFIG, NsqClientError, applyOptFlags, type ClientConfig, type ClientErrorCode, type ConsumerMessage, type MessageHandler} from 'nsqkit'",
        "import {ERROR_CODES, FrameDecoder, FrameType, JsonShapeError, decodeLookup, decodeMessage, decodeStats, encodeFrame, encodeMessage, isFatalCode, pub, type LookupResult, type NsqErrorCode, type StatsDoc} from 'nsqkit/protocol'",
        "// @ts-expect-error the internals are not importable",
        "import type {Connection} from 'nsqkit/dist/src/core/client/connection.js'",
        '',
        "const cfg: ClientConfig = applyOptFlags(DEFAULT_CLIENT_CONFIG, ['max_in_flight,100', 'msg_timeout,30s'])",
        "const err = new ConfigError('max_in_flight', 'bad')",
        "const literal: 'ERR_INVALID_CONFIG' = err.code",
        'const code: ClientErrorCode = literal',
        'const handler: MessageHandler = (m: ConsumerMessage) => m.requeueWithoutBackoff(0)',
        'const dec = new FrameDecoder()',
        "dec.push(encodeFrame(FrameType.Message, encodeMessage({timestamp: 1n, attempts: 1, id: '0123456789abcdef', body: Buffer.from('hi')})))",
        'const frame = dec.next()',
        "const msg = frame?.type === FrameType.Message ? decodeMessage(frame.data) : null",
        "const fatal: NsqErrorCode[] = ERROR_CODES.filter((c) => isFatalCode(c))",
        'console.log(cfg.max_in_flight, cfg.msg_timeout, code, err instanceof NsqClientError, typeof handler, msg?.id, msg?.body.toString(), ERROR_CODES.length - fatal.length)',
        "console.log(JSON.stringify(pub('t', 'b').encode().toString('latin1')))",
        "const found: LookupResult = decodeLookup({producers: [{broadcast_address: 'h', tcp_port: 4150}]})",
        "let shape = ''",
        "try { const doc: StatsDoc = decodeStats({version: 1}); shape = doc.version } catch (e) { if (e instanceof JsonShapeError) shape = `${e.code} ${e.path}` }",
        "console.log(found.producers[0]?.broadcast_address, found.producers[0]?.tcp_port, found.channels.length, shape)",
        'export type Unused = Connection',
        '',
      ].join('\n'),
    )
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          skipLibCheck: false,
          outDir: 'out',
        },
        files: ['example.ts', 'surface.ts', 'stats.ts'],
      }),
    )
    // a program reading nsqd's /stats with the public decoder
    writeFileSync(
      join(project, 'stats.ts'),
      [
        "import {decodeStatsBody, type StatsDoc} from 'nsqkit/protocol'",
        '',
        "const res = await fetch(`http://${process.env.NSQD_HTTP_ADDRESS ?? '127.0.0.1:4151'}/stats?format=json`)",
        'const doc: StatsDoc = decodeStatsBody(Buffer.from(await res.arrayBuffer()))',
        'for (const t of doc.topics ?? []) {',
        "  for (const c of t.channels) console.log(doc.version, doc.health, t.topic_name, t.message_count, c.channel_name, c.message_count, c.depth, c.in_flight_count)",
        '}',
        '',
      ].join('\n'),
    )
    // a TypeScript user has typescript and @types/node; the repository's stand in for them
    mkdirSync(join(project, 'node_modules', '@types'), {recursive: true})
    symlinkSync(realpathSync(join(REPO_ROOT, 'node_modules', '@types', 'node')), join(project, 'node_modules', '@types', 'node'), 'dir')
    const tsc = await exec(process.execPath, [join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project], {cwd: project, timeoutMs: 60_000})
    assertOk(tsc, 'tsc against the installed declarations')

    const surface = await exec(process.execPath, [join(project, 'out', 'surface.js')], {cwd: project, timeoutMs: 15_000})
    assertOk(surface, 'surface.js')
    assert.equal(surface.stdout, `100 30000 ERR_INVALID_CONFIG true function 0123456789abcdef hi 3\n${JSON.stringify('PUB t\n\u0000\u0000\u0000\u0001b')}\nh 4150 0 ERR_JSON_SHAPE version\n`)

    // the broker of the same tarball
    serve = await startServe([], {shim: join(project, 'node_modules', 'nsqkit', 'bin', 'nsqd')})
    const run = await exec(process.execPath, [join(project, 'out', 'example.js')], {
      cwd: project,
      env: childEnv({NSQD_TCP_ADDRESS: `127.0.0.1:${serve.tcpPort}`}),
      timeoutMs: 30_000,
    })
    assertOk(run, 'the README example')
    const lines = run.stdout.trimEnd().split('\n')
    assert.equal(lines[0], 'refused: E_BAD_TOPIC')
    assert.deepEqual(lines.slice(1, -1).sort(), ['got hello (attempt 1)', 'got later (attempt 1)', 'got one (attempt 1)', 'got two (attempt 1)'])
    assert.equal(lines.at(-1), 'finished 4 of 4')
    assert.equal(lines.length, 6, run.stdout)

    const stats = await exec(process.execPath, [join(project, 'out', 'stats.js')], {
      cwd: project,
      env: childEnv({NSQD_HTTP_ADDRESS: `127.0.0.1:${serve.httpPort}`}),
      timeoutMs: 15_000,
    })
    assertOk(stats, 'stats.js')
    assert.equal(stats.stdout, `${NSQ_VERSION} OK events 4 archive 4 0 0\n`)
  })

  test('only the documented names can be imported, and no `any` is reachable from the declarations', {timeout: 30_000}, async () => {
    assert.ok(project !== '', 'needs the installed project of the test before')
    const probe = [
      "const main = await import('nsqkit')",
      "const protocol = await import('nsqkit/protocol')",
      "let deep = 'importable'",
      "try { await import('nsqkit/dist/src/core/client/producer.js') } catch (err) { deep = err.code }",
      "const {createRequire} = await import('node:module')",
      "const pkg = createRequire(import.meta.url)('nsqkit/package.json')",
      'console.log(JSON.stringify({main: Object.keys(main).sort(), protocol: Object.keys(protocol).sort(), deep, version: pkg.version}))',
    ].join('\n')
    const r = await exec(process.execPath, ['--input-type=module', '-e', probe], {cwd: project, timeoutMs: 15_000})
    assertOk(r, 'the import probe')
    const got = JSON.parse(r.stdout) as {main: string[]; protocol: string[]; deep: string; version: string}
    assert.deepEqual(got.main, [...MAIN_EXPORTS].sort())
    assert.deepEqual(got.protocol, [...PROTOCOL_EXPORTS].sort())
    assert.equal(got.deep, 'ERR_PACKAGE_PATH_NOT_EXPORTED')
    assert.equal(got.version, NSQKIT_VERSION)
    // each named in the README: `name` or `name(…)`
    for (const name of [...MAIN_EXPORTS, ...PROTOCOL_EXPORTS]) assert.match(README, new RegExp(`\`${name}[\`(]`), `README does not name the export ${name}`)

    const installed = join(project, 'node_modules', 'nsqkit', 'dist', 'src')
    const closure = new Map([...declarationClosure(join(installed, 'index.d.ts')), ...declarationClosure(join(installed, 'protocol.d.ts'))])
    assert.ok(closure.has(join(installed, 'core', 'protocol', 'stats-json.d.ts')), [...closure.keys()].join('\n'))
    // the walk itself follows `import("./x.js")` type references (tsc's for inferred types) as well as `from`
    const walk = join(tmp, 'walk')
    mkdirSync(walk)
    writeFileSync(join(walk, 'a.d.ts'), 'export declare const x: import("./b.js").B;\n')
    writeFileSync(join(walk, 'b.d.ts'), "export type {C as B} from './c.js';\n")
    writeFileSync(join(walk, 'c.d.ts'), 'export type C = number;\n')
    assert.deepEqual([...declarationClosure(join(walk, 'a.d.ts')).keys()].sort(), ['a', 'b', 'c'].map((n) => join(walk, `${n}.d.ts`)))
    for (const [file, text] of closure) {
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')
      assert.doesNotMatch(code, /\bany\b/, `${file} mentions any`)
      assert.doesNotMatch(code, /\bBuffer\s*</, `${file} uses the generic Buffer<…>, which an older, non-generic @types/node rejects ("Buffer is not generic")`)
    }
  })

  test('CommonJS resolves both entry points, and require() loads them where Node has require(esm)', {timeout: 30_000}, async () => {
    assert.ok(project !== '', 'needs the installed project of the test before')
    // `node -e` is CommonJS, resolving from the project as a CJS file of it would
    const probe = [
      "const out = {index: require.resolve('nsqkit'), protocol: require.resolve('nsqkit/protocol'), requireModule: process.features.require_module === true}",
      'try {',
      "  out.main = Object.keys(require('nsqkit')).sort()",
      "  out.protocolKeys = Object.keys(require('nsqkit/protocol')).length",
      '} catch (err) { out.requireError = err.code }',
      "try { require.resolve('nsqkit/dist/src/core/client/producer.js') } catch (err) { out.deep = err.code }",
      'console.log(JSON.stringify(out))',
    ].join('\n')
    const r = await exec(process.execPath, ['-e', probe], {cwd: project, timeoutMs: 15_000})
    assertOk(r, 'the require probe')
    const got = JSON.parse(r.stdout) as {index: string; protocol: string; requireModule: boolean; main?: string[]; protocolKeys?: number; requireError?: string; deep?: string}
    const installed = realpathSync(join(project, 'node_modules', 'nsqkit', 'dist', 'src'))
    assert.equal(got.index, join(installed, 'index.js'))
    assert.equal(got.protocol, join(installed, 'protocol.js'))
    assert.equal(got.deep, 'ERR_PACKAGE_PATH_NOT_EXPORTED')
    if (got.requireModule) {
      assert.equal(got.requireError, undefined, 'require() of the ESM entry points failed')
      assert.deepEqual(got.main, [...MAIN_EXPORTS].sort())
      assert.equal(got.protocolKeys, PROTOCOL_EXPORTS.length)
    } else {
      // Node without require(esm): the honest refusal, after resolution succeeded
      assert.equal(got.requireError, 'ERR_REQUIRE_ESM')
    }
  })

  test('npm i -g of the tarball puts the Go-named bins on PATH', {timeout: 180_000}, async () => {
    const prefix = join(tmp, 'prefix')
    assertOk(await npm(['install', '--global', '--prefer-offline', '--prefix', prefix, tarball], tmp), 'npm i -g <tarball>')
    const env = childEnv({PATH: [join(prefix, 'bin'), dirname(process.execPath), process.env.PATH ?? ''].join(delimiter)})
    const version = await exec('nsqd', ['-version'], {cwd: tmp, env, timeoutMs: 15_000})
    assertOk(version, 'nsqd -version')
    assert.equal(version.stdout, `nsqd v${NSQ_VERSION} (nsqkit v${NSQKIT_VERSION})\n`)
    const help = await exec('nsq_tail', ['-help'], {cwd: tmp, env, timeoutMs: 15_000})
    assertOk(help, 'nsq_tail -help')
    assert.match(help.stdout + help.stderr, /-topic/)
  })
})
