/**
 * The shapes every analysis component shares: an analyzer is a tokenizer followed by token filters.
 * @module
 */

/** Text -> tokens in order (repeated tokens repeat). */
export type Analyzer = (text: string) => string[]

/** Text -> tokens in order; the first stage of an analyzer. */
export type Tokenizer = (text: string) => string[]

/**
 * Tokens -> tokens. May rewrite or compact the array it is given in place (each analyzer call owns
 * its array), so a filter allocates only when it adds tokens.
 */
export type TokenFilter = (tokens: string[]) => string[]

/** The analyzers one index can name. */
export interface AnalyzerRegistry {
  /** The analyzer of this name (built-in or declared in settings.analysis), or undefined. */
  get(name: string): Analyzer | undefined
  /** Whether `get(name)` gives an analyzer. */
  has(name: string): boolean
}

/** A tokenizer followed by filters, as one analyzer. */
export function chain(tokenizer: Tokenizer, filters: readonly TokenFilter[]): Analyzer {
  if (filters.length === 0) return tokenizer
  return (text) => {
    let tokens = tokenizer(text)
    for (const filter of filters) tokens = filter(tokens)
    return tokens
  }
}
