/**
 * An aggregation's body, read option by option: each option is read once, with its type checked,
 * and any option left unread is refused by name (never ignored).
 * @module
 */
import { LsrError } from '../../errors.js'
import { isObject, type Json } from '../json-shapes.js'

export function parsing(message: string): LsrError {
  return new LsrError('query_parsing', message)
}

/** A numeric string as its number, as Elasticsearch reads numeric options; anything else as it is. */
export function numeric(value: unknown): unknown {
  return typeof value === 'string' && value.trim() !== '' ? Number(value) : value
}

export class AggOptions {
  readonly #read = new Set<string>()

  /** @param where - the aggregation's type and name for messages, e.g. `[terms] of [by_tag]` */
  constructor(readonly body: Json, readonly where: string) {}

  has(key: string): boolean {
    return Object.hasOwn(this.body, key)
  }

  raw(key: string): unknown {
    this.#read.add(key)
    return Object.hasOwn(this.body, key) ? this.body[key] : undefined
  }

  string(key: string): string | undefined
  string(key: string, fallback: string): string
  string(key: string, fallback?: string): string | undefined {
    const value = this.raw(key)
    if (value === undefined) return fallback
    if (typeof value !== 'string') throw parsing(`${this.where}: [${key}] must be a string`)
    return value
  }

  /** Refuses `script` (and other script options), which lsr does not run. */
  noScript(...keys: string[]): void {
    for (const key of ['script', ...keys]) if (this.has(key)) throw parsing(`${this.where}: [${key}] is not supported (lsr does not run scripts)`)
  }

  /** The field to aggregate (required unless `optional`). */
  field(optional = false): string | undefined {
    const field = this.string('field')
    if (field === undefined && !optional) throw parsing(`${this.where}: [field] is required (lsr does not run scripts)`)
    return field
  }

  number(key: string): number | undefined
  number(key: string, fallback: number): number
  number(key: string, fallback?: number): number | undefined {
    const value = this.raw(key)
    if (value === undefined) return fallback
    const n = numeric(value)
    if (typeof n !== 'number' || !Number.isFinite(n)) throw parsing(`${this.where}: [${key}] must be a number, got ${JSON.stringify(value)?.slice(0, 80)}`)
    return n
  }

  /** A non-negative integer (at most `max`). */
  count(key: string, fallback: number, max = 2 ** 31 - 1): number {
    const n = this.number(key, fallback)
    if (!Number.isInteger(n) || n < 0 || n > max) throw parsing(`${this.where}: [${key}] must be an integer between 0 and ${max}, got ${n}`)
    return n
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.raw(key)
    if (value === undefined) return fallback
    if (value === 'true' || value === 'false') return value === 'true'
    if (typeof value !== 'boolean') throw parsing(`${this.where}: [${key}] must be a boolean`)
    return value
  }

  object(key: string): Json | undefined {
    const value = this.raw(key)
    if (value === undefined) return undefined
    if (!isObject(value)) throw parsing(`${this.where}: [${key}] must be an object`)
    return value
  }

  /** Refuses every option not read. Call after reading them all. */
  done(): void {
    for (const key of Object.keys(this.body)) {
      if (!this.#read.has(key)) throw parsing(`${this.where}: unknown or unsupported option [${key}]`)
    }
  }
}
