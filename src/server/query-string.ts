/**
 * The Lucene query syntax of `?q=` and the `query_string` query, parsed into query DSL JSON that the
 * server then compiles like any other query. A pure function: no index, no analysis (term text is
 * passed raw, each field's analyzer applies it later).
 *
 * The grammar and the clause rules are those of Lucene's classic `QueryParser` (`QueryParser.jj`,
 * `QueryParserBase.addClause`), which Elasticsearch's `query_string` extends; the extensions taken
 * from Elasticsearch's `QueryStringQueryParser` are `_exists_:field`, `field:>=v` / `field:<v`,
 * `*` as match-all or field-exists, and `filter: match_all` added to a bool of only `must_not`
 * clauses (`Queries.fixNegativeQueryIfNeeded`).
 *
 * Supported: terms, `field:term`, `field:(group)`, `"word"`, `+` `-` `!` `AND` `&&` `OR` `||` `NOT`,
 * parentheses, `^boost`, `[a TO b]` `{a TO b}` (mixed brackets, `*` open ends), `field:>=v` `>` `<=` `<`,
 * `_exists_:field`, `field:*`, `*`, `\` escapes (`\uXXXX` too), phrases `"a b"` with `~slop`. Refused
 * with a 400 naming them: fuzzy `term~2`, wildcards `te*t` `te?t` `te*`, regular expressions `/re/`,
 * field-name patterns `title.\*:x`.
 *
 * Bounded: one pass over the input, one token of lookahead beyond the next, at most
 * {@link MAX_QUERY_STRING_CLAUSES} clauses and {@link MAX_QUERY_STRING_DEPTH} levels.
 * @module
 */
import { badRequest } from './http-error.js'

/** How terms without a field are searched. */
export interface QueryStringOptions {
  /**
   * Fields searched by terms without a field: Elasticsearch's `default_field` / `df` (several
   * fields: Elasticsearch's `fields`). `'*'` means all fields, which the caller resolves. An entry
   * may carry a boost, `title^2`: kept as is in a `multi_match`, applied as `boost` elsewhere.
   * @default ['*']
   */
  defaultFields: string[]
  /** `default_operator`: with `AND`, unmarked clauses are required. @default 'OR' */
  defaultOperator: 'OR' | 'AND'
  /**
   * The default fields are `*` expanded by the caller to the index's fields: a field-less `*` then
   * matches every document (Elasticsearch's `*` on the default field `*`), not documents having
   * one of them. @default false
   */
  allFields?: boolean
}

/** The defaults of {@link QueryStringOptions}, as Elasticsearch's. */
export const QUERY_STRING_DEFAULTS: Readonly<QueryStringOptions> = Object.freeze({ defaultFields: ['*'], defaultOperator: 'OR' })

/** Most clauses (terms, ranges, `*`) in one query string: `indices.query.bool.max_clause_count`'s 1024. */
export const MAX_QUERY_STRING_CLAUSES = 1024
/** Deepest nesting of parentheses, and of the DSL built: `indices.query.bool.max_nested_depth`'s 30. */
export const MAX_QUERY_STRING_DEPTH = 30

/** Longest piece of the query quoted back in an error message (a 1 MB query must not make a 1 MB message). */
const SHOWN_CHARS = 200

type Kind =
  | 'AND' | 'OR' | 'NOT' | 'PLUS' | 'MINUS' | 'BAREOPER' | 'LPAREN' | 'RPAREN' | 'COLON' | 'STAR' | 'CARAT'
  | 'QUOTED' | 'TERM' | 'FUZZY' | 'PREFIX' | 'WILD' | 'REGEX' | 'RANGE_IN' | 'RANGE_EX' | 'NUMBER'
  | 'TO' | 'RANGE_IN_END' | 'RANGE_EX_END' | 'RANGE_QUOTED' | 'GOOP' | 'EOF'

interface Token {
  kind: Kind
  image: string
  /** Offset in the query. */
  at: number
}

