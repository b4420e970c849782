/**
 * Elasticsearch-compatible text analysis: the analyzers a `text` field's mapping can name, as pure
 * functions from text to tokens with their positions (Lucene's position increments).
 *
 * Built in: `standard` (the default), `simple`, `whitespace`, `keyword`, `stop`, `english`.
 * Declared in `settings.analysis`: analyzers of those types with parameters, and `custom` ones
 * built from the tokenizers `standard`, `letter`, `lowercase`, `whitespace`, `keyword` and the
 * filters `lowercase`, `stop`, `porter_stem`, `stemmer`, `asciifolding`, `trim`, `unique`, `length`.
 *
 * @example
 * import { buildAnalyzers } from './analysis/index.js'
 * const analyzers = buildAnalyzers(undefined)
 * analyzers.get('standard')?.('Hello, World!') // { tokens: ['hello', 'world'], positions: [0, 1], end: 2 }
 * @module
 */
export { BUILT_IN_ANALYZERS, buildAnalyzers } from './registry.js'
export { DEFAULT_POSITION_INCREMENT_GAP, type Analyzer, type AnalyzerRegistry, type TokenStream } from './types.js'
