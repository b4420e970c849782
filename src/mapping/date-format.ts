/**
 * Date formats: Elasticsearch's built-in format names and Java-time patterns, compiled into a parser
 * (text → epoch milliseconds, UTC) and a printer (epoch milliseconds → text). ES "format" mapping
 * parameter: dates are parsed with each format of a `||`-separated list in turn, the first match
 * wins, and a date without a zone is UTC.
 *
 * Supported built-in names (each with its `strict_` twin where ES has one; lsr parses the lenient
 * names with the strict rules: 4-digit years, 2-digit months and days):
 * `strict_date_optional_time` (also `date_optional_time`, `iso8601`, `strict_date_optional_time_nanos`),
 * `epoch_millis`, `epoch_second`, `date`, `date_time`, `date_time_no_millis`, `basic_date`,
 * `basic_date_time`, `basic_date_time_no_millis`, `date_hour`, `date_hour_minute`,
 * `date_hour_minute_second`, `date_hour_minute_second_fraction`, `date_hour_minute_second_millis`,
 * `year`, `year_month`, `year_month_day`, `hour`, `hour_minute`, `hour_minute_second`,
 * `hour_minute_second_fraction`, `hour_minute_second_millis`, `time`, `time_no_millis`, `t_time`,
 * `t_time_no_millis`. ES's week-date and ordinal-date names are refused by name.
 *
 * Pattern letters: `yyyy`/`uuuu` (4-digit year), `yy`/`uu` (2-digit year, 2000–2099), `MM`/`M`,
 * `dd`/`d`, `HH`/`H`, `mm`/`m`, `ss`/`s`, `S`…`SSSSSSSSS` (fraction of a second, exactly that many
 * digits), `X`/`XX`/`XXX`/`Z` (zone offset; parsing accepts `Z`, `±HH`, `±HHmm` and `±HH:mm` for
 * each, printing follows the letter), `'quoted text'`, `''` (a quote), optional sections `[…]`, and
 * any other non-letter character as a literal. Other letters (text months, day of week, am/pm,
 * week-based years…) are refused by name.
 * @module
 */
import type { Parsed } from './numbers.js'

/** How a parse fills what the text does not say. */
export interface DateParseOptions {
  /**
   * Range-query upper rounding (`gt`, `lte`): a missing hour, minute, second or millisecond takes its
   * largest value (ES "Missing date components": 23, 59, 59, 999); a missing month or day stays 01.
   * @default false
   */
  roundUp?: boolean
  /** Offset from UTC, in minutes, of a date written without a zone (range `time_zone`). @default 0 */
  offsetMinutes?: number
}

/** A compiled date format. */
export interface DateFormat {
  /** The format as written (a built-in name or a pattern). */
  readonly name: string
  /** Epoch milliseconds of `text`, or `undefined` when it does not match. */
  parse(text: string, options?: DateParseOptions): number | undefined
  /** `millis` written in this format, at `offsetMinutes` from UTC (default 0). */
  print(millis: number, offsetMinutes?: number): string
}

/** The largest |epoch millis| lsr handles: JavaScript's Date range, ±100,000,000 days. */
export const MAX_EPOCH_MILLIS = 8.64e15

type NumField = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'
type Token =
  | { kind: 'lit'; text: string }
  | { kind: 'num'; field: NumField; min: number; max: number; twoDigitYear?: boolean }
  | { kind: 'frac'; min: number; max: number }
  | { kind: 'zone'; style: 'X' | 'XX' | 'XXX' | 'Z' }
  | { kind: 'opt'; tokens: Token[] }

interface Fields {
  year?: number
  month?: number
  day?: number
  hour?: number
  minute?: number
  second?: number
  /** Fraction-of-second digits as written. */
  fraction?: string
  offset?: number
}

/** ES built-in names lsr does not implement (refused by name rather than read as a pattern). */
const UNSUPPORTED_NAMES = new Set([
  'basic_ordinal_date', 'basic_ordinal_date_time', 'basic_ordinal_date_time_no_millis', 'basic_time', 'basic_time_no_millis',
  'basic_t_time', 'basic_t_time_no_millis', 'basic_week_date', 'basic_week_date_time', 'basic_week_date_time_no_millis',
  'ordinal_date', 'ordinal_date_time', 'ordinal_date_time_no_millis', 'week_date', 'week_date_time', 'week_date_time_no_millis',
  'weekyear', 'weekyear_week', 'weekyear_week_day',
].flatMap((n) => [n, `strict_${n}`]))

