import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SparseIndex } from '../../src/engine/sparse-index.js'
import { tempDir } from '../helpers.js'
import { LSR, lsr, SAMPLE } from './lsr.js'

/** Runs the CLI with a time limit (for `serve`, which runs until stopped when it starts). */
function lsrWithin(ms: number, args: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<{ code: number | string; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [LSR, ...args], { timeout: ms, env, cwd }, (error, stdout, stderr) => {
      const failed = error as (Error & { code?: number; signal?: string; killed?: boolean }) | null
      resolve({ code: failed ? (failed.killed ? 'timeout' : (failed.code ?? 'signal')) : 0, stdout, stderr })
    })
  })
}

/** Listens on 127.0.0.1:port (0: any free port); undefined when the port is already taken. */
async function hold(port: number): Promise<Server | undefined> {
  const server = createServer()
  return new Promise((resolve) => {
    server.once('error', () => resolve(undefined))
    server.listen(port, '127.0.0.1', () => resolve(server))
  })
}

const portOf = (server: Server) => (server.address() as { port: number }).port
const close = (server: Server | undefined) => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))

describe('lsr serve: addresses it cannot listen on', () => {
  it('a busy port: one line naming the port and --port, exit 1, no stack trace', async () => {
    const busy = (await hold(0))!
    const port = portOf(busy)
    try {
      const result = await lsrWithin(20_000, ['serve', '--data', await tempDir(), '--port', String(port)])
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(`lsr: port ${port} is already in use (is another lsr or another server running on it?); choose another with --port\n`)
      expect(result.stdout).toBe('')
    } finally {
      await close(busy)
    }
  })

  it("the default port 9200 in use: says it is OpenSearch's default port", async () => {
    // Hold 9200 for the moment of the test, unless something already holds it (then lsr fails the same way).
    const held = await hold(9200)
    try {
      const result = await lsrWithin(20_000, ['serve', '--data', await tempDir()])
      expect(result.code).toBe(1)
      expect(result.stderr).toBe(
        "lsr: port 9200 is already in use (9200 is OpenSearch's default port: is OpenSearch or another lsr running?); choose another with --port\n",
      )
    } finally {
      await close(held)
    }
  })

  it('an address that is not on this machine: one line naming it and --host, exit 1', async () => {
    // 192.0.2.0/24 is TEST-NET-1, never a local address.
    const result = await lsrWithin(20_000, ['serve', '--data', await tempDir(), '--host', '192.0.2.1', '--port', '9555'])
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^lsr: cannot listen on 192\.0\.2\.1:9555: address not available on this machine; choose another with --host\n$/)
  })

  it('a port out of range is a usage error (exit 2)', async () => {
    const result = await lsrWithin(20_000, ['serve', '--data', await tempDir(), '--port', '70000'])
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^lsr: .*--port must be an integer from 0 to 65535, got "70000"\n$/)
  })

  it('lists --allow-destructive and --models in its help', async () => {
    const help = (await lsr('serve', '--help')).stdout.replace(/\s+/g, ' ')
    expect(help).toContain('--allow-destructive allow DELETE of wildcard and _all index expressions (refused otherwise)')
    expect(help).toContain('--models <dir> folder of neural model folders that PUT /{index} settings may name (clients never send paths) (default: "index-data/models")')
  })
})

describe('lsr index: input it cannot read', () => {
  it('a missing input file: one line, exit 1, and no index folder is created', async () => {
    const dir = await tempDir()
    const missing = join(dir, 'missing.jsonl')
    const result = await lsr('index', missing, '--index', join(dir, 'idx'))
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`lsr: cannot read ${missing}: no such file\n`)
    expect(existsSync(join(dir, 'idx'))).toBe(false)
  })

  it('a folder without a corpus: one line, exit 1, nothing created', async () => {
    const dir = await tempDir()
    await mkdir(join(dir, 'empty'))
    const result = await lsr('index', join(dir, 'empty'), '--index', join(dir, 'idx'))
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`lsr: cannot read ${join(dir, 'empty')}: folder has no corpus.jsonl or corpus.jsonl.gz\n`)
    expect(existsSync(join(dir, 'idx'))).toBe(false)
  })

  it('missing --queries and --qids-from files of lsr search: one line each, exit 1', async () => {
    const dir = await tempDir()
    const idx = join(dir, 'idx')
    expect((await lsr('index', SAMPLE, '--index', idx)).code).toBe(0)
    const queries = await lsr('search', '--index', idx, '--queries', join(dir, 'q.jsonl'))
    expect(queries).toMatchObject({ code: 1, stderr: `lsr: cannot read ${join(dir, 'q.jsonl')}: no such file\n` })
    const qrels = await lsr('search', '--index', idx, '--queries', join(SAMPLE, 'queries.jsonl'), '--qids-from', join(dir, 'qrels.tsv'))
    expect(qrels).toMatchObject({ code: 1, stderr: `lsr: cannot read ${join(dir, 'qrels.tsv')}: no such file\n` })
  })
})

