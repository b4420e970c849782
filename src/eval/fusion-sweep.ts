/**
 * The sweep behind `lsr eval --tune`: each hybrid sub-query runs once per query, and every fusion
 * setting is then scored from those lists in memory with the engine's own `fuse`, so a setting
 * costs a fusion per query, never a search. The fused list is cut as a hybrid search cuts it
 * (`size` = depth), so a setting scores here exactly what a search with its pipeline scores.
 * @module
 */
import type { BeirQuery, Qrels } from '../corpus/beir.js'
import { fuse, type Fusion, type SubQueryHits } from '../engine/hybrid/fusion.js'
import { hybridOf, runSubQueries } from '../engine/hybrid/hybrid-query.js'
import type { IndexReader } from '../engine/index-reader.js'
import { HEADLINE } from './report.js'
import { evaluateRun, type Run, type RunHit } from './metrics.js'
import { instantiate, type QueryTemplate } from './query-template.js'
import type { PreparedTemplate } from './template-search.js'

/** The headline metric's cutoff (nDCG@10). */
const CUTOFF = 10

/** One query's sub-query lists, as its hybrid search would fuse them. */
export interface SubQueryLists {
  queryId: string
  lists: SubQueryHits[]
  /** The query's own document (a hit BEIR drops unless identical ids are kept), when the index has it. */
  ownDoc?: number
}

/**
 * Runs each query's hybrid sub-queries once on the reader (each keeps the template's
 * pagination_depth, else `depth` hits).
 * @throws LsrError from compiling a sub-query, naming it
 */
export function collectSubQueryLists(reader: IndexReader, template: QueryTemplate, queries: readonly BeirQuery[], depth: number, prepared: PreparedTemplate): SubQueryLists[] {
  return queries.map((query) => {
    const hybrid = hybridOf(instantiate(template, query.text))!
    const { lists } = runSubQueries(reader, hybrid, hybrid.paginationDepth ?? depth, { models: prepared.models, twoPhase: prepared.pipeline?.twoPhase })
    return { queryId: query.id, lists, ownDoc: reader.docId(query.id) }
  })
}

/**
 * The mean nDCG@10 over the judged queries of one fusion setting, from the collected lists.
 * @param depth - hits a search keeps of the fused list (its `size`)
 */
export function fusedNdcg(reader: IndexReader, collected: readonly SubQueryLists[], fusion: Fusion, qrels: Qrels, depth: number, keepIdenticalIds: boolean): number {
  const run: Run = new Map()
  for (const { queryId, lists, ownDoc } of collected) {
    const kept = fuse(lists, fusion, depth).filter((hit) => keepIdenticalIds || hit.doc !== ownDoc)
    run.set(queryId, headPrefix(kept).map((hit) => ({ docId: reader.externalId(hit.doc), score: hit.score })))
  }
  return evaluateRun(run, qrels, [CUTOFF]).mean[HEADLINE]
}

/**
 * The hits that can reach trec_eval's top 10: those whose single-precision score is at least the
 * 10th hit's. trec_eval re-sorts by float score (ties by id), so its top 10 of the whole list lies
 * within them, in the same order: nDCG@10 of the prefix is that of the whole list, and only the
 * prefix needs external ids.
 */
function headPrefix<T extends Pick<RunHit, 'score'>>(hits: readonly T[]): readonly T[] {
  if (hits.length <= CUTOFF) return hits
  const floor = Math.fround(hits[CUTOFF - 1].score)
  let end = CUTOFF
  while (end < hits.length && Math.fround(hits[end].score) >= floor) end++
  return hits.slice(0, end)
}
