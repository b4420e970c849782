/**
 * `PUT /{index}/_mapping`: merges an update into the current mapping, as Elasticsearch does.
 *
 * - New fields, objects and multi-fields are added; fields the update does not mention stay.
 * - Redefining a field identically is fine. Changing its type is refused ("mapper [price] cannot be
 *   changed from type [long] to [text]"), and so is changing a parameter ES cannot update
 *   (`analyzer`, `similarity`, `index_options`, `position_increment_gap`, `index`, `doc_values`,
 *   `null_value`, `format`, `scaling_factor`, an object's `enabled`): "Cannot update parameter
 *   [analyzer] from [default] to [english]".
 *   As in ES, a parameter the update leaves out means its default, so leaving out `analyzer` on a
 *   field mapped with one is a change too.
 * - Updatable parameters take the update's value: `search_analyzer`, `ignore_above`, `coerce`, and
 *   an object's `dynamic` (kept when the update leaves it out).
 * - Root `dynamic` and `date_detection` change only when the update gives them; `_meta` is
 *   replaced when given.
 * @module
 */
import { invalidArgument } from './fail.js'
import { MAPPING_DEFAULTS, ownValue, type FieldMapping, type LeafField, type Mapping, type MappingLimits, type ObjectField } from './mapping.js'
import { checkLimits } from './names.js'

/**
 * @param current the index's mapping
 * @param update the parsed `PUT _mapping` body (`parseMapping`)
 * @param limits total-fields and depth limits for the result
 * @returns a new mapping; neither argument is changed
 * @throws LsrError `invalid_argument` naming the field and the conflict; nothing is merged then
 */
export function mergeMapping(current: Mapping, update: Mapping, limits: MappingLimits = MAPPING_DEFAULTS.limits): Mapping {
  const merged: Mapping = structuredClone(current)
  const explicit = { ...merged.explicit }
  if (update.explicit?.dynamic === true || update.dynamic !== true) {
    merged.dynamic = update.dynamic
    explicit.dynamic = true
  }
  if (update.explicit?.dateDetection === true || !update.dateDetection) {
    merged.dateDetection = update.dateDetection
    explicit.dateDetection = true
  }
  merged.explicit = explicit
  if (update.meta !== undefined) merged.meta = structuredClone(update.meta)
  mergeProperties(merged.properties, update.properties, '')
  checkLimits(merged.properties, limits)
  return merged
}

/** Merges `update` into `target` (a fresh copy owned by the merge). */
function mergeProperties(target: Record<string, FieldMapping>, update: Record<string, FieldMapping>, prefix: string): void {
  for (const [name, incoming] of Object.entries(update)) {
    const existing = ownValue(target, name)
    target[name] = existing === undefined ? structuredClone(incoming) : mergeField(existing, incoming, prefix + name)
  }
}

function mergeField(cur: FieldMapping, upd: FieldMapping, path: string): FieldMapping {
  if (cur.type === 'object' || upd.type === 'object') {
    if (cur.type !== 'object' || upd.type !== 'object') {
      throw invalidArgument(`can't merge a non object mapping [${path}] with an object mapping`)
    }
    return mergeObject(cur, upd, path)
  }
  if (cur.type !== upd.type) throw invalidArgument(`mapper [${path}] cannot be changed from type [${cur.type}] to [${upd.type}]`)
  const conflicts: string[] = []
  const fixed = (param: string, a: unknown, b: unknown, shown = (v: unknown) => String(v)): void => {
    if (!sameValue(a, b)) conflicts.push(`Cannot update parameter [${param}] from [${shown(a)}] to [${shown(b)}]`)
  }
  const c = cur as unknown as Record<string, unknown>
  const u = upd as unknown as Record<string, unknown>
  fixed('index', cur.index, upd.index)
  if (cur.type === 'text') {
    const orDefault = (v: unknown) => (v === undefined ? 'default' : String(v))
    fixed('analyzer', c.analyzer, u.analyzer, orDefault)
    fixed('similarity', c.similarity, u.similarity, (v) => (v === undefined ? 'null' : String(v)))
    // Postings already written hold what these gave; ES shows the defaults by value.
    fixed('index_options', c.indexOptions, u.indexOptions, (v) => (v === undefined ? 'positions' : String(v)))
    fixed('position_increment_gap', c.positionIncrementGap, u.positionIncrementGap, (v) => String(v ?? MAPPING_DEFAULTS.positionIncrementGap))
  } else {
    fixed('doc_values', c.docValues, u.docValues)
    fixed('null_value', c.nullValue, u.nullValue, (v) => (v === undefined ? 'null' : String(v)))
  }
  if (cur.type === 'date') fixed('format', cur.formats.join('||'), (upd as typeof cur).formats.join('||'))
  if (cur.type === 'scaled_float') fixed('scaling_factor', c.scalingFactor, u.scalingFactor)
  if (conflicts.length > 0) throw invalidArgument(`Mapper for [${path}] conflicts with existing mapper:\n\t${conflicts.join('\n\t')}`)
  // Updatable parameters (search_analyzer, ignore_above, coerce) take the update's values.
  const merged = { ...structuredClone(upd) } as LeafField
  const fields: Record<string, FieldMapping> = structuredClone(cur.fields ?? {})
  for (const [name, sub] of Object.entries(upd.fields ?? {})) {
    const existing = ownValue(fields, name)
    fields[name] = existing === undefined ? structuredClone(sub) : mergeField(existing, sub, `${path}.${name}`)
  }
  if (Object.keys(fields).length > 0) merged.fields = fields as Record<string, LeafField>
  else delete merged.fields
  return merged
}

function mergeObject(cur: ObjectField, upd: ObjectField, path: string): ObjectField {
  if (cur.enabled !== upd.enabled) throw invalidArgument(`the [enabled] parameter can't be updated for the object mapping [${path}]`)
  const merged: ObjectField = { type: 'object', enabled: cur.enabled, properties: cur.properties }
  const dynamic = upd.dynamic ?? cur.dynamic
  if (dynamic !== undefined) merged.dynamic = dynamic
  mergeProperties(merged.properties, upd.properties, `${path}.`)
  return merged
}

function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b))
}
