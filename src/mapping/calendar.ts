/**
 * The proleptic Gregorian calendar on epoch milliseconds, for any year (JavaScript's Date.UTC maps
 * years 0–99 to 1900–1999; these functions do not).
 * @module
 */

/** The largest |epoch millis| lsr handles: JavaScript's Date range, ±100,000,000 days. */
export const MAX_EPOCH_MILLIS = 8.64e15

/** A civil date and time. */
export interface Civil {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  ms: number
}

/** `n` as decimal digits, zero-padded to `width` (sign first). */
export function pad(n: number, width: number): string {
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
