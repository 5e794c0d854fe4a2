#!/usr/bin/env node
// nsqkit: help, --version and unknown flags are answered without loading oclif (src/cli/main.ts)
import('./shim.js').then((m) => m.start({argv: process.argv.slice(2)}))
