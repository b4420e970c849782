/**
 * The field schema of an index: its mapping, analyzers and similarities, parsed from the stored
 * Elasticsearch JSON (format.ts `StoredSchema`), and what a document becomes under it: the terms,
 * token positions, field lengths and doc values the storage layer writes.
 * @module
 */
import { buildAnalyzers, type Analyzer, type AnalyzerRegistry } from '../analysis/index.js'
import { fieldAt, leafFields, mapDocument, mappingToJson, parseMapping, type LeafField, type Mapping, type TextField } from '../mapping/index.js'
import { keywordTerm } from '../corpus/keywords.js'
import { LsrError } from '../errors.js'
import type { Bm25Params } from '../search/scorers/bm25.js'
import { byPath, type ColumnValue, type StoredSchema } from '../storage/format.js'
import { sparseTerm, textTerm } from '../storage/index-state.js'
import { encodeWeight } from '../storage/weight-codec.js'
import { isObject } from './json-shapes.js'

/** Elasticsearch's BM25 defaults, for fields of indexes with a schema. */
export const ES_BM25: Bm25Params = { k1: 1.2, b: 0.75 }

/**
 * The term of an exact value of field `path` (keyword, numeric, date, boolean; format.ts): the
 * same term as an index made before fields stored its metadata under.
 */
export const exactTerm = keywordTerm

/** The term every document with a value in field `path` has (the `exists` query). */
export function presenceTerm(path: string): string {
  return `\u0000${path}`
}

/** Longest indexed term in UTF-8 bytes (Lucene's IndexWriter.MAX_TERM_LENGTH). */
const MAX_TERM_BYTES = 32_766

/** Largest token position in a field (Lucene's IndexWriter.MAX_POSITION). */
const MAX_POSITION = 2_147_483_647 - 128

/** A document's terms and values under the schema (before the encoder field's terms are added). */
export interface SchemaDocument {
  terms: string[]
  values: number[]
  /**
   * Parallel to `terms`: for a token of a text field with positions (`hasPositions`), its positions
   * in the field, ascending, as many as its value (the term frequency); undefined for every other term.
   */
  positions: Array<Uint32Array | undefined>
  fieldLengths: Record<string, number>
  columns: Record<string, ColumnValue>
}

/** Whether an indexed text field keeps token positions (`index_options` positions or offsets). */
function keepsPositions(field: TextField | undefined): boolean {
  return field !== undefined && field.index && (field.indexOptions === undefined || field.indexOptions === 'offsets')
}

export class Schema {
  private constructor(
    readonly mapping: Mapping,
    readonly analyzers: AnalyzerRegistry,
    private readonly similarities: ReadonlyMap<string, Bm25Params>,
    private readonly stored: Omit<StoredSchema, 'mappings'>,
  ) {}

  /**
   * Parses a stored or requested schema.
   * @throws LsrError `mapper_parsing` / `invalid_argument` naming what is wrong
   */
  static parse(stored: StoredSchema): Schema {
    const analyzers = buildAnalyzers(stored.analysis)
    const similarities = parseSimilarities(stored.similarity)
    const mapping = parseMapping(stored.mappings, analyzers, { has: (name) => similarities.has(name) })
    return new Schema(mapping, analyzers, similarities, { analysis: stored.analysis, similarity: stored.similarity })
  }

  /** The same schema with another mapping (grown by dynamic fields or `PUT _mapping`). */
  withMapping(mapping: Mapping): Schema {
    return mapping === this.mapping ? this : new Schema(mapping, this.analyzers, this.similarities, this.stored)
  }

  toStored(): StoredSchema {
    const stored: StoredSchema = { mappings: mappingToJson(this.mapping) }
    if (this.stored.analysis) stored.analysis = this.stored.analysis
    if (this.stored.similarity) stored.similarity = this.stored.similarity
    return stored
  }

  /** Every mapped leaf field (multi-fields included) with its type. */
  leaves(): Array<{ path: string; type: LeafField['type'] }> {
    return leafFields(this.mapping).map(({ path, field }) => ({ path, type: field.type }))
  }

  field(path: string): LeafField | undefined {
    const field = fieldAt(this.mapping, path)
    return field && field.type !== 'object' ? (field as LeafField) : undefined
  }

  /** True when `name` is a similarity the index declares (or a built-in one). */
  hasSimilarity(name: string): boolean {
    return this.similarities.has(name)
  }

  /** BM25 parameters of a mapped text field: its named similarity, else the index default. */
  bm25(path: string): Bm25Params {
    const field = this.field(path)
    const name = field?.type === 'text' ? field.similarity : undefined
    return (name && this.similarities.get(name)) || this.similarities.get('default') || ES_BM25
  }

