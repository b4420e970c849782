// Where the benchmarks find their data (../shared, next to the repository, or what `lsr eval`
// downloaded into index-data/beir), and one line on stderr with exit status 2 when it is missing.
import { existsSync } from 'node:fs'
import { basename, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** SciFact in BEIR's layout: ../shared/datasets/scifact, else the copy `lsr eval scifact` downloads. */
export const SCIFACT_FOLDERS = [join(root, '..', 'shared', 'datasets', 'scifact'), join(root, 'index-data', 'beir', 'scifact')]

/** OpenSearch's IDF table of its doc-only sparse models (token -> idf over MS MARCO). */
export const IDF_TABLE = join(root, '..', 'shared', 'reference', 'opensearch-idf.json')

const GET_SCIFACT = 'get SciFact with `npx lsr eval scifact` (downloads it into index-data/beir/scifact, where the benchmarks look next) or pass a BEIR dataset folder'
export const GET_IDF_TABLE =
  'get it as idf.json from the Hugging Face model opensearch-project/opensearch-neural-sparse-encoding-doc-v2-distill'

/** Prints `script: problem; remedy` on one line and exits 2. */
export function missing(problem, remedy) {
  console.error(`${basename(process.argv[1] ?? 'benchmark')}: ${problem}; ${remedy}`)
  process.exit(2)
}

/**
 * A BEIR dataset folder: `given` (the script's dataset argument) or the first SciFact folder that
 * exists. Exits 2 with one line when it, or a file the script needs in it, is missing.
 * @param needs - any of 'corpus', 'queries', 'qrels'
 */
export function datasetFolder(given, { needs = ['corpus', 'queries', 'qrels'], split = 'test' } = {}) {
  const dir = given ?? SCIFACT_FOLDERS.find((folder) => existsSync(folder))
  if (dir === undefined) missing(`no dataset: neither ${SCIFACT_FOLDERS.join(' nor ')} exists`, GET_SCIFACT)
  if (!existsSync(dir)) missing(`no dataset folder ${dir}`, GET_SCIFACT)
  const files = {
    corpus: ['corpus.jsonl', 'corpus.jsonl.gz'],
    queries: ['queries.jsonl'],
    qrels: [join('qrels', `${split}.tsv`)],
  }
  for (const need of needs) {
    if (!files[need].some((file) => existsSync(join(dir, file)))) missing(`${dir} has no ${files[need].join(' or ')}`, `${GET_SCIFACT} with one`)
  }
  return dir
}
