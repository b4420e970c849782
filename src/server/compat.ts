/**
 * The protocol handshake of the official Elasticsearch clients (`lsr serve --compat elasticsearch`).
 *
 * Since 7.14 those clients refuse a server that does not identify as Elasticsearch: the 7.14–7.17
 * clients read `GET /` first (a `version.number` ≥ 7.14 and the `X-Elastic-Product:
 * Elasticsearch` header, or below 7.14 the tagline `You Know, for Search` and `build_flavor:
 * default`), and the 8.x clients check the header on every 2xx answer, after the request has run.
 * In the compatibility mode the server gives that handshake: `GET /` answers an
 * Elasticsearch-shaped version ({@link DEFAULT_COMPAT_VERSION} unless `compatVersion` says
 * otherwise), every answer carries the header, and the 8.x clients' media types
 * (`application/vnd.elasticsearch+json; compatible-with=8`, `+x-ndjson` for bulk bodies) are
 * read as JSON and NDJSON, JSON answers echoing the vendored type the client accepts. It is a
 * handshake, not a claim that lsr is Elasticsearch: the API served is lsr's either way.
 *
 * Without the mode, a request that shows it comes from an Elasticsearch client (the
 * `x-elastic-client-meta` header every official client sends, with its `es=` entry, or a
 * vendored media type) is refused with a 400 before anything runs: an 8.x client would
 * otherwise write first and throw `ProductNotSupportedError` after, so the application is told
 * a write failed that happened.
 * @module
 */
import type { MiddlewareHandler } from 'hono'
import { LsrError } from '../errors.js'
import { VERSION } from '../version.js'
import { errorBody, HttpError } from './http-error.js'

/** The products whose clients' handshake the server can give. */
export const COMPAT_PRODUCTS = ['elasticsearch'] as const

/** A product of {@link COMPAT_PRODUCTS}. */
export type CompatProduct = (typeof COMPAT_PRODUCTS)[number]

/** The version `GET /` reports in the compatibility mode unless told otherwise. */
export const DEFAULT_COMPAT_VERSION = '8.11.0'

/** The oldest version the mode may report: typeless APIs, as lsr's, start with 7.0. */
const OLDEST_COMPAT_MAJOR = 7

/** The `compatible-with` majors accepted whatever version is reported: the clients tested, 7.17 and 8.x. */
const COMPATIBLE_MAJORS = [7, 8]

/** The Elasticsearch handshake the server gives, from the options `compat` and `compatVersion`. */
export interface Handshake {
  /** The `version.number` of `GET /`. */
  version: string
  /** The `compatible-with` majors accepted in vendored media types. */
  majors: readonly number[]
}

/**
 * Checks the compatibility options; undefined when the mode is off.
 * @throws LsrError (`invalid_argument`) for another product, a version that is not `x.y.z`
 *   from 7.0.0 on, or a version without `compat`.
 * @example compatHandshake({ compat: 'elasticsearch', compatVersion: '7.10.2' }) // { version: '7.10.2', majors: [7, 8] }
 */
export function compatHandshake(options: { compat?: string; compatVersion?: string }): Handshake | undefined {
  const { compat, compatVersion } = options
  if (compat === undefined) {
    if (compatVersion !== undefined) throw new LsrError('invalid_argument', 'a compatibility version needs the compatibility mode (--compat elasticsearch)')
    return undefined
  }
  if (!(COMPAT_PRODUCTS as readonly string[]).includes(compat)) {
    throw new LsrError('invalid_argument', `unknown compatibility mode [${compat}] (known: ${COMPAT_PRODUCTS.join(', ')})`)
  }
  const version = compatVersion ?? DEFAULT_COMPAT_VERSION
  const parts = /^(\d{1,4})\.(\d{1,4})\.(\d{1,4})$/.exec(version)
  if (!parts || Number(parts[1]) < OLDEST_COMPAT_MAJOR) {
    throw new LsrError('invalid_argument', `the compatibility version must be major.minor.patch from ${OLDEST_COMPAT_MAJOR}.0.0 on (such as ${DEFAULT_COMPAT_VERSION} or 7.10.2), got [${version}]`)
  }
  const major = Number(parts[1])
  return { version, majors: [...new Set([...COMPATIBLE_MAJORS, major])].sort((a, b) => a - b) }
}

/**
 * `GET /` in the compatibility mode: every field of Elasticsearch's main response (typed
 * clients, such as the Java client, require them), with lsr's own values where a field would
 * describe a build, and lsr's version under `lsr`. The tagline and `build_flavor` are the ones
 * 7.14–7.17 clients require of a version below 7.14 (so `7.10.2`, which tools written before the
 * product check expect, passes them too); 8.x clients read only the header.
 */
