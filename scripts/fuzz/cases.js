// The hostile-request generator shared by scripts/fuzz/http-fuzz.js and test/server/fuzz.test.ts.
//
// `fuzzCases({seed, count})` yields `count` requests, deterministic for a seed: malformed,
// truncated, huge and deeply nested JSON, wrong types for every search key, unknown query types
// and keys, prototype names (`__proto__`, `constructor`, `toString`) wherever a client string
// selects something, wildcard-heavy index expressions and `_source` patterns, index names with
// control characters, `%00`, `..`, unicode and 300 bytes, malformed `_bulk` NDJSON, empty `_doc`
// bodies, unknown paths and methods, bad query-string parameters and Authorization headers, raw
// malformed HTTP, and short bursts of concurrent create/delete of one name.
//
// The server under test has two protected indexes (`alpha`: BM25, `beta`: vectors) whose state
// the harness compares before and after. A request may only change data when it goes to a
// scratch index (`scratch`, `scratchv`) or creates/deletes a `fz-*` index of its own; every
// request that could change a protected index is one that must fail (`mustFail`: a 2xx answer
// is a failure, and a `_bulk` answer must fail every item), so a bug is reported at the request
// that caused it and not only at the end.
//
// A case: {kind, method, path, headers?, body?: string | Buffer, auth?: false | string,
//          mustFail?: true, raw?: Buffer (bytes sent as they are on a fresh socket),
//          burst?: case[] (sent concurrently)}.
import { mulberry32 } from '../bench/sampling.js'

export const PROTECTED = ['alpha', 'beta']
export const SCRATCH = 'scratch'
export const SCRATCH_VECTORS = 'scratchv'
/** Ids of the documents loaded into the protected indexes (s30 is deleted, s29 replaced). */
export const ALPHA_IDS = Array.from({ length: 30 }, (_, i) => `s${String(i + 1).padStart(2, '0')}`)
export const BETA_IDS = Array.from({ length: 30 }, (_, i) => `v${i}`)
/** The tokens of beta's vectors. */
export const BETA_TOKENS = ['apple', 'banana', 'cherry', 'date', 'elder', 'fig', 'grape', 'honey', 'iris', 'jade', 'kiwi', 'lemon']

/** Seeded helpers over mulberry32. */
export function createRandom(seed) {
  const next = mulberry32(seed)
  const random = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
    /** One of `[weight, value]` entries, with probability proportional to weight. */
    weighted: (entries) => {
      let u = next() * entries.reduce((s, [w]) => s + w, 0)
      for (const [w, value] of entries) if ((u -= w) < 0) return value
      return entries[entries.length - 1][1]
    },
  }
  return random
}

// ---------------------------------------------------------------------------------------------
// JSON text with full control: raw literals (1e400, -0), duplicate keys and `__proto__` as a key.

class Raw {
  constructor(text) {
    this.text = text
  }
}
class Obj {
  constructor(entries) {
    this.entries = entries
  }
}
const raw = (text) => new Raw(text)
/** An object from `[key, value]` pairs: keys may repeat and may be `__proto__`. */
const obj = (...entries) => new Obj(entries)

/** Serializes values built from plain data, {@link raw} and {@link obj}. */
export function toJson(value) {
  if (value instanceof Raw) return value.text
  if (value instanceof Obj) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`
  if (Array.isArray(value)) return `[${value.map(toJson).join(',')}]`
  if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(',')}}`
  return JSON.stringify(value) ?? 'null'
}

