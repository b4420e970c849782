import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { createNeuralEncoder, neuralConfig } from '../../src/encode/neural/neural-encoder.js'
import { ModelRegistry } from '../../src/encode/neural/model-registry.js'
import { IngestPipeline, runPipelines } from '../../src/engine/pipelines/ingest-pipeline.js'
import { ROOT } from '../helpers.js'

const MODELS = join(ROOT, 'test/fixtures/models')
// One registry for the file: each model loads once.
const models = new ModelRegistry(MODELS, { threads: 1, batchSize: 4 })
const goldenTexts = async (model: string) =>
  (JSON.parse(await readFile(join(MODELS, model, 'goldens.json'), 'utf8')) as { docs: Array<{ text: string }> }).docs.map((d) => d.text)

const sparse = (options: Record<string, unknown>) => ({ processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { text: 'embedding' }, ...options } }] })
const run = async (definition: unknown, sources: Array<Record<string, unknown>>) => (await IngestPipeline.create(definition, models)).run(sources, models)

describe('sparse_encoding', () => {
  for (const prune of [{}, { prune_type: 'max_ratio', prune_ratio: 0.1 }, { prune_type: 'top_k', prune_ratio: 5 }, { prune_type: 'abs_value', prune_ratio: 0.5 }, { prune_type: 'alpha_mass', prune_ratio: 0.8 }] as const) {
    const spec = 'prune_type' in prune ? `${prune.prune_type}:${prune.prune_ratio}` : 'none'
    it(`writes the neural encoder's vectors, pruned alike, term by term (${spec})`, async () => {
      const texts = await goldenTexts('tiny-bert')
      const encoder = (await createNeuralEncoder(await neuralConfig({ model: join(MODELS, 'tiny-bert'), pruning: spec }), { threads: 1, batchSize: 4 })) as Awaited<ReturnType<typeof createNeuralEncoder>> & {
        encodeTexts(texts: string[]): Promise<Array<{ terms: string[]; values: number[] }>>
      }
      const expected = await encoder.encodeTexts(texts)
      const results = await run(sparse(prune), texts.map((text, i) => ({ id: i, text })))
      results.forEach((result, i) => {
        expect(result.error).toBeUndefined()
        const embedding = result.source!.embedding as Record<string, number>
        // Exact float equality: the same float32 weights through the same pruning (keys compared as a set).
        expect(embedding).toEqual(Object.fromEntries(expected[i].terms.map((term, j) => [term, expected[i].values[j]])))
        expect(Object.keys(embedding)).toHaveLength(expected[i].terms.length)
        if (spec === 'top_k:5') expect(expected[i].terms.length).toBeLessThanOrEqual(5)
        expect(result.source).toMatchObject({ id: i, text: texts[i] })
      })
    })
  }

  it('encodes across documents in batches of batch_size documents, with the same vectors', async () => {
    const texts = await goldenTexts('tiny-distilbert')
    const all = await run({ processors: [{ sparse_encoding: { model_id: 'tiny-distilbert', field_map: { text: 'v' } } }] }, texts.map((text) => ({ text })))
    const byTwo = await run({ processors: [{ sparse_encoding: { model_id: 'tiny-distilbert', field_map: { text: 'v' }, batch_size: 2 } }] }, texts.map((text) => ({ text })))
    byTwo.forEach((result, i) => {
      const got = result.source!.v as Record<string, number>
      const want = all[i].source!.v as Record<string, number>
      expect(Object.keys(got)).toEqual(Object.keys(want))
      for (const [token, weight] of Object.entries(want)) expect(got[token]).toBeCloseTo(weight, 5)
    })
  })

  it('leaves a document without the field (or with a blank one) as it is; a number is that document\'s failure', async () => {
    const results = await run(sparse({}), [{ title: 'no text' }, { text: '   ' }, { text: null }, { text: 42 }, { text: 'sparse retrieval' }])
    expect(results.slice(0, 3).map((r) => r.source)).toEqual([{ title: 'no text' }, { text: '   ' }, { text: null }])
    expect(results[3].error?.message).toBe('map type field [text] is neither string nor nested type, cannot process it')
    expect(Object.keys(results[4].source!.embedding as object).length).toBeGreaterThan(0)
  })

  it('a list of strings becomes a list of {sparse_encoding: vector} objects, as OpenSearch writes it', async () => {
    const [list, withNull, nested] = await run(sparse({}), [{ text: ['one text', 'another text'] }, { text: ['a', null] }, { text: [['a']] }])
    const [one, two] = (await run(sparse({}), [{ text: 'one text' }, { text: 'another text' }])).map((r) => r.source!.embedding)
    expect(list.source!.embedding).toEqual([{ sparse_encoding: one }, { sparse_encoding: two }])
    expect(withNull.error?.message).toBe('list type field [text] has null, cannot process it')
    expect(nested.error?.message).toBe('list type field [text] is nested list type, cannot process it')
  })

  it('a nested field map (or a dotted key) writes the vector beside its text, in objects and lists of objects', async () => {
    const [single] = await run(sparse({}), [{ text: 'deep text' }])
    const vector = single.source!.embedding
    for (const fieldMap of [{ 'doc.body': 'body_embedding' }, { doc: { body: 'body_embedding' } }]) {
      const [object, list, dotted] = await run({ processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: fieldMap } }] }, [
        { doc: { body: 'deep text', n: 1 } },
        { doc: [{ body: 'deep text' }, { other: 1 }] },
        { 'doc.body': 'deep text' },
      ])
      expect(object.source).toEqual({ doc: { body: 'deep text', n: 1, body_embedding: vector } })
      expect(list.source).toEqual({ doc: [{ body: 'deep text', body_embedding: vector }, { other: 1 }] })
      // Dotted keys are expanded into objects first, as OpenSearch does.
      expect(dotted.source).toEqual({ doc: { body: 'deep text', body_embedding: vector } })
    }
  })

  it('leaves keys off the field map as they are: a vector already in the document keeps tokens such as "." and "u.s"', async () => {
    const vector = { '.': 0.5, 'u.s': 1.5, '##.': 2 }
    const [result] = await run(sparse({}), [{ text: 'sparse', other: vector, 'meta.tag': 'x' }])
    expect(result.error).toBeUndefined()
    expect(result.source!.other).toEqual(vector)
    expect(result.source!['meta.tag']).toBe('x')
    // and a second sparse_encoding over a document the first one filled (its vector holds "." tokens) works too.
    const twice = { processors: [...sparse({}).processors, { sparse_encoding: { model_id: 'tiny-distilbert', field_map: { text: 'embedding_b' } } }] }
    const [both] = await run(twice, [{ text: 'sparse retrieval. of documents.' }])
    expect(both.error).toBeUndefined()
    expect(Object.keys(both.source!.embedding_b as object).length).toBeGreaterThan(0)
  })

  it('refuses bad options at definition time, each by its path', async () => {
    const cases: Array<[unknown, string | RegExp]> = [
      [sparse({ prune_type: 'max_ratio' }), '[processors][0][sparse_encoding][prune_ratio] required property is missing'],
      [sparse({ prune_ratio: 0.1 }), '[processors][0][sparse_encoding][prune_ratio] prune_ratio field is not supported when prune_type is not provided'],
      [sparse({ prune_type: 'max_ratio', prune_ratio: 1 }), '[processors][0][sparse_encoding][prune_ratio] Illegal prune_ratio 1 for prune_type: max_ratio. prune_ratio should be in the range [0, 1).'],
      [sparse({ prune_type: 'top_k', prune_ratio: 2.5 }), /Illegal prune_ratio 2.5 for prune_type: top_k/],
      [sparse({ prune_type: 'top', prune_ratio: 2 }), /^\[processors\]\[0\]\[sparse_encoding\]\[prune_type\] Unknown prune type: top/],
      [sparse({ batch_size: 0 }), '[processors][0][sparse_encoding][batch_size] batch_size must be a positive integer'],
      [sparse({ skip_existing: true }), /\[skip_existing\] is not supported/],
      [sparse({ model_id: '../x' }), /^\[processors\]\[0\]\[sparse_encoding\]\[model_id\] a model id names a folder/],
      [sparse({ field_map: {} }), /\[field_map\] must map at least one text field/],
      [sparse({ field_map: { text: 3 } }), /\[field_map\]\[text\] must be a target field name or a map/],
      [sparse({ field_map: { a: 'x', 'a.b': 'y' } }), /overlaps another entry/],
      [sparse({ field_map: { _id: 'x' } }), /metadata field/],
      [sparse({ prune: 'x' }), /^\[processors\]\[0\]\[sparse_encoding\]\[prune\] is not an option of the sparse_encoding processor/],
      [sparse({ if: 'ctx.x' }), '[processors][0][sparse_encoding][if] is not supported: lsr runs no scripts'],
      [sparse({ on_failure: [] }), /\[on_failure\] is not supported/],
      [{ processors: [{ grok: { field: 'x' } }] }, /^\[processors\]\[0\]\[grok\] No processor type exists with name \[grok\]/],
      [{ processors: [{ set: { field: 'a', value: 1 }, remove: { field: 'b' } }] }, /must be an object naming one processor/],
      [{ processors: [{ set: { field: 'a' } }] }, '[processors][0][set][value] required property is missing'],
      [{ processors: [{ set: { field: '_id', value: 1 } }] }, /\[_id\] is a metadata field/],
      [{ processors: [{ set: { field: 'a', value: '{{#x}}y{{/x}}' } }] }, /template tag \[\{\{#x\}\}\] is not supported/],
      [{ processors: [], on_failure: [] }, /\[on_failure\] is not supported/],
      [{ processors: [], _meta: {} }, /\[_meta\] is not a pipeline option/],
      [{ description: 'no processors' }, '[processors] required property is missing'],
      [{ processors: [], version: 1.5 }, /\[version\] must be an integer/],
    ]
    for (const [definition, message] of cases) expect(() => IngestPipeline.parse(definition), JSON.stringify(definition)).toThrow(message)
    await expect(IngestPipeline.create(sparse({ model_id: 'no-such-model' }), models)).rejects.toThrow('model [no-such-model] is unknown')
  })
})

describe('field processors', () => {
  const pipeline = (...processors: unknown[]) => IngestPipeline.parse({ processors })

  it('set: values with {{field}} (escaped for JSON) and {{{field}}} (as is), override and ignore_empty_value', async () => {
    const p = pipeline(
      { set: { field: 'label', value: '{{title}} / {{{title}}} / {{missing}} / {{n}} / {{_id}}' } },
      { set: { field: 'meta.kept', value: 'new', override: false } },
      { set: { field: 'empty', value: '{{missing}}', ignore_empty_value: true } },
      { set: { field: 'copy', value: { nested: ['{{{n}}}'] } } },
    )
    const [result] = await p.run([{ title: 'say "hi"', n: 3, meta: { kept: 'old' } }], models, { meta: [{ id: 'd1' }] })
    expect(result.source).toEqual({ title: 'say "hi"', n: 3, meta: { kept: 'old' }, label: 'say \\"hi\\" / say "hi" /  / 3 / d1', copy: { nested: ['3'] } })
  })

  it('remove, rename and lowercase with Elasticsearch\'s messages; ignore_missing; a failure is the document\'s', async () => {
    const p = pipeline(
      { remove: { field: ['a', 'b.c'], ignore_missing: true } },
      { rename: { field: 'title', target_field: 'name' } },
      { lowercase: { field: 'name' } },
    )
    const results = await p.run([{ a: 1, b: { c: 2, d: 3 }, title: 'MiXed' }, { title: ['A', 'B'] }, { other: 1 }, { title: 'X', name: 'taken' }], models)
    expect(results[0].source).toEqual({ b: { d: 3 }, name: 'mixed' })
    expect(results[1].source).toEqual({ name: ['a', 'b'] })
    expect(results[2].error?.message).toBe("field [title] doesn't exist")
    expect(results[3].error?.message).toBe('field [name] already exists')
    const lower = await pipeline({ lowercase: { field: 'x.y' } }).run([{ x: {} }, { x: { y: 5 } }, { x: { y: ['a', 1] } }], models)
    expect(lower.map((r) => r.error?.message)).toEqual([
      'field [y] not present as part of path [x.y]',
      'field [x.y] of type [number] cannot be cast to [string]',
      'value [1] of type [number] in list field [x.y] cannot be cast to [string]',
    ])
    const removed = await pipeline({ remove: { field: 'gone' } }).run([{}], models)
    expect(removed[0].error?.message).toBe("field [gone] doesn't exist")
    const overridden = await pipeline({ rename: { field: 'a', target_field: 'b', override_target: true } }).run([{ a: 1, b: 2 }], models)
    expect(overridden[0].source).toEqual({ b: 1 })
  })

  it('ignore_failure lets a failing document go on; a field named __proto__ is a field', async () => {
    const p = pipeline({ lowercase: { field: 'missing', ignore_failure: true } }, { set: { field: '__proto__', value: 'x' } })
    const [result] = await p.run([{ a: 1 }], models)
    expect(Object.hasOwn(result.source!, '__proto__')).toBe(true)
    expect(Object.getPrototypeOf(result.source)).toBe(Object.prototype)
  })

  it('leaves the given sources untouched, and pipelines run in order: a document failing in one goes no further', async () => {
    const sources = [{ t: 'A' }, { u: 1 }]
    const first = pipeline({ lowercase: { field: 't' } })
    const second = pipeline({ set: { field: 'done', value: true } })
    const results = await runPipelines([first, second], sources, models)
    expect(results[0].source).toEqual({ t: 'a', done: true })
    expect(results[1].error?.message).toBe('field [t] not present as part of path [t]')
    expect(sources).toEqual([{ t: 'A' }, { u: 1 }])
  })
})
