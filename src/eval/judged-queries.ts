/**
 * The judged queries of one split of a BEIR dataset: `qrels/<split>.tsv` and the queries of
 * `queries.jsonl` it judges.
 * @module
 */
import { join } from 'node:path'
import { readQrels, readQueries, type BeirQuery, type Qrels } from '../corpus/beir.js'
import { LsrError } from '../errors.js'

/** A split's judgments and the queries they judge (in queries.jsonl's order). */
export interface JudgedQueries {
  split: string
  qrels: Qrels
  queries: BeirQuery[]
}

/**
 * Reads a split of the dataset in `dir`.
 * @throws LsrError `not_found` naming the `qrels/<split>.tsv` file when the dataset has no such split
 * @example const { qrels, queries } = await readJudgedQueries('../shared/datasets/scifact', 'train')
 */
export async function readJudgedQueries(dir: string, split: string): Promise<JudgedQueries> {
  const file = join(dir, 'qrels', `${split}.tsv`)
  const qrels = await readQrels(file).catch((error) => {
    if (error instanceof LsrError && error.code === 'not_found') throw new LsrError('not_found', `${file}: no such file (the dataset has no ${split} split)`, { cause: error })
    throw error
  })
  const queries = (await readQueries(join(dir, 'queries.jsonl'))).filter((q) => qrels.has(q.id))
  return { split, qrels, queries }
}
