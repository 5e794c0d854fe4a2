// Lint: typescript-eslint's recommended rules, plus the import rules of docs/ARCHITECTURE.md as
// zones: for the files of each layer, no-restricted-imports bans the layers it may not reach
// (matched on the import path, so no resolver and no native binding is needed) and, for the
// pure layers, the I/O and CLI modules.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'

const CLI_LIBS = [
  {name: '@oclif/core', message: 'core has no oclif: only src/cli and src/commands use it'},
  {name: 'chalk', message: 'only src/cli renders'},
]
const IO_MODULES = ['net', 'fs', 'fs/promises', 'tls', 'zlib', 'timers', 'http', 'https', 'dgram', 'child_process']
const IO_LIBS = [
  ...IO_MODULES.flatMap((m) => [m, `node:${m}`]).map((name) => ({name, message: 'protocol is pure codecs: no I/O'})),
  {name: 'undici', message: 'protocol is pure codecs: no I/O'},
  {name: 'zlib-sync', message: 'protocol is pure codecs: no I/O'},
]
const layer = (dir, message) => ({group: [`**/${dir}`, `**/${dir}/**`], message})

/** files: globs of one layer; banned: the layers (folder names) it must not import, or raw patterns. */
function zone(files, banned, paths = CLI_LIBS) {
  return {
    files,
    rules: {
      'no-restricted-imports': ['error', {paths, patterns: banned.map((b) => (Array.isArray(b) ? layer(b[0], b[1]) : b))}],
    },
  }
}

const NOT_UP = [
  ['cli', 'core never imports the CLI layers'],
  ['commands', 'core never imports the CLI layers'],
]

const BROKER_BANS = [['client', 'client and broker never import each other'], ['tools', 'broker does not import tools'], ['admin', 'the admin server sits above the daemons'], ...NOT_UP]
/** the broker's top-level files (composition root, HTTP routes, stats), which its parts sit below */
const BROKER_ROOT = (why) => [{group: ['../broker.js', '../http.js', '../stats.js', '../index.js'], message: why}]

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'data/**', 'bin/**', 'scripts/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_'}],
    },
  },
  // util: the bottom layer
  zone(['src/core/util/**/*.ts'], [['protocol', 'util is the bottom layer'], ['transport', 'util is the bottom layer'], ['http-api', 'util is the bottom layer'], ['client', 'util is the bottom layer'], ['broker', 'util is the bottom layer'], ['lookupd', 'util is the bottom layer'], ['tools', 'util is the bottom layer'], ...NOT_UP]),
  // protocol: pure codecs, only util below it
  zone(
    ['src/core/protocol/**/*.ts'],
    [['transport', 'protocol imports nothing of the project but util'], ['http-api', 'protocol imports nothing of the project but util'], ['client', 'protocol imports nothing of the project but util'], ['broker', 'protocol imports nothing of the project but util'], ['lookupd', 'protocol imports nothing of the project but util'], ['tools', 'protocol imports nothing of the project but util'], ...NOT_UP],
    [...CLI_LIBS, ...IO_LIBS],
  ),
  zone(['src/core/transport/**/*.ts'], [['http-api', 'transport sits below client and broker'], ['client', 'transport sits below client and broker'], ['broker', 'transport sits below client and broker'], ['lookupd', 'transport sits below client and broker'], ['tools', 'transport sits below client and broker'], ...NOT_UP]),
  // client and broker meet only in protocol and transport
  // http-api: nsq's HTTP conventions, shared by the daemons (broker, lookupd, the admin UI)
  zone(['src/core/http-api/**/*.ts'], [['transport', 'http-api stands on protocol and util'], ['client', 'http-api stands on protocol and util'], ['broker', 'http-api stands on protocol and util'], ['lookupd', 'http-api stands on protocol and util'], ['tools', 'http-api stands on protocol and util'], ...NOT_UP]),
  zone(['src/core/client/**/*.ts'], [['admin', 'client sits below admin'], ['http-api', 'the HTTP conventions are the daemons\' side'], ['broker', 'client and broker never import each other'], ['lookupd', 'client does not import lookupd'], ['tools', 'client sits below tools'], ...NOT_UP]),
  zone(['src/core/broker/**/*.ts'], BROKER_BANS),
  // inside the broker, downhill only: broker.ts, http, stats → session → delivery → queue
  zone(['src/core/broker/session/**/*.ts'], [...BROKER_BANS, ...BROKER_ROOT('a session sees the broker through BrokerContext')]),
  zone(['src/core/broker/delivery/**/*.ts'], [...BROKER_BANS, ['session', 'a channel sees a session only as a Subscriber'], ...BROKER_ROOT('delivery is below the broker')]),
  zone(['src/core/broker/queue/**/*.ts'], [...BROKER_BANS, ['session', 'a queue stores what it is given'], ['delivery', 'a queue stores what it is given'], ...BROKER_ROOT('queue is below the broker')]),
  zone(['src/core/lookupd/**/*.ts'], [['admin', 'lookupd does not import the admin server'], ['client', 'lookupd stands on protocol and util'], ['broker', 'lookupd stands on protocol and util'], ['tools', 'lookupd stands on protocol and util'], ...NOT_UP]),
  // tools use client, never broker
  // admin: the cluster over HTTP (client, transport, http-api, protocol; tools' tail for the live tail), never a daemon's insides
  zone(['src/core/admin/**/*.ts'], [['broker', 'admin talks to nsqd over HTTP, never imports the broker'], ['lookupd', 'admin talks to lookupd over HTTP'], ...NOT_UP]),
  zone(['src/core/tools/**/*.ts'], [['admin', 'tools do not import the admin server'], ['http-api', 'tools use client, never the daemons\' HTTP side'], ['broker', 'tools use client, never broker'], ['lookupd', 'tools use client, never lookupd'], ...NOT_UP]),
  // the package's entry points (package.json "exports") re-export the client and the codecs only
  zone(['src/index.ts', 'src/protocol.ts'], [['http-api', 'the public API is the client and the codecs'], ['broker', 'the public API is the client and the codecs'], ['tools', 'the public API is the client and the codecs'], ['lookupd', 'the public API is the client and the codecs'], ['transport', 'the public API is the client and the codecs'], ...NOT_UP]),
  // cli is shared by the commands, not the other way round
  zone(['src/cli/**/*.ts'], [['commands', 'cli is shared by commands, not the other way round']], []),
  {
    // core: no process.exit, no stdout (it takes an injected stream and logger)
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-properties': [
        'error',
        {object: 'process', property: 'exit', message: 'resolve or abort instead; the CLI decides the exit'},
        {object: 'process', property: 'stdout', message: 'core writes to an injected stream'},
      ],
    },
  },
  {
    files: ['src/core/protocol/**/*.ts'],
    rules: {'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'fetch']},
  },
  {
    // a session's and a channel's time is the injected Clock (BrokerDeps.clock), so tests can drive it
    files: ['src/core/broker/session/**/*.ts', 'src/core/broker/delivery/**/*.ts', 'src/core/broker/queue/**/*.ts'],
    rules: {
      'no-restricted-globals': [
        'error',
        {name: 'setTimeout', message: 'use the injected Clock (ctx.clock)'},
        {name: 'setInterval', message: 'use the injected Clock (ctx.clock)'},
      ],
    },
  },
)
