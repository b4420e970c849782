/**
 * Reports of `lsr eval`: the stdout table, reading reports back, and comparing two sets of
 * reports with a paired significance test over per-query nDCG@10.
 * @module
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidInputError } from '../errors.js'
import type { DatasetReport } from './evaluate.js'
import { pairedRandomizationTest } from './significance.js'

/** The headline metric of BEIR. */
export const HEADLINE = 'ndcg_cut_10'

/** The columns of a report table after its first (which names the dataset, or the run). */
const COLUMNS: Array<[string, (r: DatasetReport) => string]> = [
  ['docs', (r) => String(r.counts.documents)],
  ['queries', (r) => String(r.counts.queries)],
  ['nDCG@10', (r) => r.metrics.ndcg_cut_10.toFixed(4)],
  ['Recall@100', (r) => r.metrics.recall_100.toFixed(4)],
  ['MAP@100', (r) => r.metrics.map_cut_100.toFixed(4)],
  ['MRR@10', (r) => r.metrics.recip_rank_10.toFixed(4)],
  ['index s', (r) => r.timing.indexBuildSeconds.toFixed(2)],
  ['p50 ms', (r) => r.timing.queryP50Ms.toFixed(3)],
  ['p99 ms', (r) => r.timing.queryP99Ms.toFixed(3)],
  ['q/s', (r) => r.timing.queriesPerSecond.toFixed(0)],
]

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)))
  return rows.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n')
}

const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`

/** One row per dataset, plus the average of the metric columns when there are several (as BEIR papers do). */
export function formatReportTable(reports: readonly DatasetReport[]): string {
  const rows = [['dataset', ...COLUMNS.map(([name]) => name)], ...reports.map((r) => [r.dataset, ...COLUMNS.map(([, cell]) => cell(r))])]
  if (reports.length > 1) {
    const avg = (metric: string) => (reports.reduce((s, r) => s + r.metrics[metric], 0) / reports.length).toFixed(4)
    rows.push(['average', '', '', avg('ndcg_cut_10'), avg('recall_100'), avg('map_cut_100'), avg('recip_rank_10'), '', '', '', ''])
  }
  return table(rows)
}

/**
 * One row per run of one dataset (`run` names it), with each run's nDCG@10 difference from the
 * first run and the p-value of the paired randomization test ({@link compareWithFirst}).
 */
export function formatRunTable(reports: readonly DatasetReport[], comparisons: readonly Comparison[]): string {
  const first = reports[0]?.run ?? 'first'
  const header = ['run', ...COLUMNS.map(([name]) => name), `vs ${first} nDCG@10`, 'p (randomization)']
  const rows = reports.map((r, i) => {
    const c = i === 0 ? undefined : comparisons[i - 1]
    return [r.run ?? r.dataset, ...COLUMNS.map(([, cell]) => cell(r)), c ? signed(c.difference) : '-', c ? c.pValue.toFixed(4) : '-']
  })
  return table([header, ...rows])
}

/** Reads reports from a `report.json`, or an `--out` folder (its report.json or its sub-folders'). */
export async function readReports(path: string): Promise<DatasetReport[]> {
  const parse = async (file: string): Promise<DatasetReport> => {
    const report = JSON.parse(await readFile(file, 'utf8')) as DatasetReport
    if (!report?.dataset || !report.perQuery) throw new InvalidInputError(`${file}: not an lsr eval report`)
    return report
  }
  if ((await stat(path)).isFile()) return [await parse(path)]
  const direct = join(path, 'report.json')
  if (await stat(direct).then(() => true, () => false)) return [await parse(direct)]
  const reports: DatasetReport[] = []
  for (const entry of (await readdir(path, { withFileTypes: true })).filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    const file = join(path, entry.name, 'report.json')
    if (await stat(file).then(() => true, () => false)) reports.push(await parse(file))
  }
  if (reports.length === 0) throw new InvalidInputError(`${path}: no report.json found`)
  return reports
}

/** One compared dataset (or run). */
export interface Comparison {
  dataset: string
  /** The run name of report B, when it has one. */
  run?: string
  a: number
  b: number
  /** Mean per-query difference b - a over the queries both reports judged. */
  difference: number
  pValue: number
  queries: number
}

/** Compares nDCG@10 per dataset (matched by name) with a paired randomization test. */
export function compareReports(a: readonly DatasetReport[], b: readonly DatasetReport[]): Comparison[] {
  const comparisons: Comparison[] = []
  for (const left of a) {
    const right = b.find((r) => r.dataset === left.dataset && r.split === left.split)
    if (!right) continue
    const qids = Object.keys(left.perQuery).filter((q) => q in right.perQuery)
    const test = pairedRandomizationTest(qids.map((q) => left.perQuery[q][HEADLINE]), qids.map((q) => right.perQuery[q][HEADLINE]))
    comparisons.push({ dataset: left.dataset, ...(right.run === undefined ? {} : { run: right.run }), a: left.metrics[HEADLINE], b: right.metrics[HEADLINE], difference: test.meanDifference, pValue: test.pValue, queries: qids.length })
  }
  return comparisons
}

/**
 * Each run after the first against the first: the runs of one dataset and split (as
 * `evaluateTemplates` makes them), so one comparison per run after the first, in order.
 */
export function compareWithFirst(reports: readonly DatasetReport[]): Comparison[] {
  return reports.slice(1).flatMap((report) => compareReports(reports.slice(0, 1), [report]))
}

/** The table of `lsr eval --compare`. */
export function formatComparison(comparisons: readonly Comparison[]): string {
  const rows = [['dataset', 'queries', 'nDCG@10 A', 'nDCG@10 B', 'B - A', 'p (randomization)']]
  for (const c of comparisons) {
    rows.push([c.dataset, String(c.queries), c.a.toFixed(4), c.b.toFixed(4), signed(c.difference), c.pValue.toFixed(4)])
  }
  return table(rows)
}