/** Built-in names defined by a pattern of this module (zone and fraction tokens are added by hand). */
function builtIn(name: string): Token[] | 'iso' | 'epoch_millis' | 'epoch_second' | undefined {
  const base = name.startsWith('strict_') ? name.slice('strict_'.length) : name
  const zone: Token = { kind: 'zone', style: 'XXX' }
  const millis: Token[] = [{ kind: 'lit', text: '.' }, { kind: 'frac', min: 3, max: 9 }]
  const fraction: Token[] = [{ kind: 'lit', text: '.' }, { kind: 'frac', min: 1, max: 9 }]
  switch (base) {
    case 'date_optional_time':
    case 'date_optional_time_nanos':
    case 'iso8601':
      return 'iso'
    case 'epoch_millis':
    case 'epoch_second':
      return name === base ? base : undefined
    case 'date':
    case 'year_month_day':
      return tokens('yyyy-MM-dd')
    case 'date_time':
      return [...tokens("yyyy-MM-dd'T'HH:mm:ss"), ...millis, zone]
    case 'date_time_no_millis':
      return [...tokens("yyyy-MM-dd'T'HH:mm:ss"), zone]
    case 'basic_date':
      return tokens('yyyyMMdd')
    case 'basic_date_time':
      return [...tokens("yyyyMMdd'T'HHmmss"), ...millis, { kind: 'zone', style: 'XX' }]
    case 'basic_date_time_no_millis':
      return [...tokens("yyyyMMdd'T'HHmmss"), { kind: 'zone', style: 'XX' }]
    case 'date_hour':
      return tokens("yyyy-MM-dd'T'HH")
    case 'date_hour_minute':
      return tokens("yyyy-MM-dd'T'HH:mm")
    case 'date_hour_minute_second':
      return tokens("yyyy-MM-dd'T'HH:mm:ss")
    case 'date_hour_minute_second_fraction':
      return [...tokens("yyyy-MM-dd'T'HH:mm:ss"), ...fraction]
    case 'date_hour_minute_second_millis':
      return [...tokens("yyyy-MM-dd'T'HH:mm:ss"), ...millis]
    case 'year':
      return tokens('yyyy')
    case 'year_month':
      return tokens('yyyy-MM')
    case 'hour':
      return tokens('HH')
    case 'hour_minute':
      return tokens('HH:mm')
    case 'hour_minute_second':
      return tokens('HH:mm:ss')
    case 'hour_minute_second_fraction':
      return [...tokens('HH:mm:ss'), ...fraction]
    case 'hour_minute_second_millis':
      return [...tokens('HH:mm:ss'), ...millis]
    case 'time':
      return [...tokens('HH:mm:ss'), ...millis, zone]
    case 'time_no_millis':
      return [...tokens('HH:mm:ss'), zone]
    case 't_time':
      return [...tokens("'T'HH:mm:ss"), ...millis, zone]
    case 't_time_no_millis':
      return [...tokens("'T'HH:mm:ss"), zone]
    default:
      return undefined
  }
}

function tokens(pattern: string): Token[] {
  const compiled = compilePattern(pattern)
  if (!compiled.ok) throw new Error(`lsr: bad built-in date pattern [${pattern}]: ${compiled.reason}`)
  return compiled.value
}

const cache = new Map<string, Parsed<DateFormat>>()

/**
 * Compiles one date format (a built-in name or a Java-time pattern; not a `||` list).
 * @param name the format
 * @returns the format, or the reason it is not valid (ES: "Invalid format: [...]: Unknown pattern letter: f")
 */
export function compileDateFormat(name: string): Parsed<DateFormat> {
  let hit = cache.get(name)
  if (hit === undefined) {
    hit = compileUncached(name)
    if (cache.size < 1000) cache.set(name, hit)
  }
  return hit
}

function compileUncached(name: string): Parsed<DateFormat> {
  if (UNSUPPORTED_NAMES.has(name)) return { ok: false, reason: `lsr does not support the date format [${name}]` }
  const known = builtIn(name)
  if (known === 'iso') return { ok: true, value: isoFormat(name) }
  if (known === 'epoch_millis' || known === 'epoch_second') return { ok: true, value: epochFormat(name, known === 'epoch_millis' ? 0 : 3) }
  if (known !== undefined) return { ok: true, value: tokenFormat(name, known) }
  if (name.trim() === '') return { ok: false, reason: `Invalid format: [${name}]: the format is empty` }
  const compiled = compilePattern(name)
  if (!compiled.ok) return { ok: false, reason: `Invalid format: [${name}]: ${compiled.reason}` }
  return { ok: true, value: tokenFormat(name, compiled.value) }
}