describe('lsr search --run: a file it cannot write', () => {
  it('one line naming the file, exit 1, before any query runs', async () => {
    const dir = await tempDir()
    const idx = join(dir, 'idx')
    expect((await lsr('index', SAMPLE, '--index', idx)).code).toBe(0)
    const run = join(dir, 'no-such-folder', 'run.trec')
    const result = await lsr('search', '--index', idx, '--queries', join(SAMPLE, 'queries.jsonl'), '--run', run)
    expect(result).toMatchObject({ code: 1, stdout: '', stderr: `lsr: ${run}: no such file or folder\n` })
  })
})

describe('lsr index: JSONL encoding', () => {
  it('accepts a UTF-8 byte order mark on line 1', async () => {
    const dir = await tempDir()
    const file = join(dir, 'bom.jsonl')
    await writeFile(file, '\uFEFF{"_id":"a","text":"caf\u00e9 one"}\n{"_id":"b","text":"two"}\n')
    const result = await lsr('index', file, '--index', join(dir, 'idx'))
    expect(result.stderr).toBe('')
    expect(result.stdout).toMatch(/^indexed 2 docs \(2 added/)
    const hits = JSON.parse((await lsr('search', 'caf\u00e9', '--index', join(dir, 'idx'), '--json')).stdout)
    expect(hits.map((h: { _id: string }) => h._id)).toEqual(['a'])
  })

  it('rejects invalid UTF-8 naming file:line; --skip-invalid skips and counts the line', async () => {
    const dir = await tempDir()
    const file = join(dir, 'latin1.jsonl')
    await writeFile(file, Buffer.concat([Buffer.from('{"_id":"a","text":"one"}\n{"_id":"b","text":"caf'), Buffer.from([0xe9]), Buffer.from('"}\n{"_id":"c","text":"three"}\n')]))
    const result = await lsr('index', file, '--index', join(dir, 'idx'))
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(`lsr: ${file}:2: invalid UTF-8 at byte 23 of the line (0xe9); the file must be UTF-8\n`)
    const skipped = await lsr('index', file, '--index', join(dir, 'idx2'), '--skip-invalid')
    expect(skipped.code).toBe(0)
    expect(skipped.stdout).toMatch(/^indexed 2 docs \(2 added, 0 replaced, 0 unchanged, 1 skipped\)/)
  })
})

describe('lsr on an index another process holds', () => {
  it('says the index is locked and suggests the HTTP API or stopping the server', async () => {
    const dir = join(await tempDir(), 'idx')
    expect((await lsr('index', SAMPLE, '--index', dir)).code).toBe(0)
    const held = await SparseIndex.open(dir)
    try {
      for (const args of [['search', 'roaring', '--index', dir], ['stats', '--index', dir]]) {
        const result = await lsr(...args)
        expect(result.code).toBe(1)
        expect(result.stderr).toMatch(/^lsr: index is locked: .*idx is open in another process; is `lsr serve` running on it\? use its HTTP API, or stop the server first\n$/)
      }
    } finally {
      await held.close()
    }
  })
})

describe('exit codes (README: 0 ok, 1 failure, 2 usage or invalid argument)', () => {
  it.each([
    [['--version'], 0],
    [['search', '--help'], 0],
    [['no-such-command'], 2],
    [['search', 'x'], 2],
    [['search', 'x', '--index', 'x', '--no-such-flag'], 2],
    [['search', 'x', '--index', 'x', '-k', 'zero'], 2],
    [['search', '--index', 'x'], 2],
    [['index', SAMPLE, '--index', 'x', '--k1', '1.2', '--model', 'm'], 2],
  ])('lsr %j exits %i', async (args, code) => {
    const result = await lsr(...(args as string[]))
    expect(result.code).toBe(code)
    if (code === 2) expect(result.stderr).toMatch(/^lsr: \S.*\n$/)
  })

  it('lsr without a command prints its usage to stderr and exits 2', async () => {
    const result = await lsr()
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^Usage: lsr \[options\] \[command\]\n/)
  })

  it('a missing index is a failure (1), not a usage error', async () => {
    const result = await lsr('stats', '--index', join(await tempDir(), 'none'))
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^lsr: no index at .*none\n$/)
  })
})

