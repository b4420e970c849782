/**
 * `lsr delete`, `lsr stats`, `lsr compact` and `lsr check`.
 * @module
 */
import type { Command } from 'commander'
import { SparseIndex } from '../../engine/sparse-index.js'
import { formatBytes } from '../format.js'

async function withIndex<T>(dir: string, use: (index: SparseIndex) => Promise<T>): Promise<T> {
  const index = await SparseIndex.open(dir)
  try {
    return await use(index)
  } finally {
    await index.close()
  }
}

export function registerMaintenanceCommands(program: Command): void {
  program
    .command('delete')
    .description('delete documents by id')
    .argument('<ids...>', 'document ids')
    .requiredOption('--index <dir>', 'index directory')
    .action((ids: string[], flags: { index: string }) =>
      withIndex(flags.index, async (index) => {
        const deleted = await index.delete(ids)
        console.log(`deleted ${deleted} of ${ids.length} ids`)
      }),
    )

  program
    .command('stats')
    .description('document, term, posting and size counts of an index')
    .requiredOption('--index <dir>', 'index directory')
    .option('--json', 'print as JSON')
    .action((flags: { index: string; json?: boolean }) =>
      withIndex(flags.index, async (index) => {
        const stats = await index.stats()
        const summary = { ...stats, encoder: index.meta.encoder, formatVersion: index.meta.version }
        if (flags.json) return console.log(JSON.stringify(summary, null, 2))
        console.log(`index        ${index.dir}`)
        console.log(`encoder      ${JSON.stringify(index.meta.encoder)}`)
        console.log(`format       v${index.meta.version}`)
        console.log(`documents    ${stats.documents} (${stats.deletedDocuments} deleted)`)
        console.log(`terms        ${stats.terms} (${stats.segments} posting segments)`)
        console.log(`postings     ${stats.postings} (${formatBytes(stats.postingBytes)} encoded, ${(stats.postingBytes / Math.max(stats.postings, 1)).toFixed(2)} bytes per posting)`)
        console.log(`size         ${formatBytes(stats.sizeOnDiskBytes)} on disk`)
        console.log(`memory       ${formatBytes(stats.memoryBytes)} (${stats.loadedPostings} postings loaded; a term's postings are read when a query first needs them)`)
      }),
    )

  program
    .command('compact')
    .description('merge each term\'s posting segments and drop deleted documents\' postings')
    .requiredOption('--index <dir>', 'index directory')
    .option('--reorder', 'also renumber the documents so that similar ones are neighbours (recursive graph bisection), so that block-max search skips more; documents with exactly equal scores may then rank in another order')
    .action((flags: { index: string; reorder?: boolean }) =>
      withIndex(flags.index, async (index) => {
        const before = await index.stats()
        const started = performance.now()
        const terms = await index.compact({ reorder: flags.reorder === true })
        const after = await index.stats()
        const what = flags.reorder ? `reordered ${after.documents} documents in ${((performance.now() - started) / 1000).toFixed(1)} s and compacted` : 'compacted'
        console.log(`${what} ${terms} terms: ${before.postings} -> ${after.postings} postings, ${formatBytes(before.postingBytes)} -> ${formatBytes(after.postingBytes)} encoded`)
      }),
    )

  program
    .command('check')
    .description('verify that stored documents, postings and statistics agree')
    .requiredOption('--index <dir>', 'index directory')
    .action((flags: { index: string }) =>
      withIndex(flags.index, async (index) => {
        const problems = await index.check()
        for (const problem of problems) console.log(problem)
        if (problems.length > 0) process.exitCode = 1
        else console.log(`ok: ${(await index.stats()).documents} documents consistent`)
      }),
    )
}
