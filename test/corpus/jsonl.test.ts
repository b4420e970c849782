import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { readJsonl, type JsonlError, type JsonlRecord } from '../../src/corpus/jsonl.js'
import { tempDir } from '../helpers.js'

async function fileWith(content: Buffer | string, name = 'f.jsonl'): Promise<string> {
  const file = join(await tempDir(), name)
  await writeFile(file, content)
  return file
}

async function readAll(file: string, skipInvalid = false): Promise<Array<JsonlRecord | JsonlError>> {
  const out: Array<JsonlRecord | JsonlError> = []
  for await (const record of readJsonl(file, { skipInvalid })) out.push(record)
  return out
}

const values = (records: Array<JsonlRecord | JsonlError>) => records.map((r) => ('value' in r ? [r.line, r.value] : [r.line, r.error.message]))

describe('readJsonl', () => {
  it('numbers lines from 1, skips blank ones, accepts CRLF and a last line without a newline', async () => {
    const file = await fileWith('{"a":1}\r\n\r\n  \n{"a":2}\n{"a":3}')
    expect(values(await readAll(file))).toEqual([[1, { a: 1 }], [4, { a: 2 }], [5, { a: 3 }]])
  })

  it('strips a UTF-8 byte order mark on line 1 (plain and gzip)', async () => {
    const text = '\uFEFF{"t":"caf\u00e9"}\n{"t":"x"}\n'
    expect(values(await readAll(await fileWith(text)))).toEqual([[1, { t: 'caf\u00e9' }], [2, { t: 'x' }]])
    expect(values(await readAll(await fileWith(gzipSync(text), 'f.jsonl.gz')))).toEqual([[1, { t: 'caf\u00e9' }], [2, { t: 'x' }]])
  })

  it('keeps a byte order mark past line 1 as invalid JSON', async () => {
    await expect(readAll(await fileWith('{"a":1}\n\uFEFF{"a":2}\n'))).rejects.toThrow(/f\.jsonl:2: invalid JSON/)
  })

  it('rejects invalid UTF-8 naming file:line and the byte; skipInvalid yields it as an error', async () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"ok"}\n{"a":"'), Buffer.from([0xff, 0x41]), Buffer.from('"}\n{"a":"\u00e9"}\n')])
    const file = await fileWith(bytes)
    await expect(readAll(file)).rejects.toMatchObject({
      name: 'InvalidInputError',
      line: 2,
      message: `${file}:2: invalid UTF-8 at byte 7 of the line (0xff); the file must be UTF-8`,
    })
    expect(values(await readAll(file, true))).toEqual([[1, { a: 'ok' }], [2, `${file}:2: invalid UTF-8 at byte 7 of the line (0xff); the file must be UTF-8`], [3, { a: '\u00e9' }]])
  })

  it('rejects truncated, overlong and surrogate encodings that a lenient decoder would replace', async () => {
    for (const bad of [[0xc3], [0xe2, 0x82], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80]]) {
      const file = await fileWith(Buffer.concat([Buffer.from('{"a":"'), Buffer.from(bad), Buffer.from('"}\n')]))
      await expect(readAll(file), `bytes ${bad}`).rejects.toThrow(`${file}:1: invalid UTF-8 at byte 7 of the line (0x${bad[0].toString(16)})`)
    }
  })

  it('keeps multi-byte characters and long lines split across read chunks intact', async () => {
    // Node reads 64 KiB chunks: lines of ~100 KiB of 1-4 byte characters straddle every boundary.
    const chars = ['a', '\u00e9', '\u20ac', '\u{1F600}']
    const lines = Array.from({ length: 12 }, (_, i) => JSON.stringify({ i, t: chars[i % 4].repeat(20_000 + i) }))
    const file = await fileWith(`${lines.join('\n')}\n`)
    const records = await readAll(file)
    expect(records.map((r) => ('value' in r ? (r.value as { t: string }).t : ''))).toEqual(lines.map((l) => JSON.parse(l).t))
    expect(records.map((r) => r.line)).toEqual(lines.map((_, i) => i + 1))
  })

  it('a missing file is not_found "cannot read <file>: no such file"; a bad gzip is invalid input', async () => {
    const missing = join(await tempDir(), 'nope.jsonl')
    await expect(readAll(missing)).rejects.toMatchObject({ name: 'LsrError', code: 'not_found', message: `cannot read ${missing}: no such file` })
    const gz = await fileWith('not gzip at all', 'f.jsonl.gz')
    await expect(readAll(gz)).rejects.toMatchObject({ name: 'InvalidInputError', code: 'invalid_input', message: expect.stringMatching(new RegExp(`^${gz}: not a valid gzip file \\(`)) })
  })
})

describe('readJsonl over many reads', () => {
  it('gives every line of a file far larger than one read, long lines and CRLF included, as splitting it whole does', async () => {
    // Lines of 10 bytes to 150 KB (longer than a read of 64 KiB), some CRLF, some blank.
    let seed = 7
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
    const lines = Array.from({ length: 400 }, (_, i) => {
      if (i % 37 === 5) return ''
      const text = 'é x'.repeat(Math.floor(random() ** 6 * 50_000))
      return JSON.stringify({ i, text }) + (i % 3 === 0 ? '\r' : '')
    })
    const content = lines.join('\n')
    for (const name of ['big.jsonl', 'big.jsonl.gz']) {
      const file = await fileWith(name.endsWith('.gz') ? gzipSync(content) : content, name)
      const expected = content.split('\n').flatMap((line, i) => (line.trim() === '' ? [] : [[i + 1, JSON.parse(line)]]))
      expect(values(await readAll(file))).toEqual(expected)
    }
  })
})