const deepArrays = (n) => raw(`${'['.repeat(n)}${']'.repeat(n)}`)
const deepObjects = (n) => raw(`${'{"a":'.repeat(n)}1${'}'.repeat(n)}`)
const deepBool = (n, key = 'must') => raw(`${`{"bool":{"${key}":[`.repeat(n)}{"match_all":{}}${']}}'.repeat(n)}`)
const stars = (n) => `${'*'.repeat(n)}x`
/** Backtracking bait: `a*a*a*...b` against names and paths made of `a`s. */
const starChain = (n, letter = 'a') => `${`${letter}*`.repeat(n)}b`

// ---------------------------------------------------------------------------------------------
// Vocabularies of hostile values.

const PROTO_NAMES = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'prototype', '__defineGetter__', 'isPrototypeOf']
const NUMBER_LITERALS = ['-1', '-0', '0', '1.5', '1e400', '-1e400', '1e21', '1e9', '4294967296', '2147483648', '9007199254740993', '99999999999999999999999999999', '0.0000001', '5e-324', '10001', '65536', '1E2']
const STRINGISH = ['', ' ', 'NaN', 'Infinity', '-Infinity', '1e309', 'abc', '10', '-5', ' 5 ', '0x10', '\u0000', 'true', 'null', '[]', '{}', '%00', '../../etc/passwd', '\ud800', '🙂', 'é']
const INDEX_NAMES_HOSTILE = [
  '%00', 'a%00b', 'alpha%00', '..', '.', '%2E%2E', '%2e', '..%2F..%2Fetc', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', 'a%2Fb', 'alpha%2F..%2Fbeta', '%5C', 'a%5Cb',
  '%01', 'a%07b', 'a%0Ab', 'a%0Db', 'a%09b', 'a%1Fb', 'a%7Fb', '%C2%85', '%E2%80%8B', 'alpha%E2%80%8B', '%C3%A9t%C3%A9', '%E6%BC%A2%E5%AD%97', '%F0%9F%99%82', '%E2%80%AE',
  '%FF', '%C0%AE%C0%AE', '%ZZ', '%', '%%', '%2', 'a%',
  'Alpha', 'ALPHA', '-a', '_a', '+a', 'a%20b', 'a,b', 'a%23b', 'a:b', 'a%3Fb', 'a|b', 'a"b', 'a<b', 'a>b', 'a%5Cb', 'a\\b',
  ...PROTO_NAMES, '__proto__,alpha', 'constructor,missing-zz', 'tostring', 'hasownproperty', 'valueof', 'current', 'lock', 'CURRENT', 'LOCK', 'LOG',
  ',', ',,', 'alpha,', ',alpha', 'alpha,,beta', 'alpha,missing-zz', 'missing-zz', '_all,missing-zz', 'alpha,%00',
  'a'.repeat(255), 'a'.repeat(256), 'a'.repeat(300), encodeURIComponent('é'.repeat(128)), encodeURIComponent('é'.repeat(200)),
]
const INDEX_EXPRESSIONS = [
  '_all', '*', '**', '*,*', 'al*', '*a', 'a*a', 'alpha*', 'be*,al*', '*,-alpha', '-alpha', 'alpha,-beta', '*x', stars(45), stars(60), starChain(40), starChain(45),
  `al${'*'.repeat(40)}`, `${'*a'.repeat(30)}`, '_all,alpha',
]
/** Lists of existing names: a DELETE of them is legitimate, so they are only read. */
const INDEX_LISTS = ['alpha,beta', 'alpha,alpha', 'beta,alpha']
const DOC_IDS_HOSTILE = [
  '%00', 's01%00', '..', '.', '%2E%2E', '%2F', 'S01', 's01%20', '%20s01', 's1', 's001', ...PROTO_NAMES, 'a'.repeat(1000), 'a'.repeat(6000),
  '%C3%A9', '%F0%9F%99%82', '%FF', '%ZZ', 'missing-zz', '*', 's*', '_all', '%0A', 'null', 'undefined', 'NaN',
]
const FIELDS = ['text', 'title', ...PROTO_NAMES, '', ' ', 'tag', 'meta.n', 'meta', 'vector', 'text.keyword', '_id', '*', 'a'.repeat(1000), '\u0000text\u0000', 'text\u0000', 'TEXT']
const TEXTS = [
  'bitmaps', 'sorted integer sets', 'leveldb write batch', '', '   ', '\u0000', 'é ü ß 漢字 🙂', 'the and of', '*', '?', 'AND OR NOT', '<script>alert(1)</script>',
  '__proto__ constructor toString', '\ud800 lone surrogate', '\u0000tag\u0000even', 'apple banana', '%00', '../../../etc/passwd', '\\u0000',
]
const TOKENS = [...BETA_TOKENS, ...PROTO_NAMES, '', ' ', '\u0000tag\u0000even', '\u0000', 'a'.repeat(2000), '🙂', 'bitmaps']

function hostileScalar(r) {
  return r.weighted([
    [3, () => raw(r.pick(NUMBER_LITERALS))],
    [3, () => r.pick(STRINGISH)],
    [1, () => r.pick([null, true, false])],
    [2, () => r.pick([[], [null], [1, 2], {}, { a: 1 }, obj(['__proto__', { a: 1 }]), [[]], [{}]])],
    [1, () => r.pick(PROTO_NAMES)],
  ])()
}

// ---------------------------------------------------------------------------------------------
// Query DSL

function textValue(r, small = false) {
  return r.weighted([
    [12, () => r.pick(TEXTS)],
    [small ? 0 : 1, () => 'bitmaps '.repeat(r.pick([1000, 20000]))],
    [small ? 0 : 1, () => 'x'.repeat(r.pick([10_000, 100_000]))],
    [2, () => hostileScalar(r)],
  ])()
}

function field(r) {
  return r.chance(0.6) ? r.pick(['text', 'title']) : r.pick(FIELDS)
}

function boost(r) {
  return r.chance(0.6) ? r.pick([1, 2, 0.5, 0]) : hostileScalar(r)
}

function matchBody(r) {
  return r.weighted([
    [3, () => obj([field(r), textValue(r)])],
    [3, () => obj([field(r), obj(['query', textValue(r)], ...(r.chance(0.4) ? [['operator', r.pick(['and', 'or', 'AND', 'xor', '', 5, null, '__proto__'])]] : []), ...(r.chance(0.4) ? [['boost', boost(r)]] : []), ...(r.chance(0.2) ? [[r.pick(['fuzziness', 'analyzer', '__proto__', 'minimum_should_match']), hostileScalar(r)]] : []))])],
    [1, () => obj(['text', 'a'], ['title', 'b'])],
    [1, () => hostileScalar(r)],
    [1, () => obj()],
  ])()
}

/** match_phrase(_prefix) bodies: plain, with hostile slop / max_expansions / analyzer, very long phrases. */
function phraseBody(r) {
  const option = () => r.pick(['slop', 'max_expansions', 'analyzer', 'zero_terms_query', 'boost', '__proto__', 'operator'])
  const value = () => r.pick([0, 1, 2, 50, -1, 1.5, 2 ** 31, 1e308, raw('1e400'), 'x', null, {}, [], 'all', 'none', 'whitespace', 'nope'])
  return r.weighted([
    [3, () => obj([field(r), textValue(r)])],
    [3, () => obj([field(r), obj(['query', textValue(r)], ...Array.from({ length: r.int(0, 3) }, () => [option(), value()]))])],
    [1, () => obj(['text', Array.from({ length: r.pick([500, 1025, 20_000]) }, (_, i) => `w${i % 7}`).join(' ')])],
    [1, () => obj(['text', 'a b'], ['title', 'b c'])],
    [1, () => hostileScalar(r)],
  ])()
}

function queryTokens(r) {
  return r.weighted([
    [4, () => obj(...Array.from({ length: r.int(1, 6) }, () => [r.pick(TOKENS), r.chance(0.6) ? r.pick([1, 0.5, 2, 3.7]) : r.pick([0, -1, 1e308, raw('1e400'), raw('-0'), 'x', null, {}, [], 1e-300, 5e-324, 1e-45, 2e-9])]))],
    [1, () => obj(...Array.from({ length: r.pick([5_000, 30_000]) }, (_, i) => [`t${i}`, 1]))],
    [1, () => hostileScalar(r)],
  ])()
}

function twoPhase(r) {
  const value = () => r.pick([-1, 0, 0.4, 1, 2, 1e9, 1e12, 2 ** 32, 1.5, raw('1e400'), 'x', null, {}])
  return r.weighted([
    [3, () => obj(...['prune_ratio', 'expansion_rate', 'max_window_size'].filter(() => r.chance(0.6)).map((k) => [k, value()]))],
    [1, () => obj([r.pick(PROTO_NAMES), 1])],
    [1, () => hostileScalar(r)],
  ])()
}

function neuralSparseBody(r) {
  const spec = () => {
    const entries = []
    const which = r.int(0, 3)
    if (which === 0 || which === 3) entries.push(['query_text', textValue(r)])
    if (which === 1 || which === 3) entries.push(['query_tokens', queryTokens(r)])
    if (which === 2) entries.push([r.pick(['model_id', 'analyzer', 'max_token_score', ...PROTO_NAMES]), hostileScalar(r)])
    if (r.chance(0.3)) entries.push(['two_phase', twoPhase(r)])
    if (r.chance(0.2)) entries.push(['boost', boost(r)])
    return obj(...entries)
  }
  return r.chance(0.85) ? obj([r.chance(0.7) ? r.pick(['text', 'title']) : r.pick(FIELDS), r.chance(0.9) ? spec() : hostileScalar(r)]) : hostileScalar(r)
}

function keywordBody(r, type) {
  const value = () => (r.chance(0.5) ? r.pick(['even', 'odd', 1, 7, true]) : hostileScalar(r))
  const f = r.chance(0.5) ? r.pick(['tag', 'meta.n']) : r.pick(FIELDS)
  if (type === 'term') {
    return r.weighted([
      [3, () => obj([f, value()])],
      [2, () => obj([f, obj(['value', value()], ...(r.chance(0.3) ? [['boost', boost(r)]] : []), ...(r.chance(0.2) ? [[r.pick(PROTO_NAMES), 1]] : []))])],
      [1, () => obj([f, 'even'], ['tag', 'odd'])],
      [1, () => hostileScalar(r)],
    ])()
  }
  return r.weighted([
    [3, () => obj([f, Array.from({ length: r.int(0, 4) }, value)])],
    [1, () => obj([f, Array.from({ length: r.pick([10_000, 100_000]) }, (_, i) => `v${i}`)])],
    [1, () => obj([f, value()])],
    [1, () => hostileScalar(r)],
  ])()
}

function idsBody(r) {
  return r.weighted([
    [3, () => obj(['values', Array.from({ length: r.int(0, 5) }, () => (r.chance(0.6) ? r.pick([...ALPHA_IDS, ...BETA_IDS]) : hostileScalar(r)))])],
    [1, () => obj(['values', Array.from({ length: r.pick([20_000, 100_000]) }, (_, i) => `id${i}`)])],
    [1, () => obj(['values', hostileScalar(r)])],
    [1, () => obj([r.pick(PROTO_NAMES), ['s01']])],
    [1, () => hostileScalar(r)],
  ])()
}

function boolBody(r, depth) {
  const clauses = () => r.weighted([
    [4, () => query(r, depth + 1)],
    [4, () => Array.from({ length: r.int(0, 3) }, () => query(r, depth + 1))],
    [1, () => hostileScalar(r)],
    [1, () => [hostileScalar(r)]],
  ])()
  const keys = ['must', 'should', 'filter', 'must_not'].filter(() => r.chance(0.45))
  const entries = keys.map((k) => [k, clauses()])
  if (r.chance(0.15)) entries.push([r.pick(['minimum_should_match', 'boost', 'adjust_pure_negative', ...PROTO_NAMES]), hostileScalar(r)])
  return r.chance(0.9) ? obj(...entries) : hostileScalar(r)
}

const UNKNOWN_QUERY_TYPES = ['fuzzy', 'regexp', 'wildcard', 'prefix', 'range', 'exists', 'nested', 'script', 'knn', 'function_score', 'constant_score', 'dis_max', 'query_string', 'simple_query_string', 'more_like_this', 'match_bool_prefix', 'span_near', 'match_none', ...PROTO_NAMES, '', ' ', 'MATCH', 'match ', 'match\u0000']

/** A query: valid or hostile at every level. */
function query(r, depth = 0) {
  if (depth > 3) return obj(['match_all', obj()])
  return r.weighted([
    [6, () => obj(['match', matchBody(r)])],
    [2, () => obj(['multi_match', r.chance(0.85) ? obj(['query', textValue(r)], ...(r.chance(0.6) ? [['fields', r.pick([['title', 'text'], [null], 'text', ['text^2'], [{}], ['__proto__'], [], ['tag'], ['*']])]] : []), ...(r.chance(0.3) ? [['type', r.pick(['best_fields', 'most_fields', 'phrase', 'phrase_prefix', 'bool_prefix', 'cross_fields', '__proto__', 5])]] : []), ...(r.chance(0.2) ? [['operator', r.pick(['and', 'xor', null])]] : [])) : hostileScalar(r)])],
    [4, () => obj(['neural_sparse', neuralSparseBody(r)])],
    [3, () => obj([r.pick(['match_phrase', 'match_phrase_prefix']), phraseBody(r)])],
    [2, () => obj(['match_all', r.pick([obj(), null, [], 'x', obj(['boost', boost(r)]), obj(['__proto__', obj()]), obj(['constructor', 1])])])],
    [2, () => obj(['ids', idsBody(r)])],
    [2, () => obj(['term', keywordBody(r, 'term')])],
    [2, () => obj(['terms', keywordBody(r, 'terms')])],
    [5, () => obj(['bool', boolBody(r, depth)])],
    [3, () => obj([r.pick(UNKNOWN_QUERY_TYPES), r.chance(0.5) ? obj([field(r), textValue(r)]) : hostileScalar(r)])],
    [1, () => obj(['match', obj(['text', 'a'])], ['term', obj(['tag', 'even'])])],
    [1, () => obj()],
    [1, () => hostileScalar(r)],
  ])()
}

/** A top-level query, sometimes pathologically deep or wide. */
function topQuery(r) {
  return r.weighted([
    [40, () => query(r)],
    [1, () => deepBool(r.pick([100, 1000, 3000, 10_000, 30_000]), r.pick(['must', 'should', 'filter', 'must_not']))],
    [1, () => raw(`${'{"bool":{"must":'.repeat(3000)}{"match_all":{}}${'}}'.repeat(3000)}`)],
    [1, () => obj(['bool', obj(['should', Array.from({ length: r.pick([1000, 10_000]) }, (_, i) => obj(['match', obj(['text', `w${i} bitmaps`])]))])])],
    [1, () => obj(['bool', obj(['filter', Array.from({ length: 2000 }, () => obj(['terms', obj(['tag', ['even', 'odd']])]))])])],
    [1, () => deepArrays(r.pick([1000, 100_000]))],
    [1, () => deepObjects(r.pick([1000, 100_000]))],
  ])()
}

// ---------------------------------------------------------------------------------------------
// Search bodies

function sourceSpec(r) {
  return r.weighted([
    [3, () => r.pick([true, false, 'title', ['title', 'text'], obj(['includes', ['t*']]), 'meta.*', obj(['excludes', ['text']]), '*'])],
    [3, () => r.pick([stars(45), stars(r.int(20, 60)), starChain(r.int(25, 45)), `${'t*'.repeat(30)}z`, 'a'.repeat(100_000), `${'*'.repeat(100_000)}`, starChain(50_000), `meta.${'*'.repeat(50)}x`])],
    [1, () => Array.from({ length: r.pick([100, 1000]) }, () => stars(40))],
    [1, () => obj(['includes', [stars(45)]], ['excludes', [starChain(40, 't')]])],
    [2, () => r.pick([...PROTO_NAMES, '__proto__.polluted', 'constructor.prototype', 'meta.__proto__'])],
    [2, () => r.pick([null, 1, [null], [[]], obj(['includes', 5]), obj(['excludes', [{}]]), obj(['__proto__', ['x']]), obj(['includes', ['title']], ['constructor', 1]), ''])],
  ])()
}

function highlightSpec(r) {
  const fieldsValue = () => r.pick([
    obj(['text', obj()]), [obj(['text', obj()])], [null], [1], ['text'], [[]], null, 'text', obj(), obj(['__proto__', obj()]), obj(['constructor', obj()]), obj(['*', obj()]),
    obj(['text', null]), [obj(['__proto__', obj()])], Array.from({ length: 1000 }, () => obj(['text', obj()])), obj([stars(45), obj()]),
  ])
  return r.weighted([
    [5, () => obj(['fields', fieldsValue()], ...[
      ['pre_tags', r.pick([['<b>'], [null], 'x', [], [1], ['<script>'.repeat(1000)]])],
      ['post_tags', r.pick([['</b>'], [null], {}, [obj()]])],
      ['fragment_size', r.pick([0, 1, 50, -1, 1e9, 2 ** 32, raw('1e400'), 'x', 1.5])],
      ['number_of_fragments', r.pick([0, 1, 3, -1, 1e9, raw('1e400'), 'x', null])],
      ['encoder', r.pick(['html', 'default', 5, '__proto__', null])],
      [r.pick(['type', 'order', 'require_field_match', ...PROTO_NAMES]), hostileScalar(r)],
    ].filter(() => r.chance(0.3)))],
    [1, () => hostileScalar(r)],
  ])()
}

const SEARCH_KEY_VALUES = {
  size: (r) => (r.chance(0.3) ? r.pick([0, 1, 10, 25, 10_000]) : r.pick([raw('1e400'), raw('-0'), 10_001, 1e9, 2 ** 31, 2 ** 32, 2 ** 53, -1, 1.5, '10', 'abc', 'NaN', 'Infinity', null, true, [], {}, [10]])),
  from: (r) => (r.chance(0.3) ? r.pick([0, 5, 9_990]) : r.pick([raw('1e400'), raw('-0'), 9_999, 10_000, 1e9, 2 ** 53, -1, 0.5, '3', 'x', 'Infinity', null, false, [], {}])),
  _source: sourceSpec,
  track_total_hits: (r) => (r.chance(0.3) ? r.pick([true, false, 10, 'true', 0]) : r.pick([-1, 1.5, 'x', {}, [], null, raw('1e400'), 'NaN', '-1', 2 ** 53])),
  sort: (r) => (r.chance(0.3) ? r.pick(['_score', [obj(['_score', 'desc'])], obj(['_score', obj(['order', 'desc'])])]) : r.pick(['title', [null], {}, [{}], [obj(['_score', 'asc'])], obj(['_doc', 'asc']), '__proto__', obj(['__proto__', 'desc']), 5, [[]], 'a'.repeat(10_000), [obj(['_score', obj(['order', '__proto__'])])], [obj(['constructor', 'desc'])], null])),
  highlight: highlightSpec,
  explain: (r) => (r.chance(0.4) ? r.pick([true, false]) : r.pick(['true', 1, null, {}, [], 'yes'])),
  timeout: (r) => (r.chance(0.3) ? r.pick(['1s', '10ms', '1m']) : r.pick([-1, {}, [], 'abc', '1e400ms', null, 0, '-1s', '99999999999d', raw('1e400')])),
}
const UNKNOWN_SEARCH_KEYS = ['aggs', 'aggregations', 'post_filter', 'min_score', 'search_after', 'knn', 'script_fields', 'suggest', 'rescore', 'collapse', 'stored_fields', 'version', 'profile', 'pit', 'indices_boost', ...PROTO_NAMES, '', ' ', 'query ', 'QUERY', 'Size', '\u0000']

function searchBody(r) {
  const entries = []
  if (r.chance(0.8)) entries.push(['query', topQuery(r)])
  for (const [key, value] of Object.entries(SEARCH_KEY_VALUES)) if (r.chance(0.2)) entries.push([key, value(r)])
  if (r.chance(0.08)) entries.push([r.pick(UNKNOWN_SEARCH_KEYS), hostileScalar(r)])
  if (r.chance(0.03)) entries.push(['query', obj(['match_all', obj()])]) // a repeated key
  return obj(...entries)
}

// ---------------------------------------------------------------------------------------------
// Bodies that are not (all) valid JSON

const INVALID_BODIES = [
  '{', '}', '{"query":', '{"query":{"match":{"text":"x"}}', '{"query":{"match":{"text":"x"}}}}', '{query: {}}', "{'query':{}}", '{"query":{},}', '{"size":NaN}', '{"size":Infinity}',
  '{"size":-Infinity}', '{"size":01}', '{"size":1.}', '{"size":.5}', '{"size":+1}', '{"a":"\\x41"}', '{"a":"\\u12"}', '{"a":"unterminated', '{"a" "b"}', '{"a":1 "b":2}',
  '{} {}', '{}x', '[]', '[{}]', 'null', 'true', '5', '"string"', '//comment\n{}', '/* c */{}', '{"a":1}\u0000', '\u0000{}', 'undefined', 'NaN', '{"a":\u0001}',
  '{"\u0000":1', '{"a":[1,2,]}', '{"a":[,1]}', '\\', '"', '{"a":"\n"}', '\ufeff', '\ufeff{"query":{"match_all":{}}', '{"query":{"match_all":{}}}\n{"size":1}',
]
const INVALID_BYTES = [
  Buffer.from([0xff, 0xfe, 0xfd]), Buffer.from([0xc0, 0x80]), Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22]), // {"a":"<ff>"
  Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0x00, 0x00, 0x00]), Buffer.from([0x1f, 0x8b, 0x08, 0x00]), // gzip magic
  Buffer.from([0xfe, 0xff, 0x00, 0x7b, 0x00, 0x7d]), // UTF-16 BE {}
]

