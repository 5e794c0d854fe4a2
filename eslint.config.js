// Lint: typescript-eslint's recommended rules, plus the import rules of ARCHITECTURE.md as
// import-x/no-restricted-paths zones (each zone: files in `target` may not import `from`).
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import importX from 'eslint-plugin-import-x'
import {createTypeScriptImportResolver} from 'eslint-import-resolver-typescript'

const zones = [
  // protocol: pure codecs; only util below it
  {target: './src/core/protocol', from: './src/core', except: ['./protocol', './util'], message: 'protocol imports nothing of the project but util'},
  {target: './src/core/util', from: './src/core', except: ['./util'], message: 'util is the bottom layer'},
  // client and broker meet only in protocol and transport
  {target: './src/core/client', from: './src/core/broker', message: 'client and broker never import each other'},
  {target: './src/core/broker', from: './src/core/client', message: 'client and broker never import each other'},
  // tools use the client, never the broker; lookupd stands alone
  {target: './src/core/tools', from: './src/core/broker', message: 'tools use client, never broker'},
  {target: './src/core/lookupd', from: ['./src/core/broker', './src/core/client'], message: 'lookupd stands on protocol and util'},
  // core never reaches up into the CLI layers
  {target: './src/core', from: ['./src/cli', './src/commands'], message: 'core never imports the CLI layers'},
  {target: './src/cli', from: './src/commands', message: 'cli is shared by commands, not the other way round'},
]

export default tseslint.config(
  {ignores: ['dist/**', 'node_modules/**', 'data/**', 'bin/**', 'scripts/**']},
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    plugins: {'import-x': importX},
    settings: {
      'import-x/resolver-next': [createTypeScriptImportResolver({project: './tsconfig.json'})],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', {zones}],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', {argsIgnorePattern: '^_'}],
    },
  },
  {
    // core: no oclif, no chalk, no process.exit, no stdout; protocol: no I/O modules
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {paths: [{name: '@oclif/core', message: 'core has no oclif'}, {name: 'chalk', message: 'only src/cli renders'}]}],
      'no-restricted-properties': [
        'error',
        {object: 'process', property: 'exit', message: 'resolve or abort instead; the CLI decides the exit'},
        {object: 'process', property: 'stdout', message: 'core writes to an injected stream'},
      ],
    },
  },
  {
    files: ['src/core/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['net', 'node:net', 'fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'tls', 'node:tls', 'zlib', 'node:zlib', 'timers', 'node:timers', 'http', 'node:http', 'undici', 'zlib-sync', '@oclif/core', 'chalk'],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'fetch'],
    },
  },
)
