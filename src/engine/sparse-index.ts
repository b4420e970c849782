/**
 * `SparseIndex`: the public handle of one index directory. Opens or creates the LevelDB database,
 * loads it into memory (load.ts), applies writes as atomic batches (write-plan.ts) one at a time,
 * and answers queries from memory (src/search).
 * @module
 */
import { getHeapStatistics } from 'node:v8'
import { Level } from 'level'
import type { EncodedDocument, Encoder, EncoderConfig, QueryTerm, SourceDocument } from '../encode/encoder.js'
import { createEncoder, resolveEncoderConfig, type EncoderRuntime } from '../encode/registry.js'
import { InvalidInputError, LsrError } from '../errors.js'
import type { Explanation } from '../search/scorers/scored-query.js'
import { createScorer } from '../search/scorers/registry.js'
import { Searcher, type SearchOptions, type SearchRequest } from '../search/searcher.js'
import { keywordsOf, keywordTerm } from '../corpus/keywords.js'
import { fieldAt, mergeMapping, parseMapping, type Mapping } from '../mapping/index.js'
import { ENCODER_FIELD_NAMES } from './query/context.js'
import { Schema, type SchemaDocument } from './schema.js'
import { loadQueryModels, type ModelSource } from './query/models.js'
import { parseSearchPipeline } from './hybrid/search-pipeline.js'
import type { RoaringBitmap32 } from '../storage/roaring.js'
import { encodeWeight } from '../storage/weight-codec.js'
import { directorySize, hasEntries, isLevelDb, openError } from '../storage/index-folder.js'
import {
  checkMeta, decodeForward, decodeJson, encodeJson, forwardKey, KEY_META, KEY_STATS, sourceKey, type IndexMeta, type IndexPipelines, type StoredSchema,
} from '../storage/format.js'
import { IndexReader, type Hit, type HitWithSource, type SearchBody, type SearchResult, type SortedHit, type VersionedSource } from './index-reader.js'
import type { IndexState } from '../storage/index-state.js'
import { loadState, SegmentStore, upgradeSchema, type IndexDb, type PinnedSnapshot } from '../storage/load.js'
import { planWrite, type DocToAdd, type DocToDelete, type DocToTouch, type WriteExtras } from '../storage/write-plan.js'
import { checkIntegrity } from '../storage/integrity.js'
import { failPoint } from '../storage/fail-points.js'
import { writeBatch } from '../storage/time-slices.js'
import { newIndexOps, writeNewIndex } from '../storage/create-index.js'
import { planCompaction, planLogMerges } from '../storage/compaction.js'
import { recoverReorder, reorderDocuments } from '../storage/reorder.js'
import { alreadyExists, checkCondition, conflictOf, nextVersion, type DocVersion, type WriteCondition, type WriteConflict } from './write-conditions.js'

export type { SearchAlgorithm, SearchOptions, SearchRequest } from '../search/searcher.js'
export type { Hit, HitWithSource, SearchBody, SearchResult, SortedHit } from './index-reader.js'
export { IndexReader } from './index-reader.js'
export type { VersionedSource } from './index-reader.js'
export { MAX_VERSION, PRIMARY_TERM, type DocVersion, type WriteCondition, type WriteConflict } from './write-conditions.js'

/**
 * What happened to one document of an {@link SparseIndex.add} call: `created` (no live document
 * had its id), `updated` (it replaced one), `unchanged` (the stored source was identical: left as
 * it was, its version advanced only with `versionIdentical` or a condition), `exists` (refused:
 * `createOnly` and a live document has the id), `conflict` (refused: its condition does not hold),
 * `failed` (with `perDocumentErrors`: it cannot be indexed).
 */
export type AddOutcome = 'created' | 'updated' | 'unchanged' | 'exists' | 'conflict' | 'failed'

/** What one {@link SparseIndex.add} call did. */
export interface AddResult {
  added: number
  replaced: number
  /** Documents whose stored source was identical: left as they were (this makes re-runs cheap). */
  unchanged: number
  /** One per input document, in order. */
  outcomes: AddOutcome[]
  /** Per input document: why it failed (outcome `failed`, only with `perDocumentErrors`). */
  errors: Array<LsrError | undefined>
  /**
   * Per input document: the sequence number and version it was written with (`created`,
   * `updated`, `unchanged`), or, when refused (`exists`, `conflict`), those of the live document
   * it was refused for (undefined when there is none, and for `failed`).
   */
  versions: Array<DocVersion | undefined>
  /** Per input document refused (`exists`, `conflict`): why, in Elasticsearch's words. */
  conflicts: Array<WriteConflict | undefined>
}

/** Options of {@link SparseIndex.add}. */
export interface AddOptions {
  /**
   * Per input document (same order): true to add it only if no live document has its id
   * (Elasticsearch's `op_type=create`), checked inside the serialized write. Refused documents
   * get the outcome `exists`.
   */
  createOnly?: readonly boolean[]
  /**
   * A document that cannot be indexed (a value its field's type cannot hold, a field a strict
   * mapping lacks) gets the outcome `failed` and its error, and the others are written, as in a
   * `_bulk`. Without it, such a document fails the whole call and nothing is written.
   */
  perDocumentErrors?: boolean
  /**
   * Per input document (same order): a condition on the live document of its id (Elasticsearch's
   * `if_seq_no` + `if_primary_term`, or an external `version`), checked inside the serialized
   * write against the state the documents before it in the call left. Refused documents get the
   * outcome `conflict`.
   * @throws LsrError `invalid_argument` (the whole call, before anything is written) for a number out of range
   */
  conditions?: ReadonlyArray<WriteCondition | undefined>
  /**
   * An identical document (left as it was) still counts as a write: it takes a new sequence
   * number and version, as Elasticsearch's index API gives every write (the index is not
   * rewritten: only the version is stored). Without it an identical document keeps its version,
   * so re-running an ingest writes nothing. A document with a condition always counts.
   * @default false
   */
  versionIdentical?: boolean
  /**
   * Per input document (same order): its vector exactly as this index's encoder makes it, computed
   * beforehand (ingest's worker threads run the same encoder config), or undefined to have the
   * encoder make it.
   */
  encoded?: ReadonlyArray<EncodedDocument | undefined>
}