/** True when no JSON reading of `text` (BOM stripped, trimmed) yields an object: safe to send as a write body anywhere. */
function neverAnObject(text) {
  try {
    const value = JSON.parse(text.replace(/^\ufeff/, '').trim())
    return value === null || typeof value !== 'object' || Array.isArray(value)
  } catch {
    return true
  }
}

/** A broken version of a valid body: truncated, with a byte flipped, inserted or deleted. */
function mutate(r, text) {
  if (text.length === 0) return '{'
  const at = r.int(0, text.length - 1)
  return r.weighted([
    [3, () => text.slice(0, at)],
    [2, () => text.slice(0, at) + r.pick(['"', '{', '}', '[', ']', ',', ':', '\\', '\u0000', 'x', '\n', '\ud800']) + text.slice(at)],
    [2, () => text.slice(0, at) + text.slice(at + 1)],
    [1, () => text + r.pick(['x', ',', '}', '{', '\u0000', ' trailing'])],
    [1, () => `\ufeff${text}`],
  ])()
}

function brokenJson(r) {
  return r.weighted([
    [4, () => r.pick(INVALID_BODIES)],
    [4, () => mutate(r, toJson(searchBody(r)))],
    [1, () => r.pick(INVALID_BYTES)],
    [1, () => '{"query":'.repeat(r.pick([1000, 50_000]))],
    [1, () => `${'['.repeat(100_000)}`],
    [1, () => `{"a":"${'x'.repeat(r.weighted([[8, 100_000], [1, 2_000_000]]))}`],
  ])()
}