export function compatMainResponse(handshake: Handshake): Record<string, unknown> {
  const { version } = handshake
  return {
    name: 'lsr',
    cluster_name: 'lsr',
    cluster_uuid: '_na_',
    version: {
      number: version,
      build_flavor: 'default',
      build_type: 'lsr',
      build_hash: 'unknown',
      build_date: 'unknown',
      build_snapshot: false,
      lucene_version: 'none',
      minimum_wire_compatibility_version: version,
      minimum_index_compatibility_version: version,
    },
    tagline: 'You Know, for Search',
    lsr: { version: VERSION, compat: 'elasticsearch' },
  }
}

/** `application/vnd.elasticsearch+json; compatible-with=8` and its kin, with the version captured. */
const VENDORED = /^application\/vnd\.elasticsearch\+([a-z0-9.-]+)\s*(?:;(.*))?$/i

/** One media type of a header (a list for Accept): its vendored subtype and `compatible-with`. */
interface Vendored {
  subtype: string
  /** The `compatible-with` value as sent; undefined when absent. */
  compatibleWith?: string
}

/** The vendored media types of a Content-Type or Accept header. */
function vendoredTypes(header: string | undefined): Vendored[] {
  if (header === undefined) return []
  return header.split(',').flatMap((range) => {
    const match = VENDORED.exec(range.trim())
    if (!match) return []
    const parameter = (match[2] ?? '').split(';').map((p) => p.trim().split('=')).find(([name]) => name.toLowerCase() === 'compatible-with')
    return [{ subtype: match[1].toLowerCase(), compatibleWith: parameter?.[1]?.trim() }]
  })
}

/** What shows that a request comes from an Elasticsearch client, in words; undefined when nothing does. */
function elasticsearchClientSign(headers: { get(name: string): string | null }): string | undefined {
  const meta = headers.get('x-elastic-client-meta')
  const es = meta?.split(',').map((entry) => entry.trim()).find((entry) => entry.startsWith('es='))
  if (es !== undefined) return `its x-elastic-client-meta header names ${es.slice(0, 40)}`
  for (const name of ['Content-Type', 'Accept']) {
    const [vendored] = vendoredTypes(headers.get(name) ?? undefined)
    if (vendored) return `its ${name} is application/vnd.elasticsearch+${vendored.subtype.slice(0, 40)}`
  }
  return undefined
}

/**
 * Checks the `compatible-with` major of each vendored type against the handshake's
 * (Elasticsearch's 400 `media_type_header_exception` otherwise); returns the content type of a
 * JSON answer when Accept asked for the vendored JSON type, which the answer then echoes.
 */
function answerType(headers: { get(name: string): string | null }, handshake: Handshake): string | undefined {
  let answer: string | undefined
  for (const name of ['Content-Type', 'Accept']) {
    for (const { subtype, compatibleWith } of vendoredTypes(headers.get(name) ?? undefined)) {
      if (compatibleWith !== undefined && !handshake.majors.includes(Number(compatibleWith))) {
        throw new HttpError(400, 'media_type_header_exception', `${name} version must be ${handshake.majors.join(' or ')}, but found [${compatibleWith.slice(0, 20)}] (lsr --compat elasticsearch answers the clients of Elasticsearch 7 and 8, and those of the --compat-version major)`)
      }
      if (name === 'Accept' && subtype === 'json') answer ??= `application/vnd.elasticsearch+json${compatibleWith === undefined ? '' : `;compatible-with=${compatibleWith}`}`
    }
  }
  return answer
}

/** The header the clients' product check reads. */
const PRODUCT_HEADER = { 'X-Elastic-Product': 'Elasticsearch' }

/**
 * The middleware, first of the app's: with a handshake, the product header on every answer
 * (errors included) and the vendored media types; without one, Elasticsearch clients' requests
 * refused before any other middleware or route runs.
 */
export function compatMiddleware(handshake: Handshake | undefined): MiddlewareHandler {
  if (!handshake) {
    return async (c, next) => {
      const sign = elasticsearchClientSign(c.req.raw.headers)
      if (sign !== undefined) {
        throw new HttpError(400, 'illegal_argument_exception', `this request comes from an Elasticsearch client (${sign}), which lsr answers only in its compatibility mode: start the server with \`lsr serve --compat elasticsearch\`. Nothing was executed.`)
      }
      return next()
    }
  }
  return async (c, next) => {
    let type: string | undefined
    try {
      type = answerType(c.req.raw.headers, handshake)
    } catch (error) {
      // Answered here rather than thrown, so that the refusal carries the product header too.
      if (!(error instanceof HttpError)) throw error
      return c.json(errorBody(error), 400, PRODUCT_HEADER)
    }
    await next()
    c.header('X-Elastic-Product', PRODUCT_HEADER['X-Elastic-Product'])
    if (type !== undefined && c.res.headers.get('content-type')?.startsWith('application/json')) c.header('Content-Type', type)
  }
}
