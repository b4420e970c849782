/**
 * The field schema of an index: its mapping, analyzers and similarities, parsed from the stored
 * Elasticsearch JSON (format.ts `StoredSchema`), and what a document becomes under it: the terms,
 * field lengths and doc values the storage layer writes.
 * @module
 */
import { buildAnalyzers, type Analyzer, type AnalyzerRegistry } from '../analysis/index.js'
import { fieldAt, leafFields, mapDocument, mappingToJson, parseMapping, type LeafField, type Mapping } from '../mapping/index.js'
import { keywordTerm } from '../corpus/keywords.js'
import { countTerms } from '../encode/bm25.js'
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

/** A document's terms and values under the schema (before the encoder field's terms are added). */
export interface SchemaDocument {
  terms: string[]
  values: number[]
  fieldLengths: Record<string, number>
  columns: Record<string, ColumnValue>
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
    const field = this.field(path)
    const name = field?.type === 'text' ? field.analyzer : undefined
    return this.#analyzer(name ?? (this.analyzers.has('default') ? 'default' : 'standard'))
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
   * Maps one document: its terms (text tokens with frequencies, exact values, presence), text
   * field lengths and doc values, and the mapping grown by its dynamic fields.
   * @throws LsrError `mapper_parsing` / `strict_dynamic_mapping`: nothing of the document is indexed
   */
  document(source: Record<string, unknown>, id: string): { doc: SchemaDocument; mapping: Mapping } {
    const { values, mapping } = mapDocument(this.mapping, source, id)
    const schema = this.withMapping(mapping)
    const terms: string[] = []
    const counts: number[] = []
    const fieldLengths = byPath<number>()
    for (const { path, values: texts } of values.text) {
      const analyze = schema.indexAnalyzer(path)
      const tokens = texts.flatMap((text) => analyze(text).tokens)
      const counted = countTerms(tokens.map((token) => textTerm(path, token)))
      // A loop, not push(...): a field of 200,000 distinct tokens would overflow the stack.
      for (let i = 0; i < counted.terms.length; i++) {
        terms.push(counted.terms[i])
        counts.push(counted.counts[i])
      }
      if (tokens.length > 0) fieldLengths[path] = tokens.length
    }
    for (const { path, value } of values.terms) {
      terms.push(exactTerm(path, value))
      counts.push(1)
    }
    for (const { path, tokens, weights } of values.features) {
      // Stored as 16-bit codes (weight-codec.ts); a weight too small for a code carries no score.
      let stored = 0
      tokens.forEach((token, i) => {
        const code = encodeWeight(weights[i])
        if (code === 0) return
        terms.push(sparseTerm(path, token))
        counts.push(code)
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
    }
    const columns = byPath<ColumnValue>()
    for (const { path, values: list } of values.columns) if (list.length > 0) columns[path] = list.length === 1 ? list[0] : list
    return { doc: { terms, values: counts, fieldLengths, columns }, mapping }
  }
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
