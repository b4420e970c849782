/**
 * Elasticsearch-compatible text analysis: the analyzers a `text` field's mapping can name, as pure
 * functions from text to tokens with their positions (Lucene's position increments).
 *
 * Built in: `standard` (the default), `simple`, `whitespace`, `keyword`, `stop`, `english`.
 * Declared in `settings.analysis`: analyzers of those types with parameters, and `custom` ones
 * built from the tokenizers `standard`, `letter`, `lowercase`, `whitespace`, `keyword` and the
 * filters `lowercase`, `stop`, `porter_stem`, `stemmer`, `asciifolding`, `trim`, `unique`, `length`.
 * Asked for them (`_analyze`), an analyzer also gives each token's offsets and Lucene type;
 * indexing does not ask, and pays nothing for them. lsr has no char filters, so offsets are
 * always the tokenizer's positions in the text itself.
 *
 * @example
 * import { buildAnalyzers } from './analysis/index.js'
 * const analyzers = buildAnalyzers(undefined)
 * analyzers.get('standard')?.('Hello, World!') // { tokens: ['hello', 'world'], positions: [0, 1], end: 2 }
 * analyzers.get('standard')?.('Hello, World!', true).attributes
 * // { startOffsets: [0, 7], endOffsets: [5, 12], types: ['<ALPHANUM>', '<ALPHANUM>'] }
 * @module
 */
export { BUILT_IN_ANALYZERS, buildAnalyzers } from './registry.js'
export { standardTokenType } from './token-types.js'
export { transientAnalyzer, type TransientSpec } from './transient.js'
export { DEFAULT_POSITION_INCREMENT_GAP, WORD_TYPE, type Analyzer, type AnalyzerRegistry, type TokenAttributes, type TokenStream } from './types.js'
