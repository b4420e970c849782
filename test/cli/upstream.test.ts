/**
 * `lsr serve --upstream` and `lsr eval --upstream` through the built CLI, with an in-process lsr
 * server as the cluster: the proxy's answers equal the cluster's, `lsr eval --upstream` writes the
 * report and run files `lsr eval` wrote for the same index, and the flags are checked.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ModelRegistry } from '../../src/encode/neural/model-registry.js'
import { startServer } from '../../src/server/serve.js'
import { tempDir } from '../helpers.js'
import { MODELS, writeHybridDataset, type HybridDataset } from '../eval/hybrid-dataset.js'
import { send } from '../server/helpers.js'
import { LSR, lsr, SAMPLE } from './lsr.js'

const templateFlags = (data: HybridDataset) => Object.entries(data.templates).flatMap(([name, file]) => ['--query-template', `${name}=${file}`])

describe('lsr eval --upstream and lsr serve --upstream', () => {
  it('evaluates the cluster\'s copy of an index with the same metrics and run files, and serves it through the proxy', async () => {
    const root = await tempDir()
    const data = await writeHybridDataset(root)
    const dataDir = join(root, 'data')
    const direct = await lsr('eval', data.dir, '--mapping', data.mapping, '--pipeline', data.pipeline, '--models', MODELS, '--threads', '1', '--index', join(dataDir, 'tiny'),
      '--search-pipeline', data.searchPipeline, ...templateFlags(data), '--out', join(root, 'direct'), '--json')
    expect(direct.stderr).toBe('')
    expect(direct.code).toBe(0)
    const cluster = await startServer({ dataDir, port: 0, modelsDir: MODELS, models: new ModelRegistry(MODELS, { threads: 1 }) })
    try {
      const remote = await lsr('eval', data.dir, '--upstream', cluster.url, '--name', 'tiny', '--models', MODELS, '--search-pipeline', data.searchPipeline, ...templateFlags(data), '--out', join(root, 'remote'), '--json')
      expect(remote.stderr).toBe('')
      expect(remote.code).toBe(0)
      const [a, b] = [JSON.parse(direct.stdout), JSON.parse(remote.stdout)]
      expect(b.runs.map((r: any) => r.metrics)).toEqual(a.runs.map((r: any) => r.metrics))
      expect(b.comparisons).toEqual(a.comparisons)
      for (const run of ['bm25', 'neural', 'hybrid']) {
        expect(await readFile(join(root, 'remote', run, 'run.trec'), 'utf8')).toBe(await readFile(join(root, 'direct', run, 'run.trec'), 'utf8'))
        const report = JSON.parse(await readFile(join(root, 'remote', run, 'report.json'), 'utf8'))
        expect(report.settings.upstream).toEqual({ url: cluster.url, flavor: 'opensearch', index: 'tiny' })
      }

      // The proxy, as a child process: a neural_sparse query_text answers as the cluster does.
      const child = spawn(process.execPath, [LSR, 'serve', '--port', '0', '--upstream', cluster.url, '--models', MODELS], { stdio: ['ignore', 'pipe', 'pipe'] })
      let stdout = ''
      child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text))
      const exited = once(child, 'exit')
      try {
        for (let waited = 0; !/ at (http:\S+) /.test(stdout); waited += 20) {
          if (child.exitCode !== null || waited > 20_000) throw new Error('lsr serve --upstream did not start')
          await new Promise((resolve) => setTimeout(resolve, 20))
        }
        expect(stdout).toMatch(new RegExp(`^lsr in front of ${cluster.url} \\(opensearch\\) at http://127\\.0\\.0\\.1:\\d+ `))
        const url = / at (http:\S+) /.exec(stdout)![1]
        const body = { query: { hybrid: { queries: [{ match: { text: 'sparse retrieval' } }, { neural_sparse: { emb: { query_text: 'sparse retrieval', model_id: 'tiny-bert' } } }] } }, search_pipeline: JSON.parse(await readFile(data.searchPipeline, 'utf8')) }
        const [want, got] = [await send(`${cluster.url}/tiny/_search`, 'POST', body), await send(`${url}/tiny/_search`, 'POST', body)]
        expect(want.status).toBe(200)
        expect(want.body.hits.hits.length).toBeGreaterThan(0)
        expect({ ...got.body, took: 0 }).toEqual({ ...want.body, took: 0 })
      } finally {
        child.kill('SIGTERM')
        expect((await exited)[0]).toBe(0)
      }
    } finally {
      await cluster.close()
    }
  }, 60_000)

  it('checks the flags: --upstream-* needs --upstream, local-only flags and a missing --name are refused', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['serve', '--upstream-flavor', 'elasticsearch'], /--upstream-flavor applies with --upstream URL/],
      [['serve', '--upstream-model', 'emb=tiny-bert'], /--upstream-model applies with --upstream URL/],
      [['serve', '--upstream', 'http://127.0.0.1:1', '--compat', 'elasticsearch'], /--compat does not apply with --upstream/],
      [['serve', '--upstream', 'ftp://x'], /--upstream must be an http:\/\/ or https:\/\/ URL/],
      [['serve', '--upstream', 'http://127.0.0.1:1', '--upstream-user', 'nopass'], /--upstream-user takes USER:PASS/],
      [['serve', '--upstream', 'http://127.0.0.1:1', '--upstream-flavor', 'solr'], /Allowed choices are opensearch, elasticsearch/],
      [['eval', SAMPLE, '--upstream', 'http://127.0.0.1:1', '--query-template', 'a=b.json'], /--upstream needs --name INDEX/],
      [['eval', SAMPLE, '--upstream', 'http://127.0.0.1:1', '--name', 'x'], /add --query-template NAME=FILE/],
      [['eval', SAMPLE, '--upstream', 'http://127.0.0.1:1', '--name', 'x', '--index', 'y'], /--index does not apply with --upstream/],
      [['eval', SAMPLE, '--name', 'x'], /--name names the index of an --upstream cluster/],
    ]
    for (const [args, message] of cases) {
      const result = await lsr(...args)
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.stderr, args.join(' ')).toMatch(message)
    }
  }, 60_000)
})
