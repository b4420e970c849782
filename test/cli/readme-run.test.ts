/**
 * Runs the README's walk-throughs as written. Between `<!-- readme-run:start -->` and
 * `<!-- readme-run:end -->`, each ```sh block's commands run in order: `cat > FILE <<'EOF'` writes
 * the file, `npx lsr …` runs the built CLI, and `curl …` becomes a fetch to an `lsr serve` started
 * for the test (`localhost:9200` stands for its address). A ```json or ```text block right after
 * a ```sh block is what the block's last command prints. Each walk-through runs in a fresh folder.
 * The library example of "Library API" runs too, against src/.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { ROOT, tempDir } from '../helpers.js'
import { LSR } from './lsr.js'

const README = await readFile(join(ROOT, 'README.md'), 'utf8')

interface Block {
  lang: string
  body: string
}

/** The fenced code blocks of each readme-run region, in order. */
function regions(markdown: string): Block[][] {
  const found: Block[][] = []
  for (const [, region] of markdown.matchAll(/<!-- readme-run:start -->\n([\s\S]*?)<!-- readme-run:end -->/g)) {
    found.push([...region.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map(([, lang, body]) => ({ lang, body })))
  }
  return found
}

/** One shell command: its words, and what a here-document gives it on stdin. */
interface Command {
  words: string[]
  stdin?: string
}

/**
 * Splits a block of shell into commands: words with single and double quotes (which may span
 * lines), `\` line continuations, `# comments`, and `<<'EOF'` here-documents. Enough for the
 * README, and strict: anything else fails the test.
 */
function parseShell(text: string): Command[] {
  const commands: Command[] = []
  let words: string[] = []
  let word: string | undefined
  let heredoc: string | undefined
  let i = 0
  const endWord = () => {
    if (word !== undefined) words.push(word)
    word = undefined
  }
  const endCommand = () => {
    endWord()
    if (words.length === 0) return
    const command: Command = { words }
    if (heredoc !== undefined) {
      const end = text.indexOf(`\n${heredoc}\n`, i - 1)
      if (end < 0) throw new Error(`here-document ${heredoc} is not closed`)
      command.stdin = text.slice(i, end + 1)
      i = end + heredoc.length + 2
      heredoc = undefined
    }
    commands.push(command)
    words = []
  }
  while (i < text.length) {
    const c = text[i++]
    if (c === '\\' && text[i] === '\n') {
      i++
    } else if (c === '\n') {
      endCommand()
    } else if (c === ' ' || c === '\t') {
      endWord()
    } else if (c === '#' && word === undefined) {
      while (i < text.length && text[i] !== '\n') i++
    } else if (c === "'") {
      const close = text.indexOf("'", i)
      if (close < 0) throw new Error('unclosed single quote')
      word = (word ?? '') + text.slice(i, close)
      i = close + 1
    } else if (c === '"') {
      let value = ''
      while (text[i] !== '"') {
        if (i >= text.length) throw new Error('unclosed double quote')
        if (text[i] === '\\' && ['"', '\\', '$', '`'].includes(text[i + 1])) i++
        if (text[i] === '$' || text[i] === '`') throw new Error('expansions in double quotes are not supported here')
        value += text[i++]
      }
      i++
      word = (word ?? '') + value
    } else if (c === '<' && text.startsWith("<'", i)) {
      endWord()
      const close = text.indexOf("'", i + 2)
      heredoc = text.slice(i + 2, close)
      i = close + 1
    } else if ('$`|;&()*?'.includes(c)) {
      throw new Error(`shell syntax ${JSON.stringify(c)} is not supported here`)
    } else {
      word = (word ?? '') + c
    }
  }
  endCommand()
  return commands
}

/** `lsr serve --port 0`, started on first use. */
class Server {
  #child: ChildProcess | undefined
  #url: string | undefined

  constructor(private readonly dataDir: string) {}

  async url(): Promise<string> {
    if (this.#url) return this.#url
    await mkdir(this.dataDir, { recursive: true })
    const child = spawn(process.execPath, [LSR, 'serve', '--port', '0', '--data', this.dataDir], { stdio: ['ignore', 'pipe', 'pipe'] })
    this.#child = child
    let output = ''
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text))
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text))
    for (let waited = 0; !/ at (http:\S+) /.test(output); waited += 20) {
      if (child.exitCode !== null || waited > 20_000) throw new Error(`lsr serve did not start: ${output}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
    this.#url = / at (http:\S+) /.exec(output)![1]
    return this.#url
  }

  async stop(): Promise<void> {
    if (!this.#child || this.#child.exitCode !== null) return
    const exited = once(this.#child, 'exit')
    this.#child.kill('SIGTERM')
    await exited
  }
}

/** A curl command line as a fetch: -s, -X, -H, -d/--data-binary (`@-`: the here-document), the URL. */
async function curl(args: string[], stdin: string | undefined, server: Server): Promise<string> {
  let method: string | undefined
  let body: string | undefined
  let url: string | undefined
  const headers: Record<string, string> = {}
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]
    if (arg === '-s') continue
    if (arg.startsWith('-X')) method = arg.length > 2 ? arg.slice(2) : args[++i]
    else if (arg === '-H') {
      const [name, ...value] = args[++i].split(':')
      headers[name.trim()] = value.join(':').trim()
    } else if (arg === '-d' || arg === '--data-binary') {
      const data = args[++i]
      body = data === '@-' ? stdin : data
      if (body === undefined) throw new Error('curl @- without a here-document')
    } else if (arg.startsWith('-')) throw new Error(`curl flag ${arg} is not supported here`)
    else url = arg
  }
  if (!url?.startsWith('localhost:9200/')) throw new Error(`curl URLs here start with localhost:9200/, got ${url}`)
  const response = await fetch(`${await server.url()}${url.slice('localhost:9200'.length)}`, { method: method ?? (body === undefined ? 'GET' : 'POST'), headers, body })
  const text = await response.text()
  if (response.status >= 400) throw new Error(`curl ${url}: ${response.status} ${text}`)
  return text
}

/** Runs one command in `cwd`; resolves with what it prints. */
async function run({ words, stdin }: Command, cwd: string, server: Server): Promise<string> {
  const [program, ...args] = words
  if (program === 'cat' && args[0] === '>' && args.length === 2 && stdin !== undefined) {
    await writeFile(join(cwd, args[1]), stdin)
    return ''
  }
  if (program === 'npx' && args[0] === 'lsr') {
    const { stdout } = await promisify(execFile)(process.execPath, [LSR, ...args.slice(1)], { cwd }).catch((error) => {
      throw new Error(`${words.join(' ')} failed (${error.code}): ${error.stderr}`)
    })
    return stdout
  }
  if (program === 'curl') return curl(args, stdin, server)
  throw new Error(`the README runs ${program}, which this test does not know`)
}

describe('README walk-throughs', () => {
  const all = regions(README)

  it('has walk-throughs to run', () => {
    expect(all.length).toBeGreaterThanOrEqual(2)
  })

  it.each(all.map((blocks, i) => [i + 1, blocks] as const))('walk-through %i runs as written and prints what it shows', async (_, blocks) => {
    const work = await tempDir()
    const server = new Server(join(work, 'server-data'))
    try {
      let checked = 0
      for (let b = 0; b < blocks.length; b++) {
        if (blocks[b].lang !== 'sh') continue
        let printed = ''
        for (const command of parseShell(blocks[b].body)) printed = await run(command, work, server)
        const shown = blocks[b + 1]
        if (shown?.lang === 'json') {
          expect(JSON.parse(printed), blocks[b].body).toEqual(JSON.parse(shown.body))
          checked++
        } else if (shown?.lang === 'text') {
          expect(printed, blocks[b].body).toBe(shown.body)
          checked++
        }
      }
      expect(checked).toBeGreaterThan(0)
    } finally {
      await server.stop()
    }
  })

  it('runs the library example of "Library API"', async () => {
    const section = README.slice(README.indexOf('## Library API'))
    const example = /^```ts\n([\s\S]*?)^```$/m.exec(section)![1]
    const dir = await tempDir()
    const logged: unknown[] = []
    ;(globalThis as { readmeLog?: (value: unknown) => void }).readmeLog = (value) => logged.push(value)
    const code = example
      .replace("from 'lsr'", `from ${JSON.stringify(join(ROOT, 'src/index.js'))}`)
      .replace("'index-data/shop'", JSON.stringify(join(dir, 'shop')))
    expect(code).not.toContain('index-data/')
    // What the example logs is collected by a `console` of its own.
    const collector = 'const console = { log: (value: unknown) => (globalThis as { readmeLog?: (value: unknown) => void }).readmeLog!(value) }'
    const file = join(dir, 'library-example.ts')
    await writeFile(file, `${collector}\n${code}\nexport { page, next }\n`)
    const { page, next } = await import(file)
    expect(page).toMatchObject({ hits: [{ id: '1', sort: [39.5], source: { name: 'Oak desk lamp' } }], total: 2 })
    expect(next.hits.map((hit: { id: string }) => hit.id)).toEqual(['2'])
    expect(logged).toEqual([{ mappings: { properties: expect.objectContaining({ added: { type: 'date' } }) } }])
  })
})
