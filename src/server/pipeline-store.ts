/**
 * Named pipelines kept by the server in one JSON file of its data directory
 * (`<data>/_ingest_pipelines.json`: `{"<id>": definition}`), rewritten whole on each change:
 * written to a temporary file, synced, then renamed over the old one, so a crash leaves either
 * the old file or the new one. The index registry never takes it for an index (it looks at
 * folders only, and index names cannot start with `_`).
 *
 * Generic over what a definition becomes (an ingest pipeline; a search pipeline could share it):
 * a definition is built with its checks (models loaded) when it is put, and parsed without them
 * when the file is read at startup.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomically } from './atomic-file.js'
import { LsrError } from '../errors.js'
import { isObject, type Json } from '../engine/json-shapes.js'
import { badRequest, HttpError } from './http-error.js'
import { wildcardMatcher } from './json.js'
import { KeyedSerializer } from './keyed.js'
import { acceptsParams, NO_EFFECT_ON_ONE_NODE } from './url-params.js'
import type { Context, Hono } from 'hono'
import type { AppEnv } from './app.js'

// Expression syntax (`,`, `*`), path and control characters; a leading `_` is reserved (`_simulate`, `_none`).
const FORBIDDEN = /[\\/*?"<>|,#\s\u0000-\u001f\u007f-\u009f]/
const MAX_ID_BYTES = 512

/** Why a string cannot be a pipeline id, or undefined when it can. */
export function pipelineIdProblem(id: string): string | undefined {
  if (id === '') return 'must not be empty'
  if (id.startsWith('_')) return 'must not start with "_"'
  if (FORBIDDEN.test(id)) return 'must not contain \\, /, *, ?, ", <, >, |, ",", "#", whitespace or control characters'
  if (Buffer.byteLength(id) > MAX_ID_BYTES) return `is longer than ${MAX_ID_BYTES} bytes`
  return undefined
}

/** How a store turns definitions into pipelines. */
export interface PipelineKind<P> {
  /** What messages call one: `pipeline`. */
  what: string
  /** A definition being put: every check (models loaded). */
  create(definition: Json): Promise<P>
  /** A stored definition, at startup: parsed, not checked against models. */
  parse(definition: Json): P
}

interface Stored<P> {
  definition: Json
  /** The pipeline, or why a stored definition no longer parses. */
  pipeline: P | LsrError
}

export class PipelineStore<P> {
  readonly #file: string
  /** How messages name the file: never by its path. */
  readonly #shown: string
  readonly #writes = new KeyedSerializer()
  #pipelines: Promise<Map<string, Stored<P>>> | undefined

  /**
   * @param dataDir - the server's data directory
   * @param fileName - the store's file in it: `_ingest_pipelines.json`
   */
  constructor(
    dataDir: string,
    fileName: string,
    private readonly kind: PipelineKind<P>,
  ) {
    this.#file = join(dataDir, fileName)
    this.#shown = `<data>/${fileName}`
  }

