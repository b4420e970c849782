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
import { MAX_EPOCH_MILLIS, pad, civil } from './calendar.js'
import { compilePattern, printOffset, readOffset, resolveFields, tokenFormat, type DateFormat, type Fields, type Token } from './date-pattern.js'
import type { Parsed } from './numbers.js'

export type { DateFormat, DateParseOptions } from './date-pattern.js'
export { MAX_EPOCH_MILLIS } from './calendar.js'

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
      return resolveFields(fields, options)
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
