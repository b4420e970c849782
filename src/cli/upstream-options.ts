/**
 * The `--upstream*` flags `lsr serve` and `lsr eval` share: the cluster, its flavor, its
 * credentials, its timeout, and the model each learned-sparse field's `query_text` uses when a
 * query names none.
 * @module
 */
import { Option, type Command } from 'commander'
import { LsrError } from '../errors.js'
import { DEFAULT_UPSTREAM_TIMEOUT_MS, type UpstreamOptions } from '../server/upstream.js'
import { UPSTREAM_FLAVORS, type DefaultModels, type UpstreamFlavor } from '../server/upstream-rewrite.js'
import { parsePositiveInt } from './format.js'

export interface UpstreamFlags {
  upstream?: string
  upstreamFlavor?: UpstreamFlavor
  upstreamApiKey?: string
  upstreamUser?: string
  upstreamTimeout?: number
  upstreamModel: string[]
}

/** Adds the flags; `what` says what the URL is used for. */
export function addUpstreamOptions(command: Command, what: string): Command {
  return command
    .option('--upstream <url>', what)
    .addOption(new Option('--upstream-flavor <flavor>', 'with --upstream: opensearch (neural_sparse query_tokens, OpenSearch >= 2.11) or elasticsearch (rank_feature queries)').choices([...UPSTREAM_FLAVORS]))
    .option('--upstream-api-key <key>', 'with --upstream: the cluster\'s API key (Authorization: ApiKey <key>; or set LSR_UPSTREAM_API_KEY)')
    .option('--upstream-user <user:pass>', 'with --upstream: the cluster\'s user and password (HTTP basic authentication)')
    .option('--upstream-timeout <ms>', `with --upstream: a cluster request not answered in this long fails with a 504 (default ${DEFAULT_UPSTREAM_TIMEOUT_MS})`, parsePositiveInt('--upstream-timeout'))
    .option('--upstream-model <spec>', 'with --upstream: FIELD=MODEL, the model (of --models) whose tokenizer and IDF table encode neural_sparse query_text on FIELD when a query names no model_id; MODEL alone: every field\'s (repeatable)', (value: string, all: string[]) => [...all, value], [])
}

/** The upstream options, or undefined without --upstream. @throws LsrError when an --upstream-* flag comes without --upstream */
export function upstreamFrom(flags: UpstreamFlags): UpstreamOptions | undefined {
  if (flags.upstream === undefined) {
    const stray = (['upstreamFlavor', 'upstreamApiKey', 'upstreamUser', 'upstreamTimeout'] as const).find((key) => flags[key] !== undefined)
    if (stray !== undefined || flags.upstreamModel.length > 0) {
      const flag = stray === undefined ? '--upstream-model' : `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`
      throw new LsrError('invalid_argument', `${flag} applies with --upstream URL`)
    }
    return undefined
  }
  return {
    url: flags.upstream,
    flavor: flags.upstreamFlavor,
    apiKey: flags.upstreamApiKey ?? (flags.upstreamUser === undefined ? process.env.LSR_UPSTREAM_API_KEY : undefined),
    user: flags.upstreamUser,
    timeoutMs: flags.upstreamTimeout,
  }
}

/** `--upstream-model` values as per-field defaults. @throws LsrError for an empty field or model, or a field given twice */
export function defaultModelsFrom(values: readonly string[]): DefaultModels | undefined {
  if (values.length === 0) return undefined
  const defaults: DefaultModels = { byField: {} }
  for (const value of values) {
    const at = value.indexOf('=')
    const [field, model] = at < 0 ? [undefined, value] : [value.slice(0, at), value.slice(at + 1)]
    if (model === '' || field === '') throw new LsrError('invalid_argument', `--upstream-model takes MODEL or FIELD=MODEL, got "${value}"`)
    if (field === undefined) {
      if (defaults.all !== undefined) throw new LsrError('invalid_argument', '--upstream-model without a field is given twice')
      defaults.all = model
    } else {
      if (Object.hasOwn(defaults.byField, field)) throw new LsrError('invalid_argument', `--upstream-model gives field ${field} twice`)
      defaults.byField[field] = model
    }
  }
  return defaults
}