/** Lucene's whitespace (`_WHITESPACE`): other spaces are term characters, as there. */
const WHITESPACE = new Set([' ', '\t', '\n', '\r', '\u3000'])
/** Characters that end a term (besides whitespace); `+` and `-` may not start one. */
const TERM_END = new Set(['!', '(', ')', ':', '^', '[', ']', '"', '{', '}', '~', '/'])
const OPERATORS = new Map<string, Kind>([['AND', 'AND'], ['&&', 'AND'], ['OR', 'OR'], ['||', 'OR'], ['NOT', 'NOT']])
const CLAUSE_START = new Set<Kind>(['TERM', 'STAR', 'PREFIX', 'WILD', 'REGEX', 'BAREOPER', 'QUOTED', 'RANGE_IN', 'RANGE_EX', 'LPAREN'])
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9'

/** Shortens a piece of the query for a message. */
const shown = (text: string) => (text.length <= SHOWN_CHARS ? text : `${text.slice(0, SHOWN_CHARS)}… (${text.length} characters)`)

/** Throws the 400s of one query: syntax errors, refused syntax, limits. */
class Failures {
  constructor(private readonly q: string) {}
  syntax(detail: string): never {
    throw badRequest(`Failed to parse query [${shown(this.q)}]: ${detail}`, 'query_shard_exception')
  }
  refuse(what: string): never {
    throw badRequest(`${what} (query [${shown(this.q)}])`, 'query_shard_exception')
  }
}

const column = (t: { at: number }) => `column ${t.at + 1}`

/**
 * Lucene's lexical states: `default`, `boost` (after `^`: a number, no whitespace skipped) and
 * `range` (between `[`/`{` and `]`/`}`). The lexer switches state itself, so tokens can be read ahead.
 */
class Lexer {
  #pos = 0
  #state: 'default' | 'boost' | 'range' = 'default'
  readonly #ahead: Token[] = []

  constructor(private readonly s: string, private readonly fail: Failures) {}

  peek(k = 0): Token {
    while (this.#ahead.length <= k) this.#ahead.push(this.#scan())
    return this.#ahead[k]
  }

  next(): Token {
    const token = this.peek()
    this.#ahead.shift()
    return token
  }

  #token(kind: Kind, start: number, end: number, image = this.s.slice(start, end)): Token {
    this.#pos = end
    return { kind, image, at: start }
  }

  #scan(): Token {
    const s = this.s
    let i = this.#pos
    if (this.#state === 'boost') {
      while (isDigit(s[i])) i++
      if (i > this.#pos && s[i] === '.' && isDigit(s[i + 1])) for (i++; isDigit(s[i]); ) i++
      if (i === this.#pos) this.fail.syntax(`^ at column ${i} must be followed by a number (a boost, such as ^2 or ^0.5)`)
      this.#state = 'default'
      return this.#token('NUMBER', this.#pos, i)
    }
    while (i < s.length && WHITESPACE.has(s[i])) i++
    if (i >= s.length) return this.#token('EOF', i, i)
    return this.#state === 'range' ? this.#rangeToken(i) : this.#defaultToken(i)
  }

  #defaultToken(i: number): Token {
    const s = this.s
    const c = s[i]
    switch (c) {
      case '(': return this.#token('LPAREN', i, i + 1)
      case ')': return this.#token('RPAREN', i, i + 1)
      case ':': return this.#token('COLON', i, i + 1)
      case '^':
        this.#state = 'boost'
        return this.#token('CARAT', i, i + 1)
      case '[':
      case '{':
        this.#state = 'range'
        return this.#token(c === '[' ? 'RANGE_IN' : 'RANGE_EX', i, i + 1)
      case ']':
      case '}':
        return this.fail.syntax(`unexpected ${c} at column ${i + 1} (escape it as \\${c} inside a term)`)
      case '"': return this.#token('QUOTED', i, this.#closing(i, '"', 'quoted text'))
      case '/': return this.#token('REGEX', i, this.#closing(i, '/', 'regular expression (escape / as \\/ inside a term)'))
      case '~': return this.#token('FUZZY', i, this.#word(i + 1).end)
      case '+':
      case '-':
      case '!':
        // Followed by whitespace the operator is a term of its own (Lucene's BAREOPER).
        if (WHITESPACE.has(s[i + 1])) return this.#token('BAREOPER', i, i + 2, c)
        return this.#token(c === '+' ? 'PLUS' : c === '-' ? 'MINUS' : 'NOT', i, i + 1)
    }
    const { end, wildcards, lastWildcard } = this.#word(i)
    const image = s.slice(i, end)
    if (wildcards === 0) return this.#token(OPERATORS.get(image) ?? 'TERM', i, end)
    if (image === '*') return this.#token('STAR', i, end)
    return this.#token(wildcards === 1 && lastWildcard === end - 1 && s[lastWildcard] === '*' ? 'PREFIX' : 'WILD', i, end)
  }

