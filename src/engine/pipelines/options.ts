/**
 * Reads a processor's options the way Elasticsearch's ConfigurationUtils does (required and
 * optional properties, typed), naming each by its path in the pipeline
 * (`[processors][0][sparse_encoding][prune_type]`), and refuses any option nobody read: lsr
 * never accepts an option and ignores it.
 * @module
 */
import { LsrError } from '../../errors.js'
import { isObject, type Json } from '../json-shapes.js'
import { fieldPathProblem, typeName } from './document-paths.js'

/** The options of one processor, read one by one, then {@link finish}ed. */
export class ProcessorOptions {
  readonly #read = new Set<string>()

  /**
   * @param path - the processor's path: `[processors][0][set]`
   * @param type - the processor's type, for messages
   */
  constructor(
    readonly path: string,
    readonly type: string,
    private readonly raw: Json,
  ) {}

  /** An error about one option, named by its path. */
  fail(key: string, why: string): LsrError {
    return new LsrError('invalid_argument', `${this.path}[${key}] ${why}`)
  }

  /** True when the option is given (without counting it as read). */
  has(key: string): boolean {
    return Object.hasOwn(this.raw, key)
  }

  /** The option's value; undefined when absent (JSON null counts as absent, as in Elasticsearch). */
  value(key: string): unknown {
    this.#read.add(key)
    return Object.hasOwn(this.raw, key) && this.raw[key] !== null ? this.raw[key] : undefined
  }

  required(key: string): unknown {
    const value = this.value(key)
    if (value === undefined) throw this.fail(key, 'required property is missing')
    return value
  }

  string(key: string): string | undefined {
    const value = this.value(key)
    if (value !== undefined && typeof value !== 'string') throw this.fail(key, `must be a string, got ${typeName(value)}`)
    return value
  }

  requiredString(key: string): string {
    this.required(key)
    return this.string(key)!
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.value(key) ?? fallback
    if (typeof value !== 'boolean') throw this.fail(key, `must be true or false, got ${JSON.stringify(value)}`)
    return value
  }

  number(key: string): number | undefined {
    const value = this.value(key)
    if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) throw this.fail(key, `must be a number, got ${JSON.stringify(value)}`)
    return value
  }

  object(key: string): Json {
    const value = this.required(key)
    if (!isObject(value)) throw this.fail(key, `must be an object, got ${typeName(value)}`)
    return value
  }

  /** A field path of the document's source (no template, no metadata field). */
  fieldPath(key: string, fallback?: string): string {
    const path = fallback === undefined ? this.requiredString(key) : (this.string(key) ?? fallback)
    const problem = fieldPathProblem(path)
    if (problem !== undefined) throw this.fail(key, problem)
    return path
  }

  /** Refuses the first option that was not read. */
  finish(): void {
    const unknown = Object.keys(this.raw).find((key) => !this.#read.has(key))
    if (unknown !== undefined) {
      throw this.fail(unknown, `is not an option of the ${this.type} processor (options: ${[...this.#read].join(', ')})`)
    }
  }
}
