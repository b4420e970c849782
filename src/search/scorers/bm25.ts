/**
 * BM25 scoring of term-frequency postings from the live corpus statistics.
 * @module
 */
import type { PostingsView } from '../../storage/posting-list.js'
import type { IndexState } from '../../storage/index-state.js'
import { own } from '../../storage/format.js'
import { buildBlockMaxima, type BlockMaxima } from '../../storage/block-maxima.js'
import type { Phrase, PhraseMatches } from '../phrase.js'
import { bm25Idf, contributionsOneByOne, displayTerm, leaf, type Explanation, type ScoredQuery, type Scorer } from './scored-query.js'

/** BM25 parameters of one field. */
export interface Bm25Params {
  k1: number
  b: number
}

/** What BM25 reads about one field: its parameters, statistics and per-document lengths. */
interface FieldModel {
  /** Exact-value terms (keyword, numeric, ... filters scored where a query scores them): weight x 1. */
  constant: boolean
  params: Bm25Params
  /** Documents with the field (Lucene's docCount; the encoder field counts every document). */
  docCount: number
  avgdl: number
  lengths: Uint32Array
  /** Norm per document length (see FieldNorms). */
  norms: Float64Array
}

/**
 * BM25 length norms k1 * (1 - b + b * dl / avgdl) per document length (not per document), as
 * Lucene's BM25Scorer caches one per encoded norm byte: lengths are few, so a write (which moves
 * avgdl) costs a table of the lengths seen rather than a pass over every document. Lengths past
 * the table are computed on the fly with the same expression. One table per field.
 */
class FieldNorms {
  private version = -1
  private readonly tables = new Map<string | undefined, Float64Array>()

  get(state: IndexState, field: string | undefined, params: Bm25Params, avgdl: number): Float64Array {
    if (state.version !== this.version) {
      this.tables.clear()
      this.version = state.version
    }
    let table = this.tables.get(field)
    if (!table) {
      const maxLength = field === undefined ? state.maxLength : (state.fieldMaxLength.get(field) ?? 0)
      table = new Float64Array(Math.min(maxLength, MAX_TABLED_LENGTH) + 1)
      for (let length = 0; length < table.length; length++) table[length] = bm25Norm(params.k1, params.b, length, avgdl)
      this.tables.set(field, table)
    }
    return table
  }
}

/** Norms of exact-value terms: 0 whatever the length (lengths past the table compute 0 too, as k1 = 0). */
const CONSTANT_NORMS = new Float64Array(1)

/** Longest document length with a tabled norm (64k doubles: 512 KiB). */
const MAX_TABLED_LENGTH = 0xffff

function bm25Norm(k1: number, b: number, length: number, avgdl: number): number {
  return avgdl > 0 ? k1 * (1 - b + (b * length) / avgdl) : k1
}

/**
 * BM25 as Lucene's BM25Similarity (Lucene >= 8, without the constant (k1 + 1) factor), per field:
 * weight * idf * tf / (tf + k1 * (1 - b + b * dl / avgdl)) with the field's own k1, b, document
 * count, average length and exact (not byte-quantized) lengths. Two shapes of the per-posting
 * norm lookup (below) share everything else.
 */
abstract class Bm25Query implements ScoredQuery {
  readonly upperBounds: Float64Array
  readonly weights: Float64Array
  private readonly idfs: Float64Array

  constructor(
    readonly postings: readonly PostingsView[],
    private readonly termIds: readonly number[],
    queryWeights: readonly number[],
    private readonly state: IndexState,
    protected readonly models: readonly FieldModel[],
  ) {
    this.weights = new Float64Array(termIds.length)
    this.idfs = new Float64Array(termIds.length)
    this.upperBounds = new Float64Array(termIds.length)
    termIds.forEach((id, i) => {
      this.idfs[i] = models[i].constant ? 1 : bm25Idf(models[i].docCount, state.df[id])
      this.weights[i] = queryWeights[i] * this.idfs[i]
      this.upperBounds[i] = this.blockBound(i, state.maxValue[id], state.minLength[id])
    })
  }