  /** A run of term characters, escapes and wildcards from `i`. */
  #word(i: number): { end: number; wildcards: number; lastWildcard: number } {
    const s = this.s
    let wildcards = 0
    let lastWildcard = -1
    for (; i < s.length; i++) {
      const c = s[i]
      if (c === '\\') {
        if (i + 1 >= s.length) this.fail.syntax('the query ends with the escape character \\')
        i++
      } else if (c === '*' || c === '?') {
        wildcards++
        lastWildcard = i
      } else if (WHITESPACE.has(c) || TERM_END.has(c)) break
    }
    return { end: i, wildcards, lastWildcard }
  }

  /** End (exclusive) of text from `start` to the next unescaped `quote`. */
  #closing(start: number, quote: string, what: string): number {
    const s = this.s
    for (let i = start + 1; i < s.length; i++) {
      if (s[i] === '\\' && (quote === '"' || s[i + 1] === '/')) i++
      else if (s[i] === quote) return i + 1
    }
    return this.fail.syntax(`unterminated ${what} starting at column ${start + 1}`)
  }

  #rangeToken(i: number): Token {
    const s = this.s
    if (s[i] === ']' || s[i] === '}') {
      this.#state = 'default'
      return this.#token(s[i] === ']' ? 'RANGE_IN_END' : 'RANGE_EX_END', i, i + 1)
    }
    let end = i
    while (end < s.length && !WHITESPACE.has(s[end]) && s[end] !== ']' && s[end] !== '}') end++
    if (s[i] === '"') {
      // Lucene's RANGE_QUOTED: at least one character, \" escaped; the longer token wins.
      let j = i + 1
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' && s[j + 1] === '"' ? 2 : 1
      if (j < s.length && j > i + 1 && j + 1 >= end) return this.#token('RANGE_QUOTED', i, j + 1)
    }
    return this.#token(end - i === 2 && s.startsWith('TO', i) ? 'TO' : 'GOOP', i, end)
  }
}

/** What the parser builds before it is written out as DSL. */
type Node =
  | { kind: 'text'; fields: string[]; text: string; all: boolean; boost: number; phrase?: { slop: number; lenient: boolean } }
  | { kind: 'range'; fields: string[]; bounds: Record<string, string>; boost: number }
  | { kind: 'exists'; fields: string[]; boost: number }
  | { kind: 'match_all'; boost: number }
  | { kind: 'bool'; must: Node[]; should: Node[]; mustNot: Node[]; boost: number; depth: number }

type Occur = 'must' | 'should' | 'must_not'
type Conjunction = 'none' | 'and' | 'or'
type Modifier = 'none' | 'required' | 'prohibited'

/** Levels a node adds to the DSL: one per bool, a `dis_max` over several fields counts two. */
const depthOf = (node: Node) => (node.kind === 'bool' ? node.depth : node.kind !== 'text' && 'fields' in node && node.fields.length > 1 ? 2 : 1)

/** Elasticsearch's `field:>v` / `>=` / `<` / `<=` (with a field only; a lone `>` or `<` is a term). */
function comparison(text: string): Record<string, string> | undefined {
  if (text.length < 2 || (text[0] !== '>' && text[0] !== '<')) return undefined
  const inclusive = text.length > 2 && text[1] === '='
  const value = text.slice(inclusive ? 2 : 1)
  return value === '*' ? {} : { [(text[0] === '>' ? 'g' : 'l') + (inclusive ? 'te' : 't')]: value }
}

class Parser {
  readonly #lex: Lexer
  #clauses = 0

  constructor(private readonly options: QueryStringOptions, private readonly fail: Failures, q: string) {
    this.#lex = new Lexer(q, fail)
  }