  /**
   * The pipeline of an id; undefined when there is none.
   * @throws LsrError `invalid_argument` when its stored definition no longer parses
   */
  async get(id: string): Promise<P | undefined> {
    const stored = (await this.#load()).get(id)
    if (stored?.pipeline instanceof LsrError) throw new LsrError('invalid_argument', `${this.kind.what} [${id}] cannot run: ${stored.pipeline.message}`)
    return stored?.pipeline
  }

  /** Definitions an expression selects (`a,b`, `logs-*`, `*`; none: all), by id. */
  async select(expression?: string): Promise<Array<[string, Json]>> {
    const all = await this.#load()
    const matches = this.#matcher(expression)
    return [...all].filter(([id]) => matches(id)).map(([id, { definition }]) => [id, definition])
  }

  /**
   * Builds and stores a pipeline (replacing one of the same id).
   * @throws HttpError 400 for a bad id; LsrError `invalid_argument` for a bad definition (nothing stored)
   */
  async put(id: string, definition: Json): Promise<void> {
    const problem = pipelineIdProblem(id)
    if (problem !== undefined) throw badRequest(`Invalid ${this.kind.what} id [${id}], ${problem}`)
    const pipeline = await this.kind.create(definition)
    await this.#change((all) => all.set(id, { definition, pipeline }))
  }

  /**
   * Deletes the pipelines an expression selects.
   * @throws HttpError 404 `resource_not_found_exception` when it selects none
   */
  async delete(expression: string): Promise<void> {
    const matches = this.#matcher(expression)
    await this.#change((all) => {
      const ids = [...all.keys()].filter(matches)
      if (ids.length === 0) throw new HttpError(404, 'resource_not_found_exception', `${this.kind.what} [${expression}] is missing`)
      for (const id of ids) all.delete(id)
    })
  }

  #matcher(expression: string | undefined): (id: string) => boolean {
    if (expression === undefined || expression === '*' || expression === '_all') return () => true
    const parts = expression.split(',').map((part) => (part.includes('*') ? wildcardMatcher(part, this.kind.what) : (id: string) => id === part))
    return (id) => parts.some((matches) => matches(id))
  }

  /** Applies a change to a copy and writes it; the change is kept only once the file is written. */
  #change(change: (all: Map<string, Stored<P>>) => void): Promise<void> {
    return this.#writes.run('file', async () => {
      const next = new Map(await this.#load())
      change(next)
      await this.#write(next)
      this.#pipelines = Promise.resolve(next)
    })
  }

  async #write(all: Map<string, Stored<P>>): Promise<void> {
    const text = JSON.stringify(Object.fromEntries([...all].map(([id, { definition }]) => [id, definition])), null, 1)
    await writeFileAtomically(this.#file, text)
  }

  #load(): Promise<Map<string, Stored<P>>> {
    this.#pipelines ??= (async () => {
      const text = await readFile(this.#file, 'utf8').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return '{}'
        throw error
      })
      let parsed: unknown
      try {
        parsed = JSON.parse(text)
      } catch (error) {
        throw new LsrError('data_corruption', `${this.#shown} is not valid JSON: ${(error as Error).message}`)
      }
      if (!isObject(parsed)) throw new LsrError('data_corruption', `${this.#shown} does not hold an object of ${this.kind.what}s`)
      const all = new Map<string, Stored<P>>()
      for (const [id, definition] of Object.entries(parsed)) all.set(id, { definition: definition as Json, pipeline: this.#parse(definition as Json) })
      return all
    })()
    // A failed read is not remembered: the next request tries again.
    this.#pipelines.catch(() => (this.#pipelines = undefined))
    return this.#pipelines
  }

  #parse(definition: Json): P | LsrError {
    try {
      return this.kind.parse(definition)
    } catch (error) {
      return error instanceof LsrError ? error : new LsrError('invalid_argument', String((error as Error)?.message ?? error))
    }
  }
}

/**
 * The routes of a store: `GET {base}` (all), `GET {base}/{ids}` (comma lists, `*`), `PUT` and
 * `DELETE {base}/{id}`, answered as Elasticsearch and OpenSearch answer them.
 */
export function pipelineRoutes<P>(app: Hono<AppEnv>, base: string, store: PipelineStore<P>, jsonBody: (c: Context<AppEnv>, required?: boolean) => Promise<Json>): void {
  const listed = async (c: Context<AppEnv>, expression?: string) => {
    const found = await store.select(expression)
    // Both answer 404 with an empty object when nothing matches.
    return c.json(Object.fromEntries(found), found.length === 0 ? 404 : 200)
  }
  const params = acceptsParams(...NO_EFFECT_ON_ONE_NODE)
  app.get(base, params, (c) => listed(c))
  app.get(`${base}/:id`, params, (c) => listed(c, c.req.param('id')))
  app.put(`${base}/:id`, params, async (c) => {
    await store.put(c.req.param('id'), await jsonBody(c, true))
    return c.json({ acknowledged: true })
  })
  app.delete(`${base}/:id`, params, async (c) => {
    await store.delete(c.req.param('id'))
    return c.json({ acknowledged: true })
  })
}
