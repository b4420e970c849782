import { describe, expect, it } from 'vitest'
import { evaluateQuery, evaluateRun, trecOrder, type RunHit } from '../../src/eval/metrics.js'

const hits = (...pairs: Array<[string, number]>): RunHit[] => pairs.map(([docId, score]) => ({ docId, score }))
const judged = (...pairs: Array<[string, number]>) => new Map(pairs)

describe('trec_eval ordering', () => {
  it('sorts by score descending, ties by document id descending, ignoring input order', () => {
    const sorted = hits(['a', 1], ['c', 2], ['b', 1], ['d', 3]).sort(trecOrder).map((h) => h.docId)
    expect(sorted).toEqual(['d', 'c', 'b', 'a'])
  })

  it('treats scores equal in single precision as ties, as trec_eval\'s float sim does', () => {
    const sorted = hits(['x', 1.00000001], ['y', 1.0]).sort(trecOrder).map((h) => h.docId)
    expect(sorted).toEqual(['y', 'x'])
  })
})

describe('metrics (hand-computed)', () => {
  it('binary judgments: nDCG, MAP, recall, P and MRR at cutoffs', () => {
    // ranking: d1 (rel), d2 (unjudged), d3 (rel), d4 (judged 0); 3 relevant in all (d1, d3, d5)
    const values = evaluateQuery(hits(['d1', 4], ['d2', 3], ['d3', 2], ['d4', 1]), judged(['d1', 1], ['d3', 1], ['d4', 0], ['d5', 1]), [1, 3, 5])
    const dcg3 = 1 + 1 / Math.log2(4)
    const idcg3 = 1 + 1 / Math.log2(3) + 1 / Math.log2(4)
    expect(values.ndcg_cut_1).toBe(1)
    expect(values.ndcg_cut_3).toBeCloseTo(dcg3 / idcg3, 12) // 0.703918...
    expect(values.ndcg_cut_3).toBeCloseTo(0.7039180890341347, 12)
    expect(values.ndcg_cut_5).toBeCloseTo(dcg3 / idcg3, 12)
    expect(values.map_cut_1).toBeCloseTo(1 / 3, 12)
    expect(values.map_cut_3).toBeCloseTo((1 + 2 / 3) / 3, 12)
    expect(values.recall_1).toBeCloseTo(1 / 3, 12)
    expect(values.recall_3).toBeCloseTo(2 / 3, 12)
    expect(values.P_1).toBe(1)
    expect(values.P_3).toBeCloseTo(2 / 3, 12)
    expect(values.P_5).toBeCloseTo(2 / 5, 12) // divides by k even when fewer were retrieved
    expect(values.recip_rank_1).toBe(1)
  })

  it('graded judgments: gains are the relevance values; the ideal uses all judged documents', () => {
    // ranking: a (1), b (2), c (unjudged); judged: a=1, b=2, z=2 (never retrieved)
    const values = evaluateQuery(hits(['a', 3], ['b', 2], ['c', 1]), judged(['a', 1], ['b', 2], ['z', 2]), [3])
    const dcg = 1 + 2 / Math.log2(3)
    const idcg = 2 + 2 / Math.log2(3) + 1 / Math.log2(4)
    expect(values.ndcg_cut_3).toBeCloseTo(dcg / idcg, 12)
    expect(values.ndcg_cut_3).toBeCloseTo(0.6012610260559063, 12)
    expect(values.recall_3).toBeCloseTo(2 / 3, 12)
    expect(values.map_cut_3).toBeCloseTo((1 + 1) / 3, 12)
  })

  it('ties at the cutoff are broken by document id descending before cutting', () => {
    // Both tie at score 1; trec_eval ranks 'b' before 'a' whatever the input order.
    const values = evaluateQuery(hits(['a', 1], ['b', 1]), judged(['a', 1]), [1])
    expect(values.ndcg_cut_1).toBe(0)
    expect(values.recip_rank_1).toBe(0)
    const flipped = evaluateQuery(hits(['b', 1], ['a', 1]), judged(['a', 1]), [1, 3])
    expect(flipped.recip_rank_3).toBe(0.5)
  })

  it('MRR@k counts the first relevant document only within k', () => {
    const values = evaluateQuery(hits(['x', 5], ['y', 4], ['r', 3]), judged(['r', 1]), [1, 3])
    expect(values.recip_rank_1).toBe(0)
    expect(values.recip_rank_3).toBeCloseTo(1 / 3, 12)
  })

  it('a judged query with no hits, or no relevant hit, scores 0; unjudged queries are ignored', () => {
    const run = new Map([
      ['q1', hits(['d1', 1])],
      ['q2', hits(['n1', 1])],
      ['unjudged', hits(['d1', 1])],
    ])
    const qrels = new Map([
      ['q1', judged(['d1', 1])],
      ['q2', judged(['d9', 1])],
      ['q3', judged(['d1', 2])],
    ])
    const { queries, mean, perQuery } = evaluateRun(run, qrels, [10])
    expect(queries).toBe(3)
    expect(perQuery.get('q2')!.ndcg_cut_10).toBe(0)
    expect(perQuery.get('q3')).toEqual({ ndcg_cut_10: 0, map_cut_10: 0, recall_10: 0, P_10: 0, recip_rank_10: 0 })
    expect(mean.ndcg_cut_10).toBeCloseTo(1 / 3, 12)
    expect(mean.P_10).toBeCloseTo(0.1 / 3, 12)
  })

  it('a query whose judgments are all 0 scores 0 everywhere', () => {
    expect(Object.values(evaluateQuery(hits(['a', 1]), judged(['a', 0]), [1]))).toEqual([0, 0, 0, 0, 0])
  })
})
