import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import { readFile, readdir } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import yazl from 'yazl'
import { afterEach, describe, expect, it } from 'vitest'
import { resolveDataset } from '../../src/eval/dataset.js'
import { ROOT, tempDir } from '../helpers.js'

/** A BEIR-style zip of the sample corpus under `<name>/`, plus any extra entries. */
async function sampleZip(name: string, extra: Record<string, string> = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile()
  for (const file of ['corpus.jsonl', 'queries.jsonl', 'qrels/test.tsv']) {
    zip.addBuffer(await readFile(join(ROOT, 'sample', file)), `${name}/${file}`)
  }
  for (const [path, text] of Object.entries(extra)) zip.addBuffer(Buffer.from(text), path)
  zip.end()
  const chunks: Buffer[] = []
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

let server: Server | undefined
afterEach(() => server?.close())

/** Serves `files` (path -> bytes) and counts requests. */
async function serve(files: Record<string, Buffer>): Promise<{ url: string; requests: string[] }> {
  const requests: string[] = []
  server = createServer((req, res) => {
    requests.push(req.url!)
    const body = files[req.url!]
    if (!body) return res.writeHead(404).end('not found')
    res.writeHead(200, { 'content-length': body.length, 'content-type': 'application/zip' }).end(body)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/beir`, requests }
}

describe('resolveDataset', () => {
  it('downloads a BEIR name once with progress, unzips it, and reuses the cache', async () => {
    const { url, requests } = await serve({ '/beir/tiny.zip': await sampleZip('tiny') })
    const cacheDir = await tempDir()
    const progress: Array<[number, number]> = []
    const first = await resolveDataset('tiny', { cacheDir, baseUrl: url, onDownload: (r, t) => progress.push([r, t]) })
    expect(first).toEqual({ name: 'tiny', dir: join(cacheDir, 'tiny'), downloaded: true })
    expect(await readdir(join(cacheDir, 'tiny'))).toEqual(['corpus.jsonl', 'qrels', 'queries.jsonl'])
    expect(progress.at(-1)![0]).toBe(progress.at(-1)![1])
    expect(await readdir(cacheDir)).toEqual(['tiny'])

    const second = await resolveDataset('tiny', { cacheDir, baseUrl: url })
    expect(second.downloaded).toBe(false)
    expect(requests).toEqual(['/beir/tiny.zip'])
  })

  it('uses a folder path as is', async () => {
    const dir = join(ROOT, 'sample')
    expect(await resolveDataset(dir, { cacheDir: await tempDir() })).toEqual({ name: 'sample', dir, downloaded: false })
  })

  it('reports an unknown name with the URL and status, leaving no partial files', async () => {
    const { url } = await serve({})
    const cacheDir = await tempDir()
    await expect(resolveDataset('nope', { cacheDir, baseUrl: url })).rejects.toThrow(`cannot download ${url}/nope.zip: HTTP 404 (unknown dataset?)`)
    expect(await readdir(cacheDir)).toEqual([])
  })

  it('refuses a zip whose entries escape the target folder', async () => {
    // yazl refuses to write such a name, so write a same-length one and patch it in place.
    const zip = await sampleZip('evil', { 'evil/qq/qq/escaped.txt': 'x' })
    const evil = Buffer.from(zip.toString('latin1').replaceAll('evil/qq/qq/escaped.txt', 'evil/../../escaped.txt'), 'latin1')
    const { url } = await serve({ '/beir/evil.zip': evil })
    const cacheDir = await tempDir()
    await expect(resolveDataset('evil', { cacheDir, baseUrl: url })).rejects.toThrow(/invalid relative path|escapes the target folder/)
    expect(await readdir(cacheDir)).toEqual([])
  })
})
