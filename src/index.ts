/**
 * lsr: a learned-sparse retrieval engine. The public library API; the CLI and the server are thin
 * layers over it.
 *
 * @example
 * import { SparseIndex, ingestCorpus, type SearchBody } from 'lsr'
 * const index = await SparseIndex.open('index-data/scifact', { create: true })
 * await ingestCorpus(index, 'datasets/scifact')
 * console.log(await index.search('statins and heart disease', { k: 5 }))
 * // Documents with fields of their own: the Elasticsearch query DSL, filters and sort.
 * const body: SearchBody = { query: { match: { text: 'statins' } }, filter: { range: { year: { gte: 2010 } } }, sort: [{ year: 'desc' }], size: 5 }
 * const { hits, total } = await index.search(body)
 * await index.close()
 * @module
 */
export { IndexReader, SparseIndex } from './engine/sparse-index.js'
export type {
  AddOptions, AddOutcome, AddResult, Hit, HitWithSource, IndexStats, OpenOptions, SearchAlgorithm, SearchBody, SearchOptions, SearchRequest, SearchResult, SearchResultWithSources, SortedHit,
} from './engine/sparse-index.js'
export type { CompileOptions, ReaderSearchOptions } from './engine/index-reader.js'
export type { Aggregation, Aggregations, AggregationResult, AggregationsResult, Bucket, BucketOrder } from './engine/aggs/types.js'
export type {
  BoolQuery, ConstantScoreQuery, DisMaxQuery, ExistsQuery, FieldValue, FieldsWithBoost, IdsQuery, MatchAllQuery, MatchOperator, MatchOptions, MatchQuery, MinimumShouldMatch,
  MatchPhraseOptions, MatchPhraseQuery, MatchPhrasePrefixOptions, MatchPhrasePrefixQuery,
  MultiMatchQuery, NeuralSparseOptions, NeuralSparseQuery, NeuralSparseTwoPhase, PrefixOptions, PrefixQuery, Queries, Query, QueryStringQuery, QueryType, QueryTypes, RangeBound,
  RangeOptions, RangeQuery, SearchAfterValue, Sort, SortEntry, SortOptions, SortOrder, TermOptions, TermQuery, TermsQuery, ZeroTermsQuery, HybridQueryBody, SparseVectorQuery,
} from './engine/query/types.js'
export { fuse, describeFusion, DEFAULT_FUSION, type Fusion, type FusedHit, type Normalization, type Combination, type SubQueryHits } from './engine/hybrid/fusion.js'
export { parseSearchPipeline, type SearchPipeline } from './engine/hybrid/search-pipeline.js'
export { hybridOf, hybridSearch, runSubQueries, type HybridQuery, type HybridPage, type SubQueryResults } from './engine/hybrid/hybrid-query.js'
export { loadQueryModels, type ModelSource } from './engine/query/models.js'
export type { QueryModel, QueryModels } from './engine/query/context.js'
export { encodeQueryTokens, queryTokensOf, type QueryTokens, type QueryTokensOptions } from './engine/query/query-tokens.js'
export { exportIndex, ENCODER_VECTOR_FIELD, type ExportOptions, type IndexExport } from './engine/export/export-index.js'
export { writeExport, type WriteExportOptions, type WrittenExport } from './engine/export/export-files.js'
export { IngestPipeline, runPipelines } from './engine/pipelines/ingest-pipeline.js'
export { ModelRegistry, type ModelInfo, type SparseModel } from './encode/neural/model-registry.js'
export type { SortValue } from './search/sorted-search.js'
export type { Explanation } from './search/scorers/scored-query.js'
export type { Bm25Params } from './search/scorers/bm25.js'
export { Schema, ES_BM25 } from './engine/schema.js'
export type { IndexPipelines, StoredSchema } from './storage/format.js'
export { MAPPING_DEFAULTS } from './mapping/index.js'
export type {
  BooleanField, DateField, Dynamic, FieldMapping, FieldType, KeywordField, LeafField, Mapping, NumberField, NumberType, ObjectField, SparseField, SparseType, TextField,
} from './mapping/index.js'
export { BUILT_IN_ANALYZERS } from './analysis/index.js'
export type { Analyzer, AnalyzerRegistry, TokenStream } from './analysis/index.js'
export { SEARCH_ALGORITHMS } from './search/searcher.js'
export { ingestCorpus } from './engine/ingest.js'
export type { IngestOptions, IngestProgress, IngestResult } from './engine/ingest.js'
export { encoderInput, type Encoder, type EncoderConfig, type EncodedDocument, type QueryTerm, type ScoringModel, type SourceDocument } from './encode/encoder.js'
export { BM25_DEFAULTS, bm25Config, createBm25Encoder, type Bm25Config } from './encode/bm25.js'
export { analyzeEnglish, ENGLISH_STOP_WORDS } from './encode/english-analyzer.js'
export { createEncoder, ENCODER_NAMES, resolveEncoderConfig, type EncoderRuntime } from './encode/registry.js'
export { neuralConfig, type NeuralConfig, type NeuralRuntime, type NeuralSettings } from './encode/neural/neural-encoder.js'
export { WEIGHT_RELATIVE_ERROR } from './storage/weight-codec.js'
export { readQrels, readQueries, resolveCorpusFile, type BeirQuery, type Qrels } from './corpus/beir.js'
export { BEIR_FIELDS, documentWithId, toSourceDocument, type DocumentFields } from './corpus/documents.js'
export { DEFAULT_CUTOFFS, evaluateQuery, evaluateRun, trecOrder } from './eval/metrics.js'
export type { Evaluation, MetricValues, Run, RunHit } from './eval/metrics.js'
export { formatRunLines, readRunFile } from './eval/run-file.js'
export { InvalidInputError, LsrError, type LsrErrorCode } from './errors.js'
export { startServer, type RunningServer, type ServerOptions } from './server/serve.js'
export { createApp, type AppOptions } from './server/app.js'
export { IndexRegistry } from './server/registry.js'
export { evaluateDataset, type DatasetReport, type EvaluateOptions } from './eval/evaluate.js'
export { readQueryTemplate, type QueryTemplate } from './eval/query-template.js'
export { evaluateTemplates, type TemplateEvaluation, type TemplateEvalOptions } from './eval/template-eval.js'
export { tuneFusion, type TuneOptions, type TuneResult } from './eval/tune.js'
export { resolveDataset, BEIR_BASE_URL } from './eval/dataset.js'
export { FORMAT_VERSION, OLDEST_READABLE_FORMAT } from './storage/format.js'
export type { QueryCounters } from './search/algorithms/maxscore.js'
