/**
 * The `neural` encoder: OpenSearch-style doc-only learned sparse models run through
 * Transformers.js (ONNX on CPU). Documents: tokenize with truncation, masked-LM logits, masked
 * max-pooling + activation (pooling.ts), special tokens zeroed, optional pruning. Queries: the
 * tokenizer only, each distinct token weighted by the model's IDF table (no model runs).
 * @module
 */
import { readFile, stat } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join, resolve } from 'node:path'
import { encoderInput, type EncodedDocument, type Encoder, type EncoderConfig, type QueryTerm, type SourceDocument } from '../encoder.js'
import { LsrError } from '../../errors.js'
import { fetchHubModel, isHubId } from './hub.js'
import { checkModelFolder, fingerprint, ONNX_FILE, QUERY_FILES, readIdfTable, type IdfSource, type ModelDtype } from './model-folder.js'
import { ACTIVATIONS, parsePruning, poolLogits, prune, type Activation, type Pruning, type SparseIds } from './pooling.js'

/** Settings of the `neural` encoder, as stored in the index. */
export interface NeuralConfig extends EncoderConfig {
  name: 'neural'
  /** Absolute path of the model folder. */
  model: string
  /** @default 'fp32' */
  dtype: ModelDtype
  /** Tokens per document (longer ones are truncated). @default min(512, the tokenizer's model_max_length) */
  maxLength: number
  /** @default from the folder's config.json `sparse_activation`, else `log1p_log1p_relu` for v3 models, else `log1p_relu` */
  activation: Activation
  /** @default none */
  pruning: Pruning
  /**
   * Long documents: absent = truncate to maxLength (the model cards' recipe); a number = encode
   * overlapping windows of maxLength - 2 tokens starting every `windowStride` tokens, and max-pool
   * the windows (exact: the activation is monotone, so the max of activations is the activation of the max).
   */
  windowStride?: number
  /** Where query token weights come from (read from the folder). */
  idf: IdfSource
  /** sha256 prefixes of the tokenizer + IDF files and of the ONNX file. */
  queryFingerprint: string
  modelFingerprint: string
}

/** What a user gives; the rest is read from the folder. */
export interface NeuralSettings {
  /** A model folder; with `fromHub`, a Hugging Face hub id (`org/name`) fetched into `hubCache`. */
  model: string
  /** Fetch `model` from the Hugging Face hub (or `HF_ENDPOINT`) unless already in `hubCache`. @default false */
  fromHub?: boolean
  /** @default 'index-data/models' */
  hubCache?: string
  dtype?: ModelDtype
  maxLength?: number
  activation?: Activation
  pruning?: Pruning | string
  /** Encode long documents as overlapping windows starting every this many tokens. */
  windowStride?: number
}

/** Settings that do not change the vectors, so they are not stored. */
export interface NeuralRuntime {
  /** onnxruntime intra-op threads. @default all cores */
  threads?: number
  /** Documents per forward pass. @default 8 */
  batchSize?: number
  /** Called with the milliseconds of each forward pass (for benchmarks). */
  onForwardPass?: (milliseconds: number, documents: number) => void
}

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>
}

/** Completes user settings from the model folder (reads it and fingerprints it). */
export async function neuralConfig(settings: NeuralSettings): Promise<NeuralConfig> {
  if (typeof settings.model !== 'string' || settings.model === '') throw new LsrError('invalid_argument', 'the neural encoder needs a model (--model <folder>)')
  const dtype = settings.dtype ?? 'fp32'
  if (dtype !== 'fp32' && dtype !== 'q8') throw new LsrError('invalid_argument', `dtype must be fp32 or q8, got ${dtype}`)
  const dir = resolve(settings.fromHub ? await hubModel(settings.model, dtype, settings.hubCache) : await localModel(settings.model))
  await checkModelFolder(dir, dtype)
  const config = await readJson(join(dir, 'config.json'))
  const tokenizerConfig = await readJson(join(dir, 'tokenizer_config.json'))
  const modelMax = Number(tokenizerConfig.model_max_length)
  const maxLength = settings.maxLength ?? (Number.isFinite(modelMax) && modelMax > 0 ? Math.min(512, modelMax) : 512)
  if (!Number.isInteger(maxLength) || maxLength < 2) throw new LsrError('invalid_argument', `maxLength must be an integer >= 2, got ${maxLength}`)
  const activation = settings.activation ?? defaultActivation(dir, config)
  if (!ACTIVATIONS.includes(activation)) throw new LsrError('invalid_argument', `activation must be one of ${ACTIVATIONS.join(', ')}, got ${activation}`)
  const pruning = settings.pruning === undefined ? { method: 'none' as const } : parsePruning(typeof settings.pruning === 'string' ? settings.pruning : pruningSpec(settings.pruning))
  const { windowStride } = settings
  if (windowStride !== undefined && !(Number.isInteger(windowStride) && windowStride >= 1 && windowStride <= maxLength - 2)) {
    throw new LsrError('invalid_argument', `windowStride must be an integer in [1, maxLength - 2 = ${maxLength - 2}], got ${windowStride}`)
  }
  return {
    name: 'neural',
    model: dir,
    dtype,
    maxLength,
    activation,
    pruning,
    ...(windowStride === undefined ? {} : { windowStride }),
    idf: (await readIdfTable(dir)).source,
    queryFingerprint: await fingerprint(dir, QUERY_FILES),
    modelFingerprint: await fingerprint(dir, [ONNX_FILE[dtype]]),
  }
}

