/**
 * `SparseIndex`: the public handle of one index directory. Opens or creates the LevelDB database,
 * loads it into memory (load.ts), applies writes as atomic batches (write-plan.ts) one at a time,
 * and answers queries from memory (src/search).
 * @module
 */
import { mkdir } from 'node:fs/promises'
import { Level } from 'level'
import type { EncodedDocument, Encoder, EncoderConfig, QueryTerm, SourceDocument } from '../encode/encoder.js'
import { createEncoder, resolveEncoderConfig, type EncoderRuntime } from '../encode/registry.js'
import { LsrError } from '../errors.js'
import type { Explanation } from '../search/scorers/scored-query.js'
import { createScorer } from '../search/scorers/registry.js'
import { Searcher, type SearchOptions, type SearchRequest } from '../search/searcher.js'
import type { ScoredDoc } from '../search/top-k.js'
import { keywordTerm } from '../corpus/keywords.js'
import type { RoaringBitmap32 } from './roaring.js'
import { encodeWeight } from './weight-codec.js'
import { directorySize, hasEntries, isLevelDb, openError } from './index-folder.js'
import {
  checkMeta, decodeForward, decodeJson, encodeJson, forwardKey, FORMAT_NAME, FORMAT_VERSION, KEY_META, KEY_STATS,
  sourceKey, type IndexMeta,
} from './format.js'
import type { IndexState } from './index-state.js'
import { loadState, SegmentStore, type IndexDb } from './load.js'
import { planWrite, type DocToAdd, type DocToDelete } from './write-plan.js'
import { checkIntegrity } from './integrity.js'

export type { SearchAlgorithm, SearchOptions, SearchRequest } from '../search/searcher.js'
import { planCompaction, planLogMerges } from './compaction.js'

/** One ranked hit; ties are ordered by insertion order (internal doc id ascending). */
export interface Hit {
  /** External document id. */
  id: string
  score: number
  /** Internal doc id (stable until the document is replaced or deleted). */
  docId: number
}

/** A hit with the document's stored source. */
export interface HitWithSource extends Hit {
  source: Record<string, unknown>
}

/** What one {@link SparseIndex.add} call did. */
export interface AddResult {
  added: number
  replaced: number
  /** Documents whose stored source was identical: left as they were (this makes re-runs cheap). */
  unchanged: number
}

/** Summary counts of an index. */
export interface IndexStats {
  documents: number
  deletedDocuments: number
  terms: number
  postings: number
  /** On-disk posting segments over all terms (1 per term after compaction; writes add more, log-merged). */
  segments: number
  /** Encoded posting lists (doc ids + values), before LevelDB's compression; / postings = bytes per posting. */
  postingBytes: number
  /** Everything in the index folder: postings, stored sources, forward vectors, LevelDB overhead. */
  sizeOnDiskBytes: number
  /** Memory of the loaded posting lists (with their caches) and the per-document arrays; see IndexState.memoryBytes. */
  memoryBytes: number
  /** Postings loaded in memory: a term's postings are read from disk when a query first needs them. */
  loadedPostings: number
}

/** Options of {@link SparseIndex.open}. */
export interface OpenOptions {
  /** Create the index if the directory holds none. @default false */
  create?: boolean
  /**
   * Encoder for a new index. For an existing index, when given, it must equal the stored one
   * (an index never mixes term spaces); when omitted, the stored encoder is used.
   */
  encoder?: EncoderConfig
  /** Speed settings of the encoder (threads, batch size); never stored. */
  runtime?: EncoderRuntime
}

export class SparseIndex {
  readonly #db: IndexDb
  readonly #store: SegmentStore
  readonly #state: IndexState
  readonly #searcher: Searcher
  #writes: Promise<unknown> = Promise.resolve()
  #closed = false

  private constructor(
    readonly dir: string,
    readonly meta: IndexMeta,
    readonly encoder: Encoder,
    db: IndexDb,
    store: SegmentStore,
    state: IndexState,
  ) {
    this.#db = db
    this.#store = store
    this.#state = state
    this.#searcher = new Searcher(state, createScorer(encoder))
  }

