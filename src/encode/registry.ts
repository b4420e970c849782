/**
 * Name-keyed registry of encoders. `resolveEncoderConfig` completes what a user gives (defaults,
 * model fingerprints) into the config an index stores; `createEncoder` turns a stored config back
 * into an encoder.
 * @module
 */
import { bm25Config, createBm25Encoder } from './bm25.js'
import type { Encoder, EncoderConfig } from './encoder.js'
import { createVectorsEncoder, vectorsConfig } from './vectors.js'
import { createNeuralEncoder, neuralConfig, type NeuralConfig, type NeuralRuntime, type NeuralSettings } from './neural/neural-encoder.js'
import { LsrError } from '../errors.js'

/** Settings that affect speed but not vectors (never stored). */
export type EncoderRuntime = NeuralRuntime

interface EncoderEntry {
  resolve(settings: EncoderConfig): Promise<EncoderConfig>
  create(config: EncoderConfig, runtime: EncoderRuntime): Encoder | Promise<Encoder>
}

// A Map: names come from users and clients ("__proto__" and "toString" are not encoders).
const ENCODERS = new Map<string, EncoderEntry>(Object.entries({
  bm25: {
    resolve: async (settings) => bm25Config(settings as { k1?: number; b?: number }),
    create: (config) => createBm25Encoder(bm25Config(config as { k1?: number; b?: number })),
  },
  vectors: {
    resolve: async (settings) => vectorsConfig(settings),
    create: (config) => createVectorsEncoder(vectorsConfig(config)),
  },
  neural: {
    resolve: (settings) => neuralConfig(settings as unknown as NeuralSettings),
    create: (config, runtime) => createNeuralEncoder(config as NeuralConfig, runtime),
  },
} satisfies Record<string, EncoderEntry>))

/** Names of the known encoders. */
export const ENCODER_NAMES: readonly string[] = [...ENCODERS.keys()]

function entry(name: unknown): EncoderEntry {
  const found = typeof name === 'string' ? ENCODERS.get(name) : undefined
  if (!found) throw new LsrError('invalid_argument', `unknown encoder ${JSON.stringify(name)} (known: ${ENCODER_NAMES.join(', ')})`)
  return found
}

/**
 * Completes user settings into the config an index stores.
 * @throws LsrError `invalid_argument` for an unknown name (listing the known ones) or bad settings
 */
export async function resolveEncoderConfig(settings: EncoderConfig): Promise<EncoderConfig> {
  return entry(settings.name).resolve(settings)
}

/** Builds the encoder a complete (stored) config names. */
export async function createEncoder(config: EncoderConfig, runtime: EncoderRuntime = {}): Promise<Encoder> {
  return entry(config.name).create(config, runtime)
}
