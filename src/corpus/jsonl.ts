/**
 * Streaming JSONL reader (plain or gzip), one parsed record at a time, with `file:line` in every
 * error. Memory stays flat whatever the file size. Lines must be UTF-8: a byte order mark on
 * line 1 is dropped, and a line that is not valid UTF-8 is an error naming the line and the byte
 * (not silently decoded to U+FFFD).
 * @module
 */
import { isUtf8 } from 'node:buffer'
import { createReadStream } from 'node:fs'
import { createGunzip } from 'node:zlib'
import { InvalidInputError, LsrError } from '../errors.js'

/** One parsed line. */
export interface JsonlRecord {
  /** 1-based line number. */
  line: number
  value: unknown
  /** The line's length in (uncompressed) bytes. */
  bytes: number
}

/** A line that is not valid JSON or not UTF-8 (only yielded when `skipInvalid` is set). */
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

const NEWLINE = 0x0a
const CR = 0x0d

/**
 * Reads a `.jsonl` or `.jsonl.gz` file. Blank lines are skipped; lines end with LF or CRLF.
 * @throws LsrError `not_found` "cannot read <file>: no such file" for a missing file
 * @throws InvalidInputError `file:line: invalid JSON (...)` or `file:line: invalid UTF-8 ...`
 *   unless `skipInvalid`; `file: not a valid gzip file (...)` for a broken `.gz`
 */
export async function* readJsonl(file: string, options: JsonlOptions = {}): AsyncGenerator<JsonlRecord | JsonlError> {
  for await (const chunk of readJsonlChunks(file, options)) yield* parseJsonlChunk(file, chunk, options)
}

/** Whole lines of a JSONL file: `bytes` holds lines `firstLine`, `firstLine + 1`, ... with their line feeds. */
export interface JsonlChunk {
  firstLine: number
  bytes: Buffer
}

/**
 * Reads a JSONL file (plain or gzip) as chunks of whole lines, for parsing elsewhere (ingest's
 * worker threads parse them with {@link parseJsonlChunk}). A line longer than a read is carried
 * over until it ends.
 * @throws as {@link readJsonl} for a file that cannot be read or decompressed
 */
export async function* readJsonlChunks(file: string, options: Pick<JsonlOptions, 'onBytes'> = {}): AsyncGenerator<JsonlChunk> {
  const raw = createReadStream(file)
  let bytes = 0
  if (options.onBytes) {
    const onBytes = options.onBytes
    raw.on('data', (chunk) => onBytes((bytes += chunk.length)))
  }
  const gzip = file.endsWith('.gz')
  const input = gzip ? raw.pipe(createGunzip()) : raw
  if (gzip) raw.on('error', (error) => input.destroy(error))
  /** Lines in the chunks yielded so far. */
  let lines = 0
  // The start of a line that continues in the next read(s).
  let pending: Buffer[] = []
  const chunkOf = (whole: Buffer): JsonlChunk => {
    const chunk = { firstLine: lines + 1, bytes: whole }
    for (let at = whole.indexOf(NEWLINE); at !== -1; at = whole.indexOf(NEWLINE, at + 1)) lines++
    return chunk
  }
  try {
    for await (const read of input as AsyncIterable<Buffer>) {
      const end = read.lastIndexOf(NEWLINE)
      if (end === -1) {
        pending.push(read)
        continue
      }
      const whole = read.subarray(0, end + 1)
      yield chunkOf(pending.length > 0 ? Buffer.concat([...pending, whole]) : whole)
      pending = end + 1 < read.length ? [read.subarray(end + 1)] : []
    }
    if (pending.length > 0) yield chunkOf(Buffer.concat(pending))
  } catch (error) {
    throw readError(file, error, gzip, lines)
  }
}

/**
 * The records of a chunk of whole lines, in order (blank lines skipped).
 * @throws InvalidInputError for the first invalid line, unless `skipInvalid` (then yielded as {@link JsonlError})
 */
