#!/usr/bin/env node
// Where the bytes of an index's posting lists go, and what the doc ids would cost at best.
// Reads every posting segment of a closed index (e.g. one kept by synthetic.js --keep) and reports,
// per posting: the roaring doc-id bytes split by container kind (array: 2 bytes per doc id; bitset:
// 8 KiB per 65,536 ids; run), roaring and segment headers, and the value bytes by width; then two
// references for the same doc-id sets: the information-theoretic minimum (log2 C(N, df) bits per
// term, no codec can do better on average for sets without structure) and Elias-Fano's size
// (2 + ceil(log2(N / df)) bits per posting), and the empirical entropy of the stored values.
// Then the positions of text fields (format 4, key q): bytes per position, how many gaps take one,
// two or more varint bytes, and the empirical entropy of the gaps (what an ideal codec of
// independent gaps would need).
// Run: node scripts/bench/posting-bytes.js <index dir>
import { Level } from 'level'
import { RoaringBitmap32 } from '../../dist/storage/roaring.js'
import { KEY_STATS, prefixRange, PREFIX_POSITIONS, PREFIX_POSTINGS, termIdFromPostingsKey } from '../../dist/storage/format.js'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { missing } from './datasets.js'

const dir = process.argv[2]
if (!dir) {
  console.error('usage: posting-bytes.js <index dir>')
  process.exit(2)
}
const notIndex = () => missing(`no lsr index at ${dir}`, 'pass the folder of a closed index (e.g. one kept by synthetic.js --keep DIR)')
if (!existsSync(join(dir, 'CURRENT'))) notIndex()
const db = new Level(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', createIfMissing: false })
const stats = await db.get(KEY_STATS)
if (stats === undefined) notIndex()
const N = JSON.parse(stats.toString()).nextDocId

/** log2 of the binomial coefficient C(n, k), via log-gamma (Stirling series). */
function log2Binomial(n, k) {
  const lgamma = (x) => {
    let shift = 0
    while (x < 7) shift -= Math.log(x++)
    return shift + (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3)
  }
  return (lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)) / Math.LN2
}

const bytes = { segmentHeaders: 0, roaringHeaders: 0, arrayContainers: 0, bitsetContainers: 0, runContainers: 0, values: 0 }
const postingsByTerm = new Map()
const valueCounts = new Map()
const widths = new Map()
let postings = 0
for await (const [key, value] of db.iterator(prefixRange(PREFIX_POSTINGS))) {
  const width = value[0]
  const roaringLength = value.readUInt32LE(1)
  const stats = RoaringBitmap32.deserialize(value.subarray(5, 5 + roaringLength), 'portable').statistics()
  const n = stats.size
  postings += n
  bytes.segmentHeaders += 5
  bytes.arrayContainers += stats.bytesInArrayContainers
  bytes.bitsetContainers += stats.bytesInBitsetContainers
  bytes.runContainers += stats.bytesInRunContainers
  bytes.roaringHeaders += roaringLength - stats.bytesInArrayContainers - stats.bytesInBitsetContainers - stats.bytesInRunContainers
  bytes.values += n * width
  widths.set(width, (widths.get(width) ?? 0) + n)
  const termId = termIdFromPostingsKey(key)
  postingsByTerm.set(termId, (postingsByTerm.get(termId) ?? 0) + n)
  for (let at = 5 + roaringLength; at < value.length; at += width) {
    const v = value.readUIntLE(at, width)
    valueCounts.set(v, (valueCounts.get(v) ?? 0) + 1)
  }
}
// Positions: every varint ends at a byte below 0x80; a posting's first varint is a position, the
// others are gaps (counted together: the codec does not tell them apart).
let positionBytes = 0
let positions = 0
const varintLengths = new Map()
const gapCounts = new Map()
for await (const [, value] of db.iterator(prefixRange(PREFIX_POSITIONS))) {
  positionBytes += value.length
  let length = 0
  let number = 0
  for (const byte of value) {
    number += (byte & 0x7f) * 2 ** (7 * length++)
    if (byte >= 0x80) continue
    positions++
    varintLengths.set(length, (varintLengths.get(length) ?? 0) + 1)
    gapCounts.set(number, (gapCounts.get(number) ?? 0) + 1)
    length = 0
    number = 0
  }
}
await db.close()

let entropyBits = 0
let eliasFanoBits = 0
for (const df of postingsByTerm.values()) {
  entropyBits += log2Binomial(N, df)
  eliasFanoBits += df * (2 + Math.max(0, Math.ceil(Math.log2(N / df))))
}
let valueEntropyBits = 0
for (const count of valueCounts.values()) valueEntropyBits -= count * Math.log2(count / postings)

const per = (b) => (b / postings).toFixed(3)
const docIdBytes = bytes.segmentHeaders + bytes.roaringHeaders + bytes.arrayContainers + bytes.bitsetContainers + bytes.runContainers
console.log(`${dir}: ${N.toLocaleString('en')} doc ids, ${postingsByTerm.size.toLocaleString('en')} terms, ${postings.toLocaleString('en')} postings`)
console.log('bytes per posting, as stored:')
for (const [name, b] of Object.entries(bytes)) console.log(`  ${name.padEnd(18)} ${per(b)}`)
console.log(`  ${'total'.padEnd(18)} ${per(docIdBytes + bytes.values)}   (doc ids ${per(docIdBytes)}, values ${per(bytes.values)}; widths ${[...widths].map(([w, n]) => `${w} B: ${((100 * n) / postings).toFixed(1)} %`).join(', ')})`)
console.log('references for the same postings:')
console.log(`  doc ids, information-theoretic minimum  ${(entropyBits / 8 / postings).toFixed(3)}`)
console.log(`  doc ids, Elias-Fano                     ${(eliasFanoBits / 8 / postings).toFixed(3)}`)
console.log(`  values, empirical entropy (${valueCounts.size} distinct)  ${(valueEntropyBits / 8 / postings).toFixed(3)}`)
if (positions > 0) {
  let gapEntropyBits = 0
  for (const count of gapCounts.values()) gapEntropyBits -= count * Math.log2(count / positions)
  console.log(`positions: ${positions.toLocaleString('en')} in ${positionBytes.toLocaleString('en')} bytes: ${(positionBytes / positions).toFixed(3)} bytes per position`)
  console.log(`  varint bytes per number: ${[...varintLengths].sort((a, b) => a[0] - b[0]).map(([n, c]) => `${n}: ${((100 * c) / positions).toFixed(1)} %`).join(', ')}`)
  console.log(`  gaps, empirical entropy (${gapCounts.size} distinct)  ${(gapEntropyBits / 8 / positions).toFixed(3)} bytes per position`)
} else {
  console.log('positions: none (no text field indexed with positions)')
}
