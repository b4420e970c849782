/**
 * BEIR dataset layout: `corpus.jsonl[.gz]`, `queries.jsonl[.gz]`, `qrels/<split>.tsv`.
 * @module
 */
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { InvalidInputError, LsrError } from '../errors.js'
import { cannotRead, readJsonl } from './jsonl.js'

/** A query of a BEIR queries file. */
export interface BeirQuery {
  id: string
  text: string
}

/** Relevance judgments: query id -> document id -> relevance. */
export type Qrels = Map<string, Map<string, number>>

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false)
}

/**
 * Resolves an input path to a corpus file: a file as is, or a folder's `corpus.jsonl(.gz)`.
 * @throws LsrError `not_found` "cannot read <input>: no such file", or naming what the folder lacks
 */
export async function resolveCorpusFile(input: string): Promise<string> {
  const info = await stat(input).catch((error) => {
    throw cannotRead(input, error) ?? error
  })
  if (info.isFile()) return input
  for (const name of ['corpus.jsonl', 'corpus.jsonl.gz']) {
    if (await isFile(join(input, name))) return join(input, name)
  }
  throw new LsrError('not_found', `cannot read ${input}: folder has no corpus.jsonl or corpus.jsonl.gz`)
}

/** Reads a BEIR queries file (`{_id, text}` per line). */
export async function readQueries(file: string): Promise<BeirQuery[]> {
  const queries: BeirQuery[] = []
  for await (const record of readJsonl(file)) {
    if (!('value' in record)) continue
    const { _id: id, text } = (record.value ?? {}) as { _id?: unknown; text?: unknown }
    if ((typeof id !== 'string' && typeof id !== 'number') || typeof text !== 'string') {
      throw new InvalidInputError(`${file}:${record.line}: a query needs a string "_id" and a string "text"`, record.line)
    }
    queries.push({ id: String(id), text })
  }
  return queries
}

/**
 * Reads a qrels file: BEIR's TSV (`query-id  corpus-id  score`, with a header) or TREC's
 * (`qid 0 docid rel`), whitespace-separated.
 */
export async function readQrels(file: string): Promise<Qrels> {
  const qrels: Qrels = new Map()
  const content = await readFile(file, 'utf8').catch((error) => {
    throw cannotRead(file, error) ?? error
  })
  const lines = content.split(/\r?\n/)
  lines.forEach((text, i) => {
    const fields = text.trim().split(/\s+/)
    if (fields.length === 1 && fields[0] === '') return
    if (i === 0 && fields[0] === 'query-id') return
    let qid: string, docid: string, rel: string
    if (fields.length === 3) [qid, docid, rel] = fields
    else if (fields.length === 4) [qid, , docid, rel] = fields
    else throw new InvalidInputError(`${file}:${i + 1}: expected 3 (BEIR) or 4 (TREC) fields, got ${fields.length}`, i + 1)
    const value = Number(rel)
    if (!Number.isInteger(value)) throw new InvalidInputError(`${file}:${i + 1}: relevance "${rel}" is not an integer`, i + 1)
    let judged = qrels.get(qid)
    if (!judged) qrels.set(qid, (judged = new Map()))
    judged.set(docid, value)
  })
  return qrels
}