/** Options of {@link SparseIndex.deleteDocuments}. */
export interface DeleteOptions {
  /** Per id (same order): a condition on its live document, as {@link AddOptions.conditions}. */
  conditions?: ReadonlyArray<WriteCondition | undefined>
}

/**
 * What happened to one id of a {@link SparseIndex.deleteDocuments} call: `deleted`, `not_found`
 * (no live document has it, or an earlier id of the call deleted it) or `conflict` (refused: its
 * condition does not hold).
 */
export type DeleteOutcome = 'deleted' | 'not_found' | 'conflict'

/** What one {@link SparseIndex.deleteDocuments} call did. */
export interface DeleteResult {
  deleted: number
  /** One per id, in order. */
  outcomes: DeleteOutcome[]
  /** Per id deleted: the sequence number of the delete and the version it answers (one more, or the external one); per conflict: the live document's. */
  versions: Array<DocVersion | undefined>
  /** Per id refused: why, in Elasticsearch's words. */
  conflicts: Array<WriteConflict | undefined>
}

/** What one {@link SparseIndex.update} did. */
export interface UpdateResult {
  existed: boolean
  /** The document's version when `change` read it (undefined when absent). */
  current?: DocVersion
  /** What was written (undefined when `change` declined). */
  result?: AddResult
}

/** Summary counts of an index. */
export interface IndexStats {
  documents: number
  /** Deleted documents whose postings may still take space: since the last full compaction. */
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

/** The answer of {@link SparseIndex.search} with a query DSL body: hits with their stored sources. */
export interface SearchResultWithSources extends Omit<SearchResult, 'hits'> {
  hits: Array<SortedHit & { source: Record<string, unknown> }>
}

/** Options of {@link SparseIndex.open}. */
export interface OpenOptions {
  /** Create the index if the directory holds none. @default false */
  create?: boolean
  /**
   * Encoder of `title` + `text` for a new index (`null`: none, the index has mapped fields only).
   * For an existing index, when given, it must equal the stored one (an index never mixes term
   * spaces); when omitted, the stored encoder is used.
   * @default the bm25 encoder
   */
  encoder?: EncoderConfig | null
  /**
   * Fields of a new index (Elasticsearch's `mappings`, `settings.analysis`, `settings.index.similarity`).
   * @default dynamic mapping: `{mappings: {dynamic: true}}`
   */
  schema?: StoredSchema
  /** Pipelines a new index names (ingest default and final, search default); stored, shown in `meta.pipelines`. */
  pipelines?: IndexPipelines
  /** Speed settings of the encoder (threads, batch size); never stored. */
  runtime?: EncoderRuntime
  /** How error messages name the index (a server names it, never its path). @default the directory */
  label?: string
}

/** Memory the frozen copies of every open index may hold together (SparseIndex.freeze): a quarter of the heap limit. */
export const FROZEN_BUDGET_BYTES = getHeapStatistics().heap_size_limit / 4
/** What a frozen copy holds per document beyond IndexState.memoryBytes (measured, rounded up). */
const FROZEN_BYTES_PER_DOC = 2560
/**
 * Whether a text field's terms have positions, as loadState asks: fields are never removed and
 * their index_options never change, so the parsed schema decides.
 */
const positionalIn = (schema: Schema | undefined) => (path: string): boolean => schema?.hasPositions(path) === true

/** Estimated bytes the frozen copies hold now, process-wide. */
let frozenBytes = 0

/** The index as of a snapshot, loaded again (SparseIndex.freeze). */
interface FrozenCopy {
  store: SegmentStore
  state: IndexState
  searcher: Searcher
  schema: Schema | undefined
}

export class SparseIndex {
  /** The field schema; undefined for indexes made before lsr had fields (metadata as exact strings). */
  #schema: Schema | undefined
  readonly #db: IndexDb
  readonly #store: SegmentStore
  /** Replaced, with the searcher, by a reorder (compact), which renumbers every document. */
  #state: IndexState
  #searcher: Searcher
  readonly #label: string
  #writes: Promise<unknown> = Promise.resolve()
  #closed = false
  /** Set when a committed batch could not be applied in memory: the handle is unusable (see #applyCommitted). */
  #diverged: LsrError | undefined
  /** Readers not yet released; close() waits for them. */
  #readers = 0
  /** Frozen copies of the index by the snapshot they were loaded from, with their readers (see freeze). */
  readonly #frozen = new Map<PinnedSnapshot, { copy: Promise<FrozenCopy>; bytes: number; users: number }>()
  #readersDone: (() => void) | undefined

  private constructor(
    readonly dir: string,
    readonly meta: IndexMeta,
    /** The encoder of `title` + `text`; undefined in an index of mapped fields only. */
    readonly encoder: Encoder | undefined,
    db: IndexDb,
    store: SegmentStore,
    state: IndexState,
    label: string,
    schema: Schema | undefined,
  ) {
    this.#db = db
    this.#store = store
    this.#state = state
    this.#schema = schema
    this.#searcher = this.#searcherOf(state)
    this.#label = label
  }

