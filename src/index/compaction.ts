/**
 * Compaction: rewrites each term whose postings span several segments, or still hold deleted
 * documents, as one segment of live postings (at the key of its first segment, so later segments
 * still sort after it), with bounds recomputed. Each chunk of terms is one atomic batch, and each
 * term's rewrite lies within one chunk, so an interrupted compaction leaves a consistent index.
 * @module
 */
import { encodePostings, encodeTermEntry, postingsKey, termKey } from './format.js'
import type { IndexState } from './index-state.js'
import type { BatchOp } from './write-plan.js'

/** Terms rewritten per atomic batch. */
const TERMS_PER_BATCH = 4096

export interface CompactionBatch {
  /** Terms this batch rewrites. */
  terms: number
  ops: BatchOp[]
  apply(): void
}

/** Terms that need rewriting, in term id order. */
function termsToCompact(state: IndexState): number[] {
  const ids: number[] = []
  state.postings.forEach((list, id) => {
    if (list.segments.length > 1 || list.size !== state.df[id]) ids.push(id)
  })
  return ids
}

/** Plans the compaction as a sequence of independent atomic batches. */
export function* planCompaction(state: IndexState): Generator<CompactionBatch> {
  const ids = termsToCompact(state)
  for (let start = 0; start < ids.length; start += TERMS_PER_BATCH) {
    const ops: BatchOp[] = []
    const changes: Array<() => void> = []
    for (const id of ids.slice(start, start + TERMS_PER_BATCH)) {
      const list = state.postings[id]
      const { docs, values, length } = list.view()
      const keptDocs = new Uint32Array(state.df[id])
      const keptValues = new Uint32Array(state.df[id])
      let kept = 0
      let maxValue = 0
      let minLength = 0xffffffff
      for (let p = 0; p < length; p++) {
        const doc = docs[p]
        if (state.live[doc] !== 1) continue
        keptDocs[kept] = doc
        keptValues[kept++] = values[p]
        if (values[p] > maxValue) maxValue = values[p]
        if (state.docLength[doc] < minLength) minLength = state.docLength[doc]
      }
      const [first, ...rest] = list.segments
      for (const segment of rest) ops.push({ type: 'del', key: postingsKey(id, segment) })
      const encoded = kept > 0 ? encodePostings(keptDocs, keptValues) : undefined
      ops.push(encoded ? { type: 'put', key: postingsKey(id, first), value: encoded } : { type: 'del', key: postingsKey(id, first) })
      const entry = { id, df: kept, maxValue, minLength }
      ops.push({ type: 'put', key: termKey(state.terms[id]), value: encodeTermEntry(entry) })
      changes.push(() => {
        list.reset(first, keptDocs, keptValues, encoded?.length ?? 0)
        state.setTerm(state.terms[id], entry)
      })
    }
    yield {
      terms: changes.length,
      ops,
      apply() {
        for (const change of changes) change()
        state.version++
      },
    }
  }
}
