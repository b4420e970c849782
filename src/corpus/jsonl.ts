/**
 * Streaming JSONL reader (plain or gzip), one parsed record at a time, with `file:line` in every
 * error. Memory stays flat whatever the file size.
 * @module
 */
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { createGunzip } from 'node:zlib'
import { InvalidInputError } from '../errors.js'

/** One parsed line. */
export interface JsonlRecord {
  /** 1-based line number. */
  line: number
  value: unknown
}

/** A line that is not valid JSON (only yielded when `skipInvalid` is set). */
export interface JsonlError {
  line: number
  error: InvalidInputError
}

export interface JsonlOptions {
  /** Yield malformed lines as {@link JsonlError} instead of throwing. @default false */
  skipInvalid?: boolean
  /** Called with the number of (compressed) file bytes read so far. */
  onBytes?: (bytesRead: number) => void
}

/**
 * Reads a `.jsonl` or `.jsonl.gz` file. Blank lines are skipped.
 * @throws InvalidInputError `file:line: invalid JSON (...)` unless `skipInvalid`
 */
export async function* readJsonl(file: string, options: JsonlOptions = {}): AsyncGenerator<JsonlRecord | JsonlError> {
  const raw = createReadStream(file)
  let bytes = 0
  if (options.onBytes) {
    const onBytes = options.onBytes
    raw.on('data', (chunk) => onBytes((bytes += chunk.length)))
  }
  const input = file.endsWith('.gz') ? raw.pipe(createGunzip()) : raw
  raw.on('error', (error) => input.destroy(error))
  const lines = createInterface({ input, crlfDelay: Infinity })
  let line = 0
  for await (const text of lines) {
    line++
    if (text.trim() === '') continue
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (cause) {
      const error = new InvalidInputError(`${file}:${line}: invalid JSON (${(cause as Error).message})`, line, { cause })
      if (!options.skipInvalid) throw error
      yield { line, error }
      continue
    }
    yield { line, value }
  }
}