/** Splits ES's `a||b` format list into its formats. */
export function splitFormats(format: string): string[] {
  return format.split('||').map((f) => f.trim())
}

// ---------------------------------------------------------------------------------------------
// Pattern compilation

function compilePattern(pattern: string): Parsed<Token[]> {
  const stack: Token[][] = [[]]
  let i = 0
  while (i < pattern.length) {
    const c = pattern[i]!
    const top = stack[stack.length - 1]!
    if (c === "'") {
      // '' is a quote, inside or outside a quoted literal.
      if (pattern[i + 1] === "'") {
        top.push({ kind: 'lit', text: "'" })
        i += 2
        continue
      }
      let text = ''
      let j = i + 1
      for (;;) {
        if (j >= pattern.length) return { ok: false, reason: 'Pattern ends with an incomplete string literal' }
        if (pattern[j] === "'") {
          if (pattern[j + 1] !== "'") break
          text += "'"
          j += 2
        } else {
          text += pattern[j]
          j += 1
        }
      }
      top.push({ kind: 'lit', text })
      i = j + 1
      continue
    }
    if (c === '[') {
      stack.push([])
      i += 1
      continue
    }
    if (c === ']') {
      if (stack.length === 1) return { ok: false, reason: "Pattern invalid as it contains ] without previous [" }
      const inner = stack.pop()!
      stack[stack.length - 1]!.push({ kind: 'opt', tokens: inner })
      i += 1
      continue
    }
    if (!/[A-Za-z]/.test(c)) {
      if (c === '{' || c === '}' || c === '#') return { ok: false, reason: `Pattern includes reserved character: '${c}'` }
      top.push({ kind: 'lit', text: c })
      i += 1
      continue
    }
    let n = 1
    while (pattern[i + n] === c) n += 1
    const token = letterToken(c, n)
    if (!token.ok) return token
    top.push(token.value)
    i += n
  }
  if (stack.length !== 1) return { ok: false, reason: 'Pattern has an optional section [ without its closing ]' }
  return { ok: true, value: stack[0]! }
}

function letterToken(c: string, n: number): Parsed<Token> {
  const two = (field: NumField): Parsed<Token> =>
    n === 1 ? { ok: true, value: { kind: 'num', field, min: 1, max: 2 } } : n === 2 ? { ok: true, value: { kind: 'num', field, min: 2, max: 2 } } : tooMany(c, n)
  switch (c) {
    case 'y':
    case 'u':
      if (n === 2) return { ok: true, value: { kind: 'num', field: 'year', min: 2, max: 2, twoDigitYear: true } }
      if (n === 4) return { ok: true, value: { kind: 'num', field: 'year', min: 4, max: 4 } }
      return unsupportedLetter(c.repeat(n), 'a year is yyyy (4 digits) or yy (2 digits)')
    case 'M':
      return n <= 2 ? two('month') : unsupportedLetter(c.repeat(n), 'month names are not supported; use MM')
    case 'd':
      return two('day')
    case 'H':
      return two('hour')
    case 'm':
      return two('minute')
    case 's':
      return two('second')
    case 'S':
      return n <= 9 ? { ok: true, value: { kind: 'frac', min: n, max: n } } : tooMany(c, n)
    case 'X':
      return n <= 3 ? { ok: true, value: { kind: 'zone', style: n === 1 ? 'X' : n === 2 ? 'XX' : 'XXX' } } : unsupportedLetter(c.repeat(n), 'use X, XX or XXX')
    case 'Z':
      return n <= 3 ? { ok: true, value: { kind: 'zone', style: 'Z' } } : unsupportedLetter(c.repeat(n), 'use Z or XXX')
    default:
      if ('GQqLwWYeEcFaKkhAnNVvzOxBDg'.includes(c)) return unsupportedLetter(c.repeat(n), 'lsr patterns support y u M d H m s S X Z')
      return { ok: false, reason: `Unknown pattern letter: ${c}` }
  }
}

function tooMany(c: string, n: number): Parsed<Token> {
  return { ok: false, reason: `Too many pattern letters: ${c.repeat(n)}` }
}

function unsupportedLetter(letters: string, hint: string): Parsed<Token> {
  return { ok: false, reason: `lsr does not support the pattern letters [${letters}] (${hint})` }
}

// ---------------------------------------------------------------------------------------------
// Parsing

