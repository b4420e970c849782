/**
 * A bounded min-heap of the k best (doc, score) pairs.
 *
 * Order (the engine's tie rule): higher score first; equal scores by ascending internal doc id,
 * i.e. the document indexed first wins (after `compact --reorder`, the one renumbered first). The
 * heap root is the worst kept entry.
 * @module
 */

/** One ranked hit by internal doc id. */
export interface ScoredDoc {
  doc: number
  score: number
}

export class TopK {
  readonly k: number
  // Plain arrays grown to k: allocating two typed arrays cost more than a short query's scoring.
  private readonly docs: number[] = []
  private readonly scores: number[] = []
  private size = 0

  constructor(k: number) {
    this.k = k
  }

  /** True once k entries are held: from then on only better entries get in. */
  get full(): boolean {
    return this.size === this.k
  }

  /** Score of the worst kept entry once full; -Infinity before. */
  get threshold(): number {
    return this.size === this.k ? this.scores[0] : -Infinity
  }

  /** Offers a candidate; keeps it if it ranks above the worst kept entry. */
  push(doc: number, score: number): void {
    if (this.k === 0) return
    if (this.size < this.k) {
      let i = this.size++
      this.docs.push(doc)
      this.scores.push(score)
      while (i > 0) {
        const parent = (i - 1) >> 1
        if (!this.worse(doc, score, parent)) break
        this.docs[i] = this.docs[parent]
        this.scores[i] = this.scores[parent]
        i = parent
      }
      this.docs[i] = doc
      this.scores[i] = score
      return
    }
    if (!this.entryWorse(0, doc, score)) return
    this.siftDown(doc, score)
  }

  /** The kept entries, best first. */
  sorted(): ScoredDoc[] {
    const out: ScoredDoc[] = []
    for (let i = 0; i < this.size; i++) out.push({ doc: this.docs[i], score: this.scores[i] })
    return out.sort((a, b) => b.score - a.score || a.doc - b.doc)
  }

  /** True when (doc, score) ranks below entry i. */
  private worse(doc: number, score: number, i: number): boolean {
    const other = this.scores[i]
    return score < other || (score === other && doc > this.docs[i])
  }

  private siftDown(doc: number, score: number): void {
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      if (left >= this.size) break
      const right = left + 1
      const child = right < this.size && this.worse(this.docs[right], this.scores[right], left) ? right : left
      if (!this.entryWorse(child, doc, score)) break
      this.docs[i] = this.docs[child]
      this.scores[i] = this.scores[child]
      i = child
    }
    this.docs[i] = doc
    this.scores[i] = score
  }

  /** True when entry i ranks below (doc, score). */
  private entryWorse(i: number, doc: number, score: number): boolean {
    const s = this.scores[i]
    return s < score || (s === score && this.docs[i] > doc)
  }
}
