/**
 * Reading one declaration of `settings.analysis` (an analyzer, tokenizer, filter or char_filter)
 * strictly: every failure is an `invalid_argument` naming the component and the parameter.
 * Values are read as Elasticsearch reads settings: numbers and booleans may come as strings,
 * lists as arrays or comma-separated strings.
 * @module
 */
import { ENGLISH_STOP_WORDS } from '../encode/english-analyzer.js'
import { LsrError } from '../errors.js'

/** The four sections of `settings.analysis`. */
export type ComponentKind = 'analyzer' | 'tokenizer' | 'filter' | 'char_filter'

/** Java's Integer.MAX_VALUE, the default upper bound of Elasticsearch's integer settings. */
export const MAX_INT = 2_147_483_647

/** Throws the `invalid_argument` every analysis error is. */
export function fail(message: string): never {
  throw new LsrError('invalid_argument', message)
}

/** Whether `value` is a JSON object (not null, not an array). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** One declared component and its settings. */
export class Declaration {
  /** `kind [name]`, as messages name the component. */
  readonly label: string

  constructor(readonly kind: ComponentKind, readonly name: string, readonly settings: Readonly<Record<string, unknown>>) {
    this.label = `${kind} [${name}]`
  }

  /** Reads `settings.analysis[kind][name]`, which must be an object. */
  static of(kind: ComponentKind, name: string, value: unknown): Declaration {
    if (!isObject(value)) fail(`${kind} [${name}] must be an object, got ${JSON.stringify(value)}`)
    return new Declaration(kind, name, value)
  }

  /** The `type` parameter, if any. */
  get type(): string | undefined {
    return this.string('type')
  }

  /**
   * Throws on the first parameter other than `type` and `allowed`.
   * @param unsupported - Elasticsearch parameters lsr does not implement, named as such
   */
  only(allowed: readonly string[], unsupported: readonly string[] = []): void {
    for (const key of Object.keys(this.settings)) {
      if (key === 'type' || allowed.includes(key)) continue
      if (unsupported.includes(key)) fail(`parameter [${key}] of ${this.label} is not supported`)
      fail(`unknown parameter [${key}] in ${this.label}`)
    }
  }

  /** A string parameter. */
  string(key: string): string | undefined {
    const value = this.settings[key]
    if (value === undefined || typeof value === 'string') return value
    return fail(`[${key}] of ${this.label} must be a string, got ${JSON.stringify(value)}`)
  }

  /** An integer parameter in [min, max]. */
  int(key: string, fallback: number, min: number, max: number): number {
    const value = this.settings[key]
    if (value === undefined) return fallback
    const number = typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value) ? Number(value) : value
    if (typeof number !== 'number' || !Number.isInteger(number)) fail(`failed to parse [${key}] of ${this.label}: ${JSON.stringify(value)} is not an integer`)
    if (number < min || number > max) fail(`[${key}] of ${this.label} must be between ${min} and ${max}, got ${number}`)
    return number
  }

  /** A boolean parameter (`true`/`false`, or those strings). */
  bool(key: string, fallback: boolean): boolean {
    const value = this.settings[key]
    if (value === undefined) return fallback
    if (value === true || value === 'true') return true
    if (value === false || value === 'false') return false
    return fail(`failed to parse [${key}] of ${this.label}: ${JSON.stringify(value)} is not a boolean`)
  }

  /** A list of strings: an array, or a comma-separated string. Absent: empty. */
  list(key: string): string[] {
    const value = this.settings[key]
    if (value === undefined) return []
    if (typeof value === 'string') return value.split(',').map((item) => item.trim()).filter((item) => item.length > 0)
    if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value
    return fail(`[${key}] of ${this.label} must be a string or a list of strings, got ${JSON.stringify(value)}`)
  }
}

/** Lucene's English stop words (`_english_`), the default of the `stop` analyzer and filter. */
export const ENGLISH: readonly string[] = [...ENGLISH_STOP_WORDS]

/**
 * The `stopwords` parameter: `_none_`, or a list where `_english_` stands for Lucene's English
 * set. Other named sets (`_french_` ...) are rejected by name.
 * @param fallback - the words when the parameter is absent
 */
export function readStopwords(declaration: Declaration, fallback: readonly string[]): readonly string[] {
  if (declaration.settings.stopwords === undefined) return fallback
  if (declaration.settings.stopwords === '_none_') return []
  const words: string[] = []
  for (const word of declaration.list('stopwords')) {
    if (word === '_english_') words.push(...ENGLISH)
    else if (/^_[a-z]+_$/.test(word) && word !== '_none_') fail(`stopwords [${word}] of ${declaration.label} are not supported: use _english_, _none_ or a list of words`)
    else if (word !== '_none_') words.push(word)
  }
  return words
}