export function* parseJsonlChunk(file: string, { firstLine, bytes }: JsonlChunk, options: Pick<JsonlOptions, 'skipInvalid'> = {}): Generator<JsonlRecord | JsonlError> {
  let line = firstLine
  for (let start = 0; start < bytes.length; line++) {
    let end = bytes.indexOf(NEWLINE, start)
    if (end === -1) end = bytes.length
    const result = parseLine(file, line, bytes.subarray(start, end))
    start = end + 1
    if (result === undefined) continue
    if ('error' in result && !options.skipInvalid) throw result.error
    yield result
  }
}

/** A line's record, its error, or undefined for a blank line. */
function parseLine(file: string, line: number, bytes: Buffer): JsonlRecord | JsonlError | undefined {
  let start = 0
  let end = bytes.length
  if (line === 1 && end >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) start = 3
  if (end > start && bytes[end - 1] === CR) end--
  const content = bytes.subarray(start, end)
  if (!isUtf8(content)) {
    const at = firstInvalidUtf8(content)
    const message = `${file}:${line}: invalid UTF-8 at byte ${start + at + 1} of the line (0x${content[at].toString(16).padStart(2, '0')}); the file must be UTF-8`
    return { line, error: new InvalidInputError(message, line) }
  }
  const text = content.toString('utf8')
  if (text.trim() === '') return undefined
  try {
    return { line, value: JSON.parse(text), bytes: bytes.length }
  } catch (cause) {
    return { line, error: new InvalidInputError(`${file}:${line}: invalid JSON (${(cause as Error).message})`, line, { cause }) }
  }
}

/**
 * Index of the first byte of the first ill-formed sequence (Unicode's table of well-formed UTF-8
 * byte sequences: no overlong forms, no surrogates, nothing above U+10FFFF), or bytes.length.
 */
function firstInvalidUtf8(bytes: Uint8Array): number {
  const n = bytes.length
  let i = 0
  while (i < n) {
    const b = bytes[i]
    if (b < 0x80) {
      i++
      continue
    }
    let length: number
    let low = 0x80
    let high = 0xbf
    if (b >= 0xc2 && b <= 0xdf) length = 2
    else if (b >= 0xe0 && b <= 0xef) {
      length = 3
      if (b === 0xe0) low = 0xa0
      else if (b === 0xed) high = 0x9f
    } else if (b >= 0xf0 && b <= 0xf4) {
      length = 4
      if (b === 0xf0) low = 0x90
      else if (b === 0xf4) high = 0x8f
    } else return i
    if (i + length > n) return i
    const second = bytes[i + 1]
    if (second < low || second > high) return i
    for (let k = 2; k < length; k++) if ((bytes[i + k] & 0xc0) !== 0x80) return i
    i += length
  }
  return n
}

/**
 * The one-line error for a file system error on `file` (missing, a folder, not readable), or
 * undefined when `error` is not one.
 */
export function cannotRead(file: string, error: unknown): LsrError | undefined {
  const { code, message } = error as NodeJS.ErrnoException
  const options = { cause: error }
  switch (code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return new LsrError('not_found', `cannot read ${file}: no such file`, options)
    case 'EISDIR':
      return new InvalidInputError(`cannot read ${file}: it is a folder, not a file`, undefined, options)
    case 'EACCES':
    case 'EPERM':
      return new InvalidInputError(`cannot read ${file}: permission denied`, undefined, options)
  }
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return new InvalidInputError(`cannot read ${file}: ${message}`, undefined, options)
  return undefined
}

/** One clear error for a file that cannot be opened or decompressed. */
function readError(file: string, error: unknown, gzip: boolean, lines: number): unknown {
  if (error instanceof LsrError) return error
  const { code, message } = error as NodeJS.ErrnoException
  if (gzip && typeof code === 'string' && code.startsWith('Z_')) {
    const options = { cause: error }
    return lines === 0
      ? new InvalidInputError(`${file}: not a valid gzip file (${message})`, undefined, options)
      : new InvalidInputError(`${file}:${lines + 1}: gzip data broken after line ${lines} (${message})`, lines + 1, options)
  }
  return cannotRead(file, error) ?? error
}