  top(): Node | null {
    if (this.#lex.peek().kind === 'EOF') return null
    const node = this.#query(undefined, 1)
    const rest = this.#lex.next()
    if (rest.kind === 'RPAREN') this.fail.syntax(`unexpected ) at ${column(rest)}: no ( to close`)
    if (rest.kind !== 'EOF') this.#unexpected(rest)
    return node
  }

  /** Lucene's `Query`: `Modifiers Clause (Conjunction Modifiers Clause)*`. */
  #query(field: string | undefined, depth: number): Node | null {
    const clauses: Array<{ node: Node; occur: Occur }> = []
    let conjunction: Conjunction = 'none'
    for (let first = true; ; first = false) {
      let operator: Token | undefined
      if (!first) {
        const next = this.#lex.peek()
        if (next.kind === 'AND' || next.kind === 'OR') {
          operator = this.#lex.next()
          conjunction = next.kind === 'AND' ? 'and' : 'or'
        } else if (!CLAUSE_START.has(next.kind) && next.kind !== 'PLUS' && next.kind !== 'MINUS' && next.kind !== 'NOT') break
        else conjunction = 'none'
      }
      const mark = this.#lex.peek()
      const modifier: Modifier = mark.kind === 'PLUS' ? 'required' : mark.kind === 'MINUS' || mark.kind === 'NOT' ? 'prohibited' : 'none'
      if (modifier !== 'none') operator = this.#lex.next()
      this.#addClause(clauses, conjunction, modifier, this.#clause(field, depth, operator))
    }
    return this.#bool(clauses)
  }

