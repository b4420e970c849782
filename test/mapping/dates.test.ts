import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compileDateFormat, formatDate, parseDate, parseDateMath, parseTimeZone } from '../../src/mapping/index.js'
import { failure } from './helpers.js'

const DEFAULT = ['strict_date_optional_time', 'epoch_millis']

function millis(text: string, formats: string[] = DEFAULT, options: { roundUp?: boolean; offsetMinutes?: number } = {}): number | undefined {
  const parsed = parseDate(text, formats, options)
  return parsed.ok ? parsed.value : undefined
}

describe('strict_date_optional_time', () => {
  it('reads dates, times, fractions and zones; no zone is UTC', () => {
    expect(millis('2024-03-10')).toBe(Date.UTC(2024, 2, 10))
    expect(millis('2024-03')).toBe(Date.UTC(2024, 2, 1))
    expect(millis('2024')).toBe(Date.UTC(2024, 0, 1))
    expect(millis('2024-03-10T12')).toBe(Date.UTC(2024, 2, 10, 12))
    expect(millis('2024-03-10T12:34')).toBe(Date.UTC(2024, 2, 10, 12, 34))
    expect(millis('2024-03-10T12:34:56')).toBe(Date.UTC(2024, 2, 10, 12, 34, 56))
    expect(millis('2024-03-10T12:34:56.7')).toBe(Date.UTC(2024, 2, 10, 12, 34, 56, 700))
    expect(millis('2024-03-10T12:34:56.123456789Z')).toBe(Date.UTC(2024, 2, 10, 12, 34, 56, 123))
    expect(millis('2024-03-10T12:34:56,5Z')).toBe(Date.UTC(2024, 2, 10, 12, 34, 56, 500))
    expect(millis('2024-03-10T12:00:00+02:00')).toBe(Date.UTC(2024, 2, 10, 10))
    expect(millis('2024-03-10T12:00:00-0530')).toBe(Date.UTC(2024, 2, 10, 17, 30))
    expect(millis('2024-03-10T12:00:00+01')).toBe(Date.UTC(2024, 2, 10, 11))
    expect(millis('2024-03-10T12:00Z')).toBe(Date.UTC(2024, 2, 10, 12))
    // Years below 100 are years, not 1900 + n as Date.UTC would make them.
    expect(new Date(millis('0099-12-31')!).toISOString()).toBe('0099-12-31T00:00:00.000Z')
  })

  it('refuses impossible and malformed dates', () => {
    for (const bad of ['2024-02-30', '2023-02-29', '2024-13-01', '2024-03-10T24:00', '2024-03-10T12:60', '2024-3-10', '24-03-10', '2024-03-10 12:00', '2024-03-10T12:00:00+25:00', 'abc', '']) {
      expect(millis(bad, ['strict_date_optional_time']), bad).toBeUndefined()
    }
    expect(millis('2024-02-29')).toBe(Date.UTC(2024, 1, 29))
  })
})

