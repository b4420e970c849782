/**
 * Lucene's ASCIIFoldingFilter: characters above U+007F with an ASCII equivalent are replaced by it.
 *
 * Lucene's filter is a table of about 1,240 characters. This covers, with the same results:
 * - Latin letters that decompose to ASCII plus combining marks (é, ñ, ǖ, ṩ ...: canonical
 *   decomposition, marks removed);
 * - the Latin-1, Latin Extended-A and Latin Extended-B letters that do not (ß, æ, ø, œ, ł, đ, þ,
 *   ŋ, ǆ, ɇ ...), ligatures (ﬁ), and Lucene's General Punctuation folds (quotes, primes, dashes,
 *   ‼, ⁄ ...);
 * - super- and subscript digits and signs, circled digits and letters, fullwidth ASCII.
 * Left unchanged here, though Lucene folds them (318 of its 1,242 characters): IPA and phonetic
 * letters and small capitals (U+0250-U+02AF, U+1D00-U+1DBF), Latin Extended-C and -D letters,
 * Latin Extended Additional letters that do not decompose (ỻ, ỽ), negative-circled and dingbat
 * numerals, and dingbat quotes and brackets (❛, ❨). Nothing is folded that Lucene leaves alone.
 * Like Lucene, supplementary characters are never folded.
 * @module
 */
import { newAttributes, type TokenFilter } from './types.js'

/** Folds of characters without a usable decomposition, as `char=fold` pairs. */
const TABLE = new Map(
  (
    // Latin-1 and Latin Extended-A
    'Æ=AE æ=ae Ð=D ð=d Ø=O ø=o Þ=TH þ=th ß=ss ẞ=SS Đ=D đ=d Ħ=H ħ=h ı=i Ĳ=IJ ĳ=ij ĸ=q Ŀ=L ŀ=l Ł=L ł=l ' +
    'ŉ=n Ŋ=N ŋ=n Œ=OE œ=oe Ŧ=T ŧ=t ſ=s ' +
    // Latin Extended-B
    'ƀ=b Ɓ=B Ƃ=B ƃ=b Ɔ=O Ƈ=C ƈ=c Ɖ=D Ɗ=D Ƌ=D ƌ=d Ǝ=E Ə=A Ɛ=E Ƒ=F ƒ=f Ɠ=G ƕ=hv Ɩ=I Ɨ=I Ƙ=K ƙ=k ' +
    'ƚ=l Ɯ=M Ɲ=N ƞ=n Ɵ=O Ƥ=P ƥ=p ƫ=t Ƭ=T ƭ=t Ʈ=T Ʋ=V Ƴ=Y ƴ=y Ƶ=Z ƶ=z ƿ=w Ǆ=DZ ǅ=Dz ǆ=dz Ǉ=LJ ' +
    'ǈ=Lj ǉ=lj Ǌ=NJ ǋ=Nj ǌ=nj ǝ=e Ǥ=G Ǳ=DZ ǲ=Dz ǳ=dz Ƕ=HV Ƿ=W Ȝ=Z ȝ=z Ƞ=N ȡ=d Ȣ=OU ȣ=ou Ȥ=Z ȥ=z ' +
    'ȴ=l ȵ=n ȶ=t ȷ=j ȸ=db ȹ=qp Ⱥ=A Ȼ=C ȼ=c Ƚ=L Ⱦ=T ȿ=s ɀ=z Ƀ=B Ʉ=U Ʌ=V Ɇ=E ɇ=e Ɉ=J ɉ=j Ɋ=Q ɋ=q ' +
    'Ɍ=R ɍ=r Ɏ=Y ɏ=y ə=a ' +
    // Lucene maps these lowercase letters to upper-case G and to f; kept so terms are equal.
    'ǥ=G ǧ=G ẛ=f ' +
    // Ligatures and punctuation
    'ﬀ=ff ﬁ=fi ﬂ=fl ﬃ=ffi ﬄ=ffl ﬆ=st ‘=\' ’=\' ‚=\' ‛=\' ′=\' ‵=\' ‹=\' ›=\' “=" ”=" „=" ″=" ‶=" «=" »=" ' +
    '‐=- ‑=- ‒=- –=- —=- ⁻=- ₋=- ⁄=/ ‸=^ ‼=!! ⁇=?? ⁈=?! ⁉=!? ⁅=[ ⁆=] ⁎=* ⁏=; ⁒=% ⁓=~ ⸨=(( ⸩=))'
  ).split(' ').map((pair) => [pair[0], pair.slice(2)] as const),
)

