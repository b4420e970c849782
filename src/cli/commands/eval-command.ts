/**
 * `lsr eval`: BEIR-style evaluation of one or more datasets, and `--compare` of two reports.
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import cliProgress from 'cli-progress'
import type { Command } from 'commander'
import { LsrError } from '../../errors.js'
import { resolveDataset } from '../../eval/dataset.js'
import { evaluateDataset, type DatasetReport } from '../../eval/evaluate.js'
import { compareReports, formatComparison, formatReportTable, readReports } from '../../eval/report.js'
import { formatRunLines } from '../../eval/run-file.js'
import { addEncoderOptions, encoderRuntime, requestedEncoder, type EncoderFlags } from '../encoder-options.js'
import { parsePositiveInt } from '../format.js'
import { ingestProgressBar } from '../progress.js'

interface EvalFlags extends EncoderFlags {
  split: string
  cache: string
  baseUrl?: string
  index?: string
  depth: number
  out?: string
  keepIdenticalIds?: boolean
  compare?: boolean
  json?: boolean
}

export function registerEvalCommand(program: Command): void {
  const command = program
    .command('eval')
    .description('evaluate on BEIR datasets (folders or names such as scifact, nfcorpus) with trec_eval-exact metrics')
    .argument('<datasets...>', 'dataset folders or BEIR names; with --compare, two report.json files or --out folders')
    .option('--split <split>', 'qrels split: test | dev | train', 'test')
    .option('--cache <dir>', 'download cache for BEIR names', 'index-data/beir')
    .option('--base-url <url>', 'where BEIR names are downloaded from (default: BEIR\'s public URL)')
    .option('--index <dir>', 'reuse this index (checked to hold the same corpus), or build it here and keep it')
  addEncoderOptions(command)
    .option('--depth <n>', 'hits retrieved per query', parsePositiveInt('--depth'), 1000)
    .option('--out <dir>', 'write report.json and run.trec here (a sub-folder per dataset when several)')
    .option('--keep-identical-ids', 'keep hits whose id equals the query id (BEIR drops them)')
    .option('--compare', 'compare two reports: per-dataset nDCG@10 difference and paired randomization test')
    .option('--json', 'print the report(s) as JSON instead of a table')
    .action(async (datasets: string[], flags: EvalFlags) => {
      if (flags.compare) return compare(datasets)
      if (flags.index && datasets.length > 1) throw new LsrError('invalid_argument', '--index works with one dataset at a time')
      const encoder = requestedEncoder(flags)
      if (encoder === null) throw new LsrError('invalid_argument', 'lsr eval ranks by the encoder of title + text: --encoder bm25 | neural')
      const reports: DatasetReport[] = []
      for (const spec of datasets) {
        const dataset = await resolveDataset(spec, { cacheDir: flags.cache, baseUrl: flags.baseUrl, onDownload: downloadBar(spec) })
        const progress = ingestProgressBar()
        const { report, run } = await evaluateDataset(dataset.name, dataset.dir, {
          split: flags.split,
          depth: flags.depth,
          encoder,
          runtime: encoderRuntime(flags),
          indexDir: flags.index,
          keepIdenticalIds: flags.keepIdenticalIds,
          onIndexProgress: progress.onProgress,
        }).finally(() => progress.stop())
        reports.push(report)
        if (flags.out) {
          const dir = datasets.length > 1 ? join(flags.out, dataset.name) : flags.out
          await mkdir(dir, { recursive: true })
          await writeFile(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`)
          await writeFile(join(dir, 'run.trec'), [...run].map(([qid, hits]) => formatRunLines(qid, hits, 'lsr')).join(''))
        }
      }
      console.log(flags.json ? JSON.stringify(reports.length === 1 ? reports[0] : reports, null, 2) : formatReportTable(reports))
    })
}

async function compare(paths: string[]): Promise<void> {
  if (paths.length !== 2) throw new LsrError('invalid_argument', '--compare takes exactly two reports (report.json files or --out folders)')
  const comparisons = compareReports(await readReports(paths[0]), await readReports(paths[1]))
  if (comparisons.length === 0) throw new LsrError('invalid_argument', 'the two reports share no dataset')
  console.log(`A = ${paths[0]}\nB = ${paths[1]}\n${formatComparison(comparisons)}`)
}

/** A download bar on a terminal, nothing elsewhere. */
function downloadBar(name: string): ((received: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined
  let bar: cliProgress.SingleBar | undefined
  return (received, total) => {
    if (!bar) {
      bar = new cliProgress.SingleBar({ format: `downloading ${name} [{bar}] {percentage}% | {value}/{total} bytes | ETA {eta_formatted}`, stream: process.stderr }, cliProgress.Presets.shades_classic)
      bar.start(total || received, 0)
    }
    bar.update(received)
    if (total && received >= total) bar.stop()
  }
}
