/**
 * What `lsr eval --out` writes for one run: `report.json` and the run as `run.trec`.
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { DatasetReport } from './evaluate.js'
import type { Run } from './metrics.js'
import { formatRunLines } from './run-file.js'

/**
 * Writes `report.json` and `run.trec` (tagged with the run's name, else `lsr`) into `dir`, creating it.
 * @example await writeRunOutput('results/scifact/bm25', report, run)
 */
export async function writeRunOutput(dir: string, report: DatasetReport, run: Run): Promise<void> {
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`)
  await writeFile(join(dir, 'run.trec'), [...run].map(([qid, hits]) => formatRunLines(qid, hits, report.run ?? 'lsr')).join(''))
}
