/**
 * Turns JSON records into {@link SourceDocument}s, validating the id, title and text fields.
 * @module
 */
import type { SourceDocument } from '../encode/encoder.js'
import { InvalidInputError } from '../errors.js'

/** Which record fields hold the id, title and text. Defaults are BEIR's. */
export interface DocumentFields {
  /** @default '_id' */
  id: string
  /** Optional in each record. @default 'title' */
  title: string
  /** @default 'text' */
  text: string
}

export const BEIR_FIELDS: DocumentFields = { id: '_id', title: 'title', text: 'text' }

/**
 * Validates one record. An id may be a string or a finite number (stringified).
 * @param where - `file:line` (or another locator) for error messages
 * @throws InvalidInputError naming the place and the field
 */
export function toSourceDocument(value: unknown, fields: DocumentFields, where: string, line?: number): SourceDocument {
  const fail = (reason: string) => new InvalidInputError(`${where}: ${reason}`, line)
  const source = asObject(value, fail)
  const id = source[fields.id]
  if (id === undefined || id === null || id === '') throw fail(`missing id field "${fields.id}"`)
  if (typeof id !== 'string' && !(typeof id === 'number' && Number.isFinite(id))) {
    throw fail(`id field "${fields.id}" must be a string or a number, got ${typeof id}`)
  }
  return withText(String(id), source, fields, fail)
}

/**
 * A record whose id is given separately (as in the HTTP API's `_doc/{id}` and bulk). Its fields
 * are checked by the index it goes to (an index with an encoder reads title and text as strings;
 * mapped fields are checked against the mapping), so `title` and `text` are taken only as strings.
 * @throws InvalidInputError when the record is not an object
 */
export function documentWithId(id: string, value: unknown, where: string): SourceDocument {
  const source = asObject(value, (reason) => new InvalidInputError(`${where}: ${reason}`))
  const text = (field: string) => (typeof source[field] === 'string' ? (source[field] as string) : '')
  return { id, title: text(BEIR_FIELDS.title), text: text(BEIR_FIELDS.text), source }
}

function asObject(value: unknown, fail: (reason: string) => Error): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail('record is not a JSON object')
  return value as Record<string, unknown>
}

function withText(id: string, source: Record<string, unknown>, fields: DocumentFields, fail: (reason: string) => Error): SourceDocument {
  const text = source[fields.text] ?? ''
  if (typeof text !== 'string') throw fail(`text field "${fields.text}" must be a string, got ${typeof text}`)
  const title = source[fields.title] ?? ''
  if (typeof title !== 'string') throw fail(`title field "${fields.title}" must be a string, got ${typeof title}`)
  const sourceFields = [fields.id, fields.title, fields.text]
  return { id, title, text, source, sourceFields }
}