function tokenFormat(name: string, toks: Token[]): DateFormat {
  return {
    name,
    parse(text, options) {
      const fields = matchTokens(toks, 0, text, 0, {})
      return fields === undefined ? undefined : resolve(fields, options)
    },
    print(millis, offsetMinutes = 0) {
      return printTokens(toks, civil(millis, offsetMinutes), offsetMinutes)
    },
  }
}

/** Matches `toks[i..]` against `text[pos..]` to the end of the text; optional sections backtrack. */
function matchTokens(toks: Token[], i: number, text: string, pos: number, fields: Fields): Fields | undefined {
  if (i === toks.length) return pos === text.length ? fields : undefined
  const t = toks[i]!
  switch (t.kind) {
    case 'lit':
      return text.startsWith(t.text, pos) ? matchTokens(toks, i + 1, text, pos + t.text.length, fields) : undefined
    case 'num': {
      let end = pos
      while (end < text.length && end - pos < t.max && isDigit(text.charCodeAt(end))) end += 1
      if (end - pos < t.min) return undefined
      let v = Number(text.slice(pos, end))
      if (t.twoDigitYear) v += 2000
      return matchTokens(toks, i + 1, text, end, { ...fields, [t.field]: v })
    }
    case 'frac': {
      let end = pos
      while (end < text.length && end - pos < t.max && isDigit(text.charCodeAt(end))) end += 1
      if (end - pos < t.min) return undefined
      return matchTokens(toks, i + 1, text, end, { ...fields, fraction: text.slice(pos, end) })
    }
    case 'zone': {
      const z = readOffset(text, pos)
      if (z === undefined) return undefined
      return matchTokens(toks, i + 1, text, z.end, { ...fields, offset: z.minutes })
    }
    case 'opt': {
      const rest = toks.slice(i + 1)
      const withSection = matchTokens([...t.tokens, ...rest], 0, text, pos, fields)
      return withSection ?? matchTokens(toks, i + 1, text, pos, fields)
    }
  }
}

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57
}

/**
 * Reads a zone offset at `pos`: `Z`, `±HH`, `±HHmm`, `±HH:mm`, `±HH:mm:ss` (seconds must be 00), or
 * `UTC`/`GMT`/`UT`, alone or followed by an offset. Returns minutes east of UTC.
 */
export function readOffset(text: string, pos: number): { minutes: number; end: number } | undefined {
  if (text[pos] === 'Z') return { minutes: 0, end: pos + 1 }
  for (const prefix of ['UTC', 'GMT', 'UT']) {
    if (text.startsWith(prefix, pos)) {
      const after = pos + prefix.length
      const signed = text[after] === '+' || text[after] === '-' ? readSignedOffset(text, after) : undefined
      return signed ?? { minutes: 0, end: after }
    }
  }
  return readSignedOffset(text, pos)
}

function readSignedOffset(text: string, pos: number): { minutes: number; end: number } | undefined {
  const m = /^([+-])(\d{2})(?::?(\d{2})(?::(\d{2}))?)?/.exec(text.slice(pos, pos + 9))
  if (m === null) return undefined
  const hours = Number(m[2])
  const minutes = m[3] === undefined ? 0 : Number(m[3])
  if (hours > 18 || minutes > 59 || (m[4] !== undefined && m[4] !== '00')) return undefined
  const sign = m[1] === '-' ? -1 : 1
  return { minutes: sign * (hours * 60 + minutes), end: pos + m[0].length }
}

function resolve(f: Fields, options: DateParseOptions = {}): number | undefined {
  const up = options.roundUp === true
  const year = f.year ?? 1970
  const month = f.month ?? 1
  const day = f.day ?? 1
  const hour = f.hour ?? (up ? 23 : 0)
  const minute = f.minute ?? (up ? 59 : 0)
  const second = f.second ?? (up ? 59 : 0)
  const ms = f.fraction === undefined ? (up ? 999 : 0) : Number(f.fraction.padEnd(3, '0').slice(0, 3))
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  const offset = f.offset ?? options.offsetMinutes ?? 0
  const millis = daysFromCivil(year, month, day) * 86_400_000 + ((hour * 60 + minute - offset) * 60 + second) * 1000 + ms
  return Math.abs(millis) <= MAX_EPOCH_MILLIS ? millis : undefined
}