  /**
   * Opens (or with `create`, creates) the index in `dir`.
   * @throws LsrError `not_an_index`, `incompatible_format`, `index_locked`, `encoder_mismatch`, `not_found`
   * @example const index = await SparseIndex.open('index-data/scifact', { create: true, encoder: { name: 'bm25' } })
   */
  static async open(dir: string, options: OpenOptions = {}): Promise<SparseIndex> {
    const exists = await isLevelDb(dir)
    if (!exists) {
      if (!options.create) throw new LsrError('not_found', `no index at ${dir}`)
      if (await hasEntries(dir)) throw new LsrError('not_an_index', `${dir} is not an lsr index (and is not empty)`)
      await mkdir(dir, { recursive: true })
    }
    const db: IndexDb = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    try {
      await db.open()
    } catch (error) {
      throw openError(error, dir)
    }
    try {
      let meta: IndexMeta
      const stored = await db.get(KEY_META)
      if (stored === undefined && !exists) {
        const encoder = await resolveEncoderConfig(options.encoder ?? { name: 'bm25' })
        meta = { format: FORMAT_NAME, version: FORMAT_VERSION, encoder, createdAt: new Date().toISOString() }
        await db.batch([
          { type: 'put', key: KEY_META, value: encodeJson(meta) },
          { type: 'put', key: KEY_STATS, value: encodeJson({ numDocs: 0, sumLength: 0, nextDocId: 0, nextSegment: 0 }) },
        ])
      } else {
        meta = checkMeta(stored && decodeJson<IndexMeta>(stored, 'index metadata'), dir)
      }
      const encoder = await createEncoder(meta.encoder, options.runtime)
      if (options.encoder && exists) {
        const wanted = await resolveEncoderConfig(options.encoder)
        if (JSON.stringify(wanted) !== JSON.stringify(encoder.config)) {
          throw new LsrError(
            'encoder_mismatch',
            `${dir} was built with encoder ${JSON.stringify(encoder.config)}; refusing to mix it with ${JSON.stringify(wanted)}`,
          )
        }
      }
      const store = new SegmentStore(db)
      return new SparseIndex(dir, meta, encoder, db, store, await loadState(db, meta, store))
    } catch (error) {
      await db.close()
      throw error
    }
  }

  /**
   * Adds documents in one atomic batch. A document whose id is already indexed replaces it (and is
   * left untouched when its source is identical); within the batch, the last of a repeated id wins.
   */
  add(docs: readonly SourceDocument[]): Promise<AddResult> {
    return this.#serialized(() => this.#add(docs))
  }

  /**
   * Read-modify-write of one document, serialized with every other write (no lost updates):
   * `change` gets the stored source (undefined when absent) and returns the new document, or
   * undefined to leave things as they are.
   * @returns what was written (undefined when `change` declined), and whether the document existed
   */
  update(id: string, change: (current: Record<string, unknown> | undefined) => SourceDocument | undefined): Promise<{ existed: boolean; result?: AddResult }> {
    return this.#serialized(async () => {
      const current = await this.get(id)
      const next = change(current)
      return { existed: current !== undefined, result: next && (await this.#add([next])) }
    })
  }

