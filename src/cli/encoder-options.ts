/**
 * Encoder flags shared by `lsr index` and `lsr eval`.
 * @module
 */
import type { Command } from 'commander'
import { bm25Config } from '../encode/bm25.js'
import type { EncoderConfig } from '../encode/encoder.js'
import { parseNumber } from './format.js'

export interface EncoderFlags {
  encoder?: string
  k1?: number
  b?: number
}

/** Adds `--encoder`, `--k1`, `--b`. */
export function addEncoderOptions(command: Command): Command {
  return command
    .option('--encoder <name>', 'document encoder for a new index (bm25)')
    .option('--k1 <k1>', 'BM25 k1 (default 0.9)', parseNumber('--k1'))
    .option('--b <b>', 'BM25 b (default 0.4)', parseNumber('--b'))
}

/** The encoder settings the user asked for, or undefined to use an existing index's stored ones. */
export function requestedEncoder(flags: EncoderFlags): EncoderConfig | undefined {
  if (flags.encoder === undefined && flags.k1 === undefined && flags.b === undefined) return undefined
  const name = flags.encoder ?? 'bm25'
  return name === 'bm25' ? bm25Config({ k1: flags.k1, b: flags.b }) : { name }
}
