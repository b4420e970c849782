/**
 * The positions stream of one posting segment (format.ts, key `q`): for each posting of the
 * segment in doc-id order, its term frequency's worth of positions, the first as is and each next
 * one as the gap from the one before, every number a LEB128 varint (7 bits per byte, high bit set
 * on all but the last byte). The counts are not stored: they are the postings' values (tf).
 *
 * Why varints of per-document gaps: positions within a document are small and ascending, so most
 * gaps take one byte (measured in the README: bytes per position); a posting's bytes do not depend
 * on any other posting, so merges copy them without decoding; and a query decodes only the
 * postings of documents it verifies.
 * @module
 */
import { LsrError } from '../errors.js'

/** Appends positions to a growing byte buffer. */
export class PositionWriter {
  #bytes = new Uint8Array(256)
  #length = 0

  /** Appends one posting's positions (ascending). */
  add(positions: ArrayLike<number>): void {
    let previous = 0
    for (let i = 0; i < positions.length; i++) {
      this.#varint(positions[i] - previous)
      previous = positions[i]
    }
  }

  /** Appends bytes already encoded (another segment's postings, copied by a merge). */
  addEncoded(bytes: Uint8Array): void {
    this.#reserve(bytes.length)
    this.#bytes.set(bytes, this.#length)
    this.#length += bytes.length
  }

  get length(): number {
    return this.#length
  }

  /** The encoded stream (a copy the caller owns). */
  toBuffer(): Buffer {
    return Buffer.from(this.#bytes.subarray(0, this.#length))
  }

  #varint(value: number): void {
    this.#reserve(5)
    while (value > 0x7f) {
      this.#bytes[this.#length++] = (value & 0x7f) | 0x80
      value >>>= 7
    }
    this.#bytes[this.#length++] = value
  }

  #reserve(extra: number): void {
    if (this.#length + extra <= this.#bytes.length) return
    const grown = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + extra))
    grown.set(this.#bytes.subarray(0, this.#length))
    this.#bytes = grown
  }
}

/**
 * Byte offset of each posting's positions in a stream whose postings have the given counts, plus
 * one entry for the end: posting `p` spans `[starts[p], starts[p + 1])`.
 * @throws LsrError data_corruption when the stream does not hold exactly that many varints
 */
export function positionStarts(bytes: Uint8Array, counts: ArrayLike<number>, length: number, what: string): Uint32Array {
  const starts = new Uint32Array(length + 1)
  let at = 0
  for (let p = 0; p < length; p++) {
    starts[p] = at
    // A varint ends at a byte without the high bit: skipping `count` such bytes skips the posting.
    for (let n = counts[p]; n > 0; at++) {
      if (at >= bytes.length) throw corrupt(what, `${bytes.length} bytes end inside posting ${p} of ${length}`)
      if (bytes[at] < 0x80) n--
    }
  }
  if (at !== bytes.length) throw corrupt(what, `${bytes.length - at} bytes left after ${length} postings`)
  starts[length] = at
  return starts
}

/**
 * Decodes `count` positions starting at byte `start` into `out` from index `outAt` (it must hold them).
 * @returns `out`, for chaining
 */
export function decodePositions(bytes: Uint8Array, start: number, count: number, out: Uint32Array, outAt = 0): Uint32Array {
  let at = start
  let position = 0
  for (let i = outAt; i < outAt + count; i++) {
    let gap = 0
    let shift = 0
    let byte: number
    do {
      byte = bytes[at++]
      gap += (byte & 0x7f) * 2 ** shift
      shift += 7
    } while (byte >= 0x80)
    position += gap
    out[i] = position
  }
  return out
}

function corrupt(what: string, detail: string): LsrError {
  return new LsrError('data_corruption', `index data corruption: positions of ${what}: ${detail}`)
}