describe('other formats', () => {
  it('reads epoch_millis and epoch_second, negative and fractional', () => {
    expect(millis('1700000000000', ['epoch_millis'])).toBe(1700000000000)
    expect(millis('-1000', ['epoch_millis'])).toBe(-1000)
    expect(millis('1.5', ['epoch_millis'])).toBe(1)
    expect(millis('-1.5', ['epoch_millis'])).toBe(-2) // the instant −1.5 ms falls in millisecond −2
    expect(millis('1700000000.123', ['epoch_second'])).toBe(1700000000123)
    expect(millis('1700000000.1239', ['epoch_second'])).toBe(1700000000123)
    expect(millis('-1.5', ['epoch_second'])).toBe(-1500)
    expect(millis('1e3', ['epoch_millis'])).toBeUndefined()
  })

  it('reads the named formats', () => {
    expect(millis('2024-03-10', ['strict_date'])).toBe(Date.UTC(2024, 2, 10))
    expect(millis('2024-03-10', ['date'])).toBe(Date.UTC(2024, 2, 10))
    expect(millis('20240310', ['basic_date'])).toBe(Date.UTC(2024, 2, 10))
    expect(millis('20240310T101112.345Z', ['basic_date_time'])).toBe(Date.UTC(2024, 2, 10, 10, 11, 12, 345))
    expect(millis('2024-03-10T10:11:12.345+01:00', ['strict_date_time'])).toBe(Date.UTC(2024, 2, 10, 9, 11, 12, 345))
    expect(millis('2024-03-10T10:11:12', ['strict_date_time'])).toBeUndefined() // zone and millis required
    expect(millis('2024-03-10T10:11:12Z', ['date_time_no_millis'])).toBe(Date.UTC(2024, 2, 10, 10, 11, 12))
    expect(millis('2024-03-10T10:11:12', ['strict_date_hour_minute_second'])).toBe(Date.UTC(2024, 2, 10, 10, 11, 12))
    expect(millis('2024-03', ['strict_year_month'])).toBe(Date.UTC(2024, 2, 1))
    expect(millis('10:11', ['hour_minute'])).toBe(Date.UTC(1970, 0, 1, 10, 11))
  })

  it('reads custom Java-time patterns', () => {
    expect(millis('10/03/2024 12:30', ['dd/MM/yyyy HH:mm'])).toBe(Date.UTC(2024, 2, 10, 12, 30))
    expect(millis('2024.03.10', ['yyyy.MM.dd'])).toBe(Date.UTC(2024, 2, 10))
    expect(millis('2024-03-10T12:30:00.250+02:00', ["yyyy-MM-dd'T'HH:mm:ss.SSSXXX"])).toBe(Date.UTC(2024, 2, 10, 10, 30, 0, 250))
    expect(millis('2024/03/10', ['yyyy/MM/dd HH:mm:ss', 'yyyy/MM/dd'])).toBe(Date.UTC(2024, 2, 10))
    expect(millis('2024-03-10', ['yyyy-MM-dd[ HH:mm]'])).toBe(Date.UTC(2024, 2, 10))
    expect(millis('2024-03-10 08:15', ['yyyy-MM-dd[ HH:mm]'])).toBe(Date.UTC(2024, 2, 10, 8, 15))
    expect(millis('3/7/24', ['d/M/yy'])).toBe(Date.UTC(2024, 6, 3))
    expect(millis("10 o'clock 2024-03-10", ["HH 'o''clock' yyyy-MM-dd"])).toBe(Date.UTC(2024, 2, 10, 10))
    expect(millis('2024-03-10 12:30', ['yyyy-MM-dd'])).toBeUndefined()
  })

  it('tries each format of a list in turn, || lists included', () => {
    expect(millis('2024/03/10', ['yyyy-MM-dd||yyyy/MM/dd'])).toBe(Date.UTC(2024, 2, 10))
    expect(millis('1700000000000', ['yyyy-MM-dd', 'epoch_millis'])).toBe(1700000000000)
    const failed = parseDate('x', ['yyyy-MM-dd||epoch_millis'])
    expect(failed).toEqual({ ok: false, reason: 'failed to parse date field [x] with format [yyyy-MM-dd||epoch_millis]' })
  })

  it('names invalid formats', () => {
    expect(compileDateFormat('foo')).toEqual({ ok: false, reason: 'Invalid format: [foo]: Unknown pattern letter: f' })
    expect(compileDateFormat('strict_week_date')).toEqual({ ok: false, reason: 'lsr does not support the date format [strict_week_date]' })
    expect(compileDateFormat('yyyy-MM-dd EEE').ok).toBe(false)
    expect(compileDateFormat('yyyy-MM-dd[').ok).toBe(false)
  })
})