/** A local model folder, which must exist (a hub id is fetched only when asked: `fromHub`). */
async function localModel(model: string): Promise<string> {
  if (await stat(model).then(() => true, () => false)) return model
  const hint = isHubId(model) ? ` (to download ${model} from the Hugging Face hub instead, set fromHub)` : ''
  throw new LsrError('not_found', `model folder ${model} does not exist${hint}`)
}

async function hubModel(id: string, dtype: ModelDtype, cacheDir = 'index-data/models'): Promise<string> {
  if (!isHubId(id)) throw new LsrError('invalid_argument', `"${id}" is not a Hugging Face hub id (org/name)`)
  return fetchHubModel(id, dtype, cacheDir)
}

/** A pruning object (`{method, ratio | k | threshold | alpha}`) as the spec string parsePruning checks. */
function pruningSpec(pruning: Pruning): string {
  if (typeof pruning !== 'object' || pruning === null || typeof pruning.method !== 'string') return String(pruning)
  const { method, ...rest } = pruning as { method: string; [key: string]: unknown }
  const values = Object.values(rest)
  return values.length === 0 ? method : `${method}:${values.length === 1 ? String(values[0]) : 'invalid'}`
}

/** v3 doc models use log(1 + log(1 + relu)); a folder may say so in config.json. */
function defaultActivation(dir: string, config: Record<string, unknown>): Activation {
  if (typeof config.sparse_activation === 'string') return config.sparse_activation as Activation
  return /doc-v3/.test(dir) ? 'log1p_log1p_relu' : 'log1p_relu'
}

type Transformers = typeof import('@huggingface/transformers')
type Tokenizer = Awaited<ReturnType<Transformers['AutoTokenizer']['from_pretrained']>>
type MaskedLM = Awaited<ReturnType<Transformers['AutoModelForMaskedLM']['from_pretrained']>>

/** Loads Transformers.js for local files only; a model id is then the folder's absolute path. */
async function transformers(): Promise<Transformers> {
  const library = await import('@huggingface/transformers')
  library.env.allowRemoteModels = false
  library.env.localModelPath = ''
  return library
}

/**
 * Builds the encoder from a complete config. Loads the tokenizer and the IDF table now (they must
 * still match the fingerprint); the ONNX model only when documents are first encoded.
 * @throws LsrError `encoder_mismatch` when the folder changed since the index was built
 */
