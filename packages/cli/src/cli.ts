#!/usr/bin/env node
import { run } from './run.js'

// The bin: the process's own streams and environment; the exit code once stdout has drained (a pipe
// on some systems is asynchronous, and process.exit would cut the output short).
const code = await run(process.argv.slice(2))
process.stdout.write('', () => process.exit(code))