  /**
   * Lucene's `QueryParserBase.addClause`: `AND` makes the previous clause required too, `OR` under
   * the AND operator makes it optional, and neither touches a prohibited one. A null node (an empty
   * `""`) still applies its conjunction.
   */
  #addClause(clauses: Array<{ node: Node; occur: Occur }>, conjunction: Conjunction, modifier: Modifier, node: Node | null): void {
    const and = this.options.defaultOperator === 'AND'
    const last = clauses.at(-1)
    if (last !== undefined && last.occur !== 'must_not') {
      if (conjunction === 'and') last.occur = 'must'
      else if (conjunction === 'or' && and) last.occur = 'should'
    }
    if (node === null) return
    const prohibited = modifier === 'prohibited'
    const required = and ? !prohibited && conjunction !== 'or' : modifier === 'required' || (conjunction === 'and' && !prohibited)
    clauses.push({ node, occur: prohibited ? 'must_not' : required ? 'must' : 'should' })
  }

  /** One clause collapses; only prohibited clauses match everything else (Elasticsearch's `fixNegativeQueryIfNeeded`). */
  #bool(clauses: Array<{ node: Node; occur: Occur }>): Node | null {
    if (clauses.length === 0) return null
    if (clauses.length === 1 && clauses[0].occur !== 'must_not') return clauses[0].node
    const of = (occur: Occur) => clauses.filter((c) => c.occur === occur).map((c) => c.node)
    const depth = 1 + clauses.reduce((deepest, c) => Math.max(deepest, depthOf(c.node)), 0)
    if (depth > MAX_QUERY_STRING_DEPTH) this.#tooDeep()
    return { kind: 'bool', must: of('must'), should: of('should'), mustNot: of('must_not'), boost: 1, depth }
  }

  /** Lucene's `Clause`: `[field:] (Term | "(" Query ")" [^boost])`. */
  #clause(field: string | undefined, depth: number, after: Token | undefined): Node | null {
    const first = this.#lex.peek()
    if ((first.kind === 'TERM' || first.kind === 'STAR') && this.#lex.peek(1).kind === 'COLON') {
      this.#lex.next()
      this.#lex.next()
      field = first.kind === 'STAR' ? '*' : this.#unescape(first)
      if (field !== '*' && /[*?]/.test(field)) this.fail.refuse(`field name patterns are not supported by lsr yet: ${shown(field)}`)
      const value = this.#lex.peek()
      if (!CLAUSE_START.has(value.kind)) this.fail.syntax(`field [${shown(field)}] at ${column(first)} has no value`)
    }
    const open = this.#lex.peek()
    if (open.kind !== 'LPAREN') return CLAUSE_START.has(open.kind) ? this.#term(field) : this.#noClause(open, after)
    this.#lex.next()
    if (depth + 1 > MAX_QUERY_STRING_DEPTH) this.#tooDeep()
    if (this.#lex.peek().kind === 'RPAREN') this.fail.syntax(`empty parentheses at ${column(open)}`)
    const node = this.#query(field, depth + 1)
    const close = this.#lex.next()
    if (close.kind === 'EOF') this.fail.syntax(`missing ) for the ( at ${column(open)}`)
    if (close.kind !== 'RPAREN') this.#unexpected(close)
    return this.#boost(node)
  }

  /** Lucene's `Term`: a term, `*`, quoted text or a range, with `^boost` and `~` in either order. */
  #term(field: string | undefined): Node | null {
    const token = this.#lex.next()
    if (token.kind === 'RANGE_IN' || token.kind === 'RANGE_EX') return this.#range(field, token)
    // `^boost` and `~` in either order.
    const take = (kind: Kind) => (this.#lex.peek().kind === kind ? this.#lex.next() : undefined)
    let fuzzy = take('FUZZY')
    const boost = take('CARAT') && this.#lex.next()
    fuzzy ??= boost && take('FUZZY')
    const scale = (node: Node | null) => (node !== null && boost !== undefined ? this.#scaled(node, Number(boost.image)) : node)
    if (token.kind === 'QUOTED') {
      const text = this.#unescape(token, token.image.slice(1, -1))
      if (field === '_exists_') return scale(this.#leaf({ kind: 'exists', fields: [text], boost: 1 }))
      if (text.trim() === '') return null // analyzed to nothing, the clause drops out
      // Quoted text is a phrase on each field (Lucene's handleQuotedTerm): `~n` is its slop, the
      // integer part of n; `~` alone keeps the default slop, 0.
      const slop = fuzzy === undefined ? 0 : Math.trunc(Number.parseFloat(fuzzy.image.slice(1)))
      if (slop < 0) this.fail.syntax(`the slop of ${shown(token.image + fuzzy!.image)} must not be negative`)
      // Over every field (no field, default `*`), fields that cannot run a phrase are left out, as Elasticsearch's lenient default there.
      const lenient = field === undefined && this.options.allFields === true
      return scale(this.#leaf({ kind: 'text', fields: this.#fields(field), text, all: false, boost: 1, phrase: { slop: Number.isNaN(slop) ? 0 : slop, lenient } }))
    }
    // Lucene's order: wildcards, then prefixes, regular expressions and fuzzy terms.
    if (token.kind === 'STAR') return scale(this.#star(field))
    if (token.kind === 'PREFIX' || token.kind === 'WILD') {
      this.fail.refuse(`wildcard and prefix queries are not supported by lsr yet: ${shown(token.image)}; only * (every document) and field:* (documents with the field) are`)
    }
    if (token.kind === 'REGEX') this.fail.refuse(`regular expression queries are not supported by lsr yet: ${shown(token.image)}`)
    if (fuzzy !== undefined) this.fail.refuse(`fuzzy queries are not supported by lsr yet: ${shown(token.image + fuzzy.image)}`)
    const text = token.kind === 'BAREOPER' ? token.image : this.#unescape(token)
    if (field === '_exists_') return scale(this.#leaf({ kind: 'exists', fields: [text], boost: 1 }))
    const bounds = field === undefined ? undefined : comparison(text)
    if (bounds !== undefined) return scale(this.#rangeNode(field, bounds))
    const all = this.options.defaultOperator === 'AND'
    return scale(this.#leaf({ kind: 'text', fields: this.#fields(field), text, all, boost: 1 }))
  }

  /** `[a TO b]`, `{a TO b}` or mixed; `*` is an open end. */
  #range(field: string | undefined, open: Token): Node {
    const value = (): string | undefined => {
      const token = this.#lex.next()
      if (token.kind !== 'GOOP' && token.kind !== 'RANGE_QUOTED' && token.kind !== 'TO') this.#badRange(open)
      const text = this.#unescape(token, token.kind === 'RANGE_QUOTED' ? token.image.slice(1, -1) : token.image)
      return text === '*' ? undefined : text
    }
    const from = value()
    if (this.#lex.next().kind !== 'TO') this.#badRange(open)
    const to = value()
    const close = this.#lex.next()
    if (close.kind !== 'RANGE_IN_END' && close.kind !== 'RANGE_EX_END') this.#badRange(open)
    const bounds: Record<string, string> = {}
    if (from !== undefined) bounds[open.kind === 'RANGE_IN' ? 'gte' : 'gt'] = from
    if (to !== undefined) bounds[close.kind === 'RANGE_IN_END' ? 'lte' : 'lt'] = to
    return this.#boost(this.#rangeNode(field, bounds))!
  }

  #rangeNode(field: string | undefined, bounds: Record<string, string>): Node {
    const fields = this.#fields(field)
    // Elasticsearch's range with neither end matches documents with the field.
    return this.#leaf(Object.keys(bounds).length === 0 ? { kind: 'exists', fields, boost: 1 } : { kind: 'range', fields, bounds, boost: 1 })
  }

  /** `*`: every document for the field `*`, else documents with the field (Elasticsearch's `getWildcardQuery`). */
  #star(field: string | undefined): Node {
    const fields = this.#fields(field)
    const everything = (field === undefined && this.options.allFields === true) || fields.some((entry) => fieldBoost(entry)[0] === '*')
    return this.#leaf(everything ? { kind: 'match_all', boost: 1 } : { kind: 'exists', fields, boost: 1 })
  }

  #fields(field: string | undefined): string[] {
    if (field !== undefined) return [field]
    return this.options.defaultFields.length > 0 ? [...this.options.defaultFields] : ['*']
  }

  /** Counts a clause against {@link MAX_QUERY_STRING_CLAUSES}. */
  #leaf(node: Node): Node {
    if (++this.#clauses > MAX_QUERY_STRING_CLAUSES) {
      this.fail.syntax(`more than ${MAX_QUERY_STRING_CLAUSES} clauses (Elasticsearch's indices.query.bool.max_clause_count)`)
    }
    return node
  }

  /** An optional `^boost` after a group or range. */
  #boost(node: Node | null): Node | null {
    if (this.#lex.peek().kind !== 'CARAT') return node
    this.#lex.next()
    const factor = Number(this.#lex.next().image)
    return node === null ? null : this.#scaled(node, factor)
  }

  /** Boosts multiply, as nested Lucene `BoostQuery`s do. */
  #scaled(node: Node, factor: number): Node {
    node.boost *= factor
    return node
  }

  /** Lucene's `discardEscapeChar`: `\x` is `x`, `\uXXXX` a UTF-16 code unit. */
  #unescape(token: Token, text = token.image): string {
    if (!text.includes('\\')) return text
    const parts: string[] = []
    let from = 0
    for (let i = text.indexOf('\\'); i !== -1; i = text.indexOf('\\', from)) {
      parts.push(text.slice(from, i))
      if (i + 1 >= text.length) this.fail.syntax('the query ends with the escape character \\')
      if (text[i + 1] === 'u') {
        const hex = text.slice(i + 2, i + 6)
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail.syntax(`\\u in the term at ${column(token)} must be followed by four hex digits`)
        parts.push(String.fromCharCode(parseInt(hex, 16)))
        from = i + 6
      } else {
        parts.push(text[i + 1])
        from = i + 2
      }
    }
    parts.push(text.slice(from))
    return parts.join('')
  }

  #noClause(token: Token, after: Token | undefined): never {
    if (after !== undefined) return this.fail.syntax(`${after.image} at ${column(after)} is not followed by a clause`)
    if (token.kind === 'AND' || token.kind === 'OR') return this.fail.syntax(`${token.image} at ${column(token)} has no clause before it`)
    return this.#unexpected(token)
  }

  #unexpected(token: Token): never {
    if (token.kind === 'EOF') return this.fail.syntax('unexpected end of the query')
    return this.fail.syntax(`unexpected ${shown(token.image)} at ${column(token)}`)
  }

  #badRange(open: Token): never {
    return this.fail.syntax(`the range at ${column(open)} must read [from TO to] or {from TO to} (either bracket on either end, * for an open end)`)
  }

  #tooDeep(): never {
    return this.fail.syntax(`nested deeper than ${MAX_QUERY_STRING_DEPTH} levels (Elasticsearch's indices.query.bool.max_nested_depth)`)
  }
}