/** A body that must not be accepted as a document (empty, blank, not JSON, not an object). */
function nonDocumentBody(r) {
  for (;;) {
    const body = r.weighted([
      [4, () => r.pick(['', ' ', '\n', '\r\n', '\t', '  \n  '])],
      [3, () => r.pick(['null', '[]', '[{}]', '"text"', '5', 'true', 'false', '[{"title":"x"}]', '"{}"'])],
      [3, () => mutate(r, toJson({ title: 'x', text: 'a document' }))],
      [2, () => r.pick(INVALID_BODIES)],
    ])()
    if (neverAnObject(body)) return body
  }
}

// ---------------------------------------------------------------------------------------------
// _bulk NDJSON

/** Bulk bodies that cannot write anything, whatever the target (every action must fail). */
function failingBulk(r, index) {
  const existing = index === 'beta' ? r.pick(BETA_IDS.slice(0, 25)) : r.pick(ALPHA_IDS.slice(0, 25))
  const pieces = () => r.pick([
    `garbage`,
    `{"foo":{"_id":"x"}}\n{"title":"t"}`,
    `{"index":5}\n{"title":"t"}`,
    `{"index":"x"}\n{"title":"t"}`,
    `{"index":null}\n{"title":"t"}`,
    `{"index":[]}\n{"title":"t"}`,
    `{"__proto__":{"_id":"x"}}\n{"title":"t"}`,
    `{"constructor":{"_id":"x"}}\n{"title":"t"}`,
    `{"delete":{}}`,
    `{"delete":{"_id":"missing-zz"}}`,
    `{"delete":{"_id":"missing-zz","_index":"Bad Name"}}`,
    `{"create":{"_id":"${existing}"}}\n{"title":"t","text":"replaced?"}`,
    `{"update":{"_id":"missing-zz"}}\n{"doc":{"title":"x"}}`,
    `{"update":{"_id":"${existing}"}}\n{"script":"ctx._source.x=1"}`,
    `{"update":{"_id":"${existing}"}}\n{"doc":5}`,
    `{"update":{"_id":"${existing}"}}\n{"doc":{"title":"x"},"__proto__":{}}`,
    `{"update":{}}\n{"doc":{"title":"x"}}`,
    `{"index":{"_id":"x"}}\n[1,2]`,
    `{"index":{"_id":"x"}}\nnull`,
    `{"index":{"_id":"x"}}\n"text"`,
    `{"index":{"_id":"x"}}\n5`,
    `{"index":{"_id":"x"}}\n{"title":"unterminated`,
    `{"index":{"_id":"x"}}\n{"title":"t",}`,
    `{"index":{"_id":"x","_index":"%00:"}}\n{"title":"t"}`,
    `{"index":{"_id":"x","_index":".."}}\n{"title":"t"}`,
    `{"index":{"_id":"x","_index":"Bad"}}\n{"title":"t"}`,
    `{"index":{"_id":"x","_index":"__proto__"}}\n{"title":"t"}`,
    `{"index":{"_id":"x","_index":"a\\u0000b"}}\n{"title":"t"}`,
    `{"index":{"_id":"x","_index":"*"}}\n{"title":"t"}`,
    `{"index":{"_id":"x","_index":"_all"}}\n{"title":"t"}`,
    `{"index":{"_id":"x","_index":"alpha,beta"}}\n{"title":"t"}`,
  ])
  // An action line without its source may only come last: anything after it would be its source.
  const lastOnly = r.pick(['', '\n{"index":{"_id":"x"}}', '\n{"create":{"_id":"x"}}', '\n{"update":{"_id":"x"}}'])
  return r.weighted([
    [3, () => r.pick(['', ' ', '\n', '\n\n\n', '\r\n', 'null', '[]', '{}', '"x"', '\ufeff'])],
    [6, () => `${Array.from({ length: r.int(1, 4) }, pieces).join('\n')}${lastOnly}${r.chance(0.7) ? '\n' : ''}`],
  ])()
}

const VECTOR_TOKENS_HOSTILE = ['\u0000tag\u0000even', '\u0000meta.n\u00001', '\u0000', '__proto__', 'constructor', '', 'a'.repeat(5000), 'apple']

/** A document for a scratch index; `small` ones go into large bulks. */
function scratchDocument(r, vectors, small = false) {
  const big = small ? 0 : 1
  if (vectors) {
    return r.weighted([
      [3, () => obj(['vector', obj(...Array.from({ length: r.int(1, 5) }, () => [r.pick(small ? BETA_TOKENS : VECTOR_TOKENS_HOSTILE.concat(BETA_TOKENS)), r.chance(0.6) ? r.pick([1, 0.5, 2]) : r.pick([0, -1, 1e-40, 1e-30, 5e-324, 1e308, raw('1e400'), 'x', null, {}, []])]))], ...(r.chance(0.3) ? [['tag', r.pick(['even', 'odd'])]] : []))],
      [big, () => obj(['vector', obj(...Array.from({ length: 20_000 }, (_, i) => [`t${i}`, 1]))])],
      [1, () => obj(['vector', hostileScalar(r)])],
    ])()
  }
  return r.weighted([
    [4, () => obj(['title', r.chance(0.8) ? r.pick(TEXTS) : hostileScalar(r)], ['text', r.chance(0.8) ? textValue(r, small) : hostileScalar(r)], ...(r.chance(0.3) ? [['tag', r.pick(['even', 'odd', 'é', ''])]] : []))],
    [big, () => obj(['title', 'deep'], ['meta', deepObjects(r.pick([100, 10_000, 100_000]))])],
    [big, () => obj(['title', 'deep'], ['meta', deepArrays(r.pick([100, 10_000, 100_000]))])],
    [big, () => obj(['title', 'wide'], ...Array.from({ length: 10_000 }, (_, i) => [`f${i}`, i]))],
    [1, () => obj(['__proto__', obj(['polluted', 1])], ['text', 'proto'])],
    [1, () => obj(['constructor', obj(['prototype', obj(['polluted', 1])])], ['text', 'proto'])],
    [1, () => obj(['text', 'dup'], ['text', 'dup2'])],
    [1, () => obj()],
  ])()
}

/** Any bulk body for a scratch index: valid writes mixed with everything malformed. */
function scratchBulk(r, index) {
  const vectors = index === SCRATCH_VECTORS
  const id = () => (r.chance(0.7) ? `x${r.int(0, 40)}` : r.pick(['', '__proto__', 'constructor', '\u0000', 'a'.repeat(600), 5, null, {}, [], true]))
  const meta = () => (r.chance(0.85) ? obj(...[['_id', id()], ...(r.chance(0.15) ? [['_index', r.pick([index, 'Bad', '%00', '..', '__proto__', 'fz-auto', '', 5, null])]] : []), ...(r.chance(0.1) ? [[r.pick(['routing', 'version', 'if_seq_no', ...PROTO_NAMES]), hostileScalar(r)]] : [])]) : hostileScalar(r))
  const count = r.weighted([[15, () => r.int(1, 6)], [1, () => r.pick([500, 2000])]])()
  const small = count > 6
  const action = () => r.weighted([
    [5, () => `${toJson(obj([r.pick(['index', 'create']), meta()]))}\n${toJson(scratchDocument(r, vectors, small))}`],
    [2, () => `${toJson(obj(['delete', meta()]))}`],
    [2, () => `${toJson(obj(['update', meta()]))}\n${toJson(r.chance(0.6) ? obj(['doc', scratchDocument(r, vectors, small)], ...(r.chance(0.4) ? [['doc_as_upsert', r.pick([true, false, 'true', null])]] : [])) : hostileScalar(r))}`],
    [2, () => failingBulk(r, index)],
    [1, () => mutate(r, `{"index":{"_id":"y"}}\n{"title":"t","text":"mutated"}`)],
    [1, () => r.pick(['', '\n', '\r', '   ', '\ufeff{"index":{}}\n{}', '{"index":{}}\r\n{"text":"crlf"}\r', '{"index":{"_id":"z"}}\n\n{"text":"after blank"}'])],
  ])()
  return `${Array.from({ length: count }, action).join(r.chance(0.9) ? '\n' : '\r\n')}${r.chance(0.8) ? '\n' : ''}`
}

