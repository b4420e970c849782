/**
 * The pipelines an index names, as a cluster takes them: each ingest pipeline's body for
 * `PUT _ingest/pipeline/{id}`, each search pipeline's for `PUT _search/pipeline/{id}` (OpenSearch
 * ≥ 2.9; Elasticsearch has none), both as lsr's server stored them (the bodies it was given), and
 * the index settings that name them, for `PUT /{index}/_settings` once the documents are loaded:
 * the documents are exported as their pipelines already made them, and a default or final
 * pipeline in place during the load would run again (a `sparse_encoding` processor re-encoding
 * every document). A `model_id` in a pipeline is lsr's model name: on OpenSearch it must name a
 * model deployed there (its id is the cluster's), which the user edits in.
 *
 * lsr's server keeps the definitions in its data directory (the index folder's parent), one JSON
 * file per kind, `{"<id>": definition}` (src/server/pipelines.ts, search-pipelines.ts).
 * @module
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Json } from '../json-shapes.js'
import { LsrError } from '../../errors.js'
import type { IndexPipelines } from '../../storage/format.js'

/** The files of lsr's server's pipeline stores in its data directory. */
export const INGEST_PIPELINES_FILE = '_ingest_pipelines.json'
export const SEARCH_PIPELINES_FILE = '_search_pipelines.json'

/** Pipeline definitions by id. */
export type PipelineDefinitions = Record<string, Json>

/** What `pipelines.json` holds. */
export interface ExportedPipelines {
  /** `PUT _ingest/pipeline/{id}` bodies. */
  ingest: PipelineDefinitions
  /** `PUT _search/pipeline/{id}` bodies. */
  search: PipelineDefinitions
  /** The `PUT /{index}/_settings` body naming them, to apply after the documents are loaded; absent when the index names none. */
  settings?: { index: Record<string, string> }
  /** Pipelines the index names that the data directory does not define (the index's writes fail in lsr too). */
  missing?: string[]
}

/** The setting that names each kind of pipeline. */
const SETTINGS: ReadonlyArray<[keyof IndexPipelines, string, 'ingest' | 'search']> = [
  ['default', 'default_pipeline', 'ingest'],
  ['final', 'final_pipeline', 'ingest'],
  ['search', 'search.default_pipeline', 'search'],
]

/** The named pipelines' definitions, picked from everything a server defines. */
export function exportPipelines(named: IndexPipelines | undefined, defined: { ingest: PipelineDefinitions; search: PipelineDefinitions }): ExportedPipelines {
  const exported: ExportedPipelines = { ingest: {}, search: {} }
  const settings: Record<string, string> = {}
  const missing: string[] = []
  for (const [kind, setting, store] of SETTINGS) {
    const id = named?.[kind]
    // `_none` names no pipeline (lsr and Elasticsearch).
    if (id === undefined || id === '_none') continue
    settings[setting] = id
    if (Object.hasOwn(defined[store], id)) exported[store][id] = defined[store][id]
    else missing.push(`${store} pipeline [${id}]`)
  }
  if (Object.keys(settings).length > 0) exported.settings = { index: settings }
  if (missing.length > 0) exported.missing = missing
  return exported
}

/** The pipelines a server keeps in `dataDir` (none where a file is absent). */
export async function readPipelineDefinitions(dataDir: string): Promise<{ ingest: PipelineDefinitions; search: PipelineDefinitions }> {
  const read = async (file: string): Promise<PipelineDefinitions> => {
    let text: string
    try {
      text = await readFile(join(dataDir, file), 'utf8')
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {}
      throw error
    }
    try {
      const parsed = JSON.parse(text) as unknown
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object')
      return parsed as PipelineDefinitions
    } catch (error) {
      throw new LsrError('invalid_input', `${join(dataDir, file)}: not a pipeline file (${(error as Error).message})`)
    }
  }
  const [ingest, search] = await Promise.all([read(INGEST_PIPELINES_FILE), read(SEARCH_PIPELINES_FILE)])
  return { ingest, search }
}