/** Compatibility decomposition applies only here: super/subscripts, circled alphanumerics, fullwidth ASCII. */
const COMPATIBILITY = /[\u00b2\u00b3\u00b9\u2070-\u2094\u2460-\u24ff\uff01-\uff3f\uff41-\uff5b\uff5d\uff5e]/
/** Canonical decomposition applies to letters, except letterlike symbols such as the Kelvin sign. */
const LETTER = /\p{L}/u
const LETTERLIKE = /[\u2100-\u214f]/
const MARKS = /\p{M}/gu
const ASCII = /^[\x00-\x7f]*$/
const NON_ASCII = /[^\x00-\x7f]/

const folds = new Map<number, string>()

/** The fold of one UTF-16 unit at or above U+0080 (itself if none). */
function foldUnit(unit: string): string {
  const code = unit.charCodeAt(0)
  let fold = folds.get(code)
  if (fold === undefined) {
    fold = TABLE.get(unit) ?? decompose(unit)
    folds.set(code, fold)
  }
  return fold
}

function decompose(unit: string): string {
  const compatibility = COMPATIBILITY.test(unit)
  if (!compatibility && (!LETTER.test(unit) || LETTERLIKE.test(unit))) return unit
  const base = unit.normalize(compatibility ? 'NFKD' : 'NFD').replace(MARKS, '')
  if (base.length === 0) return unit
  if (ASCII.test(base)) return base
  // A decomposition to a table letter (Ǽ -> Æ, ₔ -> ə) folds on.
  let out = ''
  for (const c of base) {
    const fold = c.charCodeAt(0) < 0x80 ? c : TABLE.get(c)
    if (fold === undefined) return unit
    out += fold
  }
  return out
}

/**
 * Folds one token.
 * @example foldToAscii('Crème Brûlée') // 'Creme Brulee'
 */
export function foldToAscii(token: string): string {
  if (!NON_ASCII.test(token)) return token
  let out = ''
  for (let i = 0; i < token.length; i++) {
    const code = token.charCodeAt(i)
    out += code < 0x80 || (code >= 0xd800 && code <= 0xdfff) ? token[i] : foldUnit(token[i])
  }
  return out
}

/**
 * ASCIIFoldingFilter.
 * @param preserveOriginal - also keep the unfolded token where they differ: after the folded one,
 *   stacked at its position (position increment 0)
 */
export function asciiFoldingFilter(preserveOriginal: boolean): TokenFilter {
  if (!preserveOriginal) {
    return (stream) => {
      const tokens = stream.tokens
      for (let i = 0; i < tokens.length; i++) tokens[i] = foldToAscii(tokens[i])
      return stream
    }
  }
  return ({ tokens, positions, end, attributes }) => {
    const out: string[] = []
    const at: number[] = []
    // The original is stacked on its fold with the fold's offsets and type, as Lucene's captured state gives it.
    const kept = attributes && newAttributes()
    const keep = (i: number) => {
      if (!attributes || !kept) return
      kept.startOffsets.push(attributes.startOffsets[i])
      kept.endOffsets.push(attributes.endOffsets[i])
      kept.types.push(attributes.types[i])
    }
    for (let i = 0; i < tokens.length; i++) {
      const folded = foldToAscii(tokens[i])
      out.push(folded)
      at.push(positions[i])
      keep(i)
      if (folded === tokens[i]) continue
      out.push(tokens[i])
      at.push(positions[i])
      keep(i)
    }
    return { tokens: out, positions: at, end, attributes: kept }
  }
}