  async #add(docs: readonly SourceDocument[]): Promise<AddResult> {
    const latest = new Map<string, SourceDocument>()
    for (const doc of docs) latest.set(doc.id, doc)
    const candidates = [...latest.values()]
    const existing = candidates.map((doc) => this.#state.docByExternalId.get(doc.id))
    const stored = await this.#db.getMany(existing.filter((d) => d !== undefined).map((d) => sourceKey(d)))
    const toEncode: SourceDocument[] = []
    const replacedDocIds: number[] = []
    let unchanged = 0
    let at = 0
    candidates.forEach((doc, i) => {
      const old = existing[i]
      if (old !== undefined) {
        if (stored[at++]?.equals(encodeJson(doc.source))) {
          unchanged++
          return
        }
        replacedDocIds.push(old)
      }
      toEncode.push(doc)
    })
    const vectors = await this.encoder.encodeDocuments(toEncode)
    const adds: DocToAdd[] = toEncode.map((doc, i) => ({ doc, vector: this.#storable(withKeywords(vectors[i], this.#keywords(doc))) }))
    await this.#write(adds, await this.#forwardVectors(replacedDocIds))
    return { added: toEncode.length - replacedDocIds.length, replaced: replacedDocIds.length, unchanged }
  }

  /** Deletes documents by external id in one atomic batch; returns how many existed. */
  delete(ids: readonly string[]): Promise<number> {
    return this.#serialized(async () => {
      const docIds = [...new Set(ids)].map((id) => this.#state.docByExternalId.get(id)).filter((d) => d !== undefined)
      if (docIds.length > 0) await this.#write([], await this.#forwardVectors(docIds))
      return docIds.length
    })
  }

  /** True when a live document has this external id. */
  has(id: string): boolean {
    this.#assertOpen()
    return this.#state.docByExternalId.has(id)
  }

  /** The stored source of a document, or undefined. */
  async get(id: string): Promise<Record<string, unknown> | undefined> {
    this.#assertOpen()
    const docId = this.#state.docByExternalId.get(id)
    if (docId === undefined) return undefined
    const value = await this.#db.get(sourceKey(docId))
    return value && decodeJson(value, `source of ${id}`)
  }

  searchIds(query: string | readonly QueryTerm[], options: SearchOptions = {}): Hit[] {
    this.#assertOpen()
    return this.#searcher.topK(this.#queryTerms(query), options).map((hit) => this.#hit(hit))
  }

  /** Like {@link searchIds}, with each hit's stored source (one LevelDB read for all hits). */
  async search(query: string | readonly QueryTerm[], options: SearchOptions = {}): Promise<HitWithSource[]> {
    return this.withSources(this.searchIds(query, options))
  }

  /**
   * Runs a filtered search: scored terms plus exact document filters (bitmaps from
   * {@link docsWithAnyTerm}, {@link docsWithIds}, {@link docsWithKeyword}); returns the top k and
   * the exact number of matches.
   */
  execute(request: SearchRequest, options: SearchOptions = {}): { hits: Hit[]; total: number } {
    this.#assertOpen()
    const { hits, total } = this.#searcher.execute(request, options)
    return { hits: hits.map((hit) => this.#hit(hit)), total }
  }

  /** Live documents containing at least one of the index terms given. */
  docsWithAnyTerm(terms: readonly string[]): RoaringBitmap32 {
    return this.#searcher.docsWithAnyTerm(terms)
  }

  /** Live documents with these external ids. */
  docsWithIds(ids: readonly string[]): RoaringBitmap32 {
    return this.#searcher.docsWithIds(ids)
  }

  /** Live documents whose source has `field` (a dotted path) equal to one of `values` (exact match). */
  docsWithKeyword(field: string, values: readonly string[]): RoaringBitmap32 {
    return this.#searcher.docsWithKeyword(field, values)
  }

  /** Every live document. */
  allDocs(): RoaringBitmap32 {
    return this.#searcher.allDocs()
  }

  /** Adds each hit's stored source (one LevelDB read for all hits). */
  async withSources(hits: readonly Hit[]): Promise<HitWithSource[]> {
    const sources = await this.#db.getMany(hits.map((hit) => sourceKey(hit.docId)))
    return hits.map((hit, i) => ({ ...hit, source: decodeJson(sources[i]!, `source of ${hit.id}`) }))
  }

  /**
   * How a document's score for a query is computed: the sum, with one child per matched term.
   * Undefined when the document does not exist.
   */
  async explain(query: string | readonly QueryTerm[], id: string): Promise<Explanation | undefined> {
    this.#assertOpen()
    const docId = this.#state.docByExternalId.get(id)
    if (docId === undefined) return undefined
    const [forward] = await this.#db.getMany([forwardKey(docId)])
    return this.#searcher.explain(this.#queryTerms(query), docId, decodeForward(forward!))
  }

  /**
   * Merges each term's posting segments into one and drops deleted documents' postings (see
   * compaction.ts); returns the number of terms rewritten. Queries give the same results before and after.
   */
  compact(): Promise<number> {
    return this.#serialized(async () => {
      let terms = 0
      for await (const batch of planCompaction(this.#state, this.#db)) {
        await this.#db.batch(batch.ops)
        batch.apply()
        this.#store.advance()
        terms += batch.terms
      }
      return terms
    })
  }

  /** Document, term, posting and size counts. */
  async stats(): Promise<IndexStats> {
    this.#assertOpen()
    const state = this.#state
    return {
      documents: state.stats.numDocs,
      deletedDocuments: state.deleted.size,
      terms: state.terms.length,
      postings: state.postingCount(),
      segments: state.postings.reduce((n, list) => n + list.segments.length, 0),
      memoryBytes: state.memoryBytes(),
      loadedPostings: state.loadedPostingCount(),
      postingBytes: state.postingBytes(),
      sizeOnDiskBytes: await directorySize(this.dir),
    }
  }

  /** Verifies every invariant between stored documents, postings and statistics; returns problems found. */
  async check(): Promise<string[]> {
    this.#assertOpen()
    return this.#serialized(() => checkIntegrity(this.#db, this.#state))
  }

  /** Waits for pending writes and closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#writes.catch(() => undefined)
    await this.#db.close()
  }

  /** A document's keyword metadata, minus the fields the encoder reads (e.g. a stored vector). */
  #keywords(doc: SourceDocument): SourceDocument['keywords'] {
    const consumed = this.encoder.sourceFields
    if (!consumed || !doc.keywords) return doc.keywords
    return doc.keywords.filter(([field]) => !consumed.some((f) => field === f || field.startsWith(`${f}.`)))
  }

  /** Posting values as stored: term frequencies as they are, learned weights as 16-bit codes. */
  #storable(vector: EncodedDocument): EncodedDocument {
    return this.encoder.scoring === 'dot' ? { ...vector, values: vector.values.map(encodeWeight) } : vector
  }

  #queryTerms(query: string | readonly QueryTerm[]): readonly QueryTerm[] {
    return typeof query === 'string' ? this.encoder.encodeQuery(query) : query
  }



