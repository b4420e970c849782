/**
 * Encoder flags shared by `lsr index` and `lsr eval`.
 * @module
 */
import { existsSync } from 'node:fs'
import type { Command } from 'commander'
import type { EncoderConfig } from '../encode/encoder.js'
import { isHubId } from '../encode/neural/hub.js'
import type { EncoderRuntime } from '../encode/registry.js'
import { LsrError } from '../errors.js'
import { parseNumber, parsePositiveInt } from './format.js'

export interface EncoderFlags {
  encoder?: string
  k1?: number
  b?: number
  model?: string
  hub?: boolean
  dtype?: string
  maxLength?: number
  activation?: string
  prune?: string
  windowStride?: number
  threads?: number
  batchSize?: number
}

/**
 * Adds the encoder flags (bm25 and neural) and the encoding speed flags.
 * @param allowNone - `--encoder none` is a choice (an index of mapped fields only)
 */
export function addEncoderOptions(command: Command, { allowNone = false } = {}): Command {
  const none = allowNone ? ' | none (mapped fields only; the default with --mapping)' : ''
  return command
    .option('--encoder <name>', `document encoder of title + text for a new index: bm25 | neural${none}`)
    .option('--k1 <k1>', 'bm25: k1 (default 0.9)', parseNumber('--k1'))
    .option('--b <b>', 'bm25: b (default 0.4)', parseNumber('--b'))
    .option('--model <dir>', 'neural: model folder (Hugging Face layout with onnx/)')
    .option('--hub', 'neural: fetch --model <org/name> from the Hugging Face hub (or HF_ENDPOINT) into index-data/models')
    .option('--dtype <dtype>', 'neural: fp32 (onnx/model.onnx) | q8 (onnx/model_quantized.onnx) (default fp32)')
    .option('--max-length <n>', 'neural: tokens per document, longer ones truncated (default min(512, model max))', parsePositiveInt('--max-length'))
    .option('--activation <name>', 'neural: log1p_relu (v1/v2) | log1p_log1p_relu (v3) (default: from the model folder)')
    .option('--prune <spec>', 'neural: none | max_ratio:R | top_k:K | abs_value:T | alpha_mass:A (default none)')
    .option('--window-stride <n>', 'neural: encode long documents as overlapping windows every n tokens, max-pooled (default: truncate)', parsePositiveInt('--window-stride'))
    .option('--threads <n>', 'neural: onnxruntime intra-op threads (default: all cores); other encoders: worker threads that parse and encode the corpus (default 1)', parsePositiveInt('--threads'))
    .option('--batch-size <n>', 'neural: documents per forward pass (default 8)', parsePositiveInt('--batch-size'))
}

/**
 * The encoder settings the user asked for: null for `--encoder none` (only where the command
 * allows it), undefined when no flag names one (a new index gets the default, an existing one keeps its own).
 */
export function requestedEncoder(flags: EncoderFlags): EncoderConfig | null | undefined {
  const neural = [flags.model, flags.hub, flags.dtype, flags.maxLength, flags.activation, flags.prune, flags.windowStride].some((flag) => flag !== undefined)
  const bm25 = flags.k1 !== undefined || flags.b !== undefined
  if (flags.encoder === undefined && !neural && !bm25) return undefined
  const name = flags.encoder ?? (neural ? 'neural' : 'bm25')
  if (name === 'none') {
    if (neural || bm25) throw new LsrError('invalid_argument', '--encoder none takes no encoder settings (--k1, --b, --model, ...)')
    return null
  }
  if (name === 'bm25') {
    if (neural) throw new LsrError('invalid_argument', '--model, --hub, --dtype, --max-length, --activation, --prune and --window-stride apply to --encoder neural')
    return { name, k1: flags.k1, b: flags.b }
  }
  if (bm25) throw new LsrError('invalid_argument', '--k1 and --b apply to --encoder bm25')
  if (name === 'neural' && flags.model === undefined) {
    throw new LsrError('invalid_argument', flags.hub ? '--hub needs --model <org/name>' : '--encoder neural needs --model <dir>')
  }
  if (flags.model !== undefined) checkModel(flags.model, flags.hub === true)
  return { name, model: flags.model, ...(flags.hub ? { fromHub: true } : {}), dtype: flags.dtype, maxLength: flags.maxLength, activation: flags.activation, pruning: flags.prune, windowStride: flags.windowStride }
}

/**
 * `--model` is a local folder, which must exist, unless `--hub` makes it a hub id. Without this
 * check a missing `models/name` folder looked like an `org/name` id and ended in a failed download.
 */
function checkModel(model: string, hub: boolean): void {
  if (hub) {
    if (!isHubId(model)) throw new LsrError('invalid_argument', `--hub takes a Hugging Face model id org/name, got "${model}"`)
  } else if (!existsSync(model)) {
    throw new LsrError('not_found', `model folder ${model} does not exist (to fetch a Hugging Face hub model into index-data/models instead, give its org/name with --hub)`)
  }
}

/** Speed settings of the encoder. */
export function encoderRuntime(flags: EncoderFlags): EncoderRuntime {
  return { threads: flags.threads, batchSize: flags.batchSize }
}
