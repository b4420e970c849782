#!/usr/bin/env node
// Bounded HTTP fuzz of the server: N malformed or hostile requests (default 5,000) over a real
// loopback port against a server with two protected indexes; see harness.js for what is checked
// and cases.js for what is sent. Exits 0 when every check holds, 1 listing the first failures
// (request, answer, the server's log for 5xx), 2 on bad arguments.
// Run: npm run build && node scripts/fuzz/http-fuzz.js [--requests 5000] [--seed 1] [--from dist|src]
//        [--slow-ms 2000] [--timeout-ms 10000] [--max-seconds 900] [--show 20] [--json out.json]
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { formatSummary, runFuzz } from './harness.js'

let values
try {
  ({ values } = parseArgs({
    options: {
      requests: { type: 'string', default: '5000' },
      seed: { type: 'string', default: '1' },
      from: { type: 'string', default: 'dist' },
      'slow-ms': { type: 'string', default: '2000' },
      'timeout-ms': { type: 'string', default: '10000' },
      'max-seconds': { type: 'string', default: '900' },
      show: { type: 'string', default: '20' },
      json: { type: 'string' },
    },
  }))
} catch (error) {
  console.error(`http-fuzz: ${error.message}`)
  process.exit(2)
}
const number = (name) => {
  const n = Number(values[name])
  if (!Number.isInteger(n) || n < 0) {
    console.error(`http-fuzz: --${name} must be a non-negative integer, got ${values[name]}`)
    process.exit(2)
  }
  return n
}
if (values.from !== 'dist' && values.from !== 'src') {
  console.error(`http-fuzz: --from must be dist or src, got ${values.from}`)
  process.exit(2)
}

const summary = await runFuzz({
  from: values.from,
  requests: number('requests'),
  seed: number('seed'),
  slowMs: number('slow-ms'),
  timeoutMs: number('timeout-ms'),
  maxSeconds: number('max-seconds'),
  log: (line) => console.error(`http-fuzz: ${line}`),
})
console.log(formatSummary(summary, { failures: number('show') }))
if (values.json) await writeFile(values.json, `${JSON.stringify(summary, null, 2)}\n`)
process.exit(summary.ok ? 0 : 1)
