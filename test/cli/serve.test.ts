import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, tempDir } from '../helpers.js'
import { LSR, lsr, SAMPLE } from './lsr.js'

/** Starts `lsr serve --port 0 ...`; resolves with its URL once it listens. */
async function serve(args: string[], cwd = ROOT): Promise<{ url: string; child: ChildProcess; stop(): Promise<{ code: number | null; stdout: string }> }> {
  const child = spawn(process.execPath, [LSR, 'serve', '--port', '0', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text))
  let stderr = ''
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text))
  const exited = once(child, 'exit')
  for (let waited = 0; !/ at (http:\S+) /.test(stdout); waited += 20) {
    if (child.exitCode !== null || waited > 20_000) throw new Error(`lsr serve did not start: ${stderr}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const url = / at (http:\S+) /.exec(stdout)![1]
  return {
    url,
    child,
    async stop() {
      child.kill('SIGTERM')
      const [code] = await exited
      return { code, stdout }
    },
  }
}

async function call(url: string, method: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  return { status: response.status, body: await response.json() }
}

const indexNames = async (url: string) => (await call(`${url}/_cat/indices?format=json`, 'GET')).body.map((row: { index: string }) => row.index).sort()

describe('lsr serve flags', () => {
  it('refuses DELETE /_all and wildcards unless --allow-destructive; stops cleanly on SIGTERM', async () => {
    const data = await tempDir()
    for (const name of ['a', 'b']) expect((await lsr('index', SAMPLE, '--index', join(data, name))).code).toBe(0)

    const guarded = await serve(['--data', data])
    expect((await call(`${guarded.url}/_all`, 'DELETE')).status).toBe(400)
    expect((await call(`${guarded.url}/*`, 'DELETE')).status).toBe(400)
    expect(await indexNames(guarded.url)).toEqual(['a', 'b'])
    const stopped = await guarded.stop()
    expect(stopped.code).toBe(0)
    expect(stopped.stdout).toMatch(/lsr: shutting down\n$/)

    const open = await serve(['--data', data, '--allow-destructive'])
    expect((await call(`${open.url}/_all`, 'DELETE')).status).toBe(200)
    expect(await indexNames(open.url)).toEqual([])
    await open.stop()
  })

  it('--models is the folder that PUT /{index} neural settings name models in', async () => {
    const data = await tempDir()
    const settings = { settings: { encoder: { name: 'neural', model: 'tiny-bert', dtype: 'q8' } } }
    const withModels = await serve(['--data', data, '--models', join(ROOT, 'test/fixtures/models')])
    expect((await call(`${withModels.url}/neural`, 'PUT', settings)).status).toBe(200)
    await withModels.stop()

    // The default is index-data/models where lsr runs: here a fresh folder, without tiny-bert.
    const byDefault = await serve(['--data', data], await tempDir())
    const refused = await call(`${byDefault.url}/other`, 'PUT', settings)
    await byDefault.stop()
    expect(refused.status).toBe(400)
    expect(refused.body.error.reason).toMatch(/model \[tiny-bert\] is not in the server's models folder/)
  })
})