  /** The analyzer that indexes a text field (`analyzer`, else the index's `default`, else standard). */
  indexAnalyzer(path: string): Analyzer {
    return this.#analyzer(this.#indexAnalyzerName(this.#text(path)))
  }

  #indexAnalyzerName(field: TextField | undefined): string {
    return field?.analyzer ?? (this.analyzers.has('default') ? 'default' : 'standard')
  }

  /** Whether an indexed text field keeps token positions (`index_options` positions or offsets), as phrase queries need. */
  hasPositions(path: string): boolean {
    return keepsPositions(this.#text(path))
  }

  /** The text field at `path`, or undefined when it is not one. */
  #text(path: string): TextField | undefined {
    const field = this.field(path)
    return field?.type === 'text' ? field : undefined
  }

  /** The analyzer of query text for a field: `search_analyzer`, else `analyzer`, else the index's `default_search`/`default`. */
  searchAnalyzer(path: string, override?: string): Analyzer {
    if (override !== undefined) return this.#analyzer(override)
    const field = this.field(path)
    if (field?.type === 'text' && field.searchAnalyzer) return this.#analyzer(field.searchAnalyzer)
    if (field?.type === 'text' && field.analyzer) return this.#analyzer(field.analyzer)
    if (this.analyzers.has('default_search')) return this.#analyzer('default_search')
    return this.indexAnalyzer(path)
  }

  #analyzer(name: string): Analyzer {
    const analyzer = this.analyzers.get(name)
    if (!analyzer) throw new LsrError('invalid_argument', `analyzer [${name}] has not been configured in mappings`)
    return analyzer
  }

  /**
   * Maps one document: its terms (text tokens with frequencies and positions, exact values,
   * presence), text field lengths and doc values, and the mapping grown by its dynamic fields.
   * @throws LsrError `mapper_parsing` / `strict_dynamic_mapping`: nothing of the document is indexed;
   *   `invalid_argument` for a term or position too large for Lucene
   */
  document(source: Record<string, unknown>, id: string): { doc: SchemaDocument; mapping: Mapping } {
    const { values, mapping } = mapDocument(this.mapping, source, id)
    const schema = this.withMapping(mapping)
    const terms: string[] = []
    const counts: number[] = []
    const positions: Array<Uint32Array | undefined> = []
    const fieldLengths = byPath<number>()
    for (const { path, values: texts } of values.text) {
      // One lookup of the field per document (a write analyzes every text field of every document).
      const field = schema.#text(path)
      const analyzerName = schema.#indexAnalyzerName(field)
      const withPositions = keepsPositions(field)
      // Between two values: the field's position_increment_gap, else its index analyzer's.
      const gap = field?.positionIncrementGap ?? schema.analyzers.positionIncrementGap(analyzerName)
      const inverted = invert(path, texts, schema.#analyzer(analyzerName), gap, withPositions)
      // Lucene scores a docs-only field as if each matching term occurred once.
      const docsOnly = field?.indexOptions === 'docs'
      // A loop, not push(...): a field of 200,000 distinct tokens would overflow the stack.
      for (let i = 0; i < inverted.tokens.length; i++) {
        terms.push(textTerm(path, inverted.tokens[i]))
        counts.push(docsOnly ? 1 : inverted.freqs[i])
        positions.push(withPositions ? Uint32Array.from(inverted.positions[i]) : undefined)
      }
      if (inverted.length > 0) fieldLengths[path] = inverted.length
    }
    for (const { path, value } of values.terms) {
      terms.push(exactTerm(path, value))
      counts.push(1)
      positions.push(undefined)
    }
    for (const { path, tokens, weights } of values.features) {
      // Stored as 16-bit codes (weight-codec.ts); a weight too small for a code carries no score.
      let stored = 0
      tokens.forEach((token, i) => {
        const code = encodeWeight(weights[i])
        if (code === 0) return
        terms.push(sparseTerm(path, token))
        counts.push(code)
        positions.push(undefined)
        stored++
      })
      // The field's length is its feature count: docCount (and so corpus IDF) counts documents with the field.
      if (stored > 0) fieldLengths[path] = stored
    }
    for (const term of terms) {
      // Lucene's limit on one indexed term, which Elasticsearch enforces (ignore_above avoids it).
      // A term is mark, path, mark, value (format.ts); only long ones are measured.
      const end = term.length > MAX_TERM_BYTES / 3 ? term.indexOf(term[0], 1) : -1
      if (end > 0 && Buffer.byteLength(term.slice(end + 1)) > MAX_TERM_BYTES) {
        const path = term.slice(1, end)
        throw new LsrError('invalid_argument', `Document contains at least one immense term in field="${path}" (whose UTF8 encoding is longer than the max length ${MAX_TERM_BYTES}): use ignore_above on keyword fields`)
      }
    }
    for (const path of values.present) {
      terms.push(presenceTerm(path))
      counts.push(1)
      positions.push(undefined)
    }
    const columns = byPath<ColumnValue>()
    for (const { path, values: list } of values.columns) if (list.length > 0) columns[path] = list.length === 1 ? list[0] : list
    return { doc: { terms, values: counts, positions, fieldLengths, columns }, mapping }
  }
}