// ---------------------------------------------------------------------------------------------
// PUT /{index} settings

const ENCODER_NAMES_HOSTILE = [...PROTO_NAMES, '', 'BM25', 'bm25 ', ' bm25', 'nope', 'neural', 'vectors', 'bm25\u0000', 5, null, {}, [], true]
const MODEL_PATHS = ['/root/.ssh', '/root', '/etc/passwd', '/etc', '/', '../../..', '..', '/proc/self/environ', '/dev/zero', '/tmp', 'does-not-exist', '/does/not/exist', './', '\u0000', '%00']

function indexSettings(r) {
  const encoder = () => r.weighted([
    [3, () => obj(['name', r.pick(ENCODER_NAMES_HOSTILE)])],
    [3, () => obj(['name', r.pick(['bm25', 'vectors'])], ...[
      ['k1', r.pick([-1, 0, 'x', 1e308, raw('1e400'), null, 1.2, [], {}])],
      ['b', r.pick([-1, 2, 'x', 0.75, raw('-0'), null])],
      ['field', r.pick(['', 5, '__proto__', 'constructor', 'vector', null, {}, 'a'.repeat(10_000)])],
      [r.pick(PROTO_NAMES), hostileScalar(r)],
    ].filter(() => r.chance(0.4)))],
    [2, () => obj(['name', 'neural'], ['model', r.pick(MODEL_PATHS)], ...(r.chance(0.5) ? [['hubCache', r.pick(['/tmp/lsr-fuzz-hub', '/root/.cache', '../../x', '/'])]] : []), ...(r.chance(0.3) ? [['dtype', r.pick(['q8', 'fp16', '__proto__', 5])]] : []))],
    [1, () => hostileScalar(r)],
  ])()
  const settings = () => r.weighted([
    [4, () => obj(['encoder', encoder()])],
    [2, () => obj(['index', obj(['encoder', encoder()])])],
    [2, () => obj(['index', obj(['similarity', obj(['default', r.chance(0.8) ? obj(['type', r.pick(['BM25', 'bm25', '__proto__', 'classic', 'constructor', 5, null, {}])], ...(r.chance(0.5) ? [['k1', r.pick([1.2, -1, 'x', raw('1e400'), null])]] : []), ...(r.chance(0.5) ? [['b', r.pick([0.75, 2, 'x', null])]] : [])) : hostileScalar(r)])])])],
    [1, () => obj(['number_of_shards', hostileScalar(r)], ['number_of_replicas', hostileScalar(r)])],
    [1, () => hostileScalar(r)],
    [1, () => obj([r.pick(PROTO_NAMES), obj(['name', 'bm25'])])],
  ])()
  return r.weighted([
    [6, () => toJson(obj(['settings', settings()], ...(r.chance(0.2) ? [['mappings', r.pick([obj(['properties', obj(['text', obj(['type', 'text'])])]), hostileScalar(r)])]] : [])))],
    [1, () => toJson(obj(['aliases', obj(['x', obj()])]))],
    [1, () => brokenJson(r)],
    [1, () => ''],
  ])()
}

// ---------------------------------------------------------------------------------------------
// Query strings, headers, paths

function queryString(r) {
  const params = [
    () => `size=${r.pick(['NaN', '-1', '-0', '1e400', 'Infinity', '0x10', 'abc', '', '%00', '10001', '99999999999999999999', '1.5', '%20', '10'])}`,
    () => `from=${r.pick(['NaN', '-1', 'abc', '', '9999', '1e9', '0'])}`,
    () => `q=${r.pick(['bitmaps', '', '%00', '%ZZ', '%', encodeURIComponent('é 🙂 漢字'), 'a'.repeat(10_000), encodeURIComponent('text:x AND y'), '%FF%FE', '__proto__'])}`,
    () => `_source=${encodeURIComponent(r.pick([stars(45), starChain(40), 'title', '__proto__', 'false', '', '*', `${'t*'.repeat(30)}z`]))}`,
    () => `track_total_hits=${r.pick(['true', 'false', '-1', 'x', '__proto__', '1e400', '10'])}`,
    () => `refresh=${r.pick(['garbage', '%00', 'TRUE', '1', '__proto__', 'wait_for', ''])}`,
    () => `op_type=${r.pick(['__proto__', 'create', 'index', 'x', ''])}`,
    () => `format=${r.pick(['json', 'yaml', '__proto__', 'txt', '', '%00'])}`,
    () => r.pick(['pretty', 'pretty=true', 'error_trace=true', 'filter_path=hits.hits._id', 'human', 'timeout=x', 'routing=x', 'preference=_local', 'ignore_unavailable=true', 'allow_no_indices=false', 'expand_wildcards=all']),
    () => r.pick(['__proto__=1', 'constructor[prototype][x]=1', '__proto__[x]=1', '=', '&&&', 'q', 'size=1&size=2', '%00=%00', 'a=%', `${'x'.repeat(5000)}=1`]),
  ]
  return Array.from({ length: r.int(1, 3) }, () => r.pick(params)()).join('&')
}

const BAD_AUTH = [
  undefined, '', 'ApiKey', 'ApiKey ', 'Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', 'ApiKey wrong', 'Bearer wrong', 'ApiKey fuzz-ke', 'ApiKey fuzz-key2', 'ApiKey FUZZ-KEY',
  'ApiKey fuzz-key fuzz-key', 'Token fuzz-key', 'fuzz-key', 'ApiKeyfuzz-key', `ApiKey ${'k'.repeat(8000)}`, 'ApiKey \u00ff\u00fe', 'Negotiate YII=', 'ApiKey __proto__', 'Bearer constructor', 'Digest username="x"',
]

/** An index name as it goes into a URL path (already percent-encoded where needed). */
function nameInPath(r) {
  return r.weighted([
    [5, () => r.pick(INDEX_NAMES_HOSTILE)],
    [2, () => r.pick(INDEX_EXPRESSIONS).replaceAll(',', r.chance(0.2) ? '%2C' : ',')],
    [1, () => r.pick(INDEX_LISTS)],
    [1, () => `${'a*'.repeat(r.pick([1000, 4000]))}b`], // up to 8 KB: past that, Node's 16 KiB header limit answers 431 before any route
    [1, () => encodeURIComponent(String.fromCharCode(r.int(1, 31)) + 'x')],
    [1, () => `x\u00e9\u00ff`], // raw latin-1 bytes in the path
  ])()
}

const UNKNOWN_PATHS = [
  '/_nodes', '/_cluster/state', '/_cluster/settings', '/_aliases', '/scratch/_mapping', '/alpha/_settings', '/_snapshot', '/scratch/_update/s01', '/_sql', '/_msearch', '/alpha/_msearch',
  // (_mapping, _update, _delete_by_query and _update_by_query are endpoints now, which rightly change what they name: on the scratch index.)
  '/_mget', '/alpha/_mget', '/scratch/_delete_by_query', '/scratch/_update_by_query', '/_reindex', '/_tasks', '/_template/x', '/_index_template/x', '/_security/_authenticate',
  '//', '///', '/alpha//_search', '/alpha/_search/extra', '/alpha/_doc/s01/extra', '/alpha/_doc/s01/_source', '/alpha/_source/s01', '/_cat', '/_cat/', '/_cat/indices/alpha', '/_cat/health',
  '/_cat/indices?format=yaml', '/_cat/indices?format=__proto__', '/_ui/x', '/favicon.ico', '/robots.txt', '/.env', '/.git/config', '/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd',
  '/alpha/..', '/alpha/%2e%2e', '/alpha/_doc/..%2F..%2Fbeta', '/alpha/_explain', '/alpha/_explain/', '/alpha/_doc', '/alpha/_doc/', '/_doc/s01', '/_create/s01', '/alpha/_create',
  '/alpha/__proto__', '/alpha/constructor', '/__proto__/_search', '/constructor/_doc/x', '/toString/_count', '/_search/__proto__', '/alpha/_stats/__proto__', '/alpha/_forcemerge/x',
  '/_all/_doc/s01', '/*/_doc/s01', '/alpha,beta/_doc/s01', '/_all/_bulk', '/*/_bulk', '/alpha,beta/_explain/s01', '/al*/_explain/s01',
]
const METHODS = ['PATCH', 'OPTIONS', 'TRACE', 'FOO', 'PROPFIND', 'MKCOL', 'LOCK', 'PURGE', 'DELETE', 'PUT', 'POST', 'GET', 'HEAD']