describe('lsr search --algorithm', () => {
  it('--help lists every algorithm the engine accepts', async () => {
    const help = (await lsr('search', '--help')).stdout.replace(/\s+/g, ' ')
    expect(help).toContain('--algorithm <name> top-k algorithm, all exact: auto | maxscore | blockmax | exhaustive | candidates (filtered searches only) (default: "auto")')
  })

  it('each one answers the same hits; an unknown one is a usage error listing them', async () => {
    const dir = join(await tempDir(), 'idx')
    await lsr('index', SAMPLE, '--index', dir)
    const hits = async (algorithm: string) => JSON.parse((await lsr('search', 'roaring bitmaps posting lists', '--index', dir, '-k', '5', '--json', '--algorithm', algorithm)).stdout)
    const auto = await hits('auto')
    expect(auto.length).toBe(5)
    expect(auto[0]._id).toBe('s01')
    for (const algorithm of ['maxscore', 'blockmax', 'exhaustive']) expect(await hits(algorithm)).toEqual(auto)
    const candidates = await lsr('search', 'roaring', '--index', dir, '--algorithm', 'candidates')
    expect(candidates).toMatchObject({ code: 2, stderr: 'lsr: the candidates algorithm applies to filtered searches only\n' })
    const unknown = await lsr('search', 'x', '--index', dir, '--algorithm', 'fast')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toBe('lsr: option \'--algorithm <name>\' argument \'fast\' is invalid. Allowed choices are auto, maxscore, blockmax, exhaustive, candidates.\n')
  })
})

describe('--model and --hub', () => {
  it('a local model folder that does not exist is named as such, without trying the hub, and nothing is created', async () => {
    const work = await tempDir()
    const result = await lsrWithin(20_000, ['index', SAMPLE, '--index', join(work, 'idx'), '--encoder', 'neural', '--model', 'models/no-such-model'], { ...process.env, HF_ENDPOINT: 'http://127.0.0.1:9' })
    expect(result.code).toBe(1)
    expect(result.stderr).toBe(
      'lsr: model folder models/no-such-model does not exist (to fetch a Hugging Face hub model into index-data/models instead, give its org/name with --hub)\n',
    )
    expect(existsSync(join(work, 'idx'))).toBe(false)
  })

  it('--hub fetches org/name from HF_ENDPOINT, and only takes an org/name id', async () => {
    const work = await tempDir()
    // Run in `work`, so the download cache index-data/models is created there if at all.
    const fetched = await lsrWithin(20_000, ['index', SAMPLE, '--index', join(work, 'idx'), '--model', 'org/no-such-model', '--hub'], { ...process.env, HF_ENDPOINT: 'http://127.0.0.1:9' }, work)
    expect(fetched.code).toBe(1)
    expect(fetched.stderr).toMatch(/^lsr: cannot download http:\/\/127\.0\.0\.1:9\/org\/no-such-model\/resolve\/main\/config\.json: .*\n$/)
    const path = await lsr('index', SAMPLE, '--index', join(work, 'idx'), '--model', './models/x', '--hub')
    expect(path.code).toBe(2)
    expect(path.stderr).toBe('lsr: --hub takes a Hugging Face model id org/name, got "./models/x"\n')
    const noModel = await lsr('index', SAMPLE, '--index', join(work, 'idx'), '--hub')
    expect(noModel.code).toBe(2)
    expect(noModel.stderr).toBe('lsr: --hub needs --model <org/name>\n')
  })
})
