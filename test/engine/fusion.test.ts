import { describe, expect, it } from 'vitest'
import { describeFusion, fuse, type Combination, type Fusion, type FusedHit, type Normalization, type ScoreBound, type SubQueryHits } from '../../src/engine/hybrid/fusion.js'
import { LsrError } from '../../src/errors.js'

// Every expected value below is worked out by hand in the comment beside it.

const hits = (docs: number[], scores: number[]): SubQueryHits => ({ docs, scores })
const normalization = (n: Normalization, technique: Combination['technique'] = 'arithmetic_mean', weights?: number[]): Fusion =>
  ({ kind: 'normalization', normalization: n, combination: weights ? { technique, weights } : { technique } })
const minMax = (technique: Combination['technique'] = 'arithmetic_mean', weights?: number[]) => normalization({ technique: 'min_max' }, technique, weights)

/** The fused hits as [doc, score] pairs, scores to 6 decimals. */
function expectRanking(fused: FusedHit[], expected: Array<[number, number]>) {
  expect(fused.map((hit) => hit.doc)).toEqual(expected.map(([doc]) => doc))
  fused.forEach((hit, i) => expect(hit.score).toBeCloseTo(expected[i][1], 6))
}

/** Normalized scores of sub-query `q` by doc. */
const normalizedOf = (fused: FusedHit[], q: number) => Object.fromEntries(fused.filter((h) => h.normalized[q] !== undefined).map((h) => [h.doc, h.normalized[q]]))