  #searcherOf(state: IndexState): Searcher {
    return new Searcher(state, createScorer(this.encoder, (field) => this.#schema!.bm25(field)))
  }

  /** The field schema (mapping, analyzers, similarities); undefined for indexes made before lsr had fields. */
  get schema(): Schema | undefined {
    return this.#schema
  }

  /**
   * Doc-id tables written so far: one per write that adds documents, more for a reorder. Internal
   * doc ids mean the same documents while it is unchanged (compaction keeps them; a reorder renumbers).
   */
  get docTables(): number {
    return this.#state.stats.nextSegment
  }

  /**
   * Opens (or with `create`, creates) the index in `dir`. Creation is atomic: the new index is
   * built in a sibling folder `#creating-<random>` and renamed into place once complete, so
   * a failed create (unknown encoder, bad settings, a model that does not load) leaves nothing.
   * @throws LsrError `not_an_index`, `incompatible_format`, `index_locked`, `encoder_mismatch`, `not_found`
   * @example const index = await SparseIndex.open('index-data/scifact', { create: true, encoder: { name: 'bm25' } })
   */
  static async open(dir: string, options: OpenOptions = {}): Promise<SparseIndex> {
    const label = options.label ?? dir
    if (await isLevelDb(dir)) return SparseIndex.#openExisting(dir, label, options)
    if (!options.create) throw new LsrError('not_found', `no index at ${label}`)
    if (await hasEntries(dir)) throw new LsrError('not_an_index', `${label} is not an lsr index (and is not empty)`)
    // Everything that can fail on the user's settings happens before anything is written.
    const { config, encoder } = await newEncoder(options)
    const schema = newSchema(options)
    await writeNewIndex(dir, { encoder: config, schema, pipelines: newPipelines(options) }, label)
    return SparseIndex.#openExisting(dir, label, options, { encoder })
  }

  /** @param created - set when this call just created the index: its encoder, already loaded */
  static async #openExisting(dir: string, label: string, options: OpenOptions, created?: { encoder: Encoder | undefined }): Promise<SparseIndex> {
    const db: IndexDb = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' })
    try {
      await db.open()
    } catch (error) {
      throw openError(error, label)
    }
    try {
      let stored = await db.get(KEY_META)
      if (stored === undefined && options.create && (await db.keys({ limit: 1 }).all()).length === 0) {
        // A database without a single entry: an in-place create that died before its one batch.
        const fresh = await newEncoder(options)
        created = { encoder: fresh.encoder }
        await db.batch(newIndexOps({ encoder: fresh.config, schema: newSchema(options), pipelines: newPipelines(options) }))
        stored = await db.get(KEY_META)
      }
      const meta = checkMeta(stored && decodeJson<IndexMeta>(stored, 'index metadata'), label)
      const encoder = created ? created.encoder : meta.encoder && (await createEncoder(meta.encoder, options.runtime))
      // An index just created was made with these very settings.
      if (options.encoder !== undefined && !created) {
        const wanted = options.encoder && (await resolveEncoderConfig(options.encoder))
        if (JSON.stringify(wanted ?? null) !== JSON.stringify(encoder?.config ?? null)) {
          throw new LsrError(
            'encoder_mismatch',
            `${label} was built with encoder ${JSON.stringify(encoder?.config ?? null)}; refusing to mix it with ${JSON.stringify(wanted ?? null)}`,
          )
        }
      }
      upgradeSchema(meta)
      const schema = meta.schema && Schema.parse(meta.schema)
      await recoverReorder(db)
      const store = new SegmentStore(db)
      return new SparseIndex(dir, meta, encoder, db, store, await loadState(db, meta, store, positionalIn(schema)), label, schema)
    } catch (error) {
      await db.close()
      throw error
    }
  }

  /**
   * Adds documents in one atomic batch. A document whose id is already indexed replaces it (and is
   * left untouched when its source is identical). Documents are taken in order: of a repeated id,
   * the last one written wins, and with `createOnly` a document is refused if a live document or
   * an earlier one of the same call has its id.
   */
  add(docs: readonly SourceDocument[], options: AddOptions = {}): Promise<AddResult> {
    return this.#serialized(() => this.#add(docs, options))
  }

  /**
   * Read-modify-write of one document, serialized with every other write (no lost updates):
   * `change` gets the stored source and its version (undefined when absent) and returns the new
   * document, or undefined to leave things as they are; what it throws is the call's error, with
   * nothing written.
   * @param options how the new document is added (`versionIdentical`)
   * @returns what was written (undefined when `change` declined), whether the document existed, and its version then
   */
  update(
    id: string,
    change: (current: Record<string, unknown> | undefined, version: DocVersion | undefined) => SourceDocument | undefined,
    options: Pick<AddOptions, 'versionIdentical'> = {},
  ): Promise<UpdateResult> {
    return this.#serialized(async () => {
      const found = await this.getWithVersion(id)
      const current = found && { seqNo: found.seqNo, version: found.version }
      const next = change(found?.source, current)
      return { existed: found !== undefined, current, result: next && (await this.#add([next], options)) }
    })
  }

