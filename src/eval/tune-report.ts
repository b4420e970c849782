/**
 * The text `lsr eval --tune` prints: the sweep, the chosen search pipeline, the best settings on
 * the train split, and the test split's table of the given against the chosen pipeline.
 * @module
 */
import { formatRunTable } from './report.js'
import type { TuneResult } from './tune.js'

/** Settings listed from the top of the train ranking. */
const LISTED = 5

/** The tuning result as text (see the module). */
export function formatTuneResult(result: TuneResult, listed = LISTED): string {
  const { grid, timing, best, test } = result
  const ranked = [...result.candidates].sort((a, b) => b.trainNdcg10 - a.trainNdcg10).slice(0, listed)
  return [
    `${result.template}: fusion tuned on ${result.dataset} ${result.trainSplit} (${result.trainQueries} queries): ` +
      `${grid.settings} settings (${grid.subQueries} sub-queries, weights in steps of ${+grid.weightStep.toFixed(4)}), ` +
      `swept in ${timing.sweepSeconds.toFixed(2)} s (sub-queries searched once: ${timing.subQuerySeconds.toFixed(2)} s, fusions scored: ${timing.fusionSeconds.toFixed(2)} s)`,
    `chosen: ${best.label}: train nDCG@10 ${best.trainNdcg10.toFixed(4)} (the given pipeline: ${result.untunedTrainNdcg10.toFixed(4)})`,
    `search pipeline: ${JSON.stringify(best.searchPipeline)}`,
    '',
    `best settings on ${result.trainSplit}:`,
    ...ranked.map((c, i) => `  ${i + 1}  ${c.trainNdcg10.toFixed(4)}  ${c.label}`),
    '',
    `${test.tuned.split} (${test.tuned.counts.queries} queries), the given pipeline against the chosen one:`,
    formatRunTable([test.untuned, test.tuned], [test.comparison]),
  ].join('\n')
}