/** Raw HTTP/1.1 byte strings (`{AUTH}` becomes the Authorization header line). */
function rawRequests(r) {
  return r.pick([
    'GET\r\n\r\n', 'GET / HTTP/9.9\r\nHost: x\r\n{AUTH}\r\n', 'GET / HTTP/1.1\r\nNoColonHeader\r\n\r\n', 'POST /alpha/_search HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Length: -1\r\n\r\n{}',
    'POST /alpha/_search HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Length: abc\r\n\r\n{}', 'POST /alpha/_search HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    'POST /alpha/_search HTTP/1.1\r\nHost: x\r\n{AUTH}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 'POST /alpha/_search HTTP/1.1\r\nHost: x\r\n{AUTH}Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n{}\r\n0\r\n\r\n',
    'GET /al\u0000pha/_search HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n', 'GET /alpha /_search HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n', 'GET /alpha\t/_count HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n',
    'GET /alpha/_search HTTP/1.0\r\n{AUTH}\r\n', `GET /${'a'.repeat(70_000)} HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n`, `GET / HTTP/1.1\r\nHost: x\r\n{AUTH}X-Big: ${'b'.repeat(70_000)}\r\n\r\n`,
    'GET / HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', '\u0016\u0003\u0001\u0002\u0000\u0001\u0000\u0001\u00fc\u0003\u0003', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    'GET http://evil.example/ HTTP/1.1\r\nHost: evil.example\r\n{AUTH}\r\n', 'CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n', 'POST /alpha/_search HTTP/1.1\r\nHost: x\r\n{AUTH}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{}',
    'GET /alpha/_doc/s01 HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n', 'GET /alpha/_doc/%FF%FE HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n', 'GET /\u00ff\u00fe/_search HTTP/1.1\r\nHost: x\r\n{AUTH}\r\n',
    // Truncated bodies: the client hangs up before the end; nothing may be written.
    'POST /alpha/_doc/s01 HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"title":"truncated","text":"never complete"}',
    'POST /alpha/_bulk HTTP/1.1\r\nHost: x\r\n{AUTH}Content-Length: 1000\r\n\r\n{"index":{"_id":"s01"}}\n{"title":"truncated"}\n',
    'POST /alpha/_bulk HTTP/1.1\r\nHost: x\r\n{AUTH}Transfer-Encoding: chunked\r\n\r\n30\r\n{"index":{"_id":"s01"}}\n{"title":"truncated"}\n\r\n',
  ])
}

/** The first path segment, decoded: the index name or expression a request addresses. */
function target(path) {
  return decodeURIComponentSafe(path.split('?')[0].split('/')[1] ?? '')
}

/** True when a request could address a protected index (conservatively: any mention, any wildcard, _all). */
function mayTouchProtected(c) {
  const name = target(c.path)
  if (/alpha|beta|\*|_all/.test(name)) return true
  return c.path.split('?')[0].split('/')[1] === '_bulk' && /alpha|beta|\*|_all/.test(String(c.body))
}

const READ_PATH = /^\/[^/]*\/(_search|_count|_explain\/[^/]+|_refresh|_stats|_doc\/[^/]+)$|^\/(_search|_count|_cat\/indices|_cluster\/health)?$/

/** True for requests that read: GET/HEAD, and POST to the search endpoints. */
function isRead(c) {
  if (c.method === 'GET' || c.method === 'HEAD') return true
  const path = c.path.split('?')[0]
  return c.method === 'POST' && READ_PATH.test(path) && !/\/_doc\//.test(path)
}

