/**
 * Elasticsearch mappings as pure functions: parse and validate a `mappings` body, merge `PUT
 * _mapping` updates, map documents (typed values and dynamic fields), and read query values (exact
 * terms, dates, date math) the way indexing reads document values. No I/O; errors are `LsrError`s
 * with codes `mapper_parsing`, `strict_dynamic_mapping` and `invalid_argument`.
 *
 * @example
 * import { parseMapping, mapDocument, termValue, fieldAt } from './mapping/index.js'
 * const mapping = parseMapping({ properties: { price: { type: 'scaled_float', scaling_factor: 100 } } }, analyzers, similarities)
 * const { values } = mapDocument(mapping, { price: '19.999', title: 'Lamp' }, '1')
 * values.terms // [{ path: 'price', value: '20' }, …]; `title` was added as text + title.keyword
 * termValue(fieldAt(mapping, 'price') as LeafField, 20) // "20"
 * @module
 */
export {
  countFields,
  emptyMapping,
  fieldAt,
  FIELD_TYPES,
  isLeaf,
  isSparse,
  isNumberType,
  leafFields,
  MAPPING_DEFAULTS,
  NUMBER_TYPES,
  type BooleanField,
  type DateField,
  type Dynamic,
  type FieldMapping,
  type FieldType,
  type KeywordField,
  type LeafField,
  type Mapping,
  type MappingLimits,
  type NumberField,
  type NumberType,
  type ObjectField,
  type SparseField,
  type SparseType,
  type TextField,
} from './mapping.js'
export { parseMapping, type NameSet } from './parse-mapping.js'
export { mappingToJson, fieldToJson } from './mapping-json.js'
export { mergeMapping } from './merge-mapping.js'
export { mapDocument, type MappedValues } from './document.js'
export { displayValue, isNumberField, parseLeafValue, queryNumber, readBoolean, termValue, type LeafValue } from './values.js'
export { isIntegerType, parseNumber, toHalfFloat, type Parsed } from './numbers.js'
export { compileDateFormat, splitFormats, MAX_EPOCH_MILLIS, type DateFormat, type DateParseOptions } from './date-format.js'
export { formatDate, parseDate, parseDateMath, parseTimeZone } from './date-math.js'
export { METADATA_FIELDS } from './names.js'
