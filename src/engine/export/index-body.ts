/**
 * The index creation body (`PUT /{index}`) that rebuilds an lsr index's fields on OpenSearch or
 * Elasticsearch. lsr keeps its mapping, analysis and similarity settings in Elasticsearch's JSON
 * already (storage/format.ts StoredSchema), so mapped fields go as they are, except:
 * - `sparse_vector` (lsr's alias of `rank_features`) becomes `rank_features`: Elasticsearch 8's
 *   `sparse_vector` is another type (ELSER's), and OpenSearch 2.x has none;
 * - the encoder field, `title` + `text` as one field (lsr's own, not Elasticsearch's), becomes
 *   what a cluster has:
 *   - `bm25`: `title` and `text` as `text` fields with the `english` analyzer (Lucene's
 *     EnglishAnalyzer, the chain lsr's encoder reproduces) and a BM25 similarity with the
 *     encoder's k1 and b ({@link ENCODER_SIMILARITY}). lsr scores the two as one field; on the
 *     cluster, Elasticsearch's `combined_fields` over both scores them the same way (one field's
 *     term frequencies and lengths), a `match` on one of them scores that field alone;
 *   - `neural`: `title` and `text` as plain `text` fields, and the documents' vectors (which
 *     only the index holds, in its forward vectors) as the `rank_features` field
 *     {@link ENCODER_VECTOR_FIELD}, searched with `neural_sparse` (`query_tokens`) or
 *     `rank_feature` queries;
 *   - `vectors`: the source field holding the vectors as `rank_features` (the sources carry them).
 * No pipeline setting is in the body: the documents are stored as the pipelines made them, and a
 * default pipeline would run again on the bulk load (a `sparse_encoding` processor re-encoding
 * every document). pipelines.ts says what to apply after loading.
 * @module
 */
import type { EncoderConfig } from '../../encode/encoder.js'
import { LsrError } from '../../errors.js'
import type { StoredSchema } from '../../storage/format.js'

/** The rank_features field that holds a neural encoder's document vectors on the cluster. */
export const ENCODER_VECTOR_FIELD = 'text_embedding'
/** The similarity of a bm25 encoder's `title` and `text` on the cluster. */
export const ENCODER_SIMILARITY = 'lsr_bm25'

/** The body of `PUT /{index}`. */
export interface IndexCreationBody {
  settings?: { index?: { similarity?: Record<string, unknown> }; analysis?: Record<string, unknown> }
  mappings: Record<string, unknown>
}

/**
 * The creation body of an index with this schema and encoder.
 * @throws LsrError `invalid_input` when a field the encoder needs on the cluster is already mapped
 */
export function indexCreationBody(schema: StoredSchema | undefined, encoder: EncoderConfig | undefined): IndexCreationBody {
  const mappings = translateMapping(schema?.mappings ?? {}) as Record<string, unknown>
  const properties = { ...(mappings.properties as Record<string, unknown> | undefined) }
  const similarity: Record<string, unknown> = { ...schema?.similarity }
  const add = (field: string, definition: Record<string, unknown>) => {
    if (Object.hasOwn(properties, field)) throw new LsrError('invalid_input', `field [${field}] is mapped in the index, and the export maps its ${encoder!.name} encoder there`)
    properties[field] = definition
  }
  if (encoder) {
    switch (encoder.name) {
      case 'bm25': {
        if (Object.hasOwn(similarity, ENCODER_SIMILARITY)) throw new LsrError('invalid_input', `similarity [${ENCODER_SIMILARITY}] is declared in the index, and the export declares its bm25 encoder's there`)
        similarity[ENCODER_SIMILARITY] = { type: 'BM25', k1: encoder.k1, b: encoder.b }
        for (const field of ['title', 'text']) add(field, { type: 'text', analyzer: 'english', similarity: ENCODER_SIMILARITY })
        break
      }
      case 'neural':
        for (const field of ['title', 'text']) add(field, { type: 'text' })
        add(ENCODER_VECTOR_FIELD, { type: 'rank_features' })
        break
      case 'vectors':
        for (const field of ['title', 'text']) add(field, { type: 'text' })
        add(String(encoder.field), { type: 'rank_features' })
        break
      default:
        throw new LsrError('invalid_input', `the ${encoder.name} encoder has no counterpart on a cluster`)
    }
  }
  const settings: NonNullable<IndexCreationBody['settings']> = {}
  if (Object.keys(similarity).length > 0) settings.index = { similarity }
  if (schema?.analysis && Object.keys(schema.analysis).length > 0) settings.analysis = schema.analysis
  return { ...(Object.keys(settings).length > 0 && { settings }), mappings: { ...mappings, properties } }
}

/** A copy of a mapping (or one field's definition) with `sparse_vector` spelled `rank_features`, at any depth. */
function translateMapping(definition: unknown): unknown {
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition)) return definition
  const copy: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(definition)) {
    if (key === 'properties' || key === 'fields') {
      copy[key] = Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([name, field]) => [name, translateMapping(field)]))
    } else {
      copy[key] = key === 'type' && value === 'sparse_vector' ? 'rank_features' : value
    }
  }
  return copy
}
