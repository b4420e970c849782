/**
 * Field names and the limits on a mapping's shape, shared by mapping definitions, `PUT _mapping`
 * and dynamic mapping.
 *
 * A name (each dot-separated segment of a property name) must be non-empty, not only whitespace,
 * free of control characters (U+0000–U+001F), and must not start with `_`: Elasticsearch reserves
 * `_id`, `_source` and the other metadata fields, and lsr reserves the whole `_` prefix so that no
 * future metadata field can collide with a mapped one.
 * @module
 */
import { invalidArgument, mapperParsing } from './fail.js'
import { countFields, type FieldMapping, type MappingLimits } from './mapping.js'

/** Elasticsearch's metadata field names (ES "Metadata fields"), plus removed ones a client may still send. */
export const METADATA_FIELDS: ReadonlySet<string> = new Set([
  '_id', '_index', '_source', '_routing', '_ignored', '_ignored_source', '_seq_no', '_version', '_primary_term',
  '_field_names', '_tier', '_doc_count', '_data_stream_timestamp', '_nested_path', '_feature', '_size', '_meta',
  '_type', '_uid', '_parent', '_all', '_timestamp', '_ttl',
])

/**
 * Splits a (possibly dotted) property name into its segments, validating each as a name to map.
 * @param name the property name as written (`a.b` expands to object `a` holding `b`)
 * @param where `'document'` or `'mapping'`: only the metadata-field message differs
 * @throws LsrError `mapper_parsing` naming the field
 */
export function nameSegments(name: string, where: 'document' | 'mapping'): string[] {
  const segments = splitName(name)
  for (const segment of segments) checkNewName(segment, name, where)
  return segments
}

/**
 * Splits a document's (possibly dotted) key into segments, with the checks ES makes on every
 * document key, mapped or not: no empty name, no empty segment, not only whitespace.
 * @throws LsrError `mapper_parsing` naming the field
 */
export function splitName(name: string): string[] {
  if (name === '') throw mapperParsing('field name cannot be an empty string')
  const segments = name.split('.')
  if (segments.some((s) => s === '')) {
    throw mapperParsing(`object field starting or ending with a [.] makes object resolution ambiguous: [${name}]`)
  }
  if (segments.some((s) => s.trim() === '')) throw mapperParsing(`field name cannot contain only whitespace: ['${name}']`)
  return segments
}

/**
 * Checks a name that is about to be mapped: no control characters, no leading `_`.
 * @throws LsrError `mapper_parsing` naming the field
 */
export function checkNewName(segment: string, name: string, where: 'document' | 'mapping'): void {
  if (/[\u0000-\u001f]/.test(segment)) {
    throw mapperParsing(`field name [${JSON.stringify(name).slice(1, -1)}] cannot contain control characters`)
  }
  if (segment.startsWith('_')) {
    if (METADATA_FIELDS.has(segment)) {
      throw mapperParsing(
        where === 'document'
          ? `Field [${segment}] is a metadata field and cannot be added inside a document. Use the index API request parameters.`
          : `Field [${segment}] is a metadata field and cannot be defined in [properties] (field [${name}])`,
      )
    }
    throw mapperParsing(`Field name [${name}] cannot start with [_]: lsr reserves names starting with [_] for metadata fields`)
  }
}

/** The depth of an object at `path` as ES counts it: the root is 1, `a` is 2, `a.b` is 3. */
export function objectDepth(path: string): number {
  let dots = 0
  for (const c of path) if (c === '.') dots += 1
  return dots + 2
}

/** The error for an object deeper than `index.mapping.depth.limit` (ES: illegal_argument_exception). */
export function depthExceeded(limit: number, path: string): Error {
  return invalidArgument(`Limit of mapping depth [${limit}] has been exceeded due to object field [${path}]`)
}

/**
 * Checks a mapping's properties against the limits: total fields (objects, leaves, multi-fields) and
 * object depth.
 * @throws LsrError `invalid_argument` with ES's messages
 */
export function checkLimits(properties: Record<string, FieldMapping>, limits: MappingLimits): void {
  if (countFields(properties) > limits.totalFields) throw invalidArgument(`Limit of total fields [${limits.totalFields}] has been exceeded`)
  const walk = (props: Record<string, FieldMapping>, prefix: string): void => {
    for (const [name, field] of Object.entries(props)) {
      if (field.type !== 'object') continue
      const path = prefix + name
      if (objectDepth(path) > limits.depth) throw depthExceeded(limits.depth, path)
      walk(field.properties, `${path}.`)
    }
  }
  walk(properties, '')
}