  #hit({ doc, score }: ScoredDoc): Hit {
    return { id: this.#state.docIdOf[doc], score, docId: doc }
  }

  async #forwardVectors(docIds: number[]): Promise<DocToDelete[]> {
    const values = await this.#db.getMany(docIds.map(forwardKey))
    return docIds.map((docId, i) => {
      const value = values[i]
      if (!value) throw new LsrError('data_corruption', `index data corruption: forward vector of doc ${docId} is missing`)
      return { docId, termIds: decodeForward(value).termIds }
    })
  }

  async #write(adds: DocToAdd[], deletes: DocToDelete[]): Promise<void> {
    if (adds.length === 0 && deletes.length === 0) return
    const plan = planWrite(this.#state, adds, deletes)
    await this.#db.batch(plan.ops)
    plan.apply()
    this.#store.advance()
    const merges = planLogMerges(this.#state, plan.appendedTermIds)
    if (merges.terms > 0) {
      await this.#db.batch(merges.ops)
      merges.apply()
      this.#store.advance()
    }
  }

  /** Runs write operations one after another; a failed one does not block the next. */
  #serialized<T>(operation: () => Promise<T>): Promise<T> {
    this.#assertOpen()
    const result = this.#writes.then(operation, operation)
    this.#writes = result.catch(() => undefined)
    return result
  }

  #assertOpen(): void {
    if (this.#closed) throw new LsrError('closed', `index ${this.dir} is closed`)
  }
}

/** Appends a document's keyword terms (value 1; distinct) to its encoded vector. */
function withKeywords(vector: EncodedDocument, keywords: SourceDocument['keywords']): EncodedDocument {
  if (!keywords || keywords.length === 0) return vector
  const extra = [...new Set(keywords.map(([field, value]) => keywordTerm(field, value)))]
  return { terms: [...vector.terms, ...extra], values: [...vector.values, ...extra.map(() => 1)], length: vector.length }
}
