#!/usr/bin/env node
// The server under fuzz, in a process of its own, so that a request that blocks its event loop (or
// crashes it) cannot block or crash the fuzzer: the harness times out, reports the request, kills
// this process and starts another over the same data directory.
//
// Usage: node scripts/fuzz/serve-child.js --data <dir> [--api-key <key>] [--from dist|src]
//   --from dist (default) runs the build (npm run build first); --from src runs src/ through
//   scripts/fuzz/ts-loader.js (node --import ./scripts/fuzz/ts-register.js ...).
// Prints one line, {"url": "http://127.0.0.1:<port>"}, once it listens; SIGTERM closes gracefully.
import { parseArgs } from 'node:util'

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    'api-key': { type: 'string' },
    from: { type: 'string', default: 'dist' },
    'max-body-bytes': { type: 'string', default: String(8 * 2 ** 20) },
    'request-timeout-ms': { type: 'string', default: '30000' },
  },
})
if (!values.data) {
  console.error('serve-child: --data <dir> is required')
  process.exit(2)
}
const { startServer } = values.from === 'src' ? await import('../../src/server/serve.ts') : await import('../../dist/index.js')
const server = await startServer({
  dataDir: values.data,
  host: '127.0.0.1',
  port: 0,
  apiKey: values['api-key'],
  maxBodyBytes: Number(values['max-body-bytes']),
  requestTimeoutMs: Number(values['request-timeout-ms']),
})
process.stdout.write(`${JSON.stringify({ url: server.url })}\n`)
process.once('SIGTERM', () => {
  server.close().then(() => process.exit(0), (error) => {
    console.error(`serve-child: close failed: ${error?.stack ?? error}`)
    process.exit(1)
  })
})
