/**
 * Java-time date patterns (`yyyy-MM-dd'T'HH:mm:ss.SSSXXX`, `dd/MM/yyyy[ HH:mm]`): compiled into
 * tokens, matched against text (optional sections backtrack), resolved to epoch milliseconds, and
 * printed back. See `date-format.ts` for the letters lsr supports.
 * @module
 */
import { civil, daysFromCivil, daysInMonth, MAX_EPOCH_MILLIS, pad, type Civil } from './calendar.js'
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

/** A numeric date field a pattern letter reads. */
export type NumField = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second'
/** One element of a compiled pattern. `frac` reads fraction-of-second digits; `opt` is a `[…]` section. */
export type Token =
  | { kind: 'lit'; text: string }
  | { kind: 'num'; field: NumField; min: number; max: number; twoDigitYear?: boolean }
  | { kind: 'frac'; min: number; max: number }
  | { kind: 'zone'; style: 'X' | 'XX' | 'XXX' | 'Z' }
  | { kind: 'opt'; tokens: Token[] }

/** What a match read from the text; missing fields take defaults in `resolveFields`. */
export interface Fields {
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

/** Compiles a Java-time pattern into tokens, or says why it is not valid (Java's own wording where it has one). */
export function compilePattern(pattern: string): Parsed<Token[]> {
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

/** A date format made of tokens (a pattern, or a built-in name defined by one). */
export function tokenFormat(name: string, toks: Token[]): DateFormat {
  return {
    name,
    parse(text, options) {
      const fields = matchTokens(toks, 0, text, 0, {})
      return fields === undefined ? undefined : resolveFields(fields, options)
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

/** Epoch milliseconds of what a match read, or `undefined` for an impossible date or time. */
export function resolveFields(f: Fields, options: DateParseOptions = {}): number | undefined {
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

/** A UTC offset as a zone letter prints it (`X`: Z/+01/+0130, `XX`: Z/+0100, `XXX`: Z/+01:00, `Z`: +0000). */
export function printOffset(minutes: number, style: 'X' | 'XX' | 'XXX' | 'Z'): string {
  if (minutes === 0 && style !== 'Z') return 'Z'
  const sign = minutes < 0 ? '-' : '+'
  const a = Math.abs(minutes)
  const hh = pad(Math.floor(a / 60), 2)
  const mm = pad(a % 60, 2)
  if (style === 'X') return mm === '00' ? `${sign}${hh}` : `${sign}${hh}${mm}`
  if (style === 'XXX') return `${sign}${hh}:${mm}`
  return `${sign}${hh}${mm}`
}
