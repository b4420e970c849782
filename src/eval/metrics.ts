/**
 * Relevance metrics exactly as trec_eval computes them (pytrec_eval, which BEIR calls, agrees):
 *
 * - Each query's run is re-sorted by score descending, ties by document id descending (string
 *   order); the rank column of a run file is ignored. trec_eval holds scores as C `float`, so
 *   scores equal in single precision tie (`form_res_rels.c`, `comp_sim_docno`).
 * - A document is relevant when its judgment is >= 1 (trec_eval's relevance level 1).
 * - `ndcg_cut_k`: DCG = sum over ranks i <= k of rel_i / log2(i + 1), rel_i the judgment (0 when
 *   unjudged or negative); the ideal DCG sorts all of the query's judgments; 0 when the ideal is 0.
 * - `map_cut_k`: sum of precision at each relevant document within rank k, divided by the number of
 *   relevant documents of the query (not by k).
 * - `recall_k`: relevant documents within rank k / relevant documents of the query.
 * - `P_k`: relevant documents within rank k / k (also when fewer than k were retrieved).
 * - `recip_rank_k` (BEIR's MRR@k): 1 / rank of the first relevant document if within k, else 0.
 *
 * Only judged queries are evaluated, and every judged query counts in the mean (a query with no
 * hit scores 0, as `trec_eval -c`).
 * @module
 */
import type { Qrels } from '../corpus/beir.js'

/** BEIR's default cutoffs. */
export const DEFAULT_CUTOFFS: readonly number[] = [1, 3, 5, 10, 100, 1000]

/** One retrieved document of a run. */
export interface RunHit {
  docId: string
  score: number
}

/** A run: query id -> retrieved documents (any order; they are re-sorted as trec_eval does). */
export type Run = Map<string, RunHit[]>

/** Metric name (`ndcg_cut_10`, `recall_100`, ...) -> value. */
export type MetricValues = Record<string, number>

export interface Evaluation {
  /** Number of judged queries evaluated. */
  queries: number
  /** Mean over the judged queries. */
  mean: MetricValues
  perQuery: Map<string, MetricValues>
}

/** trec_eval's order: single-precision score descending, then document id descending. */
export function trecOrder(a: RunHit, b: RunHit): number {
  return Math.fround(b.score) - Math.fround(a.score) || (a.docId < b.docId ? 1 : a.docId > b.docId ? -1 : 0)
}

/** Evaluates one query in one pass over its sorted run. */
export function evaluateQuery(hits: readonly RunHit[], judged: ReadonlyMap<string, number>, cutoffs = DEFAULT_CUTOFFS): MetricValues {
  const ranking = [...hits].sort(trecOrder)
  const gains = [...judged.values()].filter((rel) => rel > 0).sort((a, b) => b - a)
  const numRelevant = gains.length
  const maxCutoff = Math.max(...cutoffs)
  const values: MetricValues = {}

  const idealAt = new Float64Array(maxCutoff + 1)
  for (let i = 1; i <= maxCutoff; i++) idealAt[i] = idealAt[i - 1] + (i <= gains.length ? gains[i - 1] / Math.log2(i + 1) : 0)

  let dcg = 0
  let relevantSoFar = 0
  let precisionSum = 0
  let firstRelevantRank = 0
  const record = (k: number) => {
    values[`ndcg_cut_${k}`] = idealAt[k] > 0 ? dcg / idealAt[k] : 0
    values[`map_cut_${k}`] = numRelevant > 0 ? precisionSum / numRelevant : 0
    values[`recall_${k}`] = numRelevant > 0 ? relevantSoFar / numRelevant : 0
    values[`P_${k}`] = relevantSoFar / k
    values[`recip_rank_${k}`] = firstRelevantRank > 0 && firstRelevantRank <= k ? 1 / firstRelevantRank : 0
  }
  const sortedCutoffs = [...cutoffs].sort((a, b) => a - b)
  let next = 0
  for (let rank = 1; rank <= maxCutoff && next < sortedCutoffs.length; rank++) {
    if (rank <= ranking.length) {
      const rel = judged.get(ranking[rank - 1].docId) ?? 0
      if (rel > 0) dcg += rel / Math.log2(rank + 1)
      if (rel >= 1) {
        relevantSoFar++
        precisionSum += relevantSoFar / rank
        if (firstRelevantRank === 0) firstRelevantRank = rank
      }
    }
    while (next < sortedCutoffs.length && sortedCutoffs[next] === rank) record(sortedCutoffs[next++])
  }
  return values
}

/** Evaluates a run against judgments; queries without judgments are ignored. */
export function evaluateRun(run: Run, qrels: Qrels, cutoffs = DEFAULT_CUTOFFS): Evaluation {
  const perQuery = new Map<string, MetricValues>()
  const sum: MetricValues = {}
  for (const [qid, judged] of qrels) {
    const values = evaluateQuery(run.get(qid) ?? [], judged, cutoffs)
    perQuery.set(qid, values)
    for (const [name, value] of Object.entries(values)) sum[name] = (sum[name] ?? 0) + value
  }
  const mean: MetricValues = {}
  for (const [name, value] of Object.entries(sum)) mean[name] = value / perQuery.size
  return { queries: perQuery.size, mean, perQuery }
}
