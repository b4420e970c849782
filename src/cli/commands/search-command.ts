/**
 * `lsr search`: one query printed as a ranked list, or a whole BEIR queries file written as a
 * TREC run. A query searches the encoder field (title + text), or with `--fields` (and by default
 * in an index without an encoder) the index's mapped fields as a `multi_match`; `--filter` and
 * `--sort` take Elasticsearch's query DSL and URL sort syntax. The search itself is the library's
 * `SparseIndex.search`.
 * @module
 */
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { once } from 'node:events'
import { InvalidArgumentError, type Command } from 'commander'
import { readQrels, readQueries } from '../../corpus/beir.js'
import { formatRunLines } from '../../eval/run-file.js'
import { LsrError } from '../../errors.js'
import { SparseIndex, type SearchAlgorithm, type SearchBody } from '../../engine/sparse-index.js'
import type { Query, SortEntry } from '../../engine/query/types.js'
import type { Aggregations } from '../../engine/aggs/types.js'
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
  fields?: string[]
  sort?: SortEntry[]
  filter?: Query
  aggs?: string
}

/** What --help adds after an algorithm's name (the list itself is the engine's SEARCH_ALGORITHMS). */
const ALGORITHM_NOTES: ReadonlyMap<SearchAlgorithm, string> = new Map([['candidates', ' (filtered searches only)']])

function parseAlgorithm(value: string): SearchAlgorithm {
  const algorithm = SEARCH_ALGORITHMS.find((name) => name === value)
  if (algorithm === undefined) throw new InvalidArgumentError(`Allowed choices are ${SEARCH_ALGORITHMS.join(', ')}.`)
  return algorithm
}

/** `name^3,description` as multi_match fields. */
function parseFields(value: string): string[] {
  const fields = value.split(',').map((field) => field.trim())
  if (fields.some((field) => field === '')) throw new InvalidArgumentError(`--fields takes field names separated by commas (name^3,description), got "${value}"`)
  return fields
}

/** Elasticsearch's URL sort: `price:desc,_score` as `[{price: 'desc'}, '_score']`. */
function parseSortList(value: string): SortEntry[] {
  return value.split(',').map((entry) => {
    const key = entry.trim()
    const colon = key.lastIndexOf(':')
    if (key === '' || colon === 0) throw new InvalidArgumentError(`--sort takes field[:asc|:desc] separated by commas (price:desc,_score), got "${value}"`)
    if (colon < 0) return key
    const order = key.slice(colon + 1)
    if (order !== 'asc' && order !== 'desc') throw new InvalidArgumentError(`--sort order of [${key.slice(0, colon)}] must be asc or desc, got "${order}"`)
    return { [key.slice(0, colon)]: order }
  })
}

