/**
 * Integrity check of an index: stored documents, forward vectors, posting lists, document
 * frequencies and corpus statistics must all agree. Used by `lsr check` and by the crash tests.
 * @module
 */
import {
  own, decodeDocVersion, decodeForward, decodeJson, PREFIX_FORWARD, PREFIX_POSITIONS, PREFIX_POSTINGS, PREFIX_SOURCE, PREFIX_VERSION, segmentFromPostingsKey,
  termIdFromPostingsKey,
} from './format.js'
import type { IndexState } from './index-state.js'
import { scanPrefix, type IndexDb } from './load.js'
import { decodePositions, positionStarts } from './position-codec.js'
import type { PostingList } from './posting-list.js'

/** Runs `read`; a failure (undecodable data) becomes a problem instead of ending the check. */
function report<T>(problems: string[], what: string, read: () => T): T | undefined {
  try {
    return read()
  } catch (error) {
    problems.push(`${what}: ${(error as Error).message}`)
    return undefined
  }
}

/** True when `key` has the length of its kind (format.ts); else reports it. */
function keyOfLength(problems: string[], key: Buffer, length: number, what: string): boolean {
  if (key.length === length) return true
  problems.push(`${what} key ${key.toString('hex')} has ${key.length} bytes, not ${length}`)
  return false
}

/** Returns a list of problems; empty when the index is consistent. It never throws on bad data. */
export async function checkIntegrity(db: IndexDb, state: IndexState): Promise<string[]> {
  const problems: string[] = []
  const withSource = new Set<number>()
  await scanPrefix(db, PREFIX_SOURCE, (key, value) => {
    if (!keyOfLength(problems, key, 5, 'stored source')) return
    const doc = key.readUInt32BE(1)
    withSource.add(doc)
    report(problems, `doc ${doc}: stored source`, () => decodeJson(value, 'it'))
  })

  // Per term: live postings and value sums expected from the forward vectors.
  const expectedCount = new Map<number, number>()
  const expectedSum = new Map<number, number>()
  const withForward = new Set<number>()
  await scanPrefix(db, PREFIX_FORWARD, (key, value) => {
    if (!keyOfLength(problems, key, 5, 'forward vector')) return
    const doc = key.readUInt32BE(1)
    withForward.add(doc)
    report(problems, `doc ${doc}: forward vector`, () => {
      const { termIds, values } = decodeForward(value)
      termIds.forEach((termId, i) => {
        expectedCount.set(termId, (expectedCount.get(termId) ?? 0) + 1)
        expectedSum.set(termId, (expectedSum.get(termId) ?? 0) + values[i])
      })
    })
  })

  let live = 0
  let sumLength = 0
  for (let doc = 0; doc < state.maxDoc; doc++) {
    const isLive = state.live[doc] === 1
    if (isLive) {
      live++
      sumLength += state.docLength[doc]
    }
    if (isLive !== withSource.has(doc)) problems.push(`doc ${doc}: live=${isLive} but stored source present=${!isLive}`)
    if (isLive !== withForward.has(doc)) problems.push(`doc ${doc}: live=${isLive} but forward vector present=${!isLive}`)
  }
  if (live !== state.stats.numDocs) problems.push(`statistics count ${state.stats.numDocs} documents, ${live} are live`)
  if (sumLength !== state.stats.sumLength) problems.push(`statistics sum of lengths ${state.stats.sumLength}, live documents sum to ${sumLength}`)
  checkFieldStats(problems, state)

  // Every stored posting segment is listed by its term entry, and the other way round.
  const stored = new Set<string>()
  await scanPrefix(db, PREFIX_POSTINGS, (key) => {
    if (keyOfLength(problems, key, 9, 'posting segment')) stored.add(`${termIdFromPostingsKey(key)}:${segmentFromPostingsKey(key)}`)
  })
  const unreadable = new Set<number>()
  state.postings.forEach((postings, termId) => {
    for (const { segment } of postings.segments) {
      if (stored.delete(`${termId}:${segment}`)) continue
      problems.push(`term "${state.terms[termId]}": segment ${segment} is listed but not stored`)
      unreadable.add(termId)
    }
  })
  for (const key of stored) problems.push(`posting segment ${key} (term id:segment) is stored but not listed by its term`)

  state.postings.forEach((postings, termId) => {
    if (unreadable.has(termId)) return
    const list = report(problems, `term "${state.terms[termId]}": postings`, () => postings.peek())
    if (!list) return
    let count = 0
    let sum = 0
    for (let p = 0; p < list.length; p++) {
      if (p > 0 && list.docs[p] <= list.docs[p - 1]) problems.push(`term ${termId}: postings not in ascending doc order`)
      if (state.live[list.docs[p]] === 1) {
        count++
        sum += list.values[p]
      }
    }
    const term = state.terms[termId]
    if (count !== state.df[termId]) problems.push(`term "${term}": df ${state.df[termId]} but ${count} live postings`)
    if (count !== (expectedCount.get(termId) ?? 0) || sum !== (expectedSum.get(termId) ?? 0)) {
      problems.push(`term "${term}": postings disagree with the documents' forward vectors`)
    }
    if (postings.positional) report(problems, `term "${term}": positions`, () => checkPositions(problems, postings, term))
  })
  await checkPositionKeys(db, state, problems)
  await checkVersionKeys(db, state, problems)
  return problems
}

