/**
 * `IndexReader`: one consistent read of an index. Everything a search, count, explain, get or
 * highlight reads comes from the index as of one moment:
 * - in-memory work (ranking, counting, filters, explanations) runs synchronously while the reader
 *   is current, i.e. before any later write has been applied (a stale reader refuses it);
 * - stored documents are read afterwards, asynchronously, through the LevelDB snapshot that was
 *   current when the reader was taken, so a write committed meanwhile is wholly invisible.
 * Take one with `SparseIndex.reader()`, do the synchronous work first, then read sources, then
 * `release()` it (a pinned snapshot holds back LevelDB's cleanup of what later writes replace).
 * @module
 */
import type { QueryTerm } from '../encode/encoder.js'
import { LsrError } from '../errors.js'
import type { Explanation } from '../search/scorers/scored-query.js'
import type { SearchOptions, SearchRequest, Searcher } from '../search/searcher.js'
import type { ScoredDoc } from '../search/top-k.js'
import { decodeJson, sourceKey } from '../storage/format.js'
import type { IndexState } from '../storage/index-state.js'
import type { IndexDb, PinnedSnapshot, SegmentStore } from '../storage/load.js'

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

export class IndexReader {
  readonly #generation: number
  readonly #pinned: PinnedSnapshot
  #released = false

  /** @internal Use `SparseIndex.reader()`. */
  constructor(
    private readonly db: IndexDb,
    private readonly store: SegmentStore,
    private readonly state: IndexState,
    private readonly searcher: Searcher,
    private readonly queryTerms: (query: string | readonly QueryTerm[]) => readonly QueryTerm[],
    private readonly onRelease: () => void,
  ) {
    this.#generation = store.generation
    this.#pinned = store.pin()
  }

  /** True while no write has been applied since the reader was taken (in-memory reads allowed). */
  get current(): boolean {
    return !this.#released && this.store.generation === this.#generation
  }

  /** Top-k of a query over live documents. */
  topK(query: string | readonly QueryTerm[], options: SearchOptions = {}): Hit[] {
    this.#assertCurrent()
    return this.searcher.topK(this.queryTerms(query), options).map((hit) => this.#hit(hit))
  }

  /** Top-k of a filtered request and the exact number of matches (see `SparseIndex.execute`). */
  execute(request: SearchRequest, options: SearchOptions = {}): { hits: Hit[]; total: number } {
    this.#assertCurrent()
    const { hits, total } = this.searcher.execute(request, options)
    return { hits: hits.map((hit) => this.#hit(hit)), total }
  }

  /** The internal doc id of a live document, or undefined. */
  docId(id: string): number | undefined {
    this.#assertCurrent()
    return this.state.docByExternalId.get(id)
  }

  /** How a live document's score for the query is computed: the sum, one child per matched term. */
  explain(query: string | readonly QueryTerm[], docId: number): Explanation {
    this.#assertCurrent()
    return this.searcher.explain(this.queryTerms(query), docId)
  }

  /** The hits with their stored sources, as of the reader's moment (one LevelDB read for all). */
  async withSources(hits: readonly Hit[]): Promise<HitWithSource[]> {
    const sources = await this.#read(hits)
    return hits.map((hit, i) => ({ ...hit, source: sources[i] }))
  }

  /** The stored source of a document by external id, or undefined when no live document has it. */
  async source(id: string): Promise<Record<string, unknown> | undefined> {
    const docId = this.docId(id)
    if (docId === undefined) return undefined
    const [source] = await this.#read([{ id, docId }])
    return source
  }

  /** Unpins the snapshot; the reader cannot be used afterwards. Idempotent. */
  release(): void {
    if (this.#released) return
    this.#released = true
    this.#pinned.release()
    this.onRelease()
  }

  /** The stored sources of live documents, through the pinned snapshot: one missing is corruption. */
  async #read(docs: ReadonlyArray<Pick<Hit, 'id' | 'docId'>>): Promise<Array<Record<string, unknown>>> {
    if (this.#released) throw new Error('IndexReader used after release()')
    if (docs.length === 0) return []
    const values = await this.db.getMany(docs.map((doc) => sourceKey(doc.docId)), { snapshot: this.#pinned.snapshot })
    return values.map((value, i) => {
      const { id, docId } = docs[i]
      if (value === undefined) throw new LsrError('data_corruption', `index data corruption: the stored source of document ${id} (doc ${docId}) is missing`)
      return decodeJson<Record<string, unknown>>(value, `source of doc ${docId}`)
    })
  }

  #hit({ doc, score }: ScoredDoc): Hit {
    return { id: this.state.docIdOf[doc], score, docId: doc }
  }

  #assertCurrent(): void {
    // A programming error, not a user's: in-memory reads must happen before the first await.
    if (!this.current) throw new Error('IndexReader is stale: a write was applied (or it was released) since it was taken; take a new reader')
  }
}