  /**
   * Adds fields to the mapping (Elasticsearch's `PUT /{index}/_mapping`): new fields and
   * multi-fields, and `dynamic`; changing a field's type or analyzer is refused.
   * @throws LsrError `mapper_parsing` / `invalid_argument` naming the conflict; the mapping is then unchanged
   */
  putMapping(mappings: unknown): Promise<void> {
    return this.#serialized(async () => {
      const schema = this.#requireSchema('PUT _mapping')
      const merged = mergeMapping(schema.mapping, parseMapping(mappings, schema.analyzers, { has: (name: string) => schema.hasSimilarity(name) }))
      checkEncoderFieldsUnmapped(merged, this.encoder)
      await this.#write([], [], schema.withMapping(merged))
    })
  }

  /**
   * Changes the pipelines the index names (Elasticsearch's `PUT _settings` of
   * `index.default_pipeline`, `index.final_pipeline`, `index.search.default_pipeline`): a name sets
   * one, `null` removes it. One write of the metadata, serialized with the other writes.
   */
  setPipelines(changes: { [K in keyof IndexPipelines]?: string | null }): Promise<void> {
    return this.#serialized(async () => {
      const next: IndexPipelines = { ...this.meta.pipelines }
      for (const kind of ['default', 'final', 'search'] as const) {
        const name = changes[kind]
        if (name === null) delete next[kind]
        else if (name !== undefined) next[kind] = name
      }
      const pipelines = newPipelines({ pipelines: next })
      const meta: IndexMeta = { ...this.meta, pipelines }
      if (!pipelines) delete meta.pipelines
      await this.#db.put(KEY_META, encodeJson(meta), { sync: true })
      if (pipelines) this.meta.pipelines = pipelines
      else delete this.meta.pipelines
    })
  }

  async #add(docs: readonly SourceDocument[], { createOnly, perDocumentErrors, conditions, versionIdentical = false, encoded: given }: AddOptions): Promise<AddResult> {
    for (const condition of conditions ?? []) if (condition) checkCondition(condition)
    if (given && given.length !== docs.length) throw new LsrError('invalid_argument', `add: ${given.length} encoded vectors for ${docs.length} documents`)
    const outcomes: AddOutcome[] = new Array<AddOutcome>(docs.length)
    const errors: Array<LsrError | undefined> = docs.map(() => undefined)
    const versions: Array<DocVersion | undefined> = docs.map(() => undefined)
    const conflicts: Array<WriteConflict | undefined> = docs.map(() => undefined)
    // The live documents of the ids: sources to find identical documents, forward vectors to
    // compare field terms and to delete the replaced.
    const stored = await this.#storedDocs(docs.map((doc) => doc.id))
    // Each document in turn, as a bulk applies its actions: checked against its id's document
    // (live, or written by an earlier document of the call), mapped (which can refuse it, and
    // grows the mapping the documents after it see), then it is its id's document to write and
    // takes the next sequence number. Of a repeated id, the last document accepted is written.
    let schema = this.#schema
    const mapped = new Map<number, SchemaDocument>()
    /** Per id a document of the call was accepted for: its version now, and the position of the last one. */
    const written = new Map<string, DocVersion & { at: number }>()
    const sameAsStored = new Map<number, boolean>()
    const identical = (i: number): boolean => {
      let same = sameAsStored.get(i)
      if (same === undefined) {
        const live = stored.get(docs[i].id)
        // Identical source and, under today's mapping, identical field terms (a field mapped since
        // the document was written makes it a change, as Elasticsearch reindexes every write).
        same = live !== undefined && live.source?.equals(docs[i].storedSource ?? encodeJson(docs[i].source)) === true && this.#sameFieldTerms(mapped.get(i), live.forward)
        sameAsStored.set(i, same)
      }
      return same
    }
    let seqNo = this.#state.nextSeqNo
    docs.forEach((doc, i) => {
      const live = stored.get(doc.id)
      const current = written.get(doc.id) ?? (live && this.#state.docVersion(live.docId))
      const condition = conditions?.[i]
      const conflict = createOnly?.[i] && current ? alreadyExists(current) : conflictOf(condition, current)
      if (conflict) {
        outcomes[i] = createOnly?.[i] ? 'exists' : 'conflict'
        conflicts[i] = conflict
        versions[i] = conflict.current
        return
      }
      try {
        if (this.encoder) checkEncoderFields(doc)
        if (schema) {
          const { doc: fields, mapping } = schema.document(this.#mappedSource(doc), doc.id)
          schema = schema.withMapping(mapping)
          mapped.set(i, fields)
        }
      } catch (error) {
        if (!perDocumentErrors || !(error instanceof LsrError)) throw error
        outcomes[i] = 'failed'
        errors[i] = error
        return
      }
      if (live && !written.has(doc.id) && !versionIdentical && !condition && identical(i)) {
        outcomes[i] = 'unchanged'
        versions[i] = current
        return
      }
      const version = { seqNo: seqNo++, version: nextVersion(condition, current) }
      outcomes[i] = current ? 'updated' : 'created'
      versions[i] = version
      written.set(doc.id, { ...version, at: i })
    })
    const toEncode: number[] = []
    const touches: DocToTouch[] = []
    /** Input position -> the replaced document, to delete. */
    const replaced = new Map<number, DocToDelete>()
    for (const [id, { at, seqNo, version }] of written) {
      const live = stored.get(id)
      if (live && identical(at)) {
        // Left where it is: only its new version is written.
        touches.push({ docId: live.docId, seqNo, version })
        outcomes[at] = 'unchanged'
        continue
      }
      if (live) replaced.set(at, toDelete(live.docId, live.forward))
      toEncode.push(at)
    }
    const vectors = this.encoder && (await this.#encode(this.encoder, toEncode.map((i) => docs[i]), given && toEncode.map((i) => given[i])))
    const adds: DocToAdd[] = toEncode.map((i, n) => {
      const doc = docs[i]
      const fields = mapped.get(i)
      const encoded = vectors ? this.#storable(checkTerms(doc, vectors[n])) : { terms: [], values: [], length: 0 }
      const vector = !fields
        ? withKeywords(encoded, this.#keywords(doc))
        : fields.terms.length === 0
          ? encoded
          : { terms: [...encoded.terms, ...fields.terms], values: [...encoded.values, ...fields.values], length: encoded.length }
      // Positions are the mapped fields' (parallel to their terms, after the encoder's terms, which have none).
      const positions = fields?.positions.some((p) => p !== undefined) ? [...encoded.terms.map(() => undefined), ...fields.positions] : undefined
      const { seqNo: docSeqNo, version } = written.get(doc.id)!
      return { doc, vector, positions, fieldLengths: fields?.fieldLengths, columns: fields?.columns, seqNo: docSeqNo, version }
    })
    const deletes = toEncode.flatMap((i) => (replaced.has(i) ? [replaced.get(i)!] : []))
    await this.#write(adds, deletes, schema, { touches, nextSeqNo: seqNo })
    const unchanged = outcomes.filter((outcome) => outcome === 'unchanged').length
    return { added: adds.length - deletes.length, replaced: deletes.length, unchanged, outcomes, errors, versions, conflicts }
  }

  /** The documents' vectors: those given, and the encoder's of the others. */
  async #encode(encoder: Encoder, docs: readonly SourceDocument[], given: ReadonlyArray<EncodedDocument | undefined> = []): Promise<EncodedDocument[]> {
    const missing = docs.flatMap((_, i) => (given[i] === undefined ? [i] : []))
    if (missing.length === docs.length) return encoder.encodeDocuments(docs)
    if (missing.length === 0) return given as EncodedDocument[]
    const vectors = [...given] as EncodedDocument[]
    const made = await encoder.encodeDocuments(missing.map((i) => docs[i]))
    missing.forEach((i, n) => (vectors[i] = made[n]))
    return vectors
  }

  /** The live documents of these ids (those that have one): doc id, stored source and forward vector. */
  async #storedDocs(ids: readonly string[]): Promise<Map<string, { docId: number; source?: Buffer; forward?: Buffer }>> {
    const live = this.#state.docByExternalId
    const found = [...new Set(ids)].filter((id) => live.has(id))
    const docIds = found.map((id) => live.get(id)!)
    const [sources, forwards] = await Promise.all([this.#db.getMany(docIds.map(sourceKey)), this.#db.getMany(docIds.map(forwardKey))])
    return new Map(found.map((id, k) => [id, { docId: docIds[k], source: sources[k], forward: forwards[k] }]))
  }

  /** The sequence number and version of a doc id. */
  /** True when a stored forward vector holds exactly the mapped-field terms and values given (none without a schema). */
  #sameFieldTerms(fields: SchemaDocument | undefined, forward: Buffer | undefined): boolean {
    if (!fields) return true
    if (!forward) return false
    const { termIds, values } = decodeForward(forward)
    const stored = new Map<string, number>()
    termIds.forEach((id, j) => {
      const term = this.#state.terms[id]
      if (term.charCodeAt(0) <= 2) stored.set(term, values[j])
    })
    return stored.size === fields.terms.length && fields.terms.every((term, j) => stored.get(term) === fields.values[j])
  }

  /** Deletes documents by external id in one atomic batch; returns how many existed. */
  async delete(ids: readonly string[]): Promise<number> {
    return (await this.deleteDocuments(ids)).deleted
  }

  /**
   * Deletes documents by external id in one atomic batch, each id in turn (with its condition,
   * checked inside the serialized write); each deleted document takes the next sequence number.
   * A missing id writes nothing and takes none.
   * @throws LsrError `invalid_argument` (before anything is written) for a condition's number out of range
   */
  deleteDocuments(ids: readonly string[], { conditions }: DeleteOptions = {}): Promise<DeleteResult> {
    return this.#serialized(async () => {
      for (const condition of conditions ?? []) if (condition) checkCondition(condition)
      const live = this.#state.docByExternalId
      const outcomes: DeleteOutcome[] = []
      const versions: Array<DocVersion | undefined> = ids.map(() => undefined)
      const conflicts: Array<WriteConflict | undefined> = ids.map(() => undefined)
      const docIds: number[] = []
      const gone = new Set<string>()
      let seqNo = this.#state.nextSeqNo
      ids.forEach((id, i) => {
        const docId = gone.has(id) ? undefined : live.get(id)
        const current = docId === undefined ? undefined : this.#state.docVersion(docId)
        const conflict = conflictOf(conditions?.[i], current)
        if (conflict) {
          outcomes.push('conflict')
          conflicts[i] = conflict
          versions[i] = current
        } else if (docId === undefined) {
          outcomes.push('not_found')
        } else {
          outcomes.push('deleted')
          versions[i] = { seqNo: seqNo++, version: nextVersion(conditions?.[i], current) }
          gone.add(id)
          docIds.push(docId)
        }
      })
      if (docIds.length > 0) await this.#write([], await this.#forwardVectors(docIds), this.#schema, { nextSeqNo: seqNo })
      return { deleted: docIds.length, outcomes, versions, conflicts }
    })
  }

  /** True when a live document has this external id. */
  has(id: string): boolean {
    this.#assertOpen()
    return this.#state.docByExternalId.has(id)
  }

  /** The stored source of a document, or undefined. */
  async get(id: string): Promise<Record<string, unknown> | undefined> {
    return this.#read((reader) => reader.source(id))
  }

  /** The stored source of a document with its sequence number and version (one moment), or undefined. */
  async getWithVersion(id: string): Promise<VersionedSource | undefined> {
    return this.#read((reader) => reader.versioned(id))
  }

  searchIds(query: string | readonly QueryTerm[], options: SearchOptions = {}): Hit[] {
    return this.#readNow((reader) => reader.topK(query, options))
  }

  /**
   * A search in the query DSL with sort and pagination, as `_search` runs it, with each hit's
   * stored source; or (query text / weighted terms) the top k of the encoder field. All as of one
   * moment (see {@link reader}).
   * @example await index.search({ query: { multi_match: { query: 'red shoes', fields: ['name^3', 'description'] } }, filter: { range: { price: { lte: 50 } } }, sort: [{ price: 'asc' }], size: 20 })
   */
  search(body: SearchBody, options?: SearchOptions & { models?: ModelSource }): Promise<SearchResultWithSources>
  search(query: string | readonly QueryTerm[], options?: SearchOptions): Promise<HitWithSource[]>
  async search(query: string | readonly QueryTerm[] | SearchBody, options: SearchOptions & { models?: ModelSource } = {}): Promise<unknown> {
    if (typeof query === 'string' || Array.isArray(query)) return this.#read((reader) => reader.withSources(reader.topK(query as string | readonly QueryTerm[], options)))
    const body = query as SearchBody
    // Models load before the reader is taken: the search itself runs at one moment, without awaits.
    const pipeline = body.searchPipeline === undefined ? undefined : parseSearchPipeline(body.searchPipeline, '[searchPipeline]')
    const models = options.models && (await loadQueryModels(body.query, options.models, pipeline))
    return this.#read(async (reader) => {
      const result = reader.search(body, { ...options, models, pipeline })
      await reader.readAggregationSources(result)
      const sources = await reader.withSources(result.hits)
      return { ...result, hits: result.hits.map((hit, i) => ({ ...hit, source: sources[i].source })) }
    })
  }

  /**
   * A consistent reader: in-memory reads now, stored sources later, all as of this moment, however
   * writes interleave (see index-reader.ts). Release it when done; `close()` waits for readers.
   */
  reader(): IndexReader {
    this.#assertOpen()
    this.#readers++
    return new IndexReader(this.#db, this.#store, this.#state, this.#searcher, this.#schema, this.encoder, (query) => this.#queryTerms(query), () => {
      if (--this.#readers === 0) this.#readersDone?.()
    })
  }

  /**
   * A reader of the index exactly as `reader` saw it that stays current whatever is written
   * afterwards: its state (term dictionary, doc tables, doc values, schema) loaded again from the
   * reader's LevelDB snapshot, its postings read from that snapshot when a query first needs them.
   * Readers frozen at the same moment share one copy, kept until the last is released. A point in
   * time ranks new queries with it once its index has changed.
   * @throws LsrError `circuit_breaking` when the frozen copies of every index would hold more than
   *   {@link FROZEN_BUDGET_BYTES} (estimated as the live state's size), as Elasticsearch's circuit
   *   breakers refuse a request that would take more memory than its limit
   */
  async freeze(reader: IndexReader): Promise<IndexReader> {
    this.#assertOpen()
    const pinned = reader.pinnedSnapshot
    let shared = this.#frozen.get(pinned)
    if (!shared) {
      // The loaded tables, plus per document what memoryBytes leaves out (doc values, ids and
      // their map, versions): a 50,000-document copy measured about 2.3 KB per document.
      const bytes = this.#state.memoryBytes() + this.#state.maxDoc * FROZEN_BYTES_PER_DOC
      if (frozenBytes + bytes > FROZEN_BUDGET_BYTES) {
        throw new LsrError('circuit_breaking', `[frozen copies] Data too large: a frozen copy of index ${this.#label} (for a point in time its writes have passed) would take about ${bytes} bytes, and the copies held already ${frozenBytes} of a limit of ${Math.round(FROZEN_BUDGET_BYTES)} (a quarter of the heap): close points in time, or open one after the writes`)
      }
      frozenBytes += bytes
      shared = { copy: this.#loadFrozen(pinned), bytes, users: 0 }
      this.#frozen.set(pinned, shared)
    }
    const copy = shared
    copy.users++
    // Counted from the start: close() waits for the load too, not only for the reader it makes.
    this.#readers++
    const release = () => {
      if (--copy.users === 0) {
        this.#frozen.delete(pinned)
        frozenBytes -= copy.bytes
        copy.copy.then(({ store }) => store.releaseFrozen(), () => {})
      }
      if (--this.#readers === 0) this.#readersDone?.()
    }
    try {
      const { store, state, searcher, schema } = await copy.copy
      return new IndexReader(this.#db, store, state, searcher, schema, this.encoder, (query) => this.#queryTerms(query), release)
    } catch (error) {
      release()
      throw error
    }
  }

  /** The index as of a snapshot, loaded again (see {@link freeze}). */
  async #loadFrozen(pinned: PinnedSnapshot): Promise<FrozenCopy> {
    const store = new SegmentStore(this.#db, pinned)
    try {
      const stored = await this.#db.get(KEY_META, { snapshot: store.snapshot })
      const meta = checkMeta(stored && decodeJson<IndexMeta>(stored, 'index metadata'), this.#label)
      const schema = meta.schema && Schema.parse(meta.schema)
      const state = await loadState(this.#db, meta, store, positionalIn(schema))
      return { store, state, schema, searcher: new Searcher(state, createScorer(this.encoder, (field) => schema!.bm25(field))) }
    } catch (error) {
      store.releaseFrozen()
      throw error
    }
  }

  /**
   * Runs a filtered search: scored terms plus exact document filters (bitmaps from
   * {@link docsWithAnyTerm}, {@link docsWithIds}, {@link docsWithKeyword}); returns the top k and
   * the exact number of matches.
   */
  execute(request: SearchRequest, options: SearchOptions = {}): { hits: Hit[]; total: number } {
    return this.#readNow((reader) => reader.execute(request, options))
  }

  /** Live documents containing at least one of the index terms given. */
  docsWithAnyTerm(terms: readonly string[]): RoaringBitmap32 {
    return this.#searcher.docsWithAnyTerm(terms)
  }

  /** Live documents with these external ids. */
  docsWithIds(ids: readonly string[]): RoaringBitmap32 {
    return this.#searcher.docsWithIds(ids)
  }

  /**
   * Live documents whose field (a dotted path) holds one of `values`: a `terms` query (exact
   * values of keyword, numeric, date and boolean fields; unanalyzed tokens of text fields).
   */
  docsWithKeyword(field: string, values: readonly string[]): RoaringBitmap32 {
    return this.#readNow((reader) => reader.matching({ terms: { [field]: values } }))
  }

  /** Every live document. */
  allDocs(): RoaringBitmap32 {
    return this.#searcher.allDocs()
  }

  /**
   * How a document's score for a query is computed: the sum, with one child per matched term.
   * Undefined when the document does not exist.
   */
  explain(query: string | readonly QueryTerm[], id: string): Explanation | undefined {
    return this.#readNow((reader) => {
      const docId = reader.docId(id)
      return docId === undefined ? undefined : reader.explain(query, docId)
    })
  }

  /**
   * Merges each term's posting segments into one and drops deleted documents' postings (see
   * compaction.ts); returns the number of terms rewritten. Queries give the same results before and after.
   * With `reorder`, also gives the documents new internal ids that cluster similar ones (reorder.ts):
   * the same hits with the same scores, but documents with exactly equal scores may come in another
   * order (ties go by internal id).
   */
  compact({ reorder = false }: { reorder?: boolean } = {}): Promise<number> {
    return this.#serialized(async () => {
      if (reorder) {
        const { terms } = await reorderDocuments(this.#state, this.#db)
        this.#store.advance()
        this.#state = await loadState(this.#db, this.meta, this.#store, positionalIn(this.#schema))
        this.#searcher = this.#searcherOf(this.#state)
        return terms
      }
      let terms = 0
      for await (const batch of planCompaction(this.#state, this.#db)) {
        failPoint('compact:before-batch')
        await writeBatch(this.#db, batch.ops)
        failPoint('compact:after-batch')
        this.#applyCommitted(() => batch.apply())
        this.#store.advance()
        terms += batch.terms
      }
      // Every deleted document's postings are gone now: none of them takes space any more.
      if (this.#state.stats.compactedDeletions !== this.#state.deleted.size) {
        const stats = { ...this.#state.stats, compactedDeletions: this.#state.deleted.size }
        await this.#db.put(KEY_STATS, encodeJson(stats))
        this.#state.stats = stats
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
      deletedDocuments: state.deleted.size - (state.stats.compactedDeletions ?? 0),
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

  /** Waits for pending writes and for readers in use, then closes the database. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#writes.catch(() => undefined)
    if (this.#readers > 0) await new Promise<void>((resolve) => (this.#readersDone = resolve))
    await this.#db.close()
  }

  /** Runs a synchronous `read` (in-memory work only) with a fresh reader, released afterwards. */
  #readNow<T>(read: (reader: IndexReader) => T): T {
    const reader = this.reader()
    try {
      return read(reader)
    } finally {
      reader.release()
    }
  }

  /** Runs `read` with a fresh reader, released afterwards. */
  async #read<T>(read: (reader: IndexReader) => Promise<T>): Promise<T> {
    const reader = this.reader()
    try {
      return await read(reader)
    } finally {
      reader.release()
    }
  }

  /** A document's keyword metadata, minus the fields the encoder reads (e.g. a stored vector). */
  #keywords(doc: SourceDocument): SourceDocument['keywords'] {
    const consumed = this.encoder?.sourceFields
    // Only an index without a schema stores keywords: read here, not for every document read.
    const keywords = doc.keywords ?? keywordsOf(doc.source, doc.sourceFields ?? ['_id', 'title', 'text'])
    if (!consumed) return keywords
    return keywords.filter(([field]) => !consumed.some((f) => field === f || field.startsWith(`${f}.`)))
  }

  /**
   * Posting values as stored: term frequencies as they are, learned weights as 16-bit codes. A
   * weight too small to survive quantization (code 0, below ~1.2e-38) carries no score and is
   * dropped, so every stored posting has a positive value.
   */
  #storable(vector: EncodedDocument): EncodedDocument {
    if (this.encoder?.scoring !== 'dot') return vector
    const terms: string[] = []
    const values: number[] = []
    vector.values.forEach((weight, i) => {
      const code = encodeWeight(weight)
      if (code === 0) return
      terms.push(vector.terms[i])
      values.push(code)
    })
    return { terms, values, length: vector.length }
  }

  #queryTerms(query: string | readonly QueryTerm[]): readonly QueryTerm[] {
    if (typeof query !== 'string') return query
    if (!this.encoder) throw new LsrError('invalid_argument', `index ${this.#label} has no encoder field to search text in: search its fields with a query (search({query}))`)
    return this.encoder.encodeQuery(query)
  }

  /**
   * The source fields the mapping indexes: all but the id field of a corpus record (BEIR's `_id`,
   * the document's id) and, in an index with an encoder, the fields it reads (title and text,
   * under whatever names the corpus gives them).
   */
  #mappedSource(doc: SourceDocument): Record<string, unknown> {
    const [idField = '_id', ...textFields] = doc.sourceFields ?? ['_id', 'title', 'text']
    const consumed = new Set([idField, ...(this.encoder ? [...textFields, ...(this.encoder.sourceFields ?? [])] : [])])
    if (!Object.keys(doc.source).some((key) => consumed.has(key))) return doc.source
    return Object.fromEntries(Object.entries(doc.source).filter(([key]) => !consumed.has(key)))
  }

  #requireSchema(what: string): Schema {
    if (!this.#schema) throw new LsrError('invalid_argument', `${what}: index ${this.#label} was made before lsr had mapped fields; reindex it into a new index to add a mapping`)
    return this.#schema
  }


  async #forwardVectors(docIds: number[]): Promise<DocToDelete[]> {
    const values = await this.#db.getMany(docIds.map(forwardKey))
    return docIds.map((docId, i) => toDelete(docId, values[i]))
  }

  /** Writes adds, deletes, touches (new versions alone) and a changed schema (grown mapping) as one atomic batch. */
  async #write(adds: DocToAdd[], deletes: DocToDelete[], schema = this.#schema, extras: Omit<WriteExtras, 'extraOps'> = {}): Promise<void> {
    const schemaChanged = schema !== this.#schema
    if (adds.length === 0 && deletes.length === 0 && !extras.touches?.length && !schemaChanged) return
    const meta: IndexMeta | undefined = schemaChanged ? { ...this.meta, schema: schema!.toStored() } : undefined
    const plan = await planWrite(this.#state, adds, deletes, { ...extras, extraOps: meta ? [{ type: 'put', key: KEY_META, value: encodeJson(meta) }] : [] })
    failPoint('write:before-batch')
    // Synced, as Elasticsearch fsyncs its translog before acknowledging a request: an acknowledged
    // write survives a power loss. Merges and compaction are not (losing one loses nothing: the
    // segments it merged are still there, and a later synced write syncs the log before it).
    await writeBatch(this.#db, plan.ops, true)
    failPoint('write:after-batch')
    this.#applyCommitted(() => plan.apply())
    if (meta) {
      this.meta.schema = meta.schema
      this.#schema = schema
    }
    this.#store.advance()
    const merges = await planLogMerges(this.#state, plan.appendedTermIds, this.#db)
    if (merges.terms > 0) {
      failPoint('merge:before-batch')
      await writeBatch(this.#db, merges.ops)
      failPoint('merge:after-batch')
      this.#applyCommitted(() => merges.apply())
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
    if (this.#closed) throw new LsrError('closed', `index ${this.#label} is closed`)
    if (this.#diverged) throw this.#diverged
  }

  /**
   * Applies a committed batch in memory. Should that fail (a bug), memory no longer matches the
   * database, which holds the whole batch: the handle refuses every further use, and reopening
   * the index reads the committed state.
   */
  #applyCommitted(apply: () => void): void {
    try {
      apply()
    } catch (error) {
      this.#diverged = new LsrError('data_corruption', `index ${this.#label}: a committed write could not be applied in memory (${(error as Error).message}); reopen the index`, { cause: error })
      throw this.#diverged
    }
  }

  /**
   * Every live document of one committed state, in doc id order, in batches of `batchSize`: its
   * external id, its stored source, and with `encoderTerms` the terms and values the encoder put in
   * its forward vector (term frequencies, or 16-bit weight codes for dot scoring; mapped fields'
   * terms left out). Reads through one LevelDB snapshot pinned when the iteration starts, so writes
   * meanwhile are invisible; holds a reader (close() waits) until the iteration ends. For exports
   * (src/engine/export), in constant memory: one batch at a time. `afterDocId` starts after that
   * doc id (a resumed export).
   */
  async *storedDocuments({ batchSize = 256, encoderTerms = false, afterDocId }: { batchSize?: number; encoderTerms?: boolean; afterDocId?: number } = {}): AsyncGenerator<StoredDocument[]> {
    const reader = this.reader()
    // Taken with the reader, before any await: the same committed state.
    const pinned = this.#store.pin()
    const live = reader.allDocs()
    if (afterDocId !== undefined) live.removeRange(0, afterDocId + 1)
    const terms = this.#state.terms
    try {
      const docIds = live[Symbol.iterator]()
      for (;;) {
        const batch: number[] = []
        while (batch.length < batchSize) {
          const next = docIds.next()
          if (next.done) break
          batch.push(next.value)
        }
        if (batch.length === 0) return
        const { snapshot } = pinned
        const [sources, forwards] = await Promise.all([
          this.#db.getMany(batch.map(sourceKey), { snapshot }),
          encoderTerms ? this.#db.getMany(batch.map(forwardKey), { snapshot }) : undefined,
        ])
        yield batch.map((docId, i) => {
          const id = reader.externalId(docId)
          const source = sources[i]
          if (source === undefined) throw new LsrError('data_corruption', `index data corruption: the stored source of document ${id} (doc ${docId}) is missing`)
          const doc: StoredDocument = { id, docId, source: decodeJson<Record<string, unknown>>(source, `source of doc ${docId}`) }
          if (forwards) {
            const forward = forwards[i]
            if (forward === undefined) throw new LsrError('data_corruption', `index data corruption: forward vector of doc ${docId} is missing`)
            const { termIds, values } = decodeForward(forward)
            const kept: string[] = []
            const keptValues: number[] = []
            for (let k = 0; k < termIds.length; k++) {
              const term = terms[termIds[k]]
              // Mapped fields' terms start with U+0000..U+0002 (format.ts); the encoder's do not.
              if (term !== undefined && term.charCodeAt(0) > 2) {
                kept.push(term)
                keptValues.push(values[k])
              }
            }
            doc.encoderTerms = { terms: kept, values: keptValues }
          }
          return doc
        })
        if (batch.length < batchSize) return
      }
    } finally {
      pinned.release()
      reader.release()
    }
  }
}

/** A stored document as {@link SparseIndex.storedDocuments} reads it. */
export interface StoredDocument {
  id: string
  docId: number
  source: Record<string, unknown>
  /** The encoder field's terms and stored values (frequencies or weight codes), when asked for. */
  encoderTerms?: { terms: string[]; values: number[] }
}

/** A document to delete, from its stored forward vector (its terms' document frequencies drop). */
function toDelete(docId: number, forward: Buffer | undefined): DocToDelete {
  if (!forward) throw new LsrError('data_corruption', `index data corruption: forward vector of doc ${docId} is missing`)
  return { docId, termIds: decodeForward(forward).termIds }
}

/** The encoder a new index gets from the open options (bm25 by default; none with `null`), checked and loaded. */
async function newEncoder(options: OpenOptions): Promise<{ config: EncoderConfig | undefined; encoder: Encoder | undefined }> {
  if (options.encoder === null) return { config: undefined, encoder: undefined }
  const config = await resolveEncoderConfig(options.encoder ?? { name: 'bm25' })
  return { config, encoder: await createEncoder(config, options.runtime) }
}

/** The schema a new index gets (dynamic mapping by default), checked by parsing it. */
function newSchema(options: OpenOptions): StoredSchema {
  const schema = Schema.parse(options.schema ?? { mappings: {} })
  if (options.encoder !== null) checkEncoderFieldsUnmapped(schema.mapping, true)
  return schema.toStored()
}

/** The pipelines a new index names: non-empty names only, absent when none. */
function newPipelines(options: OpenOptions): IndexPipelines | undefined {
  const entries = Object.entries(options.pipelines ?? {}).filter(([, name]) => name !== undefined)
  for (const [kind, name] of entries) {
    if (typeof name !== 'string' || name === '') throw new LsrError('invalid_argument', `the ${kind} pipeline must be named by a non-empty string`)
  }
  return entries.length === 0 ? undefined : (Object.fromEntries(entries) as IndexPipelines)
}

/** With an encoder, title and text feed it: a mapping of them would be shown and never used. */
function checkEncoderFieldsUnmapped(mapping: Mapping, encoder: unknown): void {
  if (!encoder) return
  for (const field of ENCODER_FIELD_NAMES) {
    if (fieldAt(mapping, field)) throw new LsrError('mapper_parsing', `field [${field}] feeds the index's encoder (title + text as one field): it cannot be mapped in an index with an encoder`)
  }
}

/** An encoder index reads `title` and `text` as strings. */
function checkEncoderFields(doc: SourceDocument): void {
  const [, ...fields] = doc.sourceFields ?? ['_id', 'title', 'text']
  for (const field of fields) {
    const value = doc.source[field]
    if (value !== undefined && value !== null && typeof value !== 'string') {
      throw new LsrError('mapper_parsing', `document ${doc.id}: field [${field}] must be a string (it feeds the index's encoder), got ${Array.isArray(value) ? 'array' : typeof value}`)
    }
  }
}

/**
 * Refuses encoder terms in the namespaces of mapped fields (terms starting with U+0000, U+0001 or
 * U+0002, see format.ts): a client's token there could collide with a field term of the same document.
 */
function checkTerms(doc: SourceDocument, vector: EncodedDocument): EncodedDocument {
  for (const term of vector.terms) {
    if (term.charCodeAt(0) <= 2) throw new InvalidInputError(`document ${doc.id}: term ${JSON.stringify(term)} starts with U+000${term.charCodeAt(0)}, which lsr reserves for mapped fields`)
  }
  return vector
}

/** Appends a document's keyword terms (value 1; distinct) to its encoded vector. */
function withKeywords(vector: EncodedDocument, keywords: SourceDocument['keywords']): EncodedDocument {
  if (!keywords || keywords.length === 0) return vector
  const extra = [...new Set(keywords.map(([field, value]) => keywordTerm(field, value)))]
  return { terms: [...vector.terms, ...extra], values: [...vector.values, ...extra.map(() => 1)], length: vector.length }
}