  abstract contribution(i: number, tf: number, doc: number): number

  contributions(i: number, from: number, to: number, out: Float64Array): void {
    const { docs, values } = this.postings[i]
    const { lengths, norms } = this.models[i]
    const weight = this.weights[i]
    for (let p = from; p < to; p++) {
      const tf = values[p]
      const length = lengths[docs[p]]
      out[p - from] = weight * (tf / (tf + (length < norms.length ? norms[length] : this.farNorm(i, length))))
    }
  }

  /** k1 * (1 - b + b * dl / avgdl) of term `i`'s field for `doc`. */
  protected abstract norm(i: number, doc: number): number

  /** The norm of a length past the field's table, computed with the same expression. */
  protected farNorm(i: number, length: number): number {
    const { params, avgdl } = this.models[i]
    return bm25Norm(params.k1, params.b, length, avgdl)
  }

  blockMaxima(blockSize?: number): readonly BlockMaxima[] {
    return this.termIds.map((id, i) => this.state.postings[id].blockMaxima(this.models[i].lengths, blockSize))
  }

  blockBound(i: number, maxTf: number, minLength: number): number {
    const { params, avgdl } = this.models[i]
    return this.weights[i] * (maxTf / (maxTf + bm25Norm(params.k1, params.b, minLength, avgdl)))
  }

  explain(i: number, tf: number, doc: number): Explanation {
    const { params: { k1, b }, docCount, avgdl, constant, lengths } = this.models[i]
    if (constant) return leaf(this.contribution(i, tf, doc), `${displayTerm(this.state.terms[this.termIds[i]])}: constant score (the boost)`)
    const df = this.state.df[this.termIds[i]]
    return {
      value: this.contribution(i, tf, doc),
      description: `weight(${displayTerm(this.state.terms[this.termIds[i]])}) = query weight * idf * tf / (tf + k1 * (1 - b + b * dl / avgdl))`,
      details: [
        leaf(this.weights[i] / this.idfs[i], 'query weight (occurrences of the term in the query, times boosts)'),
        leaf(this.idfs[i], `idf = ln(1 + (N - df + 0.5) / (df + 0.5)), N = ${docCount}, df = ${df}`),
        leaf(tf / (tf + this.norm(i, doc)), `tf / (tf + k1 * (1 - b + b * dl / avgdl)), tf = ${tf}, k1 = ${k1}, b = ${b}, dl = ${lengths[doc]}, avgdl = ${avgdl}`),
      ],
    }
  }
}

/**
 * Every term of one field (the common case: a match, the encoder field): the lengths and norms
 * are fields of the query, as before fields existed, so the per-posting path does no extra loads.
 */
class OneFieldBm25Query extends Bm25Query {
  private readonly lengths: Uint32Array
  private readonly norms: Float64Array

  constructor(postings: readonly PostingsView[], termIds: readonly number[], queryWeights: readonly number[], state: IndexState, models: readonly FieldModel[]) {
    super(postings, termIds, queryWeights, state, models)
    this.lengths = models[0].lengths
    this.norms = models[0].norms
  }

  contribution(i: number, tf: number, doc: number): number {
    return this.weights[i] * (tf / (tf + this.norm(i, doc)))
  }

  protected norm(i: number, doc: number): number {
    const length = this.lengths[doc]
    return length < this.norms.length ? this.norms[length] : this.farNorm(i, length)
  }
}

/** Terms of several fields: each term reads its own field's lengths and norms. */
class FieldsBm25Query extends Bm25Query {
  private readonly lengths: Uint32Array[]
  private readonly norms: Float64Array[]

