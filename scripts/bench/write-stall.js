#!/usr/bin/env node
// Benchmark: does a large write hold other requests back? Writes one `vectors` document of N
// distinct tokens (default 20,000) twelve times under new ids, after a reopen (posting lists not
// loaded, as after a server restart), so that a log merge of N terms runs on the way. Prints each
// write's time and the longest event-loop stall (what every other request would wait), and the
// stall as a share of the slowest write (1.0: the write blocked everything the whole time).
// Run: npm run build && node scripts/bench/write-stall.js [--tokens 20000]
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { SparseIndex } from '../../dist/index.js'

const { values } = parseArgs({ options: { tokens: { type: 'string', default: '20000' } } })
const vector = Object.fromEntries(Array.from({ length: Number(values.tokens) }, (_, i) => [`t${i}`, 1 + (i % 5)]))
const doc = (id) => ({ id, title: '', text: '', source: { _id: id, vector } })

const dir = await mkdtemp(join(tmpdir(), 'lsr-bench-'))
try {
  const seeded = await SparseIndex.open(join(dir, 'index'), { create: true, encoder: { name: 'vectors' } })
  for (let i = 0; i < 3; i++) await seeded.add([doc(`seed${i}`)])
  await seeded.close()
  const index = await SparseIndex.open(join(dir, 'index'))
  const delay = monitorEventLoopDelay({ resolution: 5 })
  delay.enable()
  const times = []
  for (let i = 0; i < 12; i++) {
    const started = performance.now()
    await index.add([doc(`d${i}`)])
    times.push(performance.now() - started)
  }
  delay.disable()
  await index.close()
  const stall = delay.max / 1e6
  console.log(`writes of ${values.tokens} distinct tokens (ms): ${times.map((t) => t.toFixed(0)).join(' ')}`)
  console.log(`longest event-loop stall: ${stall.toFixed(0)} ms (${(stall / Math.max(...times)).toFixed(2)} of the slowest write)`)
} finally {
  await rm(dir, { recursive: true, force: true })
}
