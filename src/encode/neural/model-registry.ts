/**
 * The neural models a server offers, by model id: the name of a folder inside its models folder
 * (`name`, or `org/name` for a sub-folder), never a path. What OpenSearch's ML plugin calls a
 * deployed model: ingest pipelines encode documents with it, queries tokenize with it.
 *
 * A model's tokenizer and IDF table load on first use (once: concurrent callers share the load);
 * its ONNX model only when documents are first encoded. Errors name the model, never its folder.
 * @module
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import type { EncodedDocument, Encoder, QueryTerm } from '../encoder.js'
import { LsrError } from '../../errors.js'
import { fingerprint, ONNX_FILE, QUERY_FILES, readIdfTable, type IdfSource, type ModelDtype } from './model-folder.js'
import { createNeuralEncoder, neuralConfig, type NeuralConfig, type NeuralRuntime } from './neural-encoder.js'

/** A loaded model: the query side at once, the document side on first use. */
export interface SparseModel {
  readonly id: string
  /** Where query token weights come from (`corpus`: the folder has no IDF table). */
  readonly idf: IdfSource
  /** Each distinct token of the text, weighted by the IDF table (see the neural encoder). */
  encodeQuery(text: string): QueryTerm[]
  /** The tokens one word maps to (for highlighting). */
  wordTerms(word: string): string[]
  /** Unpruned document vectors, in input order, batched. */
  encodeTexts(texts: readonly string[]): Promise<EncodedDocument[]>
  /** OpenSearch's built-in inference-free analyzer its tokenizer is (`bert-uncased`, `mbert-uncased`), if any. */
  readonly analyzer?: InferenceFreeAnalyzer
}

/** OpenSearch's inference-free query analyzers: the tokenizers of bert-base-uncased and bert-base-multilingual-uncased. */
export type InferenceFreeAnalyzer = 'bert-uncased' | 'mbert-uncased'

/** Vocabulary sizes of those tokenizers (lowercasing WordPiece). */
const ANALYZER_VOCABULARIES: ReadonlyArray<[InferenceFreeAnalyzer, number]> = [['bert-uncased', 30_522], ['mbert-uncased', 105_879]]

/**
 * OpenSearch's model algorithms: `SPARSE_ENCODING` encodes documents (the folder has an ONNX
 * model), `SPARSE_TOKENIZE` only tokenizes and weights by IDF (a tokenizer without a model).
 */
export type ModelAlgorithm = 'SPARSE_ENCODING' | 'SPARSE_TOKENIZE'

/** What a listing shows of a model: nothing of where it lives. */
export interface ModelInfo {
  id: string
  algorithm: ModelAlgorithm
  idf: IdfSource
  /** The ONNX weights present (`fp32`: onnx/model.onnx, `q8`: onnx/model_quantized.onnx); fp32 is used when both are. */
  dtypes: ModelDtype[]
  /** config.json's `model_type` (bert, distilbert, ...), when it has one. */
  modelType?: string
}

/** `name` or `org/name`, each part starting with a letter or digit: never absolute, never `..`. */
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)?$/

/** Why a string cannot be a model id, or undefined when it can. */
export function modelIdProblem(id: unknown): string | undefined {
  if (typeof id !== 'string' || !MODEL_ID.test(id) || id.includes('..')) {
    return 'a model id names a folder in the server\'s models folder ("name" or "org/name": letters, digits, ".", "_", "-")'
  }
  return undefined
}

const isFile = (path: string) => stat(path).then((s) => s.isFile(), () => false)
const isDirectory = (path: string) => stat(path).then((s) => s.isDirectory(), () => false)

export class ModelRegistry {
  readonly #dir: string | undefined
  readonly #runtime: NeuralRuntime
  readonly #loading = new Map<string, Promise<SparseModel>>()
  readonly #loaded = new Map<string, SparseModel>()

  /**
   * @param dir - the models folder; without one, every model id is unknown
   * @param runtime - onnxruntime threads and documents per forward pass
   */
  constructor(dir: string | undefined, runtime: NeuralRuntime = {}) {
    this.#dir = dir === undefined ? undefined : resolve(dir)
    this.#runtime = runtime
  }