/** strict_date_optional_time: `yyyy[-MM[-dd]]['T'[HH[:mm[:ss[(.|,)fraction]]]][zone]]` (ES DateFormatters). */
const ISO = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?:T(?:(\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?(.*))?$/

function isoFormat(name: string): DateFormat {
  return {
    name,
    parse(text, options) {
      const m = ISO.exec(text)
      if (m === null) return undefined
      const fields: Fields = { year: Number(m[1]) }
      if (m[2] !== undefined) fields.month = Number(m[2])
      if (m[3] !== undefined) fields.day = Number(m[3])
      if (m[4] !== undefined) fields.hour = Number(m[4])
      if (m[5] !== undefined) fields.minute = Number(m[5])
      if (m[6] !== undefined) fields.second = Number(m[6])
      if (m[7] !== undefined) fields.fraction = m[7]
      const zone = m[8]
      if (zone !== undefined && zone !== '') {
        const z = readOffset(zone, 0)
        if (z === undefined || z.end !== zone.length) return undefined
        fields.offset = z.minutes
      }
      return resolve(fields, options)
    },
    print(millis, offsetMinutes = 0) {
      const c = civil(millis, offsetMinutes)
      return `${pad(c.year, 4)}-${pad(c.month, 2)}-${pad(c.day, 2)}T${pad(c.hour, 2)}:${pad(c.minute, 2)}:${pad(c.second, 2)}.${pad(c.ms, 3)}${printOffset(offsetMinutes, 'XXX')}`
    },
  }
}

/** epoch_millis (`scale` 0) and epoch_second (`scale` 3): an optionally signed decimal number. */
function epochFormat(name: string, scale: number): DateFormat {
  return {
    name,
    parse(text) {
      const m = /^(-)?(\d+)(?:\.(\d+))?$/.exec(text)
      if (m === null) return undefined
      // floor(value × 10^scale), computed on the digits so that no binary rounding creeps in.
      const frac = m[3] ?? ''
      const whole = Number(m[2]! + frac.padEnd(scale, '0').slice(0, scale))
      const rest = /[1-9]/.test(frac.slice(scale))
      const millis = m[1] === '-' ? -whole - (rest ? 1 : 0) : whole
      return Number.isSafeInteger(millis) && Math.abs(millis) <= MAX_EPOCH_MILLIS ? millis + 0 : undefined
    },
    print(millis) {
      return scale === 0 ? String(millis) : String(millis / 1000)
    },
  }
}

// ---------------------------------------------------------------------------------------------
// Printing and the civil calendar

interface Civil {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  ms: number
}

function printTokens(toks: Token[], c: Civil, offsetMinutes: number): string {
  let out = ''
  for (const t of toks) {
    switch (t.kind) {
      case 'lit':
        out += t.text
        break
      case 'num':
        out += t.twoDigitYear ? pad(((c.year % 100) + 100) % 100, 2) : pad(c[t.field], t.min)
        break
      case 'frac': {
        // A pattern's S…S prints exactly that many digits; a built-in 1–9 or 3–9 digit fraction prints millis.
        const width = t.min === t.max ? t.min : 3
        out += pad(c.ms, 3).padEnd(width, '0').slice(0, width)
        break
      }
      case 'zone':
        out += printOffset(offsetMinutes, t.style)
        break
      case 'opt':
        out += printTokens(t.tokens, c, offsetMinutes)
        break
    }
  }
  return out
}

function printOffset(minutes: number, style: 'X' | 'XX' | 'XXX' | 'Z'): string {
  if (minutes === 0 && style !== 'Z') return 'Z'
  const sign = minutes < 0 ? '-' : '+'
  const a = Math.abs(minutes)
  const hh = pad(Math.floor(a / 60), 2)
  const mm = pad(a % 60, 2)
  if (style === 'X') return mm === '00' ? `${sign}${hh}` : `${sign}${hh}${mm}`
  if (style === 'XXX') return `${sign}${hh}:${mm}`
  return `${sign}${hh}${mm}`
}

function pad(n: number, width: number): string {
  const s = String(Math.abs(n)).padStart(width, '0')
  return n < 0 ? `-${s}` : s
}

/** The civil date and time of `millis` at `offsetMinutes` from UTC. */
export function civil(millis: number, offsetMinutes = 0): Civil {
  const local = millis + offsetMinutes * 60_000
  const days = Math.floor(local / 86_400_000)
  let rest = local - days * 86_400_000
  const { year, month, day } = civilFromDays(days)
  const hour = Math.floor(rest / 3_600_000)
  rest -= hour * 3_600_000
  const minute = Math.floor(rest / 60_000)
  rest -= minute * 60_000
  const second = Math.floor(rest / 1000)
  return { year, month, day, hour, minute, second, ms: Math.floor(rest - second * 1000) }
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day }
}

/** Days in a month of the proleptic Gregorian calendar. */
export function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return [4, 6, 9, 11].includes(month) ? 30 : 31
}