/** One text field of a document, inverted: each distinct token once, in order of first occurrence. */
interface InvertedField {
  tokens: string[]
  /** Each token's term frequency. */
  freqs: number[]
  /** Each token's positions, ascending; empty when positions are not kept. */
  positions: number[][]
  /** The field's length for BM25: tokens not stacked on the previous one (Lucene's norms with discountOverlaps). */
  length: number
}

/**
 * Inverts the values of one text field as Lucene's IndexingChain does: a field starts at position
 * -1 and each token adds its increment; after each value the position moves past the value's end
 * (trailing removed tokens included) and then by the gap, so a value whose tokens took 0..n-1 puts
 * the next value's first token at n - 1 + gap + 1.
 * @throws LsrError `invalid_argument` for a position past Lucene's MAX_POSITION
 */
function invert(path: string, texts: readonly string[], analyze: Analyzer, gap: number, withPositions: boolean): InvertedField {
  const slots = new Map<string, number>()
  const field: InvertedField = { tokens: [], freqs: [], positions: [], length: 0 }
  // The field position of the current value's position 0.
  let start = 0
  for (const text of texts) {
    const stream = analyze(text)
    for (let i = 0; i < stream.tokens.length; i++) {
      const token = stream.tokens[i]
      let slot = slots.get(token)
      if (slot === undefined) {
        slots.set(token, (slot = field.tokens.length))
        field.tokens.push(token)
        field.freqs.push(0)
        if (withPositions) field.positions.push([])
      }
      field.freqs[slot]++
      if (withPositions) field.positions[slot].push(start + stream.positions[i])
      if (i === 0 || stream.positions[i] !== stream.positions[i - 1]) field.length++
    }
    const last = stream.tokens.length > 0 ? start + stream.positions[stream.tokens.length - 1] : -1
    if (last > MAX_POSITION) throw new LsrError('invalid_argument', `position ${last} is too large for field '${path}': max allowed position is ${MAX_POSITION}`)
    start += stream.end + gap
  }
  return field
}

/** Similarity types lsr scores: Elasticsearch's `BM25` (its default). */
function parseSimilarities(json: unknown): Map<string, Bm25Params> {
  const similarities = new Map<string, Bm25Params>([['BM25', ES_BM25]])
  if (json === undefined) return similarities
  if (!isObject(json)) throw new LsrError('invalid_argument', 'index.similarity must be an object of named similarities')
  for (const [name, spec] of Object.entries(json)) {
    if (!isObject(spec)) throw new LsrError('invalid_argument', `similarity [${name}] must be an object`)
    for (const key of Object.keys(spec)) {
      if (!['type', 'k1', 'b', 'discount_overlaps'].includes(key)) throw new LsrError('invalid_argument', `unknown setting [index.similarity.${name}.${key}]`)
    }
    if (spec.type !== 'BM25') throw new LsrError('invalid_argument', `similarity [${name}]: type [${String(spec.type)}] is not supported (lsr scores with BM25)`)
    if (spec.discount_overlaps !== undefined && spec.discount_overlaps !== true) {
      throw new LsrError('invalid_argument', `similarity [${name}]: discount_overlaps must be true (lsr counts no overlapping tokens)`)
    }
    const k1 = spec.k1 ?? ES_BM25.k1
    const b = spec.b ?? ES_BM25.b
    if (typeof k1 !== 'number' || !(k1 >= 0) || !Number.isFinite(k1)) throw new LsrError('invalid_argument', `similarity [${name}]: k1 must be a finite number >= 0`)
    if (typeof b !== 'number' || !(b >= 0 && b <= 1)) throw new LsrError('invalid_argument', `similarity [${name}]: b must be in [0, 1]`)
    similarities.set(name, { k1, b })
  }
  return similarities
}