function invalid(run: () => unknown, message: string) {
  let error: unknown
  try {
    run()
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(LsrError)
  expect((error as LsrError).code).toBe('invalid_argument')
  expect((error as LsrError).message).toContain(message)
}

// Sub-query A returns docs 1, 2, 3 with raw scores 10, 6, 2: min 2, max 10, so
//   doc1 = (10-2)/8 = 1, doc2 = (6-2)/8 = 0.5, doc3 = (2-2)/8 = 0 -> 0.001.
// Sub-query B returns docs 3, 4 with raw scores 0.9, 0.5: min 0.5, max 0.9, so
//   doc3 = 0.4/0.4 = 1, doc4 = 0 -> 0.001.
// Doc 1 and 2 are missing from B, doc 4 from A.
const A = hits([1, 2, 3], [10, 6, 2])
const B = hits([3, 4], [0.9, 0.5])

describe('min_max normalization', () => {
  it('maps each list on its own: max to 1, min to 0.001', () => {
    const fused = fuse([A, B], minMax())
    expect(normalizedOf(fused, 0)).toEqual({ 1: 1, 2: 0.5, 3: 0.001 })
    expect(normalizedOf(fused, 1)).toEqual({ 3: 1, 4: 0.001 })
  })

  it('keeps raw scores, undefined where a sub-query did not return the document', () => {
    const doc3 = fuse([A, B], minMax()).find((h) => h.doc === 3)!
    expect(doc3.raw).toEqual([2, 0.9])
    const doc4 = fuse([A, B], minMax()).find((h) => h.doc === 4)!
    expect(doc4.raw).toEqual([undefined, 0.5])
    expect(doc4.normalized).toEqual([undefined, 0.001])
  })

  it('gives 1 to a single hit and to every hit of a list of equal scores', () => {
    // One hit: min = max = score -> 1. Equal scores 3, 3: min = max = score -> 1 each.
    expect(normalizedOf(fuse([hits([8], [42])], minMax()), 0)).toEqual({ 8: 1 })
    expect(normalizedOf(fuse([hits([1, 2], [3, 3])], minMax()), 0)).toEqual({ 1: 1, 2: 1 })
  })

  it('gives 0.001 to a list whose scores are all 0 (the max is seeded with Float.MIN_VALUE)', () => {
    // max = max(1.4e-45, 0) = 1.4e-45 != min 0, so (0-0)/(1.4e-45) = 0 -> 0.001.
    expect(normalizedOf(fuse([hits([1, 2], [0, 0])], minMax()), 0)).toEqual({ 1: 0.001, 2: 0.001 })
  })
})

describe('combinations of min_max scores', () => {
  it('arithmetic_mean counts a missing sub-query as 0 with its weight in the divisor', () => {
    // doc3 = (0.001 + 1)/2 = 0.5005, doc1 = (1 + 0)/2 = 0.5, doc2 = (0.5 + 0)/2 = 0.25, doc4 = (0 + 0.001)/2 = 0.0005
    expectRanking(fuse([A, B], minMax()), [[3, 0.5005], [1, 0.5], [2, 0.25], [4, 0.0005]])
  })

  it('arithmetic_mean with weights 0.3, 0.7', () => {
    // doc3 = (0.3*0.001 + 0.7*1)/1 = 0.7003, doc1 = 0.3*1 = 0.3, doc2 = 0.3*0.5 = 0.15, doc4 = 0.7*0.001 = 0.0007
    expectRanking(fuse([A, B], minMax('arithmetic_mean', [0.3, 0.7])), [[3, 0.7003], [1, 0.3], [2, 0.15], [4, 0.0007]])
  })

  it('geometric_mean leaves a missing sub-query and its weight out', () => {
    // doc1 = exp(0.3*ln 1 / 0.3) = 1, doc2 = exp(0.3*ln 0.5 / 0.3) = 0.5,
    // doc3 = exp((0.3*ln 0.001 + 0.7*ln 1) / 1) = 0.001^0.3 = 10^-0.9 = 0.125893, doc4 = exp(0.7*ln 0.001 / 0.7) = 0.001
    expectRanking(fuse([A, B], minMax('geometric_mean', [0.3, 0.7])), [[1, 1], [2, 0.5], [3, 0.125893], [4, 0.001]])
  })

  it('geometric_mean without weights', () => {
    // doc1 = 1, doc2 = 0.5, doc3 = exp((ln 0.001 + ln 1)/2) = sqrt(0.001) = 0.031623, doc4 = 0.001
    expectRanking(fuse([A, B], minMax('geometric_mean')), [[1, 1], [2, 0.5], [3, 0.031623], [4, 0.001]])
  })

  it('harmonic_mean leaves a missing sub-query and its weight out', () => {
    // doc1 = 0.3/(0.3/1) = 1, doc2 = 0.3/(0.3/0.5) = 0.5,
    // doc3 = (0.3+0.7)/(0.3/0.001 + 0.7/1) = 1/300.7 = 0.003326, doc4 = 0.7/(0.7/0.001) = 0.001
    expectRanking(fuse([A, B], minMax('harmonic_mean', [0.3, 0.7])), [[1, 1], [2, 0.5], [3, 0.003326], [4, 0.001]])
  })

  it('breaks ties by ascending doc id', () => {
    // Each list has one hit -> 1; arithmetic_mean: doc9 = (1+0)/2 = 0.5, doc4 = (0+1)/2 = 0.5.
    expectRanking(fuse([hits([9], [3]), hits([4], [7])], minMax()), [[4, 0.5], [9, 0.5]])
  })

  it('handles an empty list, and no lists at all', () => {
    // The empty sub-query still counts in arithmetic_mean: doc1 = (0 + 1)/2 = 0.5.
    expectRanking(fuse([hits([], []), hits([1], [2])], minMax()), [[1, 0.5]])
    expect(fuse([hits([], []), hits([], [])], minMax())).toEqual([])
    expect(fuse([], minMax())).toEqual([])
  })
})

describe('min_max bounds', () => {
  // Raw scores 10, 5, 2.5, 2 for docs 1..4: without bounds, (s-2)/8 = 1, 0.375, 0.0625, 0 -> 0.001.
  const list = hits([1, 2, 3, 4], [10, 5, 2.5, 2])
  const lower = (bound: ScoreBound) => fuse([list], normalization({ technique: 'min_max', lowerBounds: [bound] }))
  const upper = (bound: ScoreBound) => fuse([list], normalization({ technique: 'min_max', upperBounds: [bound] }))

  it('apply: scores above min_score use it as the min, the others the list min', () => {
    // bound 3, max 10 > 3: doc1 = (10-3)/7 = 1, doc2 = (5-3)/7 = 0.285714;
    // 2.5 and 2 are not above 3: doc3 = (2.5-2)/(10-2) = 0.0625, doc4 = 0 -> 0.001
    const n = normalizedOf(lower({ mode: 'apply', score: 3 }), 0)
    expect(n[1]).toBe(1)
    expect(n[2]).toBeCloseTo(0.285714, 6)
    expect(n[3]).toBeCloseTo(0.0625, 10)
    expect(n[4]).toBe(0.001)
  })

  it('apply below the list min lifts the lowest score above 0.001', () => {
    // bound -5: every score is above it: doc1 = 15/15 = 1, doc2 = 10/15 = 0.666667, doc3 = 7.5/15 = 0.5, doc4 = 7/15 = 0.466667
    const n = normalizedOf(lower({ mode: 'apply', score: -5 }), 0)
    expect([n[1], n[2], n[3], n[4]].map((x) => +x!.toFixed(6))).toEqual([1, 0.666667, 0.5, 0.466667])
  })

  it('clip: min_score is the min and scores below it get 0.001', () => {
    // bound 3: doc1 = 7/7 = 1, doc2 = 2/7 = 0.285714, doc3: 2.5 < 3 -> 0.001, doc4: 2 < 3 -> 0.001
    const n = normalizedOf(lower({ mode: 'clip', score: 3 }), 0)
    expect(n[2]).toBeCloseTo(0.285714, 6)
    expect([n[1], n[3], n[4]]).toEqual([1, 0.001, 0.001])
  })

  it('clip above the list max changes nothing', () => {
    // bound 20 > max 10: the min stays 2 and no score is below 2.
    expect(normalizedOf(lower({ mode: 'clip', score: 20 }), 0)).toEqual({ 1: 1, 2: 0.375, 3: 0.0625, 4: 0.001 })
  })

  it('ignore keeps the list min', () => {
    expect(normalizedOf(lower({ mode: 'ignore', score: 3 }), 0)).toEqual({ 1: 1, 2: 0.375, 3: 0.0625, 4: 0.001 })
  })

  it('upper apply: scores below max_score use it as the max', () => {
    // bound 8: doc1 (10, not below 8) = (10-2)/8 = 1; doc2 = (5-2)/(8-2) = 0.5; doc3 = 0.5/6 = 0.083333; doc4 = 0 -> 0.001
    const n = normalizedOf(upper({ mode: 'apply', score: 8 }), 0)
    expect([n[1], n[2], n[4]]).toEqual([1, 0.5, 0.001])
    expect(n[3]).toBeCloseTo(0.083333, 6)
  })

  it('upper clip: scores above max_score get 1', () => {
    // Raw 10, 9, 2 with bound 8: clip: 10 and 9 > 8 -> 1, 2 -> 0.001; apply: 9 is not below 8, so (9-2)/(10-2) = 0.875.
    const three = hits([1, 2, 3], [10, 9, 2])
    const bounded = (mode: ScoreBound['mode']) => normalizedOf(fuse([three], normalization({ technique: 'min_max', upperBounds: [{ mode, score: 8 }] })), 0)
    expect(bounded('clip')).toEqual({ 1: 1, 2: 1, 3: 0.001 })
    expect(bounded('apply')).toEqual({ 1: 1, 2: 0.875, 3: 0.001 })
  })

  it('are per sub-query: one bound for each list', () => {
    invalid(() => fuse([list, list], normalization({ technique: 'min_max', lowerBounds: [{ mode: 'apply', score: 0 }] })), 'lower_bounds to contain 2 elements')
  })
})

describe('l2 normalization', () => {
  it('divides by the list norm; arithmetic_mean combines', () => {
    // A: raw 3, 4 for docs 1, 2: norm 5 -> 0.6, 0.8. B: raw 1, 1 for docs 2, 3: norm sqrt 2 -> 0.707107 each.
    // doc2 = (0.8 + 0.707107)/2 = 0.753553, doc3 = 0.707107/2 = 0.353553, doc1 = 0.6/2 = 0.3
    expectRanking(fuse([hits([1, 2], [3, 4]), hits([2, 3], [1, 1])], normalization({ technique: 'l2' })), [[2, 0.753553], [3, 0.353553], [1, 0.3]])
  })

  it('gives 1 to a single hit and 0 to every hit of a list with norm 0', () => {
    expect(normalizedOf(fuse([hits([5], [0.3])], normalization({ technique: 'l2' })), 0)).toEqual({ 5: 1 })
    expect(normalizedOf(fuse([hits([1, 2], [0, 0])], normalization({ technique: 'l2' })), 0)).toEqual({ 1: 0, 2: 0 })
  })

  it('geometric and harmonic means give 0 to a document whose only score is 0', () => {
    // doc1 normalized [0, 0]: no sub-query with n > 0 -> 0; doc2 has n = 1 from B alone -> 1.
    for (const technique of ['geometric_mean', 'harmonic_mean'] as const) {
      expectRanking(fuse([hits([1], [0]), hits([2], [5])], normalization({ technique: 'l2' }, technique)), [[2, 1], [1, 0]])
    }
  })

  it('arithmetic_mean skips a negative score and its weight', () => {
    // A: raw 3, -4 for docs 1, 2 -> 0.6, -0.8. B: raw 2 for doc 2 -> 1.
    // doc2: -0.8 < 0 is left out: 1/1 = 1. doc1 = (0.6 + 0)/2 = 0.3.
    expectRanking(fuse([hits([1, 2], [3, -4]), hits([2], [2])], normalization({ technique: 'l2' })), [[2, 1], [1, 0.3]])
  })
})

describe('z_score normalization', () => {
  it('uses the sample standard deviation, and 0.001 for scores at or below the mean', () => {
    // A: raw 4, 3, 2, 1 (docs 1..4): mean 2.5, sample variance (2.25+0.25+0.25+2.25)/3 = 5/3, stddev 1.290994:
    //   doc1 = 1.5/1.290994 = 1.161895, doc2 = 0.5/1.290994 = 0.387298, doc3, doc4 <= 0 -> 0.001.
    // B: raw 10, 20 (docs 3, 5): mean 15, stddev sqrt(50/1) = 7.071068: doc5 = 5/7.071068 = 0.707107, doc3 -> 0.001.
    // arithmetic_mean: doc1 = 0.580948, doc5 = 0.353553, doc2 = 0.193649, doc3 = (0.001+0.001)/2 = 0.001, doc4 = 0.0005
    const fused = fuse([hits([1, 2, 3, 4], [4, 3, 2, 1]), hits([5, 3], [20, 10])], normalization({ technique: 'z_score' }))
    expectRanking(fused, [[1, 0.580948], [5, 0.353553], [2, 0.193649], [3, 0.001], [4, 0.0005]])
  })

  it('gives a score equal to the mean the raw max of its list', () => {
    // Raw 3, 2, 1: mean 2, stddev 1: doc1 = 1/1 = 1, doc2 (= mean) -> raw max 3, doc3 -> 0.001.
    expect(normalizedOf(fuse([hits([1, 2, 3], [3, 2, 1])], normalization({ technique: 'z_score' })), 0)).toEqual({ 1: 1, 2: 3, 3: 0.001 })
  })

  it('keeps the raw score of a single hit and of a list of equal scores (each equals the mean)', () => {
    expect(normalizedOf(fuse([hits([7], [12.5])], normalization({ technique: 'z_score' })), 0)).toEqual({ 7: 12.5 })
    expect(normalizedOf(fuse([hits([1, 2, 3], [0.1, 0.1, 0.1])], normalization({ technique: 'z_score' })), 0)).toEqual({ 1: 0.1, 2: 0.1, 3: 0.1 })
  })

  it('combines only by arithmetic_mean', () => {
    invalid(() => fuse([A], normalization({ technique: 'z_score' }, 'geometric_mean')), 'geometric_mean is not supported for normalization technique z_score')
  })
})

describe('rrf', () => {
  // A ranks docs 1, 2, 3; B ranks docs 3, 1, 4. Raw scores play no part.
  const lists = [hits([1, 2, 3], [0.1, 50, 900]), hits([3, 1, 4], [7, 6, 5])]

  it('sums 1/(rank_constant + rank) over the sub-queries that returned the document', () => {
    // k = 60: doc1 = 1/61 + 1/62 = 0.016393 + 0.016129 = 0.032522, doc3 = 1/63 + 1/61 = 0.015873 + 0.016393 = 0.032266,
    // doc2 = 1/62 = 0.016129, doc4 = 1/63 = 0.015873
    const fused = fuse(lists, { kind: 'rrf', rankConstant: 60 })
    expectRanking(fused, [[1, 0.032522], [3, 0.032266], [2, 0.016129], [4, 0.015873]])
    expect(fused[0].normalized[0]).toBeCloseTo(1 / 61, 12)
  })

  it('with rank_constant 1', () => {
    // doc1 = 1/2 + 1/3 = 0.833333, doc3 = 1/4 + 1/2 = 0.75, doc2 = 1/3 = 0.333333, doc4 = 1/4 = 0.25
    expectRanking(fuse(lists, { kind: 'rrf', rankConstant: 1 }), [[1, 0.833333], [3, 0.75], [2, 0.333333], [4, 0.25]])
  })

  it('with weights 0.2, 0.8 (a weighted sum, not divided)', () => {
    // doc3 = 0.2/63 + 0.8/61 = 0.003175 + 0.013115 = 0.016289, doc1 = 0.2/61 + 0.8/62 = 0.003279 + 0.012903 = 0.016182,
    // doc4 = 0.8/63 = 0.012698, doc2 = 0.2/62 = 0.003226
    expectRanking(fuse(lists, { kind: 'rrf', rankConstant: 60, weights: [0.2, 0.8] }), [[3, 0.016289], [1, 0.016182], [4, 0.012698], [2, 0.003226]])
  })

  it('breaks ties by ascending doc id', () => {
    // doc5 = 1/61 + 1/62 = doc2 = 1/62 + 1/61.
    const fused = fuse([hits([5, 2], [2, 1]), hits([2, 5], [2, 1])], { kind: 'rrf', rankConstant: 60 })
    expect(fused.map((h) => h.doc)).toEqual([2, 5])
    expect(fused[0].score).toBe(fused[1].score)
  })

  it('as the normalization of a normalization-processor, then a mean', () => {
    // A ranks 1, 2; B ranks 2. k = 60: doc2 = (1/62 + 1/61)/2 = 0.016261, doc1 = (1/61 + 0)/2 = 0.008197
    const fusion = normalization({ technique: 'rrf', rankConstant: 60 })
    expectRanking(fuse([hits([1, 2], [2, 1]), hits([2], [1])], fusion), [[2, 0.016261], [1, 0.008197]])
  })
})

describe('fuse checks', () => {
  it('refuses weights that are not one per sub-query', () => {
    invalid(() => fuse([A, B], minMax('arithmetic_mean', [1])), 'number of weights [1] must match number of sub-queries [2]')
    invalid(() => fuse([A], { kind: 'rrf', rankConstant: 60, weights: [0.5, 0.5] }), 'number of weights [2] must match number of sub-queries [1]')
  })

  it('refuses more than 5 sub-queries, and lists whose docs and scores differ in length', () => {
    invalid(() => fuse([A, A, A, A, A, A], minMax()), 'at most 5 sub-queries')
    invalid(() => fuse([hits([1, 2], [1])], minMax()), 'sub-query 0 has 2 docs but 1 scores')
  })
})

describe('describeFusion', () => {
  it('names the techniques, their parameters and the formula', () => {
    expect(describeFusion(minMax('arithmetic_mean', [0.3, 0.7]))).toMatch(/^min_max normalization, arithmetic_mean, weights \[0\.3, 0\.7\] combination: score = sum\(w_i \* n_i\) \/ sum\(w_i\)/)
    expect(describeFusion(normalization({ technique: 'min_max', lowerBounds: [{ mode: 'clip', score: 0.2 }] }))).toContain('min_max, lower bounds [(clip, 0.2)] normalization')
    expect(describeFusion(normalization({ technique: 'z_score' }))).toContain('sample stddev')
    expect(describeFusion({ kind: 'rrf', rankConstant: 20 })).toMatch(/^rrf, rank_constant \[20\]: score = sum .* w_i \/ \(20 \+ rank_i\)/)
  })
})

describe('extreme score scales', () => {
  // l2 and z_score do not depend on the scale of a list's scores: lists scaled by 1e200 and by
  // 1e-200 (whose squares leave the double range) normalize as the unscaled list does.
  for (const technique of ['l2', 'z_score'] as const) {
    it(`${technique} gives the same normalized scores for a list scaled by 1e200 or 1e-200`, () => {
      const fusion = normalization({ technique })
      const base = normalizedOf(fuse([hits([1, 2, 3], [3, 2, 1])], fusion), 0)
      for (const scale of [1e200, 1e-200]) {
        const scaled = normalizedOf(fuse([hits([1, 2, 3], [3 * scale, 2 * scale, 1 * scale])], fusion), 0)
        for (const doc of [1, 3]) expect(scaled[doc]).toBeCloseTo(base[doc]!, 9)
      }
      // l2 of [3, 2, 1]: 3 / sqrt(14) = 0.801784; z_score: mean 2, sample stddev 1, doc 1 -> 1, doc 3 -> 0.001.
      expect(base[1]).toBeCloseTo(technique === 'l2' ? 3 / Math.sqrt(14) : 1, 6)
    })
  }
})