  constructor(postings: readonly PostingsView[], termIds: readonly number[], queryWeights: readonly number[], state: IndexState, models: readonly FieldModel[]) {
    super(postings, termIds, queryWeights, state, models)
    this.lengths = models.map((m) => m.lengths)
    this.norms = models.map((m) => m.norms)
  }

  contribution(i: number, tf: number, doc: number): number {
    return this.weights[i] * (tf / (tf + this.norm(i, doc)))
  }

  protected norm(i: number, doc: number): number {
    const length = this.lengths[i][doc]
    const norms = this.norms[i]
    return length < norms.length ? norms[length] : this.farNorm(i, length)
  }
}


/**
 * Builds the BM25 scored queries of one index; holds the norm tables that depend on its
 * statistics. `params` gives each field's k1 and b (undefined: the encoder field).
 */
export class Bm25Scorer implements Scorer {
  private readonly norms = new FieldNorms()
  /** Each field's model as of one state version (documents added or deleted change them all). */
  #models = new Map<string | undefined, FieldModel>()
  #version = -1

  constructor(private readonly params: (field: string | undefined) => Bm25Params) {}

  /** Scores the given distinct term ids with their query weights (terms with df 0 must be left out). */
  prepare(state: IndexState, termIds: readonly number[], queryWeights: readonly number[]): ScoredQuery {
    const models = termIds.map((id) => {
      // An exact-value term contributes its weight: k1 = 0 makes tf / (tf + norm) = 1, idf is 1.
      if (state.terms[id].charCodeAt(0) === 0) return { constant: true, params: { k1: 0, b: 0 }, docCount: 0, avgdl: 0, lengths: state.docLength, norms: CONSTANT_NORMS }
      return this.#modelOf(state, state.termField[id])
    })
    const postings = termIds.map((id) => state.postings[id].view())
    const oneField = models.every((model) => model === models[0])
    return oneField ? new OneFieldBm25Query(postings, termIds, queryWeights, state, models) : new FieldsBm25Query(postings, termIds, queryWeights, state, models)
  }

  /** Scores phrases of text fields with their query weights (phrases without matches must be left out). */
  preparePhrases(state: IndexState, phrases: readonly Phrase[], queryWeights: readonly number[]): ScoredQuery {
    return new PhraseBm25Query(phrases, queryWeights, state, phrases.map((phrase) => this.#modelOf(state, phrase.field)))
  }

  /** The BM25 model of a field (undefined: the encoder field) as of the state's version. */
  #modelOf(state: IndexState, field: string | undefined): FieldModel {
    if (state.version !== this.#version) {
      this.#models = new Map()
      this.#version = state.version
    }
    let model = this.#models.get(field)
    if (!model) {
      const params = this.params(field)
      const stats = field === undefined ? { docCount: state.stats.numDocs, sumLength: state.stats.sumLength } : (own(state.stats.fields, field) ?? { docCount: 0, sumLength: 0 })
      const avgdl = stats.docCount > 0 ? stats.sumLength / stats.docCount : 0
      const lengths = field === undefined ? state.docLength : (state.fieldLengths.get(field) ?? EMPTY_LENGTHS)
      model = { constant: false, params, docCount: stats.docCount, avgdl, lengths, norms: this.norms.get(state, field, params, avgdl) }
      this.#models.set(field, model)
    }
    return model
  }
}

const EMPTY_LENGTHS = new Uint32Array(0)

/**
 * Phrases scored as Lucene scores a PhraseQuery with BM25: the phrase frequency (phrase.ts: its
 * occurrences, or the sum of 1 / (1 + match length) of sloppy matches) takes the place of tf, and
 * the idf is the sum of the idfs of the phrase's terms that occur (one per position and expansion,
 * repeats included, as Lucene sums the statistics of each term it holds):
 *   weight * (sum of idf) * freq / (freq + k1 * (1 - b + b * dl / avgdl)).
 * Lengths are exact where Lucene quantizes them to one byte (as for terms).
 */
class PhraseBm25Query implements ScoredQuery {
  readonly postings: readonly PhraseMatches[]
  readonly upperBounds: Float64Array
  readonly weights: Float64Array
  private readonly idfs: Float64Array