export async function createNeuralEncoder(config: NeuralConfig, runtime: NeuralRuntime = {}): Promise<Encoder> {
  await checkModelFolder(config.model)
  if ((await fingerprint(config.model, QUERY_FILES)) !== config.queryFingerprint) {
    throw new LsrError('encoder_mismatch', `the tokenizer or IDF table in ${config.model} changed since the index was built (fingerprint ${config.queryFingerprint})`)
  }
  const library = await transformers()
  const tokenizer: Tokenizer = await library.AutoTokenizer.from_pretrained(config.model, { local_files_only: true })
  const { table } = await readIdfTable(config.model)
  const vocabulary = vocabOf(await readJson(join(config.model, 'tokenizer.json')))
  const special = new Uint8Array(vocabulary.length)
  for (const id of tokenizer.all_special_ids as number[]) if (id < special.length) special[id] = 1
  let model: Promise<MaskedLM> | undefined
  const padId = (tokenizer.pad_token_id as number | undefined) ?? 0

  /** Padded int64 tensors for a batch of token id lists. */
  const batchInputs = (lists: number[][]) => {
    const seq = Math.max(...lists.map((ids) => ids.length))
    const ids = new BigInt64Array(lists.length * seq).fill(BigInt(padId))
    const mask = new BigInt64Array(lists.length * seq)
    lists.forEach((list, b) => list.forEach((id, s) => {
      ids[b * seq + s] = BigInt(id)
      mask[b * seq + s] = 1n
    }))
    const dims = [lists.length, seq]
    return {
      input_ids: new library.Tensor('int64', ids, dims),
      attention_mask: new library.Tensor('int64', mask, dims),
      token_type_ids: new library.Tensor('int64', new BigInt64Array(lists.length * seq), dims),
    }
  }

  const loadModel = async (): Promise<MaskedLM> => {
    await checkModelFolder(config.model, config.dtype)
    if ((await fingerprint(config.model, [ONNX_FILE[config.dtype]])) !== config.modelFingerprint) {
      throw new LsrError('encoder_mismatch', `${ONNX_FILE[config.dtype]} in ${config.model} changed since the index was built (fingerprint ${config.modelFingerprint})`)
    }
    return library.AutoModelForMaskedLM.from_pretrained(config.model, {
      dtype: config.dtype,
      local_files_only: true,
      session_options: { intraOpNumThreads: runtime.threads ?? availableParallelism(), interOpNumThreads: 1 },
    })
  }

  const encoder: Encoder & { encodeTexts(texts: readonly string[]): Promise<EncodedDocument[]> } = {
    config,
    scoring: 'dot',
    // Encoding is slow: commit (and report progress) every 64 documents.
    commitSize: 64,
    async encodeDocuments(docs: readonly SourceDocument[]) {
      return encoder.encodeTexts(docs.map(encoderInput))
    },
    /** Encodes texts in length-sorted batches of token rows (one per text, or per window); results in input order. */
    async encodeTexts(texts: readonly string[]) {
      model ??= loadModel()
      const session = await model
      const rows: Array<{ text: number; ids: number[] }> = []
      texts.forEach((text, i) => {
        const ids = tokenizer.encode(text) as number[]
        const pieces = config.windowStride === undefined ? [truncate(ids, config.maxLength)] : windows(ids, config.maxLength, config.windowStride)
        for (const piece of pieces) rows.push({ text: i, ids: piece })
      })
      rows.sort((a, b) => a.ids.length - b.ids.length)
      const pooled: SparseIds[][] = texts.map(() => [])
      const batchSize = runtime.batchSize ?? 8
      for (let start = 0; start < rows.length; start += batchSize) {
        const batch = rows.slice(start, start + batchSize)
        const inputs = batchInputs(batch.map((row) => row.ids))
        const started = performance.now()
        const { logits } = (await session(inputs)) as { logits: { data: Float32Array; dims: number[] } }
        runtime.onForwardPass?.(performance.now() - started, batch.length)
        const [b, seq, vocab] = logits.dims
        poolLogits(logits.data, inputs.attention_mask.data, b, seq, vocab, config.activation, special).forEach((vector, j) => pooled[batch[j].text].push(vector))
      }
      return pooled.map((vectors) => {
        const { ids, weights } = prune(vectors.length === 1 ? vectors[0] : maxPool(vectors), config.pruning)
        return { terms: Array.from(ids, (id) => vocabulary[id]), values: Array.from(weights), length: 0 }
      })
    },
    // Each distinct token once, weighted by the IDF table (tokens it lacks or weighs 0 are left
    // out, as OpenSearch's query builder leaves them out: a feature query needs a positive weight);
    // with no table, weight 1 and the scorer applies the corpus IDF.
    encodeQuery(text: string): QueryTerm[] {
      const tokens = [...new Set(tokenizer.tokenize(text) as string[])]
      if (!table) return tokens.map((term) => ({ term, weight: 1 }))
      return tokens.flatMap((term) => {
        const weight = table.get(term) ?? 0
        return weight > 0 ? [{ term, weight }] : []
      })
    },
    wordTerms: (word: string) => tokenizer.tokenize(word) as string[],
  }
  return encoder
}

/**
 * Truncates `[CLS] tokens... [SEP]` to `maxLength`, keeping the closing special token as Hugging
 * Face's Python tokenizers do (Transformers.js 4's own truncation cuts it off; the goldens caught it).
 */
function truncate(ids: number[], maxLength: number): number[] {
  return ids.length <= maxLength ? ids : [...ids.slice(0, maxLength - 1), ids[ids.length - 1]]
}

/**
 * Overlapping windows of `[CLS] tokens... [SEP]`: maxLength - 2 tokens each, starting every
 * `stride` tokens, until a window reaches the end.
 */
function windows(ids: number[], maxLength: number, stride: number): number[][] {
  if (ids.length <= maxLength) return [ids]
  const [open, close] = [ids[0], ids[ids.length - 1]]
  const content = ids.slice(1, -1)
  const size = maxLength - 2
  const out: number[][] = []
  for (let start = 0; ; start += stride) {
    out.push([open, ...content.slice(start, start + size), close])
    if (start + size >= content.length) return out
  }
}

/** Element-wise maximum of sparse vectors (ascending ids in, ascending ids out). */
function maxPool(vectors: SparseIds[]): SparseIds {
  const merged = new Map<number, number>()
  for (const { ids, weights } of vectors) ids.forEach((id, i) => merged.set(id, Math.max(merged.get(id) ?? 0, weights[i])))
  const ids = Uint32Array.from([...merged.keys()].sort((a, b) => a - b))
  return { ids, weights: Float32Array.from(ids, (id) => merged.get(id)!) }
}

/** id -> token from a tokenizer.json WordPiece/BPE vocabulary (plus added tokens). */
function vocabOf(tokenizerJson: Record<string, unknown>): string[] {
  const model = tokenizerJson.model as { vocab?: Record<string, number> | Array<[string, number]> } | undefined
  const vocab: string[] = []
  const entries = Array.isArray(model?.vocab) ? model.vocab.map(([t], i) => [t, i] as const) : Object.entries(model?.vocab ?? {})
  for (const [token, id] of entries) vocab[id] = token
  for (const added of (tokenizerJson.added_tokens ?? []) as Array<{ id: number; content: string }>) vocab[added.id] = added.content
  return vocab
}
