/**
 * The token types of Lucene's StandardTokenizer (its TypeAttribute), read off a token's text: the
 * grammar rule that matched it decides the type, and each rule matches one kind of text.
 * @module
 */

/** Lucene's StandardTokenizer.TOKEN_TYPES that lsr's standard tokenizer can give. */
export const STANDARD_TYPES = {
  alphanum: '<ALPHANUM>',
  num: '<NUM>',
  southEastAsian: '<SOUTHEAST_ASIAN>',
  ideographic: '<IDEOGRAPHIC>',
  hiragana: '<HIRAGANA>',
  katakana: '<KATAKANA>',
  hangul: '<HANGUL>',
  emoji: '<EMOJI>',
} as const

const SEA_SCRIPTS = '\\p{sc=Thai}\\p{sc=Lao}\\p{sc=Myanmar}\\p{sc=Khmer}\\p{sc=Tai_Le}\\p{sc=New_Tai_Lue}\\p{sc=Tai_Tham}\\p{sc=Tai_Viet}\\p{sc=Ahom}'
/** Numeric, with what joins digits (MidNum, MidNumLet, single quote; ExtendNumLet): no letter. */
const NUMERIC = /^[\p{Pc}]*\p{Nd}[\p{Nd}\p{Pc}\p{M}\p{Cf}.,;:'\u2019\u2024\ufe50\ufe52\ufe54\uff07\uff0c\uff0e\uff1a\uff1b\u066c\u037e\u0589\u060c\u060d\u07f8\u2044]*$/u
const HAN = /^\p{sc=Han}/u
const HIRAGANA = /^\p{sc=Hiragana}/u
const KATAKANA = /^[\p{sc=Katakana}\u3031-\u3035\u309b\u309c\u30a0\u30fc\uff70]/u
const HANGUL = /^[\p{sc=Hangul}\p{M}\p{Cf}]+$/u
const SEA = new RegExp(`^[${SEA_SCRIPTS}]`, 'u')
const EMOJI = /^(?:[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{RI}]|[0-9#*]\ufe0f?\u20e3)/u
/** Characters past which a token may need more than the common-case check. */
const NOT_PLAIN = /[^a-z0-9_]/i

/**
 * The type Lucene's StandardTokenizer gives a token of this text.
 * @example standardTokenType('3.14') // '<NUM>'
 * @example standardTokenType('fox') // '<ALPHANUM>'
 */
export function standardTokenType(token: string): string {
  if (!NOT_PLAIN.test(token)) return /[a-z]/i.test(token) ? STANDARD_TYPES.alphanum : STANDARD_TYPES.num
  if (EMOJI.test(token)) return STANDARD_TYPES.emoji
  if (NUMERIC.test(token)) return STANDARD_TYPES.num
  if (HAN.test(token)) return STANDARD_TYPES.ideographic
  if (HIRAGANA.test(token)) return STANDARD_TYPES.hiragana
  if (KATAKANA.test(token)) return STANDARD_TYPES.katakana
  if (SEA.test(token)) return STANDARD_TYPES.southEastAsian
  if (HANGUL.test(token)) return STANDARD_TYPES.hangul
  return STANDARD_TYPES.alphanum
}
