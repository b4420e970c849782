/**
 * BEIR datasets by folder or by name. A name is downloaded once from BEIR's public URL into a
 * cache folder, unzipped with `yauzl` (which rejects absolute and `..` entry paths), and reused.
 * Downloads and extraction go to temporary names first, so an interrupted one leaves no half
 * dataset behind.
 * @module
 */
import { createWriteStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join, resolve, sep } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import yauzl from 'yauzl'
import { LsrError } from '../errors.js'

/** Where BEIR publishes its datasets as `<name>.zip`. */
export const BEIR_BASE_URL = 'https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets'

const DATASET_NAME = /^[a-z0-9][a-z0-9._-]*$/

export interface DatasetOptions {
  /** Cache folder for downloaded datasets. */
  cacheDir: string
  /** @default BEIR_BASE_URL */
  baseUrl?: string
  /** Download progress in bytes (`total` is 0 when the server sends no length). */
  onDownload?: (received: number, total: number) => void
}

export interface ResolvedDataset {
  name: string
  dir: string
  downloaded: boolean
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false)
}

/**
 * Resolves a dataset folder path, or a BEIR dataset name (downloading it if not cached).
 * @throws LsrError `not_found` for a name the server does not have, naming the URL
 */
export async function resolveDataset(spec: string, options: DatasetOptions): Promise<ResolvedDataset> {
  if (await exists(spec)) return { name: basename(resolve(spec)), dir: spec, downloaded: false }
  if (!DATASET_NAME.test(spec)) throw new LsrError('not_found', `${spec}: no such dataset folder`)
  const dir = join(options.cacheDir, spec)
  if (await exists(join(dir, 'queries.jsonl'))) return { name: spec, dir, downloaded: false }

  await mkdir(options.cacheDir, { recursive: true })
  const url = `${options.baseUrl ?? BEIR_BASE_URL}/${spec}.zip`
  const zip = join(options.cacheDir, `.${spec}.zip.part`)
  const staging = join(options.cacheDir, `.${spec}.extracting`)
  try {
    await download(url, zip, options.onDownload)
    await rm(staging, { recursive: true, force: true })
    await extractZip(zip, staging)
    // BEIR's zips hold one top-level folder named after the dataset.
    const inner = (await exists(join(staging, spec, 'queries.jsonl'))) ? join(staging, spec) : staging
    if (!(await exists(join(inner, 'queries.jsonl')))) throw new LsrError('invalid_input', `${url}: the zip holds no ${spec}/queries.jsonl`)
    await rename(inner, dir)
  } finally {
    await rm(zip, { force: true })
    await rm(staging, { recursive: true, force: true })
  }
  return { name: spec, dir, downloaded: true }
}

async function download(url: string, file: string, onProgress?: (received: number, total: number) => void): Promise<void> {
  let response: Response
  try {
    response = await fetch(url)
  } catch (error) {
    throw new LsrError('not_found', `cannot download ${url}: ${(error as Error).message}`, { cause: error })
  }
  if (!response.ok || !response.body) {
    throw new LsrError('not_found', `cannot download ${url}: HTTP ${response.status}${response.status === 404 ? ' (unknown dataset?)' : ''}`)
  }
  const total = Number(response.headers.get('content-length') ?? 0)
  let received = 0
  const body = Readable.fromWeb(response.body as import('node:stream/web').ReadableStream)
  body.on('data', (chunk: Buffer) => onProgress?.((received += chunk.length), total))
  await pipeline(body, createWriteStream(file))
}

/** Extracts every file of a zip under `target`, refusing entries that would land outside it. */
export async function extractZip(zip: string, target: string): Promise<void> {
  const root = resolve(target)
  const archive = await yauzl.openPromise(zip, { lazyEntries: true, strictFileNames: false })
  try {
    for await (const entry of archive.eachEntry()) {
      const path = resolve(root, entry.fileName)
      if (path !== root && !path.startsWith(root + sep)) throw new LsrError('invalid_input', `${zip}: entry ${entry.fileName} escapes the target folder`)
      if (entry.fileName.endsWith('/')) {
        await mkdir(path, { recursive: true })
        continue
      }
      await mkdir(dirname(path), { recursive: true })
      await pipeline(await archive.openReadStreamPromise(entry), createWriteStream(path))
    }
  } finally {
    archive.close()
  }
}
