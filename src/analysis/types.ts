/**
 * The shapes every analysis component shares: an analyzer is a tokenizer followed by token filters.
 * @module
 */

/**
 * Tokens with their positions, as Lucene's position increments lay them out.
 * @example the `stop` analyzer on 'the quick fox the' // { tokens: ['quick', 'fox'], positions: [1, 2], end: 4 }
 */
export interface TokenStream {
  /** The tokens in order (repeated tokens repeat). */
  tokens: string[]
  /**
   * Each token's position: non-decreasing, 0-based. A token stacked on the previous one (Lucene's
   * position increment 0) has its position; a filter that removed tokens leaves a gap.
   */
  positions: number[]
  /**
   * The position after the text: the last token's position + 1, plus the positions of tokens removed
   * after it (Lucene's position increment at `end()`). The next value of a multi-valued field starts
   * at `end` + the position increment gap.
   */
  end: number
  /**
   * Each token's offsets and type, parallel to `tokens`: only when the analyzer was asked for
   * them (`_analyze`); indexing never computes them.
   */
  attributes?: TokenAttributes
}

/**
 * Where each token came from, as Lucene's OffsetAttribute and TypeAttribute give it. The tokenizer
 * sets them; filters keep each token's (a stacked token takes its original's), and a filter that
 * removes tokens removes theirs.
 */
export interface TokenAttributes {
  /** Each token's start in the analyzed text, in UTF-16 units (Java chars, as Lucene counts). */
  startOffsets: number[]
  /** Each token's end, exclusive. */
  endOffsets: number[]
  /**
   * Each token's Lucene type: `<ALPHANUM>`, `<NUM>`, `<IDEOGRAPHIC>`, `<HIRAGANA>`, `<KATAKANA>`,
   * `<HANGUL>`, `<SOUTHEAST_ASIAN>` or `<EMOJI>` from the standard tokenizer, `word` from the others.
   */
  types: string[]
}

/** Empty attributes for a tokenizer to fill. */
export const newAttributes = (): TokenAttributes => ({ startOffsets: [], endOffsets: [], types: [] })

/**
 * Text -> tokens with positions; with `withAttributes` true, also their offsets and types
 * (`stream.attributes`). Without, an analyzer does no offset work at all.
 */
export type Analyzer = (text: string, withAttributes?: boolean) => TokenStream

/**
 * Text -> tokens in order, at positions 0..n-1; the first stage of an analyzer. Given
 * `attributes`, it also pushes each token's offsets and type there.
 */
export type Tokenizer = (text: string, attributes?: TokenAttributes) => string[]

/** Lucene's default token type (TypeAttribute.DEFAULT_TYPE), that of every tokenizer but the standard one. */
export const WORD_TYPE = 'word'

/**
 * A stream -> a stream. May rewrite or compact the arrays it is given in place (each analyzer call
 * owns its stream), so a filter allocates only when it adds tokens.
 */
export type TokenFilter = (stream: TokenStream) => TokenStream

/** Elasticsearch's position increment gap of every analyzer but a custom one that sets its own. */
export const DEFAULT_POSITION_INCREMENT_GAP = 100

/** The analyzers one index can name. */
export interface AnalyzerRegistry {
  /** The analyzer of this name (built-in or declared in settings.analysis), or undefined. */
  get(name: string): Analyzer | undefined
  /** Whether `get(name)` gives an analyzer. */
  has(name: string): boolean
  /**
   * The positions between two values of a multi-valued field this analyzer indexes: a custom
   * analyzer's `position_increment_gap`, else DEFAULT_POSITION_INCREMENT_GAP.
   */
  positionIncrementGap(name: string): number
  /** The tokenizer of this name: declared in settings.analysis.tokenizer, else built in; or undefined. */
  tokenizer(name: string): Tokenizer | undefined
  /** The token filter of this name: declared in settings.analysis.filter, else built in; or undefined. */
  filter(name: string): TokenFilter | undefined
}

/** A tokenizer followed by filters, as one analyzer. */
export function chain(tokenizer: Tokenizer, filters: readonly TokenFilter[]): Analyzer {
  return (text, withAttributes) => {
    const attributes = withAttributes === true ? newAttributes() : undefined
    const tokens = tokenizer(text, attributes)
    const positions = new Array<number>(tokens.length)
    for (let i = 0; i < tokens.length; i++) positions[i] = i
    let stream: TokenStream = { tokens, positions, end: tokens.length, attributes }
    for (const filter of filters) stream = filter(stream)
    return stream
  }
}

