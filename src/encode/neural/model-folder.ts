/**
 * A model folder in Hugging Face layout, checked before Transformers.js sees it (its own message
 * for a missing tokenizer is cryptic): `config.json`, `tokenizer.json`, `tokenizer_config.json`,
 * `onnx/model.onnx` (fp32) or `onnx/model_quantized.onnx` (q8), and an IDF table for queries
 * (`idf.json`: token -> weight, or `query_token_weights.txt`: `token<TAB>weight` lines).
 * Fingerprints (sha256) let an index notice that the model it was built with has changed.
 * @module
 */
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { LsrError } from '../../errors.js'

export type ModelDtype = 'fp32' | 'q8'

/** Where the IDF table comes from: a file of the model folder, or the indexed corpus. */
export type IdfSource = 'idf.json' | 'query_token_weights.txt' | 'corpus'

export const ONNX_FILE: Record<ModelDtype, string> = { fp32: 'onnx/model.onnx', q8: 'onnx/model_quantized.onnx' }

const exists = (path: string) => stat(path).then((s) => s.isFile(), () => false)

/**
 * Checks that a folder holds what the query side (and with `dtype`, the document side) needs.
 * @throws LsrError `not_found` naming the first missing file
 */
export async function checkModelFolder(dir: string, dtype?: ModelDtype): Promise<void> {
  if (!(await stat(dir).then((s) => s.isDirectory(), () => false))) throw new LsrError('not_found', `model folder ${dir} does not exist`)
  const needed = ['config.json', 'tokenizer.json', 'tokenizer_config.json', ...(dtype ? [ONNX_FILE[dtype]] : [])]
  for (const file of needed) {
    if (!(await exists(join(dir, file)))) {
      const hint = file.startsWith('onnx/') ? ' (export the model to ONNX first: see the README, "Neural encoder")' : ''
      throw new LsrError('not_found', `model folder ${dir} is incomplete: ${file} is missing${hint}`)
    }
  }
}

/** The folder's IDF table and its source, or the corpus when the folder has none. */
export async function readIdfTable(dir: string): Promise<{ source: IdfSource; table?: Map<string, number> }> {
  const json = join(dir, 'idf.json')
  if (await exists(json)) {
    const parsed = JSON.parse(await readFile(json, 'utf8')) as Record<string, unknown>
    const table = new Map<string, number>()
    for (const [token, weight] of Object.entries(parsed)) {
      if (typeof weight !== 'number' || !Number.isFinite(weight)) throw new LsrError('invalid_input', `${json}: weight of "${token}" is not a number`)
      table.set(token, weight)
    }
    return { source: 'idf.json', table }
  }
  const tsv = join(dir, 'query_token_weights.txt')
  if (await exists(tsv)) {
    const table = new Map<string, number>()
    ;(await readFile(tsv, 'utf8')).split('\n').forEach((line, i) => {
      if (line.trim() === '') return
      const tab = line.lastIndexOf('\t')
      const weight = Number(line.slice(tab + 1))
      if (tab <= 0 || !Number.isFinite(weight)) throw new LsrError('invalid_input', `${tsv}:${i + 1}: expected "token<TAB>weight"`)
      table.set(line.slice(0, tab), weight)
    })
    return { source: 'query_token_weights.txt', table }
  }
  return { source: 'corpus' }
}

/** sha256 over files (name and bytes), streamed so large ONNX files do not sit in memory. */
export async function fingerprint(dir: string, files: readonly string[]): Promise<string> {
  const hash = createHash('sha256')
  for (const file of files) {
    const path = join(dir, file)
    if (!(await exists(path))) continue
    hash.update(`${file}\0`)
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer)
  }
  return hash.digest('hex').slice(0, 16)
}

/** Files whose bytes define the query side: tokenizer and IDF table. */
export const QUERY_FILES = ['tokenizer.json', 'tokenizer_config.json', 'idf.json', 'query_token_weights.txt']
