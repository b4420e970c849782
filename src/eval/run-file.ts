/**
 * TREC run files: `qid Q0 docid rank score tag`, one line per retrieved document.
 * Scores are written in full precision so that re-sorting by score reproduces the engine's order.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { InvalidInputError } from '../errors.js'
import type { Run, RunHit } from './metrics.js'

/** Formats one query's ranked hits as run-file lines (rank 1 first). */
export function formatRunLines(qid: string, hits: readonly RunHit[], tag: string): string {
  let out = ''
  hits.forEach((hit, i) => (out += `${qid} Q0 ${hit.docId} ${i + 1} ${hit.score} ${tag}\n`))
  return out
}

/** Reads a run file. */
export async function readRunFile(file: string): Promise<Run> {
  const run: Run = new Map()
  ;(await readFile(file, 'utf8')).split(/\r?\n/).forEach((text, i) => {
    if (text.trim() === '') return
    const fields = text.trim().split(/\s+/)
    const score = Number(fields[4])
    if (fields.length !== 6 || !Number.isFinite(score)) {
      throw new InvalidInputError(`${file}:${i + 1}: expected "qid Q0 docid rank score tag"`, i + 1)
    }
    let hits = run.get(fields[0])
    if (!hits) run.set(fields[0], (hits = []))
    hits.push({ docId: fields[2], score })
  })
  return run
}