describe('formatDate', () => {
  const t = Date.UTC(2024, 0, 2, 3, 4, 5, 6)
  it('writes the first format of a list', () => {
    expect(formatDate(t, 'strict_date_optional_time')).toBe('2024-01-02T03:04:05.006Z')
    expect(formatDate(t, ['strict_date_optional_time', 'epoch_millis'])).toBe('2024-01-02T03:04:05.006Z')
    expect(formatDate(t, 'epoch_millis||strict_date_optional_time')).toBe(String(t))
    expect(formatDate(t, 'epoch_second')).toBe('1704164645.006')
    expect(formatDate(t, 'strict_date')).toBe('2024-01-02')
    expect(formatDate(t, 'basic_date')).toBe('20240102')
    expect(formatDate(t, 'yyyy/MM/dd HH:mm:ss')).toBe('2024/01/02 03:04:05')
    expect(formatDate(t, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX")).toBe('2024-01-02T03:04:05.006Z')
    expect(formatDate(t, "yyyy-MM-dd'T'HH:mm:ss.SSSXXX", '+05:30')).toBe('2024-01-02T08:34:05.006+05:30')
    expect(formatDate(t, 'strict_date_optional_time', '-01:00')).toBe('2024-01-02T02:04:05.006-01:00')
    expect(formatDate(Date.UTC(1969, 11, 31, 23, 59, 59, 999), 'strict_date_optional_time')).toBe('1969-12-31T23:59:59.999Z')
  })

  it('agrees with Date.prototype.toISOString for years 0000 to 9999, and parses back', () => {
    const lo = Date.parse('0000-01-01T00:00:00.000Z')
    const hi = Date.parse('9999-12-31T23:59:59.999Z')
    fc.assert(
      fc.property(fc.integer({ min: lo, max: hi }), (t) => {
        const text = formatDate(t, 'strict_date_optional_time')
        expect(text).toBe(new Date(t).toISOString())
        expect(millis(text)).toBe(t)
        expect(millis(formatDate(t, 'basic_date_time'), ['basic_date_time'])).toBe(t)
      }),
      { numRuns: 2000 },
    )
  })

  it('round-trips through parsing', () => {
    for (const format of ['strict_date_optional_time', 'epoch_millis', 'basic_date_time', 'strict_date_time', "dd.MM.yyyy HH:mm:ss.SSS"]) {
      expect(millis(formatDate(t, format), [format]), format).toBe(t)
    }
  })
})

describe('parseDateMath', () => {
  // Friday 2024-03-15T13:45:30.123Z
  const now = Date.UTC(2024, 2, 15, 13, 45, 30, 123)
  const math = (expr: string, roundUp = false, tz?: string) => parseDateMath(expr, DEFAULT, now, roundUp, tz)

  it('adds and subtracts units', () => {
    expect(math('now')).toBe(now)
    expect(math('now+1h')).toBe(now + 3_600_000)
    expect(math('now-1H')).toBe(now - 3_600_000)
    expect(math('now-90m')).toBe(now - 5_400_000)
    expect(math('now+30s')).toBe(now + 30_000)
    expect(math('now+2w')).toBe(now + 14 * 86_400_000)
    expect(math('now-d')).toBe(now - 86_400_000)
    expect(math('now+1M')).toBe(Date.UTC(2024, 3, 15, 13, 45, 30, 123))
    expect(math('now-1y')).toBe(Date.UTC(2023, 2, 15, 13, 45, 30, 123))
    expect(math('2024-01-31||+1M')).toBe(Date.UTC(2024, 1, 29)) // clamped to the month's last day
    expect(math('2024-02-29||+1y')).toBe(Date.UTC(2025, 1, 28))
    expect(math('2024-01-01||+1M/d')).toBe(Date.UTC(2024, 1, 1))
    expect(math('2024-03-31||-1M-1d')).toBe(Date.UTC(2024, 1, 28))
  })

  it('rounds per ES range rules: gt and lte up, gte and lt down', () => {
    const expr = '2014-11-18||/M'
    const up = Date.UTC(2014, 10, 30, 23, 59, 59, 999)
    const down = Date.UTC(2014, 10, 1)
    expect(parseDateMath(expr, DEFAULT, now, true)).toBe(up) // gt
    expect(parseDateMath(expr, DEFAULT, now, false)).toBe(down) // gte
    expect(parseDateMath(expr, DEFAULT, now, false)).toBe(down) // lt
    expect(parseDateMath(expr, DEFAULT, now, true)).toBe(up) // lte
    expect(math('now-7d/d')).toBe(Date.UTC(2024, 2, 8))
    expect(math('now-7d/d', true)).toBe(Date.UTC(2024, 2, 8, 23, 59, 59, 999))
    expect(math('now/w')).toBe(Date.UTC(2024, 2, 11)) // Monday
    expect(math('now/w', true)).toBe(Date.UTC(2024, 2, 17, 23, 59, 59, 999))
    expect(math('now/y')).toBe(Date.UTC(2024, 0, 1))
    expect(math('now/y', true)).toBe(Date.UTC(2024, 11, 31, 23, 59, 59, 999))
    expect(math('now/h')).toBe(Date.UTC(2024, 2, 15, 13))
    expect(math('now/m', true)).toBe(Date.UTC(2024, 2, 15, 13, 45, 59, 999))
    expect(math('now/s')).toBe(Date.UTC(2024, 2, 15, 13, 45, 30))
    expect(math('now/M', true)).toBe(Date.UTC(2024, 2, 31, 23, 59, 59, 999))
    expect(math('1970-01-01||/w')).toBe(Date.UTC(1969, 11, 29)) // the Monday before a Thursday
  })

  it('fills a plain date rounded up with the last millisecond of its day', () => {
    expect(math('2014-11-18', true)).toBe(Date.UTC(2014, 10, 18, 23, 59, 59, 999))
    expect(math('2014-11-18', false)).toBe(Date.UTC(2014, 10, 18))
    expect(math('2014-11-18T10', true)).toBe(Date.UTC(2014, 10, 18, 10, 59, 59, 999))
    expect(math('2014-11', true)).toBe(Date.UTC(2014, 10, 1, 23, 59, 59, 999)) // ES: a missing day stays 01
    expect(math('2014-11-18T10:00:00.000Z', true)).toBe(Date.UTC(2014, 10, 18, 10))
    expect(math('2014-11-18||+1d', true)).toBe(Date.UTC(2014, 10, 19)) // no fill before ||
    expect(math('1416268800000', true)).toBe(1416268800000)
  })

  it('applies a time_zone offset to dates without a zone and to rounding', () => {
    expect(math('2024-03-10T12:00:00', false, '+02:00')).toBe(Date.UTC(2024, 2, 10, 10))
    expect(math('2024-03-10T12:00:00Z', false, '+02:00')).toBe(Date.UTC(2024, 2, 10, 12))
    expect(math('2024-03-10', false, '-05:00')).toBe(Date.UTC(2024, 2, 10, 5))
    const late = Date.UTC(2024, 2, 15, 23, 30)
    expect(parseDateMath('now/d', DEFAULT, late, false, '+01:00')).toBe(Date.UTC(2024, 2, 15, 23))
    expect(parseDateMath('now/d', DEFAULT, late, true, '+01:00')).toBe(Date.UTC(2024, 2, 16, 22, 59, 59, 999))
    expect(parseDateMath('now/d', DEFAULT, late, false, 'UTC')).toBe(Date.UTC(2024, 2, 15))
    expect(math('1700000000000', false, '+05:00')).toBe(1700000000000) // epoch millis are absolute
  })

  it('reads time zones, refusing named ones by name', () => {
    expect(parseTimeZone('+01:00')).toBe(60)
    expect(parseTimeZone('-0830')).toBe(-510)
    expect(parseTimeZone('+05')).toBe(300)
    expect(parseTimeZone('-8')).toBe(-480)
    expect(parseTimeZone('Z')).toBe(0)
    expect(parseTimeZone('UTC')).toBe(0)
    expect(parseTimeZone('GMT+02:00')).toBe(120)
    expect(failure(() => parseTimeZone('Europe/Paris'), 'invalid_argument').message).toMatch(/named time zone \[Europe\/Paris\]/)
    expect(failure(() => parseTimeZone('Mars/Olympus'), 'invalid_argument').message).toBe('Unknown time-zone ID: Mars/Olympus')
  })

  it('names what is wrong in an expression', () => {
    expect(failure(() => math('now+1x'), 'invalid_argument').message).toBe('unit [x] not supported for date math [+1x]')
    expect(failure(() => math('now*1d'), 'invalid_argument').message).toBe('operator not supported for date math [*1d]')
    expect(failure(() => math('now+'), 'invalid_argument').message).toBe('truncated date math [+]')
    expect(failure(() => math('now+12'), 'invalid_argument').message).toBe('truncated date math [+12]')
    expect(failure(() => math('now/2d'), 'invalid_argument').message).toBe('rounding `/` can only be used on single unit types [/2d]')
    expect(failure(() => math('yesterday'), 'invalid_argument').message).toBe(
      'failed to parse date field [yesterday] with format [strict_date_optional_time||epoch_millis]',
    )
    expect(failure(() => math('||+1d'), 'invalid_argument').message).toBe('cannot parse empty date')
  })
})