const withBoost = (body: Record<string, unknown>, boost: number) => (boost === 1 ? body : { ...body, boost })

/** An entry of the default fields, `title` or `title^2` (Elasticsearch's `fields` syntax): name and boost. */
function fieldBoost(entry: string): [string, number] {
  const at = entry.lastIndexOf('^')
  const boost = at > 0 && at < entry.length - 1 ? Number(entry.slice(at + 1)) : Number.NaN
  return Number.isFinite(boost) && boost >= 0 ? [entry.slice(0, at), boost] : [entry, 1]
}

/**
 * One query per field, each with its field's boost: several are a `dis_max` (carrying the clause's
 * boost), as Elasticsearch's `query_string` builds them.
 */
function perField(fields: string[], boost: number, one: (field: string, boost: number) => Record<string, unknown>): Record<string, unknown> {
  if (fields.length === 1) {
    const [name, weight] = fieldBoost(fields[0])
    return one(name, weight * boost)
  }
  return { dis_max: withBoost({ queries: fields.map((entry) => one(...fieldBoost(entry))) }, boost) }
}

function toDsl(node: Node): Record<string, unknown> {
  switch (node.kind) {
    case 'text': {
      if (node.phrase) {
        const options = (boost: number) => ({ ...(node.phrase!.slop > 0 ? { slop: node.phrase!.slop } : {}), ...(boost === 1 ? {} : { boost }) })
        if (node.fields.length > 1) return { multi_match: { query: node.text, fields: node.fields, type: 'phrase', ...options(node.boost), ...(node.phrase.lenient ? { lenient: true } : {}) } }
        const [name, weight] = fieldBoost(node.fields[0])
        return { match_phrase: { [name]: { query: node.text, ...options(weight * node.boost) } } }
      }
      const options = (boost: number) => ({ ...(node.all ? { operator: 'and' } : {}), ...(boost === 1 ? {} : { boost }) })
      if (node.fields.length > 1) return { multi_match: { query: node.text, fields: node.fields, ...options(node.boost) } }
      const [name, weight] = fieldBoost(node.fields[0])
      return { match: { [name]: { query: node.text, ...options(weight * node.boost) } } }
    }
    case 'range':
      return perField(node.fields, node.boost, (field, boost) => ({ range: { [field]: withBoost(node.bounds, boost) } }))
    case 'exists':
      return perField(node.fields, node.boost, (field, boost) => ({ exists: withBoost({ field }, boost) }))
    case 'match_all':
      return { match_all: withBoost({}, node.boost) }
    case 'bool': {
      const body: Record<string, unknown> = {}
      if (node.must.length > 0) body.must = node.must.map(toDsl)
      if (node.must.length === 0 && node.should.length === 0) body.filter = [{ match_all: {} }]
      if (node.should.length > 0) body.should = node.should.map(toDsl)
      if (node.mustNot.length > 0) body.must_not = node.mustNot.map(toDsl)
      return { bool: withBoost(body, node.boost) }
    }
  }
}

