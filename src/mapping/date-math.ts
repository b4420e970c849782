/**
 * Date math, as in Elasticsearch range queries ("Date math" in ES's common options): an anchor —
 * `now` or a date followed by `||` — then operations `+N<unit>`, `-N<unit>` (N defaults to 1) and
 * rounding `/<unit>`, with units `y M w d h H m s`. Months and years are added on the calendar (Jan 31
 * + 1M = Feb 28/29, as Java's `plusMonths`); weeks round to Monday.
 *
 * Rounding follows ES's range rules ("Date math and rounding" in the range query reference):
 *
 * | parameter | rounding | `2014-11-18||/M` becomes |
 * |-----------|----------|---------------------------|
 * | `gt`      | up       | 2014-11-30T23:59:59.999 (that instant excluded) |
 * | `gte`     | down     | 2014-11-01T00:00:00.000 |
 * | `lt`      | down     | 2014-11-01T00:00:00.000 (excluded) |
 * | `lte`     | up       | 2014-11-30T23:59:59.999 (included) |
 *
 * So `roundUp` is true for `gt` and `lte`. It also fills the missing time of a plain date (no `||`)
 * with its maximum (`lte: "2014-11-18"` → 2014-11-18T23:59:59.999), as ES's "Missing date components"
 * says; the date before `||` is read without that fill, as ES's JavaDateMathParser does.
 *
 * `time_zone`: a UTC offset (`+01:00`, `-0800`, `+01`, `Z`, `UTC`, `GMT`) applies to dates written
 * without a zone and to rounding (`now/d` rounds to the zone's midnight). Named zones
 * (`Europe/Paris`) are refused: lsr does not implement daylight-saving rules.
 * @module
 */
import { civil, civilFromDays, daysFromCivil, daysInMonth } from './calendar.js'
import { compileDateFormat, splitFormats } from './date-format.js'
import { readOffset } from './date-pattern.js'
import { invalidArgument } from './fail.js'
import type { Parsed } from './numbers.js'

const DAY = 86_400_000

/**
 * Parses a range-query date expression to epoch milliseconds.
 * @param expr `now`, `now-7d/d`, `2024-01-01||+1M/d`, or a plain date in one of `formats`
 * @param formats the field's (or the query's) date formats; entries may be `a||b` lists
 * @param now the current time, epoch milliseconds (the caller's clock: keeps this function pure)
 * @param roundUp true for `gt` and `lte`, false for `gte` and `lt`
 * @param timeZone a UTC offset for dates without a zone and for rounding
 * @returns epoch milliseconds
 * @throws LsrError `invalid_argument` naming the expression (ES answers 400 parse_exception)
 * @example parseDateMath('2014-11-18||/M', ['strict_date_optional_time'], 0, true) // Date.UTC(2014, 10, 30, 23, 59, 59, 999)
 */
export function parseDateMath(expr: string, formats: string[], now: number, roundUp: boolean, timeZone?: string): number {
  const offset = timeZone === undefined ? 0 : parseTimeZone(timeZone)
  let time: number
  let math: string
  if (expr.startsWith('now')) {
    time = now
    math = expr.slice(3)
  } else {
    const bar = expr.indexOf('||')
    if (bar < 0) return parseDateOrThrow(expr, formats, roundUp, offset)
    time = parseDateOrThrow(expr.slice(0, bar), formats, false, offset)
    math = expr.slice(bar + 2)
  }
  return applyMath(math, time, roundUp, offset)
}

/**
 * Parses a `time_zone` parameter.
 * @returns minutes east of UTC
 * @throws LsrError `invalid_argument` for a named zone (unsupported) or an unknown one
 */
export function parseTimeZone(timeZone: string): number {
  const z = readOffset(timeZone, 0) ?? readShortOffset(timeZone)
  if (z !== undefined && z.end === timeZone.length) return z.minutes
  if (isIanaZone(timeZone)) {
    throw invalidArgument(`lsr does not support the named time zone [${timeZone}]: use a UTC offset such as [+01:00] (lsr does not implement daylight-saving rules)`)
  }
  throw invalidArgument(`Unknown time-zone ID: ${timeZone}`)
}

/** `±H` (one-digit hours), which Java's ZoneOffset accepts too. */
function readShortOffset(text: string): { minutes: number; end: number } | undefined {
  const m = /^([+-])(\d)$/.exec(text)
  return m === null ? undefined : { minutes: (m[1] === '-' ? -60 : 60) * Number(m[2]), end: text.length }
}

function isIanaZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name })
    return true
  } catch {
    return false
  }
}

/**
 * Writes epoch milliseconds in a date format: the first of a list (`a||b` or an array), as ES
 * renders dates in responses. `strict_date_optional_time` gives `2024-01-02T03:04:05.000Z`,
 * `epoch_millis` the number's digits.
 * @param millis epoch milliseconds
 * @param format a format, a `||` list, or an array of formats (the first is used)
 * @param timeZone a UTC offset to render the date at (default UTC)
 * @throws LsrError `invalid_argument` for an invalid format or time zone
 * @example formatDate(Date.UTC(2024, 0, 2, 3, 4, 5), 'strict_date_optional_time') // "2024-01-02T03:04:05.000Z"
 */