  /**
   * Loads (once, cached; concurrent callers share one load) the model.
   * @throws LsrError `invalid_argument` naming the model when it is unknown, incomplete, or there is no models folder
   */
  model(id: string): Promise<SparseModel> {
    let loading = this.#loading.get(id)
    if (!loading) {
      loading = this.#load(id).then((model) => {
        this.#loaded.set(id, model)
        return model
      })
      // A failed load is not remembered: the folder may be completed later.
      loading.catch(() => this.#loading.get(id) === loading && this.#loading.delete(id))
      this.#loading.set(id, loading)
    }
    return loading
  }

  /** The model if already loaded (sync, for query compilation after {@link model} was awaited). */
  loaded(id: string): SparseModel | undefined {
    return this.#loaded.get(id)
  }

  /** What one model is, without loading it. @throws LsrError `invalid_argument` as {@link model} */
  async info(id: string): Promise<ModelInfo> {
    const info = await describeFolder(id, await this.#folder(id))
    if (!info) throw unknownModel(id, 'its folder holds no tokenizer.json')
    return info
  }

  /** Every model in the models folder (what `GET /_plugins/_ml/models` shows), sorted by id. */
  async list(): Promise<ModelInfo[]> {
    if (this.#dir === undefined) return []
    const found: ModelInfo[] = []
    const visit = async (dir: string, prefix: string, depth: number) => {
      for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
        const id = prefix + entry.name
        if (!entry.isDirectory() || modelIdProblem(id) !== undefined) continue
        const info = await describeFolder(id, join(dir, entry.name))
        if (info) found.push(info)
        else if (depth === 0) await visit(join(dir, entry.name), `${id}/`, 1)
      }
    }
    await visit(this.#dir, '', 0)
    return found.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  }

  /** The folder of a valid model id that exists. */
  async #folder(id: string): Promise<string> {
    const problem = modelIdProblem(id)
    if (problem !== undefined) throw new LsrError('invalid_argument', `model [${String(id)}] is not a model id: ${problem}`)
    if (this.#dir === undefined) throw unknownModel(id, 'this server has no models folder (start it with --models <dir>)')
    const folder = join(this.#dir, id)
    if (!(await isDirectory(folder))) throw unknownModel(id, 'no such folder in the models folder')
    return folder
  }

  async #load(id: string): Promise<SparseModel> {
    const folder = await this.#folder(id)
    try {
      const info = await describeFolder(id, folder)
      if (!info) throw unknownModel(id, 'its folder holds no tokenizer.json')
      const config = info.dtypes.length > 0 ? await neuralConfig({ model: folder, dtype: info.dtypes[0] }) : await tokenizerConfig(folder)
      const encoder = (await createNeuralEncoder(config, this.#runtime)) as Encoder & Pick<SparseModel, 'encodeTexts'>
      const encodeTexts = info.algorithm === 'SPARSE_ENCODING'
        ? (texts: readonly string[]) => encoder.encodeTexts(texts).catch((error: unknown) => { throw namedError(error, folder, id, false) })
        : () => Promise.reject(new LsrError('invalid_argument', `model [${id}] is a tokenizer (SPARSE_TOKENIZE): it has no ONNX model to encode documents with`))
      const analyzer = await analyzerOf(folder)
      return {
        id,
        idf: config.idf,
        ...(analyzer ? { analyzer } : {}),
        encodeQuery: (text) => encoder.encodeQuery(text),
        wordTerms: (word) => encoder.wordTerms(word),
        encodeTexts,
      }
    } catch (error) {
      throw namedError(error, folder, id, true)
    }
  }
}

/** The inference-free analyzer a folder's tokenizer is: a lowercasing WordPiece tokenizer of that vocabulary size. */
async function analyzerOf(folder: string): Promise<InferenceFreeAnalyzer | undefined> {
  const tokenizer = JSON.parse(await readFile(join(folder, 'tokenizer.json'), 'utf8')) as { normalizer?: { lowercase?: boolean }; model?: { type?: string; vocab?: object } }
  if (tokenizer.model?.type !== 'WordPiece' || tokenizer.normalizer?.lowercase !== true) return undefined
  const size = Object.keys(tokenizer.model.vocab ?? {}).length
  return ANALYZER_VOCABULARIES.find(([, vocabulary]) => vocabulary === size)?.[0]
}

/** A model id that names no model of the models folder (code `invalid_argument`). */
export class UnknownModelError extends LsrError {
  constructor(
    readonly modelId: string,
    why: string,
  ) {
    super('invalid_argument', `model [${modelId}] is unknown: ${why}`)
    this.name = 'UnknownModelError'
  }
}

const unknownModel = (id: string, why: string) => new UnknownModelError(id, why)

/**
 * A failure as an error naming the model: the folder's path, which the encoder's messages show,
 * is replaced by the model id. Loading, any failure is the client's model id being unusable
 * (`invalid_argument`); encoding, an error keeps its kind.
 */
function namedError(error: unknown, folder: string, id: string, loading: boolean): Error {
  if (error instanceof UnknownModelError) return error
  const message = String((error as Error)?.message ?? error).replaceAll(folder, id)
  const named = message.includes(id) ? message : `model [${id}]: ${message}`
  if (loading || error instanceof LsrError) return new LsrError(loading ? 'invalid_argument' : (error as LsrError).code, named, { cause: error })
  return new Error(named, { cause: error })
}

/** A model folder's kind and contents (no file is parsed but config.json), or undefined when it holds no tokenizer. */
async function describeFolder(id: string, folder: string): Promise<ModelInfo | undefined> {
  if (!(await isFile(join(folder, 'tokenizer.json')))) return undefined
  const present: ModelDtype[] = []
  for (const dtype of ['fp32', 'q8'] as const) if (await isFile(join(folder, ONNX_FILE[dtype]))) present.push(dtype)
  const config = await readFile(join(folder, 'config.json'), 'utf8').then((text) => JSON.parse(text) as Record<string, unknown>, () => ({} as Record<string, unknown>))
  // readIdfTable's order of precedence, without parsing the table.
  const idf: IdfSource = (await isFile(join(folder, 'idf.json'))) ? 'idf.json' : (await isFile(join(folder, 'query_token_weights.txt'))) ? 'query_token_weights.txt' : 'corpus'
  return {
    id,
    algorithm: present.length > 0 ? 'SPARSE_ENCODING' : 'SPARSE_TOKENIZE',
    idf,
    dtypes: present,
    ...(typeof config.model_type === 'string' ? { modelType: config.model_type } : {}),
  }
}

/**
 * The config of a folder without ONNX weights (a tokenizer with an IDF table): enough for the
 * query side, which is all such a model does. neuralConfig would refuse it for lack of a model.
 */
async function tokenizerConfig(folder: string): Promise<NeuralConfig> {
  return {
    name: 'neural',
    model: folder,
    dtype: 'fp32',
    maxLength: 512,
    activation: 'log1p_relu',
    pruning: { method: 'none' },
    idf: (await readIdfTable(folder)).source,
    queryFingerprint: await fingerprint(folder, QUERY_FILES),
    modelFingerprint: '',
  }
}
