#!/usr/bin/env node
// nsqkit: help, --version and unknown flags are answered without loading oclif (src/cli/main.ts)
import('../dist/src/cli/main.js').then((m) => m.main({argv: process.argv.slice(2)}))
