/**
 * Export progress on a terminal: a `cli-progress` bar over documents with docs/s and ETA. Off the
 * terminal (pipes, CI) nothing is drawn.
 * @module
 */
import cliProgress from 'cli-progress'

/** Returns an `update(done, total)` callback and a `stop` function. */
export function exportProgressBar(label: string, enabled = process.stderr.isTTY): { update(done: number, total: number): void; stop(): void } {
  if (!enabled) return { update() {}, stop() {} }
  const started = performance.now()
  const bar = new cliProgress.SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} docs | {rate} docs/s | ETA {eta_formatted}`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  )
  let begun = false
  let first = 0
  return {
    update(done, total) {
      if (!begun) {
        bar.start(total, done, { rate: 0 })
        begun = true
        first = done
      }
      const rate = Math.round((done - first) / Math.max((performance.now() - started) / 1000, 1e-3))
      bar.update(done, { rate })
    },
    stop() {
      if (begun) bar.stop()
    },
  }
}
