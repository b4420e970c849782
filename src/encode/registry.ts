/**
 * Name-keyed registry of encoders: turns a stored {@link EncoderConfig} back into an encoder.
 * @module
 */
import { bm25Config, createBm25Encoder } from './bm25.js'
import type { Encoder, EncoderConfig } from './encoder.js'
import { LsrError } from '../errors.js'

type EncoderFactory = (config: EncoderConfig) => Encoder | Promise<Encoder>

const ENCODERS: Record<string, EncoderFactory> = {
  bm25: (config) => createBm25Encoder(bm25Config(config as { k1?: number; b?: number })),
}

/** Names of the known encoders. */
export const ENCODER_NAMES: readonly string[] = Object.keys(ENCODERS)

/**
 * Builds the encoder a config names.
 * @throws LsrError `invalid_argument` for an unknown name, listing the known ones
 */
export async function createEncoder(config: EncoderConfig): Promise<Encoder> {
  const factory = ENCODERS[config.name]
  if (!factory) {
    throw new LsrError('invalid_argument', `unknown encoder "${config.name}" (known: ${ENCODER_NAMES.join(', ')})`)
  }
  return factory(config)
}
