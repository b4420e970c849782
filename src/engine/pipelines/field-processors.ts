/**
 * Elasticsearch's field processors, with their options, defaults and failure messages:
 * `set` (a value, with `{{field}}` templates), `remove`, `rename` and `lowercase`.
 * @module
 */
import { LsrError } from '../../errors.js'
import { fieldPathProblem, getField, hasField, removeField, setField, typeName } from './document-paths.js'
import { eachDocument, type ProcessorFactory } from './processor.js'
import { valueSource } from './templates.js'

const fail = (message: string) => new LsrError('invalid_argument', message)

/** `set`: `field`, `value`, `override` (default true), `ignore_empty_value` (default false). */
export const setProcessor: ProcessorFactory = (options) => {
  const field = options.fieldPath('field')
  const value = valueSource(options.required('value'), `${options.path}[value]`)
  const override = options.boolean('override', true)
  const ignoreEmptyValue = options.boolean('ignore_empty_value', false)
  return eachDocument((doc) => {
    if (!override && hasField(doc.source, field) && getField(doc.source, field) !== null) return
    const resolved = value(doc)
    if (ignoreEmptyValue && (resolved === null || resolved === '')) return
    setField(doc.source, field, resolved)
  })
}

/** `remove`: `field` (a path or a list of paths), `ignore_missing` (default false). */
export const removeProcessor: ProcessorFactory = (options) => {
  const given = options.required('field')
  const fields = (Array.isArray(given) ? given : [given]).map((field, i) => {
    if (typeof field !== 'string') throw options.fail('field', `must be a string or a list of strings, got ${typeName(field)}${Array.isArray(given) ? ` at [${i}]` : ''}`)
    const problem = fieldPathProblem(field)
    if (problem !== undefined) throw options.fail('field', problem)
    return field
  })
  if (fields.length === 0) throw options.fail('field', 'must name at least one field')
  const ignoreMissing = options.boolean('ignore_missing', false)
  return eachDocument((doc) => {
    for (const field of fields) {
      if (!hasField(doc.source, field)) {
        if (ignoreMissing) continue
        throw fail(`field [${field}] doesn't exist`)
      }
      removeField(doc.source, field)
    }
  })
}

/** `rename`: `field`, `target_field`, `ignore_missing` (default false), `override_target` (OpenSearch; Elasticsearch's `override`; default false). */
export const renameProcessor: ProcessorFactory = (options) => {
  const field = options.fieldPath('field')
  const target = options.fieldPath('target_field')
  const ignoreMissing = options.boolean('ignore_missing', false)
  if (options.has('override') && options.has('override_target')) throw options.fail('override', 'and [override_target] are the same option: give one')
  const override = options.boolean('override_target', options.boolean('override', false))
  return eachDocument((doc) => {
    if (!hasField(doc.source, field)) {
      if (ignoreMissing) return
      throw fail(`field [${field}] doesn't exist`)
    }
    if (!override && hasField(doc.source, target)) throw fail(`field [${target}] already exists`)
    const value = getField(doc.source, field)
    removeField(doc.source, field)
    try {
      setField(doc.source, target, value)
    } catch (error) {
      setField(doc.source, field, value)
      throw error
    }
  })
}

/** `lowercase`: `field` (a string or a list of strings), `target_field` (default: `field`), `ignore_missing` (default false). */
export const lowercaseProcessor: ProcessorFactory = (options) => {
  const field = options.fieldPath('field')
  const target = options.fieldPath('target_field', field)
  const ignoreMissing = options.boolean('ignore_missing', false)
  return eachDocument((doc) => {
    const value = ignoreMissing && !hasField(doc.source, field) ? undefined : getField(doc.source, field)
    if (value === undefined || value === null) {
      if (ignoreMissing) return
      throw fail(`field [${field}] is null, cannot process it.`)
    }
    setField(doc.source, target, lowercase(value, field))
  })
}

function lowercase(value: unknown, field: string): string | string[] {
  if (typeof value === 'string') return value.toLowerCase()
  if (!Array.isArray(value)) throw fail(`field [${field}] of type [${typeName(value)}] cannot be cast to [string]`)
  return value.map((item) => {
    if (typeof item !== 'string') throw fail(`value [${JSON.stringify(item)}] of type [${typeName(item)}] in list field [${field}] cannot be cast to [string]`)
    return item.toLowerCase()
  })
}
