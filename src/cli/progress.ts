/**
 * Ingest progress on a terminal: a `cli-progress` bar over input bytes with docs/s and ETA.
 * Off the terminal (pipes, CI) nothing is drawn.
 * @module
 */
import cliProgress from 'cli-progress'
import type { IngestProgress } from '../engine/ingest.js'

/** Returns an `onProgress` callback and a `stop` function. */
export function ingestProgressBar(enabled = process.stderr.isTTY): { onProgress?: (p: IngestProgress) => void; stop(): void } {
  if (!enabled) return { stop() {} }
  const started = performance.now()
  const bar = new cliProgress.SingleBar(
    {
      format: 'indexing [{bar}] {percentage}% | {docs} docs | {rate} docs/s | ETA {eta_formatted}',
      stream: process.stderr,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  )
  let begun = false
  return {
    onProgress({ docs, bytesRead, totalBytes }) {
      const rate = Math.round(docs / ((performance.now() - started) / 1000))
      if (!begun) {
        bar.start(totalBytes, 0, { docs, rate })
        begun = true
      }
      bar.update(bytesRead, { docs, rate })
    },
    stop() {
      if (begun) bar.stop()
    },
  }
}