function parseFilter(value: string): Query {
  try {
    // Checked by the query compiler when the search runs, which names what it refuses.
    return JSON.parse(value)
  } catch (error) {
    throw new InvalidArgumentError(`--filter takes a query DSL object as JSON: ${(error as Error).message}`)
  }
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
    .option('--fields <list>', 'search these mapped fields, multi_match best_fields: name^3,description (default: title + text with an encoder, else every text field)', parseFields)
    .option('--filter <json>', 'only documents matching this query DSL, unscored: \'{"range": {"price": {"lte": 50}}}\'', parseFilter)
    .option('--sort <list>', 'sort as Elasticsearch\'s URL parameter: price:desc,_score (default: by score)', parseSortList)
    .option('--aggs <file>', 'a JSON file of Elasticsearch aggregations to compute over every match (printed after the hits; with --json: {hits, aggregations})')
    .action(async (query: string | undefined, flags: SearchFlags) => {
      if ((query === undefined) === (flags.queries === undefined)) {
        throw new LsrError('invalid_argument', 'give either a query or --queries <file>')
      }
      for (const [flag, given] of [['--sort', flags.sort], ['--aggs', flags.aggs]] as const) {
        if (flags.queries !== undefined && given !== undefined) throw new LsrError('invalid_argument', `${flag} does not apply to --queries: a TREC run ranks by score`)
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

/**
 * The query DSL search a query stands for, or undefined for a plain top-k of the encoder field:
 * a `multi_match` over `--fields` (without an encoder, every text field), or a `match` of the
 * encoder field when only `--filter` or `--sort` asks for the query DSL.
 */
function searchBody(index: SparseIndex, text: string, flags: SearchFlags, aggs: Aggregations | undefined): SearchBody | undefined {
  if (index.encoder && flags.fields === undefined && flags.filter === undefined && flags.sort === undefined && aggs === undefined) return undefined
  const fields = flags.fields ?? (index.encoder ? undefined : textFields(index))
  const query = fields ? { multi_match: { query: text, fields } } : { match: { text } }
  return { query, filter: flags.filter, sort: flags.sort, size: flags.k, aggs }
}

/** The aggregations of an --aggs file (checked by the search, which names what it refuses). */
async function readAggs(file: string): Promise<Aggregations> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new LsrError('invalid_argument', `--aggs ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`)
  }
  try {
    return JSON.parse(text) as Aggregations
  } catch (error) {
    throw new LsrError('invalid_argument', `--aggs ${file}: not JSON: ${(error as Error).message}`)
  }
}

/** The text fields of an index's mapping: what a query searches in an index without an encoder. */
function textFields(index: SparseIndex): string[] {
  const fields = index.schema?.leaves().filter((leaf) => leaf.type === 'text').map((leaf) => leaf.path) ?? []
  if (fields.length === 0) throw new LsrError('invalid_argument', `index ${index.dir} has neither an encoder nor a text field to search: name fields with --fields`)
  return fields
}

async function printHits(index: SparseIndex, query: string, flags: SearchFlags): Promise<void> {
  const aggs = flags.aggs === undefined ? undefined : await readAggs(flags.aggs)
  const body = searchBody(index, query, flags, aggs)
  const result = body ? await index.search(body, { algorithm: flags.algorithm }) : undefined
  const hits: Array<{ id: string; score: number; sort?: unknown[]; source: Record<string, unknown> }> = result
    ? result.hits
    : await index.search(query, { k: flags.k, algorithm: flags.algorithm })
  if (flags.json) {
    // A score not computed (sorted by fields only) is NaN: null, as Elasticsearch's _score.
    const json = hits.map((hit) => ({ _id: hit.id, _score: Number.isNaN(hit.score) ? null : hit.score, ...(hit.sort ? { sort: hit.sort } : {}), _source: hit.source }))
    console.log(JSON.stringify(aggs ? { hits: json, aggregations: result!.aggregations } : json, null, 2))
    return
  }
  if (hits.length === 0) console.log('no hits')
  // A document is shown by its title (or name), else the first searched field holding text.
  const labelFields = ['title', 'name', ...(body ? fieldNames(body) : [])]
  hits.forEach((hit, i) => {
    const score = Number.isNaN(hit.score) ? '-' : hit.score.toFixed(4)
    const sort = hit.sort ? `  ${JSON.stringify(hit.sort)}` : ''
    console.log(`${String(i + 1).padStart(3)}  ${score.padStart(9)}  ${hit.id}${sort}  ${label(hit.source, labelFields).slice(0, 100)}`)
  })
  if (aggs) console.log(`aggregations:\n${JSON.stringify(result!.aggregations, null, 2)}`)
}

/** The fields a search body's multi_match names, without boosts. */
function fieldNames(body: SearchBody): string[] {
  const fields = (body.query as { multi_match?: { fields: string[] } }).multi_match?.fields ?? []
  return fields.map((field) => field.replace(/\^[^^]*$/, ''))
}

/** What a hit line shows of the document: the first of `fields` holding a string. */
function label(source: Record<string, unknown>, fields: readonly string[]): string {
  for (const field of fields) {
    const value = field.split('.').reduce<unknown>((at, key) => (typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined), source)
    if (typeof value === 'string') return value
  }
  return ''
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
    const hits = runHits(index, q.text, flags)
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

/** The ranked hits of one query of a run (no stored sources read). */
function runHits(index: SparseIndex, text: string, flags: SearchFlags): Array<{ id: string; score: number }> {
  const body = searchBody(index, text, flags, undefined)
  if (!body) return index.searchIds(text, { k: flags.k, algorithm: flags.algorithm })
  const reader = index.reader()
  try {
    return reader.search(body, { algorithm: flags.algorithm }).hits
  } finally {
    reader.release()
  }
}
