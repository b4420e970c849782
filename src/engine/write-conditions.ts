/**
 * Document versions and the conditions a write may put on them, as Elasticsearch's optimistic
 * concurrency control has them: every write of an index (add, replace, delete) takes the next
 * sequence number, a document's version counts its writes (or is an external number), and a
 * write may require the document's current sequence number (`if_seq_no` + `if_primary_term`) or
 * a lower version (`version_type=external` / `external_gte`). `SparseIndex` checks a condition
 * inside its serialized write, against the live state, so two writers of one id never both pass.
 * Nothing here formats for a transport: a conflict's `reason` is Elasticsearch's explanation,
 * which the server prefixes with `[id]: version conflict, `.
 * @see https://www.elastic.co/guide/en/elasticsearch/reference/current/optimistic-concurrency-control.html
 * @module
 */
import { LsrError } from '../errors.js'

/** The primary term of every operation: one node, whose one primary never fails over. */
export const PRIMARY_TERM = 1

/** Highest version or sequence number taken: integers above 2^53 - 1 are not exact in JavaScript. */
export const MAX_VERSION = Number.MAX_SAFE_INTEGER

/** A document's place in its index's history. */
export interface DocVersion {
  /** The sequence number of the write that made the document as it is. */
  seqNo: number
  /** 1 for a new document, one more per write since (or the external version last written). */
  version: number
}

/**
 * A write that happens only if the document is as the caller saw it: its sequence number and
 * primary term (Elasticsearch's `if_seq_no` + `if_primary_term`), or a version lower than the
 * one given (`version` + `version_type=external`; `external_gte`: lower or equal), which the
 * document then takes.
 */
export type WriteCondition =
  | { ifSeqNo: number; ifPrimaryTerm: number }
  | { version: number; versionType: 'external' | 'external_gte' }

/** Why a write was refused: Elasticsearch's explanation, and the document's version (absent: no document). */
export interface WriteConflict {
  reason: string
  current?: DocVersion
}

const integerIn = (value: number, min: number) => Number.isInteger(value) && value >= min && value <= MAX_VERSION

/**
 * Checks a condition's numbers.
 * @throws LsrError `invalid_argument` naming the value out of range
 */
export function checkCondition(condition: WriteCondition): void {
  if ('ifSeqNo' in condition) {
    if (!integerIn(condition.ifSeqNo, 0)) throw new LsrError('invalid_argument', `if_seq_no must be an integer from 0 to ${MAX_VERSION}, got ${condition.ifSeqNo}`)
    if (!integerIn(condition.ifPrimaryTerm, 1)) throw new LsrError('invalid_argument', `if_primary_term must be an integer from 1 to ${MAX_VERSION}, got ${condition.ifPrimaryTerm}`)
    return
  }
  if (condition.versionType !== 'external' && condition.versionType !== 'external_gte') {
    throw new LsrError('invalid_argument', `version type must be external or external_gte, got ${String(condition.versionType)}`)
  }
  if (!integerIn(condition.version, 0)) throw new LsrError('invalid_argument', `version must be an integer from 0 to ${MAX_VERSION}, got ${condition.version}`)
}

/**
 * Whether a write under `condition` may change the document now at `current` (undefined: none is
 * live); undefined when it may, else the conflict.
 */
export function conflictOf(condition: WriteCondition | undefined, current: DocVersion | undefined): WriteConflict | undefined {
  if (!condition) return undefined
  if ('ifSeqNo' in condition) {
    const required = `required seqNo [${condition.ifSeqNo}], primary term [${condition.ifPrimaryTerm}].`
    if (!current) return { reason: `${required} but no document was found` }
    if (current.seqNo === condition.ifSeqNo && condition.ifPrimaryTerm === PRIMARY_TERM) return undefined
    return { reason: `${required} current document has seqNo [${current.seqNo}] and primary term [${PRIMARY_TERM}]`, current }
  }
  // External versions create a missing document with the version given.
  if (!current) return undefined
  const gte = condition.versionType === 'external_gte'
  if (gte ? current.version <= condition.version : current.version < condition.version) return undefined
  return { reason: `current version [${current.version}] is ${gte ? 'higher than' : 'higher or equal to'} the one provided [${condition.version}]`, current }
}

/** The version a write under `condition` gives a document now at `current`: the external one, else one more (1 for a new one). */
export function nextVersion(condition: WriteCondition | undefined, current: DocVersion | undefined): number {
  if (condition && 'versionType' in condition) return condition.version
  return current ? current.version + 1 : 1
}

/** Elasticsearch's refusal of a create whose id is live. */
export function alreadyExists(current: DocVersion): WriteConflict {
  return { reason: `document already exists (current version [${current.version}])`, current }
}
