/**
 * Date histogram rounding, as Elasticsearch's Rounding: a value falls into the bucket that starts
 * at its calendar unit (or fixed interval) in the request's time zone, shifted by `offset`. Time
 * zones are fixed UTC offsets (parseTimeZone refuses named zones: lsr has no daylight-saving
 * rules), so every local day has 24 hours.
 * @module
 */
import { civilFromDays, daysFromCivil } from '../../mapping/calendar.js'
import { parsing } from './options.js'

export const DAY = 86_400_000

/** The calendar units of `calendar_interval`, by every name Elasticsearch accepts. */
const CALENDAR_UNITS = new Map<string, CalendarUnit>([
  ['minute', 'minute'], ['1m', 'minute'],
  ['hour', 'hour'], ['1h', 'hour'],
  ['day', 'day'], ['1d', 'day'],
  ['week', 'week'], ['1w', 'week'],
  ['month', 'month'], ['1M', 'month'],
  ['quarter', 'quarter'], ['1q', 'quarter'],
  ['year', 'year'], ['1y', 'year'],
])

type CalendarUnit = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year'

const FIXED_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY }

/** A rounding: the start of a value's bucket, and the start of the bucket after a start. */
export interface Rounding {
  round(millis: number): number
  next(start: number): number
  /** For an arithmetic rounding: a value's bucket number, whose start is `keyAt(number)`. */
  ordinal?(value: number): number
  keyAt?(ordinal: number): number
  /**
   * For buckets that start on day boundaries of `millis + dayShift` (calendar units of a day or
   * more): every value of one such day falls into the same bucket.
   */
  dayShift?: number
}

export function calendarUnit(name: string, where: string): CalendarUnit {
  const unit = CALENDAR_UNITS.get(name)
  if (!unit) throw parsing(`${where}: The supplied interval [${name}] could not be parsed as a calendar interval (minute, hour, day, week, month, quarter, year, or 1m, 1h, 1d, 1w, 1M, 1q, 1y)`)
  return unit
}

/** A fixed interval (`90m`, `2h`, `1d`) in milliseconds. */
export function fixedInterval(text: string, where: string): number {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text)
  const millis = m ? Number(m[1]) * FIXED_UNITS[m[2]] : 0
  if (!(millis > 0)) throw parsing(`${where}: failed to parse setting [fixed_interval] with value [${text}] as a time value: a positive integer and a unit (ms, s, m, h, d)`)
  return millis
}

/** A signed time value (`offset`: `+6h`, `-1d`, `30m`) in milliseconds. */
export function signedTimeValue(text: string, where: string): number {
  const m = /^([+-]?)(\d+)(ms|s|m|h|d)$/.exec(text)
  if (!m) throw parsing(`${where}: [offset] must be a time value such as +6h or -1d, got [${text}]`)
  return (m[1] === '-' ? -1 : 1) * Number(m[2]) * FIXED_UNITS[m[3]]
}

/** Calendar rounding at a fixed UTC offset (minutes east) and bucket offset (millis). */
export function calendarRounding(unit: CalendarUnit, zoneMinutes: number, offset: number): Rounding {
  const zone = zoneMinutes * 60_000
  const shift = zone - offset
  return {
    round: (millis) => startOf(unit, millis + shift) - shift,
    next: (start) => nextStart(unit, start + shift) - shift,
    dayShift: unit === 'minute' || unit === 'hour' ? undefined : shift,
  }
}

/** Fixed-interval rounding at a fixed UTC offset, as Elasticsearch's TimeIntervalRounding. */
export function fixedRounding(interval: number, zoneMinutes: number, offset: number): Rounding {
  const shift = zoneMinutes * 60_000 - offset
  return {
    round: (millis) => Math.floor((millis + shift) / interval) * interval - shift,
    next: (start) => start + interval,
  }
}

/** The start of the calendar unit holding local time `local`. */
function startOf(unit: CalendarUnit, local: number): number {
  switch (unit) {
    case 'minute':
      return Math.floor(local / 60_000) * 60_000
    case 'hour':
      return Math.floor(local / 3_600_000) * 3_600_000
    case 'day':
      return Math.floor(local / DAY) * DAY
    case 'week': {
      // ISO weeks start on Monday; 1970-01-01 was a Thursday.
      const days = Math.floor(local / DAY)
      return (days - ((((days + 3) % 7) + 7) % 7)) * DAY
    }
    default: {
      const { year, month } = civilFromDays(Math.floor(local / DAY))
      const first = unit === 'year' ? 1 : unit === 'quarter' ? month - ((month - 1) % 3) : month
      return daysFromCivil(year, first, 1) * DAY
    }
  }
}

/** The start of the unit after the one starting at local time `start`. */
function nextStart(unit: CalendarUnit, start: number): number {
  switch (unit) {
    case 'minute':
      return start + 60_000
    case 'hour':
      return start + 3_600_000
    case 'day':
      return start + DAY
    case 'week':
      return start + 7 * DAY
    default: {
      const { year, month } = civilFromDays(Math.floor(start / DAY))
      const months = year * 12 + (month - 1) + (unit === 'year' ? 12 : unit === 'quarter' ? 3 : 1)
      return daysFromCivil(Math.floor(months / 12), (months % 12) + 1, 1) * DAY
    }
  }
}
