/**
 * A mapping back in Elasticsearch's JSON shape, as `GET /{index}/_mapping` shows it: defaults are
 * left out, property names are sorted, an object shows `"type": "object"` only when it has no
 * properties, and `dynamic` is a string (`"strict"`, `"false"`, `"true"`), all as ES writes them.
 * `parseMapping(mappingToJson(m))` gives `m` back.
 * @module
 */
import { MAPPING_DEFAULTS, sortedKeys, type FieldMapping, type LeafField, type Mapping } from './mapping.js'

/**
 * @param mapping the mapping
 * @returns the `mappings` JSON object
 * @example mappingToJson(dynamicStringMapping) // { properties: { title: { type: 'text', fields: { keyword: { type: 'keyword', ignore_above: 256 } } } } }
 */
export function mappingToJson(mapping: Mapping): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if (mapping.dynamic !== true || mapping.explicit?.dynamic === true) out.dynamic = String(mapping.dynamic)
  if (!mapping.dateDetection || mapping.explicit?.dateDetection === true) out.date_detection = mapping.dateDetection
  if (mapping.meta !== undefined) out._meta = structuredClone(mapping.meta)
  if (Object.keys(mapping.properties).length > 0) out.properties = propertiesToJson(mapping.properties)
  return out
}

function propertiesToJson(properties: Record<string, FieldMapping>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of sortedKeys(properties)) out[name] = fieldToJson(properties[name]!)
  return out
}

/** One field in ES's JSON shape (defaults left out). */
export function fieldToJson(field: FieldMapping): Record<string, unknown> {
  if (field.type === 'object') {
    const out: Record<string, unknown> = {}
    const empty = Object.keys(field.properties).length === 0
    if (empty) out.type = 'object'
    if (field.dynamic !== undefined) out.dynamic = String(field.dynamic)
    if (!field.enabled) out.enabled = false
    if (!empty) out.properties = propertiesToJson(field.properties)
    return out
  }
  const out: Record<string, unknown> = { type: field.type }
  switch (field.type) {
    case 'text':
      if (field.analyzer !== undefined) out.analyzer = field.analyzer
      if (field.searchAnalyzer !== undefined) out.search_analyzer = field.searchAnalyzer
      if (field.similarity !== undefined) out.similarity = field.similarity
      if (field.indexOptions !== undefined) out.index_options = field.indexOptions
      if (field.positionIncrementGap !== undefined) out.position_increment_gap = field.positionIncrementGap
      break
    case 'keyword':
      if (field.ignoreAbove !== undefined) out.ignore_above = field.ignoreAbove
      break
    case 'date':
      if (!sameList(field.formats, MAPPING_DEFAULTS.dateFormats)) out.format = field.formats.join('||')
      break
    case 'boolean':
      break
    case 'rank_features':
    case 'sparse_vector':
      return out
    default:
      if (field.scalingFactor !== undefined) out.scaling_factor = field.scalingFactor
      if (!field.coerce) out.coerce = false
  }
  if (!field.index) out.index = false
  if (field.type !== 'text' && !field.docValues) out.doc_values = false
  if (field.type !== 'text' && field.nullValue !== undefined) out.null_value = field.nullValue
  if (field.fields !== undefined && Object.keys(field.fields).length > 0) {
    const fields: Record<string, unknown> = {}
    for (const name of sortedKeys(field.fields)) fields[name] = fieldToJson(field.fields[name] as LeafField)
    out.fields = fields
  }
  return out
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}