  constructor(
    private readonly phrases: readonly Phrase[],
    queryWeights: readonly number[],
    private readonly state: IndexState,
    private readonly models: readonly FieldModel[],
  ) {
    this.postings = phrases.map((phrase) => phrase.matches(state))
    // Lucene's PhraseWeight sums the statistics of the terms that occur (a stacked variant no document has adds nothing).
    this.idfs = Float64Array.from(phrases, (phrase, i) => this.#dfs(phrase).reduce((sum, df) => sum + bm25Idf(models[i].docCount, df), 0))
    this.weights = Float64Array.from(queryWeights, (weight, i) => weight * this.idfs[i])
    this.upperBounds = Float64Array.from(this.postings, ({ docs, values, length }, i) => {
      let maxRank = 0
      let minLength = 0xffffffff
      for (let p = 0; p < length; p++) {
        if (values[p] > maxRank) maxRank = values[p]
        if (models[i].lengths[docs[p]] < minLength) minLength = models[i].lengths[docs[p]]
      }
      return this.blockBound(i, maxRank, minLength)
    })
  }

  contribution(i: number, rank: number, doc: number): number {
    const freq = this.postings[i].freqs[rank - 1]
    return this.weights[i] * (freq / (freq + this.#norm(i, this.models[i].lengths[doc])))
  }

  contributions(i: number, from: number, to: number, out: Float64Array): void {
    contributionsOneByOne(this, i, from, to, out)
  }

  blockMaxima(blockSize?: number): readonly BlockMaxima[] {
    return this.postings.map((matches, i) => buildBlockMaxima(matches, this.models[i].lengths, blockSize))
  }

  /** The bound from a block's largest rank (the largest frequency) and shortest document. */
  blockBound(i: number, maxRank: number, minLength: number): number {
    if (maxRank === 0) return 0
    const freq = this.postings[i].freqs[maxRank - 1]
    return this.weights[i] * (freq / (freq + this.#norm(i, minLength)))
  }

  explain(i: number, rank: number, doc: number): Explanation {
    const { params: { k1, b }, docCount, avgdl, lengths } = this.models[i]
    const freq = this.postings[i].freqs[rank - 1]
    const phrase = this.phrases[i]
    const dfs = this.#dfs(phrase)
    return {
      value: this.contribution(i, rank, doc),
      description: `weight(${phrase.display()}) = query weight * idf * freq / (freq + k1 * (1 - b + b * dl / avgdl))`,
      details: [
        leaf(this.weights[i] / this.idfs[i], 'query weight (the boosts)'),
        leaf(this.idfs[i], `idf = sum over the phrase's terms of ln(1 + (N - df + 0.5) / (df + 0.5)), N = ${docCount}, df = ${dfs.join(', ')}`),
        leaf(freq / (freq + this.#norm(i, lengths[doc])), `freq / (freq + k1 * (1 - b + b * dl / avgdl)), phrase freq = ${freq}${phrase.slop > 0 ? ` (sum of 1 / (1 + match length), slop ${phrase.slop})` : ''}, k1 = ${k1}, b = ${b}, dl = ${lengths[doc]}, avgdl = ${avgdl}`),
      ],
    }
  }

  /** The document frequencies of the phrase's terms that occur in live documents. */
  #dfs(phrase: Phrase): number[] {
    return phrase.allTerms().flatMap((term) => {
      const id = this.state.termIds.get(term)
      return id === undefined || this.state.df[id] === 0 ? [] : [this.state.df[id]]
    })
  }

  #norm(i: number, length: number): number {
    const { params, avgdl, norms } = this.models[i]
    return length < norms.length ? norms[length] : bm25Norm(params.k1, params.b, length, avgdl)
  }
}
