/**
 * `lsr search`: one query printed as a ranked list, or a whole BEIR queries file written as a
 * TREC run.
 * @module
 */
import { createWriteStream } from 'node:fs'
import { once } from 'node:events'
import { InvalidArgumentError, type Command } from 'commander'
import { readQrels, readQueries } from '../../corpus/beir.js'
import { formatRunLines } from '../../eval/run-file.js'
import { LsrError } from '../../errors.js'
import { SparseIndex, type SearchAlgorithm } from '../../engine/sparse-index.js'
import { SEARCH_ALGORITHMS } from '../../search/searcher.js'
import { parsePositiveInt } from '../format.js'

interface SearchFlags {
  index: string
  k: number
  json?: boolean
  queries?: string
  qidsFrom?: string
  run?: string
  tag: string
  algorithm: SearchAlgorithm
}

/** What --help adds after an algorithm's name (the list itself is the engine's SEARCH_ALGORITHMS). */
const ALGORITHM_NOTES: ReadonlyMap<SearchAlgorithm, string> = new Map([['candidates', ' (filtered searches only)']])

function parseAlgorithm(value: string): SearchAlgorithm {
  const algorithm = SEARCH_ALGORITHMS.find((name) => name === value)
  if (algorithm === undefined) throw new InvalidArgumentError(`Allowed choices are ${SEARCH_ALGORITHMS.join(', ')}.`)
  return algorithm
}

export function registerSearchCommand(program: Command): void {
  program
    .command('search')
    .description('search an index: one query, or every query of a BEIR queries file into a TREC run file')
    .argument('[query]', 'query text')
    .requiredOption('--index <dir>', 'index directory')
    .option('-k, --k <k>', 'number of hits per query', parsePositiveInt('-k'), 10)
    .option('--json', 'print hits as JSON')
    .option('--queries <file>', 'BEIR queries.jsonl: run every query')
    .option('--qids-from <qrels>', 'with --queries: only queries judged in this qrels file')
    .option('--run <file>', 'with --queries: write the TREC run here (default: stdout)')
    .option('--tag <tag>', 'run tag (last column of the run file)', 'lsr')
    .option('--algorithm <name>', `top-k algorithm, all exact: ${SEARCH_ALGORITHMS.map((name) => name + (ALGORITHM_NOTES.get(name) ?? '')).join(' | ')}`, parseAlgorithm, 'auto')
    .action(async (query: string | undefined, flags: SearchFlags) => {
      if ((query === undefined) === (flags.queries === undefined)) {
        throw new LsrError('invalid_argument', 'give either a query or --queries <file>')
      }
      const index = await SparseIndex.open(flags.index)
      try {
        if (query !== undefined) await printHits(index, query, flags)
        else await writeRun(index, flags.queries!, flags)
      } finally {
        await index.close()
      }
    })
}

async function printHits(index: SparseIndex, query: string, flags: SearchFlags): Promise<void> {
  const hits = await index.search(query, { k: flags.k, algorithm: flags.algorithm })
  if (flags.json) {
    console.log(JSON.stringify(hits.map((hit) => ({ _id: hit.id, _score: hit.score, _source: hit.source })), null, 2))
    return
  }
  if (hits.length === 0) console.log('no hits')
  hits.forEach((hit, i) => {
    const title = typeof hit.source.title === 'string' ? hit.source.title : ''
    console.log(`${String(i + 1).padStart(3)}  ${hit.score.toFixed(4).padStart(9)}  ${hit.id}  ${title.slice(0, 100)}`)
  })
}

async function writeRun(index: SparseIndex, queriesFile: string, flags: SearchFlags): Promise<void> {
  let queries = await readQueries(queriesFile)
  if (flags.qidsFrom) {
    const qrels = await readQrels(flags.qidsFrom)
    queries = queries.filter((q) => qrels.has(q.id))
  }
  const out = flags.run ? createWriteStream(flags.run) : process.stdout
  // A run file that cannot be created fails here, as one line, before any query runs.
  if (flags.run) await once(out, 'open')
  let writeError: Error | undefined
  out.on('error', (error) => (writeError ??= error))
  const started = performance.now()
  for (const q of queries) {
    const hits = index.searchIds(q.text, { k: flags.k, algorithm: flags.algorithm })
    if (!out.write(formatRunLines(q.id, hits.map((h) => ({ docId: h.id, score: h.score })), flags.tag))) await once(out, 'drain').catch(() => undefined)
    if (writeError) break
  }
  const seconds = (performance.now() - started) / 1000
  if (flags.run && !writeError) {
    out.end()
    await once(out, 'finish')
  }
  // stdout closed early (`| head`): stop quietly, as other command-line tools do.
  if ((writeError as NodeJS.ErrnoException | undefined)?.code === 'EPIPE' && !flags.run) return
  if (writeError) throw writeError
  console.error(`ran ${queries.length} queries in ${seconds.toFixed(2)} s (${(queries.length / seconds).toFixed(0)} queries/s)`)
}