export function formatDate(millis: number, format: string | readonly string[], timeZone?: string): string {
  const first = splitFormats(typeof format === 'string' ? format : (format[0] ?? ''))[0]!
  const compiled = compileDateFormat(first)
  if (!compiled.ok) throw invalidArgument(compiled.reason)
  return compiled.value.print(millis, timeZone === undefined ? 0 : parseTimeZone(timeZone))
}

/**
 * Parses a date (no math) with a list of formats: the first that matches wins.
 * @returns epoch milliseconds, or ES's reason ("failed to parse date field [x] with format [a||b]")
 */
export function parseDate(text: string, formats: string[], options: { roundUp?: boolean; offsetMinutes?: number } = {}): Parsed<number> {
  const list = formats.flatMap(splitFormats)
  for (const name of list) {
    const format = compileDateFormat(name)
    if (!format.ok) return format
    const millis = format.value.parse(text, options)
    if (millis !== undefined) return { ok: true, value: millis }
  }
  return { ok: false, reason: `failed to parse date field [${text}] with format [${list.join('||')}]` }
}

function parseDateOrThrow(text: string, formats: string[], roundUp: boolean, offsetMinutes: number): number {
  if (text === '') throw invalidArgument('cannot parse empty date')
  const parsed = parseDate(text, formats, { roundUp, offsetMinutes })
  if (!parsed.ok) throw invalidArgument(parsed.reason)
  return parsed.value
}

function applyMath(math: string, start: number, roundUp: boolean, offset: number): number {
  // Calendar work happens on local time (UTC + offset); the result goes back to UTC at the end.
  let local = start + offset * 60_000
  let i = 0
  while (i < math.length) {
    const op = math[i++]!
    if (op !== '/' && op !== '+' && op !== '-') throw invalidArgument(`operator not supported for date math [${math}]`)
    const round = op === '/'
    const sign = op === '-' ? -1 : 1
    if (i >= math.length) throw invalidArgument(`truncated date math [${math}]`)
    let num = 1
    if (isDigit(math[i]!)) {
      const from = i
      while (i < math.length && isDigit(math[i]!)) i++
      if (i >= math.length) throw invalidArgument(`truncated date math [${math}]`)
      num = Number(math.slice(from, i))
    }
    if (round && num !== 1) throw invalidArgument(`rounding \`/\` can only be used on single unit types [${math}]`)
    const unit = math[i++]!
    if (!'yMwdhHms'.includes(unit)) throw invalidArgument(`unit [${unit}] not supported for date math [${math}]`)
    local = round ? roundTo(local, unit, roundUp) : add(local, unit, sign * num)
  }
  return local - offset * 60_000
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9'
}

const FIXED: Record<string, number> = { w: 7 * DAY, d: DAY, h: 3_600_000, H: 3_600_000, m: 60_000, s: 1000 }

function add(local: number, unit: string, amount: number): number {
  if (unit !== 'y' && unit !== 'M') return local + amount * FIXED[unit]!
  const c = civil(local)
  const months = unit === 'y' ? amount * 12 : amount
  const total = c.year * 12 + (c.month - 1) + months
  const year = Math.floor(total / 12)
  const month = total - year * 12 + 1
  const day = Math.min(c.day, daysInMonth(year, month)) // Java clamps to the month's last day
  const timeOfDay = local - Math.floor(local / DAY) * DAY
  return daysFromCivil(year, month, day) * DAY + timeOfDay
}

/** Rounds down to the unit's start; `up`: to the last millisecond of the unit (next start − 1 ms). */
function roundTo(local: number, unit: string, up: boolean): number {
  const days = Math.floor(local / DAY)
  let start: number
  let next: number
  switch (unit) {
    case 'y': {
      const { year } = civilFromDays(days)
      start = daysFromCivil(year, 1, 1) * DAY
      next = daysFromCivil(year + 1, 1, 1) * DAY
      break
    }
    case 'M': {
      const { year, month } = civilFromDays(days)
      start = daysFromCivil(year, month, 1) * DAY
      next = month === 12 ? daysFromCivil(year + 1, 1, 1) * DAY : daysFromCivil(year, month + 1, 1) * DAY
      break
    }
    case 'w': {
      // 1970-01-01 was a Thursday: Monday-based weekday = (days + 3) mod 7.
      const weekday = (((days + 3) % 7) + 7) % 7
      start = (days - weekday) * DAY
      next = start + 7 * DAY
      break
    }
    default: {
      const size = FIXED[unit]!
      start = Math.floor(local / size) * size
      next = start + size
    }
  }
  return up ? next - 1 : start
}
