/**
 * A tiny BEIR dataset for the hybrid evaluation tests, written from a seeded PRNG in words of the
 * tiny-bert fixture's vocabulary (so that its encodings are not all unknown tokens): 8 topics of
 * 6 documents, one train and one test query per topic, each of two of its words and one of
 * another topic (a query's topic documents are relevant, 2 when they hold both topic words), and the files lsr eval takes: a mapping of title, text and
 * a rank_features field `emb`, an ingest pipeline filling `emb` from `text` with tiny-bert, three
 * query templates (BM25 multi_match, neural_sparse, hybrid of both) and a search pipeline.
 */
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { ROOT, seededRandom } from '../helpers.js'

export const MODELS = join(ROOT, 'test/fixtures/models')

const TOPICS = [
  ['sparse', 'retrieval', 'learned', 'model'],
  ['weather', 'rain', 'rainy', 'york'],
  ['bitmap', 'roaring', 'compress', 'integers'],
  ['posting', 'lists', 'sorted', 'sets'],
  ['token', 'tokens', 'vector', 'vectors'],
  ['query', 'queries', 'expand', 'expands'],
  ['index', 'document', 'documents', 'store'],
  ['accent', 'case', 'upper', 'lower'],
]
const FILLER = ['the', 'of', 'and', 'fast', 'engine', 'text', 'word', 'time', 'data', 'new']
const DOCS_PER_TOPIC = 6

export const MAPPING = { properties: { title: { type: 'text' }, text: { type: 'text' }, emb: { type: 'rank_features' } } }
export const INGEST_PIPELINE = { processors: [{ sparse_encoding: { model_id: 'tiny-bert', field_map: { text: 'emb' } } }] }
const BM25 = { multi_match: { query: '{{query}}', fields: ['title', 'text'], type: 'most_fields' } }
const NEURAL = { neural_sparse: { emb: { query_text: '{{query}}', model_id: 'tiny-bert' } } }
export const TEMPLATES = { bm25: BM25, neural: NEURAL, hybrid: { hybrid: { queries: [BM25, NEURAL] } } }
/** The hybrid's untuned fusion: all weight on the BM25 sub-query, so it ranks as the BM25 run does. */
export const SEARCH_PIPELINE = {
  phase_results_processors: [{ 'normalization-processor': { normalization: { technique: 'min_max' }, combination: { technique: 'arithmetic_mean', parameters: { weights: [1, 0] } } } }],
}

/** Paths of the files {@link writeHybridDataset} writes. */
export interface HybridDataset {
  dir: string
  mapping: string
  pipeline: string
  searchPipeline: string
  templates: Record<keyof typeof TEMPLATES, string>
}

const pick = <T>(random: () => number, items: readonly T[]) => items[Math.floor(random() * items.length)]

/** Writes the dataset (in `root/tiny`) and the definition files (in `root`). */
export async function writeHybridDataset(root: string): Promise<HybridDataset> {
  const random = seededRandom(7)
  const dir = join(root, 'tiny')
  await mkdir(join(dir, 'qrels'), { recursive: true })
  const corpus: string[] = []
  const queries: string[] = []
  const qrels = { train: ['query-id\tcorpus-id\tscore'], test: ['query-id\tcorpus-id\tscore'] }
  const docWords: string[][] = []
  TOPICS.forEach((topic, t) => {
    for (let d = 0; d < DOCS_PER_TOPIC; d++) {
      const words = [...Array.from({ length: 2 + Math.floor(random() * 5) }, () => pick(random, topic)), ...Array.from({ length: 1 + Math.floor(random() * 4) }, () => pick(random, FILLER)), pick(random, TOPICS[(t + 1) % TOPICS.length])]
      docWords.push(words)
      corpus.push(JSON.stringify({ _id: `d${t * DOCS_PER_TOPIC + d}`, title: `${pick(random, topic)} ${pick(random, FILLER)}`, text: words.join(' ') }))
    }
    // The train query takes two of the topic's words, the test query the other two.
    const shuffled = [...topic].sort(() => random() - 0.5)
    for (const split of ['train', 'test'] as const) {
      const id = `q${t}${split === 'train' ? 'a' : 'b'}`
      const words = [...shuffled.slice(split === 'train' ? 0 : 2).slice(0, 2), pick(random, TOPICS[(t + 3) % TOPICS.length])]
      queries.push(JSON.stringify({ _id: id, text: words.join(' ') }))
      for (let d = 0; d < DOCS_PER_TOPIC; d++) {
        const doc = t * DOCS_PER_TOPIC + d
        qrels[split].push(`${id}\td${doc}\t${words.slice(0, 2).every((w) => docWords[doc].includes(w)) ? 2 : 1}`)
      }
    }
  })
  await writeFile(join(dir, 'corpus.jsonl'), `${corpus.join('\n')}\n`)
  await writeFile(join(dir, 'queries.jsonl'), `${queries.join('\n')}\n`)
  for (const split of ['train', 'test'] as const) await writeFile(join(dir, 'qrels', `${split}.tsv`), `${qrels[split].join('\n')}\n`)
  const json = async (name: string, value: unknown) => {
    await writeFile(join(root, name), JSON.stringify(value))
    return join(root, name)
  }
  const templates = {} as HybridDataset['templates']
  for (const [name, template] of Object.entries(TEMPLATES)) templates[name as keyof typeof TEMPLATES] = await json(`${name}.json`, template)
  return { dir, mapping: await json('mapping.json', MAPPING), pipeline: await json('pipeline.json', INGEST_PIPELINE), searchPipeline: await json('search-pipeline.json', SEARCH_PIPELINE), templates }
}