/** Names Elasticsearch (and lsr) refuse for an index, so that none exists; not control characters, which lsr once accepted. */
function noIndexCanBeNamed(name) {
  return name === '' || name === '.' || name === '..' || name !== name.toLowerCase() || /^[-_+]/.test(name) || /[\\/*?"<>|\s,#:\u0000]/.test(name) || Buffer.byteLength(name) > 255 || name === 'missing-zz'
}

/** A hostile index name that cannot address a protected index, for writes (and is not `missing-zz`, which must stay missing). */
function hostileName(r) {
  for (;;) {
    const name = nameInPath(r)
    if (!/alpha|beta|\*|_all|missing-zz/.test(decodeURIComponentSafe(name))) return name
  }
}

/** An alias name Elasticsearch (and lsr) refuse, so that none exists: `invalid_alias_name_exception` and kin. */
function invalidAliasName(r) {
  for (;;) {
    const name = r.weighted([[3, () => hostileName(r)], [1, () => r.pick(['_all', '*', 'fz-al-*', '', 'Upper', '_x', '-x', 'a,b', 'missing-zz'])]])()
    const decoded = decodeURIComponentSafe(name)
    if (decoded !== 'missing-zz' && noIndexCanBeNamed(decoded)) return decoded
  }
}

/**
 * The hostile requests, `count` of them, deterministic for `seed`.
 * @param {{seed?: number, count?: number, apiKey?: string}} options
 */
export function* fuzzCases({ seed = 1, count = 5000, apiKey = 'fuzz-key' } = {}) {
  const r = createRandom(seed)
  const created = [] // fz-* names this run may have created, deleted again later
  let serial = 0
  const json = { 'content-type': 'application/json' }
  const ndjson = { 'content-type': 'application/x-ndjson' }
  const anyIndex = () => r.weighted([[3, () => r.pick(PROTECTED)], [1, () => r.pick([SCRATCH, SCRATCH_VECTORS])], [2, () => nameInPath(r)], [1, () => r.pick(['alpha,beta', '_all', '*', 'al*', 'alpha,scratch'])]])()
  const protectedIndex = () => r.pick(PROTECTED)
  const scratchIndex = () => r.pick([SCRATCH, SCRATCH_VECTORS])
  const docId = (index) => (r.chance(0.5) ? r.pick(index === 'beta' ? BETA_IDS : ALPHA_IDS) : r.pick(DOC_IDS_HOSTILE))
  const writeBody = '{"title":"x","text":"must not be written","vector":{"apple":1}}'

  const generators = [
    // Searches: the search keys with wrong types, hostile queries, over protected, scratch and hostile targets.
    [30, () => ({ kind: 'search', method: r.pick(['POST', 'POST', 'GET']), path: `/${anyIndex()}/_search`, headers: json, body: toJson(searchBody(r)) })],
    [3, () => ({ kind: 'search-all', method: 'POST', path: '/_search', headers: json, body: toJson(searchBody(r)) })],
    [4, () => ({ kind: 'uri-search', method: 'GET', path: `/${anyIndex()}/_search?${queryString(r)}` })],
    [5, () => ({ kind: 'count', method: r.pick(['POST', 'GET']), path: r.chance(0.8) ? `/${anyIndex()}/_count` : '/_count', headers: json, body: toJson(r.chance(0.8) ? obj(['query', topQuery(r)]) : searchBody(r)) })],
    [5, () => {
      const index = r.chance(0.85) ? protectedIndex() : nameInPath(r)
      return { kind: 'explain', method: r.pick(['POST', 'GET']), path: `/${index}/_explain/${docId(index)}`, headers: json, body: r.chance(0.8) ? toJson(obj(['query', topQuery(r)])) : brokenJson(r) }
    }],
    [8, () => ({ kind: 'broken-json', method: 'POST', path: r.pick([`/${anyIndex()}/_search`, `/${anyIndex()}/_count`, `/${protectedIndex()}/_explain/s01`, '/_search', '/_count']), headers: json, body: brokenJson(r) })],
    // Names and expressions in every per-index route.
    [10, () => {
      const [method, suffix] = r.pick([['GET', ''], ['HEAD', ''], ['GET', '/_stats'], ['POST', '/_refresh'], ['GET', '/_doc/s01'], ['GET', '/_count'], ['POST', '/_search'], ['DELETE', '/_doc/missing-zz'], ['POST', '/_forcemerge'], ['PUT', '/_doc/x1']])
      const picked = method === 'POST' && suffix === '/_forcemerge' ? r.pick([SCRATCH, hostileName(r)]) : nameInPath(r)
      // A write to a missing index creates it (auto-create): missing-zz must stay missing, and a
      // name that only looks like a protected one (alpha + U+200B) would be created, not refused.
      const decoded = decodeURIComponentSafe(picked)
      const name = method === 'PUT' && (decoded === 'missing-zz' || (!noIndexCanBeNamed(decoded) && /alpha|beta/.test(decoded))) ? 'fz-auto' : picked
      const c = { kind: 'index-name', method, path: `/${name}${suffix}`, headers: json, body: method === 'POST' ? '{}' : method === 'PUT' ? writeBody : undefined }
      return method === 'DELETE' || (method === 'PUT' && mayTouchProtected(c)) ? { ...c, mustFail: true } : c
    }],
    // Deletes that must be refused: wildcards, _all, lists with a missing name, hostile names.
    // (A list of names that all exist is a legitimate delete, Elasticsearch drops empty list
    // entries, and a hostile name this run created may be deleted: the deletes that must fail name
    // a wildcard, _all, a missing index or a name that no index can have.)
    [2, () => {
      const name = r.pick([...INDEX_EXPRESSIONS, ...INDEX_NAMES_HOSTILE, 'alpha,missing-zz', 'missing-zz,beta', 'alpha%2Cmissing-zz'].filter((n) => !/^(alpha|beta)?$/.test(n) && (!n.includes(',') || /missing-zz|\*|_all|%00|__proto__/.test(n))))
      const c = { kind: 'delete-index', method: 'DELETE', path: `/${name}` }
      return mayTouchProtected(c) || noIndexCanBeNamed(decodeURIComponentSafe(name)) ? { ...c, mustFail: true } : c
    }],
    // Bulk: failing bodies on protected indexes; anything on scratch indexes and hostile names.
    [4, () => {
      const index = protectedIndex()
      return { kind: 'bulk-protected', method: r.pick(['POST', 'PUT']), path: r.chance(0.8) ? `/${index}/_bulk${r.chance(0.2) ? `?${queryString(r)}` : ''}` : '/_bulk', headers: ndjson, body: failingBulk(r, index), mustFail: true }
    }],
    [5, () => {
      const index = scratchIndex()
      return { kind: 'bulk-scratch', method: 'POST', path: r.chance(0.85) ? `/${index}/_bulk` : `/${hostileName(r)}/_bulk`, headers: ndjson, body: scratchBulk(r, index) }
    }],
    // Documents: non-document bodies must be refused (protected); anything goes on scratch.
    [6, () => {
      const index = protectedIndex()
      const [method, path] = r.pick([['PUT', `/_doc/${docId(index)}`], ['POST', `/_doc/${docId(index)}`], ['POST', '/_doc'], ['PUT', `/_create/${docId(index)}`], ['POST', `/_create/${docId(index)}`]])
      return { kind: 'doc-empty', method, path: `/${index}${path}${r.chance(0.15) ? `?${queryString(r)}` : ''}`, headers: r.chance(0.8) ? json : {}, body: nonDocumentBody(r), mustFail: true }
    }],
    [2, () => {
      const index = protectedIndex()
      const id = r.pick(index === 'beta' ? BETA_IDS.slice(0, 25) : ALPHA_IDS.slice(0, 25))
      return r.pick([
        { kind: 'doc-conflict', method: 'PUT', path: `/${index}/_create/${id}`, headers: json, body: writeBody, mustFail: true },
        { kind: 'doc-conflict', method: 'PUT', path: `/${index}/_doc/${id}?op_type=create`, headers: json, body: writeBody, mustFail: true },
        { kind: 'doc-bad-param', method: 'PUT', path: `/${index}/_doc/${id}?refresh=${r.pick(['garbage', '%00', '__proto__', 'TRUE'])}`, headers: json, body: writeBody, mustFail: true },
        { kind: 'doc-delete-missing', method: 'DELETE', path: `/${index}/_doc/${r.pick(DOC_IDS_HOSTILE)}`, mustFail: true },
      ])
    }],
    [4, () => {
      const index = protectedIndex()
      return { kind: 'doc-get', method: r.pick(['GET', 'HEAD']), path: `/${index}/_doc/${docId(index)}${r.chance(0.4) ? `?${queryString(r)}` : ''}` }
    }],
    [3, () => {
      const index = scratchIndex()
      const [method, path] = r.pick([['PUT', `/_doc/x${r.int(0, 40)}`], ['POST', '/_doc'], ['PUT', `/_create/x${r.int(0, 40)}`], ['PUT', `/_doc/${r.pick(DOC_IDS_HOSTILE)}`], ['DELETE', `/_doc/x${r.int(0, 40)}`]])
      const body = method === 'DELETE' ? undefined : r.weighted([[3, () => toJson(scratchDocument(r, index === SCRATCH_VECTORS))], [1, () => nonDocumentBody(r)], [1, () => brokenJson(r)]])()
      return { kind: 'doc-scratch', method, path: `/${index}${path}${r.chance(0.2) ? `?${queryString(r)}` : ''}`, headers: json, body }
    }],
    // Index creation with hostile settings and names; protected names must stay as they are.
    [6, () => {
      const name = r.weighted([[4, () => `fz-${serial++}`], [2, () => hostileName(r)], [1, () => protectedIndex()], [1, () => r.pick(['alpha,beta', '_all', '*', 'alpha,', 'al*'])]])()
      if (name.startsWith('fz-')) created.push(name)
      const c = { kind: 'create-index', method: 'PUT', path: `/${name}`, headers: json, body: indexSettings(r) }
      return mayTouchProtected(c) ? { ...c, mustFail: true } : c
    }],
    [4, () => {
      const method = r.pick(METHODS)
      const path = r.pick(UNKNOWN_PATHS)
      const c = { kind: 'unknown-path', method, path, headers: json, body: method !== 'GET' && method !== 'HEAD' && r.chance(0.3) && !/_doc|_create|_bulk/.test(path) ? '{}' : undefined }
      return !isRead(c) && mayTouchProtected(c) ? { ...c, mustFail: true } : c
    }],
    [3, () => {
      const method = r.pick(['PATCH', 'OPTIONS', 'TRACE', 'FOO', 'PROPFIND', 'M-SEARCH', 'CHECKOUT', 'PURGE'])
      return { kind: 'unknown-method', method, path: r.pick(['/', `/${protectedIndex()}`, `/${protectedIndex()}/_search`, `/${protectedIndex()}/_doc/s01`, '/_bulk', '/_cat/indices']), headers: json, body: method === 'TRACE' ? undefined : '{}', mustFail: true }
    }],
    [5, () => {
      // A POST without a body: to _doc it must fail (no empty documents).
      const c = { kind: 'query-string', method: r.pick(['GET', 'POST']), path: `${r.pick(['/alpha/_search', '/beta/_search', '/_search', '/alpha/_count', '/_cat/indices', '/alpha/_doc/s01', '/', '/alpha/_stats', '/alpha/_explain/s02'])}?${queryString(r)}`, headers: json }
      return !isRead(c) && mayTouchProtected(c) ? { ...c, mustFail: true } : c
    }],
    // Authorization: every request with a bad key is refused, writes included.
    [4, () => {
      const index = protectedIndex()
      const [method, path, body] = r.pick([
        ['DELETE', `/${index}`], ['PUT', `/${index}/_doc/s01`, writeBody], ['POST', `/${index}/_bulk`, `{"index":{"_id":"s02"}}\n${writeBody}\n`], ['DELETE', `/${index}/_doc/${index === 'beta' ? 'v1' : 's01'}`],
        ['POST', `/${index}/_forcemerge`], ['PUT', `/fz-auth-${serial++}`, '{}'], ['DELETE', '/_all'], ['POST', '/_bulk', `{"delete":{"_index":"${index}","_id":"s03"}}\n`],
        ['GET', `/${index}/_search`], ['GET', '/_cat/indices'], ['POST', `/${index}/_explain/s01`, '{}'], ['GET', `/${index}/_doc/s01`],
      ])
      return { kind: 'bad-auth', method, path, headers: json, body, auth: r.pick(BAD_AUTH) ?? false, mustFail: true }
    }],
    [2, () => ({ kind: 'raw-http', method: 'RAW', path: '', raw: Buffer.from(rawRequests(r).replaceAll('{AUTH}', `Authorization: ApiKey ${apiKey}\r\n`), 'latin1') })],
    // Concurrent create/delete of one name, with searches over everything meanwhile.
    [0.5, () => {
      const name = `fz-burst-${serial++}`
      created.push(name)
      const burst = Array.from({ length: 16 }, (_, i) => (i % 4 === 3
        ? { kind: 'burst-search', method: 'POST', path: '/_search', headers: json, body: '{"query":{"match":{"text":"bitmaps"}}}' }
        : i % 2 === 0 ? { kind: 'burst-create', method: 'PUT', path: `/${name}`, headers: json, body: r.chance(0.3) ? '{"settings":{"encoder":{"name":"__proto__"}}}' : '{}' } : { kind: 'burst-delete', method: 'DELETE', path: `/${name}` }))
      return { kind: 'burst', method: 'BURST', path: `/${name}`, burst }
    }],
  ]
  // Aliases: created, moved and removed over the scratch indexes and this run's fz-* ones, and
  // searched, counted, read and written through. An alias never gets a protected index (GET /alpha
  // would show it): every action naming one carries something that fails the whole request (an
  // option lsr refuses, an invalid alias name), so it also checks that _aliases is all or nothing.
  const aliasName = () => r.weighted([[6, () => `fz-al-${r.int(0, 5)}`], [1, () => invalidAliasName(r)]])()
  const aliasMember = () => r.weighted([[5, () => scratchIndex()], [2, () => (created.length > 0 ? r.pick(created) : SCRATCH)], [1, () => `fz-al-${r.int(0, 5)}`]])()
  const safeAction = () => r.weighted([
    [4, () => ({ add: { ...(r.chance(0.3) ? { indices: [aliasMember(), aliasMember()] } : { index: aliasMember() }), alias: aliasName(), ...(r.chance(0.3) ? { is_write_index: r.chance(0.8) ? r.chance(0.5) : hostileScalar(r) } : {}) } })],
    [2, () => ({ remove: { index: r.chance(0.8) ? aliasMember() : '*', alias: r.chance(0.8) ? aliasName() : 'fz-al-*', ...(r.chance(0.3) ? { must_exist: r.chance(0.5) } : {}) } })],
    [1, () => ({ [r.pick(['add', 'remove', 'remove_index', 'swap', '__proto__'])]: r.pick([{}, [], null, { index: SCRATCH }, { alias: 'fz-al-0' }, { index: SCRATCH, alias: 'fz-al-0', [r.pick(PROTO_NAMES)]: 1 }]) })],
  ])()
  const failingAction = () => r.pick([
    { add: { index: protectedIndex(), alias: aliasName(), [r.pick(['filter', 'routing', 'index_routing', 'search_routing', 'is_hidden'])]: r.pick([{ term: { tag: 'x' } }, '1', true]) } },
    { add: { index: protectedIndex(), alias: invalidAliasName(r) } },
    { add: { indices: [SCRATCH, protectedIndex()], alias: aliasName(), is_write_index: r.pick(['yes', 1, [], {}]) } },
    { add: { index: protectedIndex(), alias: r.pick(PROTECTED) } },
    { remove_index: { index: r.pick(['*', '_all', 'al*', 'alpha,*', '*a']) } },
  ])
  const viaAlias = () => `fz-al-${r.int(0, 5)}`
  generators.push(
    [4, () => {
      const failing = r.chance(0.3)
      const actions = Array.from({ length: r.int(1, 3) }, safeAction)
      if (failing) actions.splice(r.int(0, actions.length), 0, failingAction())
      const body = r.chance(0.9) ? toJson({ actions }) : r.pick([toJson({ actions: [] }), toJson({ actions: safeAction() }), toJson({ actions, [r.pick(PROTO_NAMES)]: 1 }), brokenJson(r)])
      return { kind: 'alias-actions', method: 'POST', path: '/_aliases', headers: json, body, ...(failing ? { mustFail: true } : {}) }
    }],
    [2, () => r.pick([
      () => ({ kind: 'alias-api', method: r.pick(['PUT', 'POST']), path: `/${aliasMember()}/${r.pick(['_alias', '_aliases'])}/${aliasName()}`, headers: json, body: r.chance(0.7) ? '{}' : toJson({ is_write_index: r.chance(0.5) ? r.chance(0.5) : hostileScalar(r) }) }),
      () => ({ kind: 'alias-api', method: 'DELETE', path: `/${aliasMember()}/_alias/${r.chance(0.8) ? aliasName() : 'fz-al-*'}` }),
      () => ({ kind: 'alias-api', method: r.pick(['GET', 'HEAD']), path: r.pick(['/_alias', `/_alias/${aliasName()}`, `/${aliasMember()}/_alias`, `/${viaAlias()}/_alias/${aliasName()}`, '/alpha/_alias', '/_alias/fz-al-*,missing-zz']) }),
      () => ({ kind: 'alias-api', method: 'GET', path: `/_cat/aliases${r.chance(0.5) ? `/${aliasName()}` : ''}?${r.pick(['v', 'format=json', 'h=alias,index&s=alias:desc', 'h=nope', 's=index:sideways', 'bytes=kb&v', `h=${r.pick(PROTO_NAMES)}`, 'format=__proto__'])}` }),
      () => {
        const name = `fz-${serial++}`
        created.push(name)
        return { kind: 'alias-api', method: 'PUT', path: `/${name}`, headers: json, body: toJson({ aliases: r.pick([{ [aliasName()]: {} }, { [aliasName()]: { is_write_index: true } }, { [aliasName()]: { filter: { match_all: {} } } }, obj(['__proto__', {}]), [], 'x']) }) }
      },
    ])()],
    [3, () => {
      const alias = viaAlias()
      return r.pick([
        () => ({ kind: 'alias-read', method: r.pick(['POST', 'GET']), path: `/${alias}/_search`, headers: json, body: toJson(r.chance(0.7) ? obj(['query', topQuery(r)]) : searchBody(r)) }),
        () => ({ kind: 'alias-read', method: 'POST', path: `/${alias},${r.pick(PROTECTED)}/_count`, headers: json, body: '{}' }),
        () => ({ kind: 'alias-read', method: 'GET', path: `/${alias}/_doc/x${r.int(0, 40)}${r.chance(0.3) ? `?version=${r.pick(['1', '2', '0', 'x', '-3'])}` : ''}` }),
        () => ({ kind: 'alias-read', method: 'POST', path: '/_mget', headers: json, body: toJson({ docs: [{ _index: alias, _id: `x${r.int(0, 40)}`, ...(r.chance(0.3) ? { version: hostileScalar(r) } : {}) }, { _index: r.pick(PROTECTED), _id: 's01' }] }) }),
        () => ({ kind: 'alias-read', method: 'POST', path: `/${alias}/_analyze`, headers: json, body: toJson(r.pick([{ field: 'text', text: r.pick(TEXTS) }, { text: [r.pick(TEXTS), r.pick(TEXTS)] }, { field: r.pick(FIELDS), text: 'x' }, { analyzer: r.pick(PROTO_NAMES), text: 'x' }])) }),
        () => ({ kind: 'alias-read', method: 'GET', path: `/_cat/count/${alias}?${r.pick(['v', 'format=json', 'h=count', 'ts=false'])}` }),
        () => ({ kind: 'alias-read', method: 'GET', path: `/${alias}` }),
      ])()
    }],
    [3, () => {
      const alias = viaAlias()
      const id = `x${r.int(0, 40)}`
      // (A write to a missing fz-al-* creates an index of that name, which the DELETE here may drop again.)
      return r.pick([
        () => ({ kind: 'alias-write', method: 'PUT', path: `/${alias}/_doc/${id}`, headers: json, body: toJson(scratchDocument(r, false, true)) }),
        () => ({ kind: 'alias-write', method: 'POST', path: `/${alias}/_bulk`, headers: ndjson, body: scratchBulk(r, SCRATCH) }),
        () => ({ kind: 'alias-write', method: 'POST', path: `/${alias}/_update/${id}`, headers: json, body: toJson({ doc: { title: r.pick(TEXTS) }, doc_as_upsert: r.chance(0.5) }) }),
        () => ({ kind: 'alias-write', method: 'DELETE', path: `/${alias}/_doc/${id}` }),
        () => ({ kind: 'alias-write', method: 'DELETE', path: `/${alias}` }),
        () => ({ kind: 'alias-write', method: 'POST', path: `/${alias}/_flush` }),
      ])()
    }],
  )
  // A mistake in this file must not turn a check into a write on a protected index.
  const guard = (c) => {
    if (!c.burst && !c.raw && !c.mustFail && !isRead(c) && mayTouchProtected(c)) {
      throw new Error(`fuzz case generator: a request that may write a protected index must be marked mustFail: ${c.method} ${c.path}`)
    }
    return c
  }
  for (let i = 0; i < count; i++) {
    if (created.length > 0 && r.chance(0.04)) {
      yield { kind: 'cleanup', method: 'DELETE', path: `/${created.shift()}` }
      continue
    }
    yield guard(r.weighted(generators)())
  }
}

/** decodeURIComponent that leaves malformed escapes as they are. */
export function decodeURIComponentSafe(text) {
  try {
    return decodeURIComponent(text)
  } catch {
    return text.replace(/%[0-9a-fA-F]{2}/g, (m) => {
      try {
        return decodeURIComponent(m)
      } catch {
        return m
      }
    })
  }
}
