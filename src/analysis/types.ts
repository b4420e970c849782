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
}

/** Text -> tokens with positions. */
export type Analyzer = (text: string) => TokenStream

/** Text -> tokens in order, at positions 0..n-1; the first stage of an analyzer. */
export type Tokenizer = (text: string) => string[]

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
}

/** A tokenizer followed by filters, as one analyzer. */
export function chain(tokenizer: Tokenizer, filters: readonly TokenFilter[]): Analyzer {
  return (text) => {
    const tokens = tokenizer(text)
    const positions = new Array<number>(tokens.length)
    for (let i = 0; i < tokens.length; i++) positions[i] = i
    let stream: TokenStream = { tokens, positions, end: tokens.length }
    for (const filter of filters) stream = filter(stream)
    return stream
  }
}