/**
 * Version keys (`v`: a document re-versioned by an identical write) belong to live documents only
 * (a delete or replace removes them), decode, and hold the version the index answers.
 */
async function checkVersionKeys(db: IndexDb, state: IndexState, problems: string[]): Promise<void> {
  const seen = new Set<number>()
  await scanPrefix(db, PREFIX_VERSION, (key, value) => {
    if (!keyOfLength(problems, key, 5, 'version')) return
    const doc = key.readUInt32BE(1)
    seen.add(doc)
    if (state.live[doc] !== 1) problems.push(`doc ${doc}: a version key, but no live document`)
    const stored = report(problems, `doc ${doc}: version`, () => decodeDocVersion(value, doc))
    const current = state.live[doc] === 1 ? state.docVersion(doc) : undefined
    if (stored && current && (stored.seqNo !== current.seqNo || stored.version !== current.version)) {
      problems.push(`doc ${doc}: version key [${stored.seqNo}, ${stored.version}] but the index answers [${current.seqNo}, ${current.version}]`)
    }
  })
  for (const doc of state.versionKeys) if (!seen.has(doc)) problems.push(`doc ${doc}: a version key is expected but not stored`)
}

/** A positional term's stored positions: one non-decreasing run of tf positions per posting. */
function checkPositions(problems: string[], list: PostingList, term: string): void {
  const { values, length } = list.peek()
  const bytes = list.peekPositions()
  const starts = positionStarts(bytes, values, length, `term "${term}"`)
  let scratch = new Uint32Array(16)
  for (let p = 0; p < length; p++) {
    if (scratch.length < values[p]) scratch = new Uint32Array(values[p])
    const positions = decodePositions(bytes, starts[p], values[p], scratch)
    for (let i = 1; i < values[p]; i++) {
      if (positions[i] >= positions[i - 1]) continue
      problems.push(`term "${term}": positions of posting ${p} are not ascending`)
      return
    }
  }
}

/** Positions are stored for exactly the listed segments of terms with positions. */
async function checkPositionKeys(db: IndexDb, state: IndexState, problems: string[]): Promise<void> {
  const expected = new Set<string>()
  state.postings.forEach((list, termId) => {
    if (list.positional) for (const { segment } of list.segments) expected.add(`${termId}:${segment}`)
  })
  await scanPrefix(db, PREFIX_POSITIONS, (key) => {
    const id = key.length === 9 ? `${termIdFromPostingsKey(key)}:${segmentFromPostingsKey(key)}` : key.toString('hex')
    if (!expected.delete(id)) problems.push(`positions segment ${id} (term id:segment) is stored but no term with positions lists it`)
  })
  for (const id of expected) problems.push(`positions segment ${id} (term id:segment) is listed but not stored`)
}

/** Each mapped text field's statistics equal what its live documents' lengths add up to. */
function checkFieldStats(problems: string[], state: IndexState): void {
  const stored = state.stats.fields ?? {}
  for (const path of new Set([...Object.keys(stored), ...state.fieldLengths.keys()])) {
    const lengths = state.fieldLengths.get(path)
    let docCount = 0
    let sumLength = 0
    for (let doc = 0; lengths && doc < state.maxDoc; doc++) {
      if (state.live[doc] !== 1 || lengths[doc] === 0) continue
      docCount++
      sumLength += lengths[doc]
    }
    const stats = own(stored, path) ?? { docCount: 0, sumLength: 0 }
    if (stats.docCount !== docCount || stats.sumLength !== sumLength) {
      problems.push(`field ${path}: statistics say ${stats.docCount} documents and ${stats.sumLength} tokens, live documents have ${docCount} and ${sumLength}`)
    }
  }
}
