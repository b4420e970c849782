/**
 * `--model <org/name>`: fetches a model's files from the Hugging Face hub (or `HF_ENDPOINT`) into a
 * local cache folder once, then it is used like any local folder. Each file is downloaded to a
 * temporary name and renamed, so an interrupted download is never mistaken for a complete one.
 * @module
 */
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { ReadableStream } from 'node:stream/web'
import { LsrError } from '../../errors.js'
import { ONNX_FILE, type ModelDtype } from './model-folder.js'

const HUB_ID = /^[\w.-]+\/[\w.-]+$/
const REQUIRED = ['config.json', 'tokenizer.json', 'tokenizer_config.json']
const OPTIONAL = ['special_tokens_map.json', 'idf.json', 'query_token_weights.txt']

/** True when `spec` looks like `org/name` rather than a path. */
export function isHubId(spec: string): boolean {
  return HUB_ID.test(spec)
}

/**
 * Downloads what the model needs into `<cacheDir>/<org>/<name>` unless already there.
 * @returns the local folder
 * @throws LsrError `not_found` naming the file the hub does not have (e.g. no ONNX export)
 */
export async function fetchHubModel(id: string, dtype: ModelDtype, cacheDir: string, endpoint = process.env.HF_ENDPOINT ?? 'https://huggingface.co'): Promise<string> {
  const dir = join(cacheDir, id)
  for (const file of [...REQUIRED, ONNX_FILE[dtype]]) await download(endpoint, id, file, join(dir, file), true)
  for (const file of OPTIONAL) await download(endpoint, id, file, join(dir, file), false)
  return dir
}

async function download(endpoint: string, id: string, file: string, target: string, required: boolean): Promise<void> {
  if (await stat(target).then(() => true, () => false)) return
  const url = `${endpoint}/${id}/resolve/main/${file}`
  let response: Response
  try {
    response = await fetch(url)
  } catch (error) {
    throw new LsrError('not_found', `cannot download ${url}: ${(error as Error).message}`, { cause: error })
  }
  if (response.status === 404 && !required) return
  if (!response.ok || !response.body) {
    const hint = file.startsWith('onnx/') ? ' (the repository has no ONNX export: export it as the README shows, then use --model <folder>)' : ''
    throw new LsrError('not_found', `cannot download ${url}: HTTP ${response.status}${hint}`)
  }
  await mkdir(dirname(target), { recursive: true })
  const partial = `${target}.part`
  try {
    await pipeline(Readable.fromWeb(response.body as ReadableStream), createWriteStream(partial))
    await rename(partial, target)
  } finally {
    await rm(partial, { force: true })
  }
}
