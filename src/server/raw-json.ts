/**
 * JSON text kept as bytes inside an answer (a stored source sent as stored), and the answer's
 * serialization with those bytes spliced in: no parse, no re-stringify, no re-encoding to UTF-8.
 * @module
 */
import { randomUUID } from 'node:crypto'

/** What a {@link RawJson} stands for while {@link jsonBytes} serializes; random, so no answer's string is it by chance. */
const MARK = `\u0000lsr-raw-json-${randomUUID()}`
/** The mark as JSON.stringify writes it. */
const MARK_TEXT = JSON.stringify(MARK)
/** The raw values met, in document order, while {@link jsonBytes} serializes (it is synchronous). */
let met: RawJson[] | undefined

/**
 * A JSON value as UTF-8 text, the output of JSON.stringify (which JSON.parse then JSON.stringify
 * gives back byte for byte). Serialized by anything else than jsonBytes, it is parsed.
 */
export class RawJson {
  constructor(readonly bytes: Buffer) {}

  toJSON(): unknown {
    if (met) {
      met.push(this)
      return MARK
    }
    return JSON.parse(this.bytes.toString('utf8'))
  }
}

/** `value` as JSON text in UTF-8, its {@link RawJson} values as they are. */
export function jsonBytes(value: unknown): Buffer<ArrayBuffer> {
  const raws: RawJson[] = (met = [])
  let text: string
  try {
    text = JSON.stringify(value)
  } finally {
    met = undefined
  }
  if (raws.length === 0) return Buffer.from(text, 'utf8')
  const pieces = text.split(MARK_TEXT)
  // A string equal to the mark somewhere in the answer: the splice would be wrong, parse instead.
  if (pieces.length !== raws.length + 1) return Buffer.from(JSON.stringify(value), 'utf8')
  const parts: Buffer[] = [Buffer.from(pieces[0], 'utf8')]
  raws.forEach((raw, i) => parts.push(raw.bytes, Buffer.from(pieces[i + 1], 'utf8')))
  return Buffer.concat(parts)
}
