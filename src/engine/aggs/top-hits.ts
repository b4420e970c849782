/**
 * `top_hits`: a bucket's best documents, scored by the search's query (or sorted by `sort`), with
 * their stored sources. The ranking happens with the other aggregations, synchronously; the
 * sources are read afterwards through each index reader's snapshot (AggRun.pending).
 * @module
 */
import { LsrError } from '../../errors.js'
import { compareSortValues, type SortValue } from '../../search/sorted-search.js'
import type { SortedHit } from '../index-reader.js'
import type { Json } from '../json-shapes.js'
import type { ParsedSort } from '../query/sort.js'
import { sourceFilter } from '../source-filter.js'
import { PRIMARY_TERM } from '../write-conditions.js'
import type { AggregationParser } from './aggregator.js'
import { AggOptions, parsing } from './options.js'
import { docCount, type AggScope } from './scope.js'

/** Elasticsearch's `index.max_inner_result_window`. */
const MAX_INNER_RESULT_WINDOW = 100

export const topHits: AggregationParser = (body, where, subs) => {
  if (subs.names.length > 0) throw parsing(`Aggregator [${where}] of type [top_hits] cannot accept sub-aggregations`)
  const options = new AggOptions(body, where)
  const size = options.count('size', 3)
  const from = options.count('from', 0)
  if (from + size > MAX_INNER_RESULT_WINDOW) {
    throw new LsrError('invalid_argument', `${where}: Top hits result window is too large, the top hits aggregator [from + size] must be less than or equal to: [${MAX_INNER_RESULT_WINDOW}] but was [${from + size}]`)
  }
  const sortSpec = options.raw('sort')
  const filterSource = sourceFilter(options.raw('_source'))
  const trackScores = options.boolean('track_scores', false)
  const version = options.boolean('version', false)
  const seqNo = options.boolean('seq_no_primary_term', false)
  options.done()
  return {
    run(scopes, run) {
      // Counted before ranking: what this top_hits may show adds to the request's budget.
      run.addTopHits(Math.min(size, docCount(scopes.map((scope) => scope.docs))))
      let sort: ParsedSort | undefined
      const ranked: Array<{ scope: AggScope; hit: SortedHit }> = []
      let maxScore = -Infinity
      for (const scope of scopes) {
        const parsed = sortSpec === undefined ? undefined : scope.reader.sort(sortSpec)
        sort ??= parsed
        // Every document of the bucket is a candidate; the query's terms score those they match.
        const { request } = scope
        const candidates = { terms: request.terms, disMax: request.disMax, constantScore: request.constantScore, matchAnyTerm: false, allowed: scope.docs }
        const result = scope.reader.rank(candidates, from + size, { sort: parsed, trackScores })
        for (const hit of result.hits) ranked.push({ scope, hit })
        if (result.maxScore !== null) maxScore = Math.max(maxScore, result.maxScore)
      }
      const keys = sort?.keys
      if (keys && ranked.every((r) => r.hit.sort?.length === keys.length)) ranked.sort((a, b) => compareSortValues(keys, a.hit.sort as SortValue[], b.hit.sort as SortValue[]))
      else ranked.sort((a, b) => b.hit.score - a.hit.score)
      const scored = !keys || keys.some((k) => k.by === 'score') || trackScores
      const page = ranked.slice(from, from + size)
      const hits: Json[] = page.map(({ scope, hit }) => {
        // The library's search has no index name to show.
        const out: Json = scope.index === '' ? { _id: hit.id } : { _index: scope.index, _id: hit.id }
        if (version || seqNo) {
          const v = scope.reader.version(hit.docId)
          if (version) out._version = v.version
          if (seqNo) Object.assign(out, { _seq_no: v.seqNo, _primary_term: PRIMARY_TERM })
        }
        out._score = scored ? hit.score : null
        if (hit.sort) out.sort = hit.sort
        return out
      })
      run.pending.push({
        hits: page,
        fill(sources) {
          sources.forEach((source, i) => {
            const filtered = filterSource(source)
            if (filtered !== undefined) hits[i]._source = filtered
          })
        },
      })
      const total = docCount(scopes.map((scope) => scope.docs))
      return { hits: { total: { value: total, relation: 'eq' }, max_score: scored && ranked.length > 0 ? maxScore : null, hits } }
    },
  }
}