/**
 * Parses a Lucene query string into Elasticsearch query DSL.
 *
 * Terms become `match` on their field, or on the default field (`multi_match` over several); `match`
 * is always emitted, and the server picks exact or analyzed matching by field type. Under the AND
 * default operator the `match` requires all of a term's tokens (`operator: "and"`), as Elasticsearch
 * does. Quoted text becomes `match_phrase` (`multi_match` of type `phrase` over several fields) with
 * its `~slop`. Clause occurrence follows Lucene's classic parser,
 * which is not a precedence parser: `a AND b OR c` is `+a +b c`. An empty query matches nothing.
 * @param q - The query string (`?q=`, `query_string.query`).
 * @param options - Default fields and operator; missing ones take {@link QUERY_STRING_DEFAULTS}.
 * @returns The query DSL: one clause itself, else a `bool` of `must`/`should`/`must_not` (when a
 *   bool has `must`, its `should` clauses only score).
 * @throws HttpError 400 `query_shard_exception`: a syntax error, syntax lsr does not support yet
 *   (fuzzy, wildcards, regular expressions), or a limit exceeded, each named.
 * @example
 * parseQueryString('title:(apple pie) -banana^2', { defaultFields: ['text'], defaultOperator: 'OR' })
 * // {bool: {should: [{bool: {should: [{match: {title: {query: 'apple'}}}, {match: {title: {query: 'pie'}}}]}}],
 * //         must_not: [{match: {text: {query: 'banana', boost: 2}}}]}}
 */
export function parseQueryString(q: string, options: Partial<QueryStringOptions> = {}): Record<string, unknown> {
  const fail = new Failures(q)
  const node = new Parser({ ...QUERY_STRING_DEFAULTS, ...options }, fail, q).top()
  return node === null ? { match_none: {} } : toDsl(node)
}
