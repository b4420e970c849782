/**
 * Phrase frequency in one document, from the positions of the phrase's terms, as Lucene computes it
 * (the `freq` that BM25 then scores), and the spans of the matches for highlighting.
 *
 * - **Exact** (slop 0, Lucene's `ExactPhraseMatcher`): freq = the number of phrase positions p at
 *   which every entry i has a document position p + offset_i. Occurrences may overlap: "a a" in
 *   "a a a" is 2.
 * - **Sloppy** (slop > 0, Lucene's `SloppyPhraseMatcher`, `PhrasePositions`, `PhraseQueue`; before
 *   Lucene 8 `SloppyPhraseScorer`): freq = Σ 1 / (1 + matchLength) over the matches the algorithm
 *   finds, summed in float32 as Lucene does. Each entry is a cursor at phrase position
 *   `docPosition - offset`; a priority queue ordered by (phrase position, offset, phrase order)
 *   always advances the least cursor; a match's length is the largest phrase position reached minus
 *   the least one, minimised while the least cursor has not passed the second least, and it counts
 *   when it is <= slop. Out of order costs twice: "b a" for "a b" has length 2. This is a heuristic
 *   walk, not every combination: "a b c b a" scores differently for "a b c"~4 and "c b a"~4 (Lucene's
 *   own note).
 * - **Repeated terms** (an entry whose term another entry also has): Lucene groups such entries
 *   ("repeat groups", sorted by offset), starts member j at the term's (j+1)th position, and when an
 *   advanced cursor lands on the document position of another member, advances the lesser of the two
 *   and re-queues the moved ones. Done here step for step, with Lucene's own binary heap, because
 *   the re-queueing is quirky and the quirks change frequencies: it pops until the moved entries are
 *   out, but takes an entry of *any* group with a moved entry's index for it, so a moved entry can
 *   stay queued out of order, and later pops follow the broken heap. Groups come from `terms`
 *   (entries sharing a term); when an entry with several terms (a prefix's expansions) takes part,
 *   groups are the connected entries and Lucene's "multi-term" start-up applies: while two members
 *   collide it advances the lesser, which can exhaust it and lose the document. Without `terms`,
 *   entries whose positions in the document are identical are repeats (what Lucene's grouping sees
 *   for one-term entries, short of stacked tokens).
 *
 * Whether a document matches: without repeated terms, exactly when one position per entry spans at
 * most `slop` phrase positions (advancing the least cursor is the classic smallest-window sweep).
 * With repeats, random tests find the same with distinct positions per entry, but for two cases,
 * both Lucene's (see the tests): the multi-term start-up above can miss such a choice, and a heap
 * left out of order (seen with three repeat groups) can count a match that no distinct positions
 * support.
 *
 * Everything is over arrays: no allocation per position; per call only on a new phrase (the repeat
 * plan is remembered for the last `terms` array seen).
 *
 * Checked, to the float32 bit, against Lucene 4.10.4's explain() (test/fixtures/phrase-freqs): its
 * SloppyPhraseScorer is the same algorithm as Lucene 9's SloppyPhraseMatcher (read side by side),
 * but a 4.10 search fills its queue starting from whichever cursor its document loop left first,
 * which matters only once a heap is out of order; Lucene 9, explain() and this module fill it in
 * phrase order.
 * @module
 */

/** One phrase entry in one document. */
export interface PhraseTermPositions {
  /** Position in the phrase (the analyzer's, with gaps where stop words were removed); non-decreasing in phrase order. */
  offset: number
  /** The entry's positions in the document field, strictly ascending (for several terms, their merged positions). */
  positions: ArrayLike<number>
  /**
   * The index terms of the entry: one for a word, every expansion for `match_phrase_prefix`'s last
   * word. Used only by sloppy matching, to find repeated terms as Lucene does; treat as immutable.
   * When absent, entries with identical positions are taken as repeats (see the module comment).
   */
  terms?: readonly string[]
}

/**
 * Exact phrase frequency: how many phrase positions p have every entry at p + offset.
 * @example exactPhraseFreq([{ offset: 0, positions: [0, 1, 2] }, { offset: 1, positions: [0, 1, 2] }]) // 2: "a a" in "a a a"
 */
export function exactPhraseFreq(terms: readonly PhraseTermPositions[]): number {
  return exact(terms, null)
}

/**
 * Sloppy phrase frequency, Lucene's SloppyPhraseMatcher: Σ 1 / (1 + matchLength) over its matches.
 * Lucene's PhraseQuery sends slop 0 to the exact matcher; use {@link phraseFreq} for that choice.
 * @param slop - the largest match length that counts, >= 0
 * @example sloppyPhraseFreq([{ offset: 0, positions: [1], terms: ['a'] }, { offset: 1, positions: [0], terms: ['b'] }], 2) // 1/3: "b a"
 */
export function sloppyPhraseFreq(terms: readonly PhraseTermPositions[], slop: number): number {
  return SLOPPY.run(terms, slop, null)
}

/** Lucene's choice: exact at slop 0, sloppy otherwise. */
export function phraseFreq(terms: readonly PhraseTermPositions[], slop: number): number {
  return slop === 0 ? exact(terms, null) : SLOPPY.run(terms, slop, null)
}

/**
 * The matches that {@link phraseFreq} counts, as document position ranges [first, last], in the
 * order found. Exact: [p + least offset, p + greatest offset]. Sloppy: Lucene's Matches positions,
 * the least and greatest document position of the cursors that formed the match.
 */
export function phraseMatches(terms: readonly PhraseTermPositions[], slop: number): Array<[number, number]> {
  const spans: Array<[number, number]> = []
  if (slop === 0) exact(terms, spans)
  else SLOPPY.run(terms, slop, spans)
  return spans
}

function exact(terms: readonly PhraseTermPositions[], spans: Array<[number, number]> | null): number {
  const n = terms.length
  if (n === 0) return 0
  let lead = 0
  let least = Infinity
  let greatest = -Infinity
  for (let i = 0; i < n; i++) {
    const { offset, positions } = terms[i]
    if (positions.length === 0) return 0
    if (positions.length < terms[lead].positions.length) lead = i
    least = Math.min(least, offset)
    greatest = Math.max(greatest, offset)
  }
  const cursor = SLOPPY.fit(n).used
  cursor.fill(0, 0, n)
  const leadPositions = terms[lead].positions
  const leadOffset = terms[lead].offset
  let freq = 0
  // The count does not depend on which entry leads: take the rarest.
  next: for (let k = 0; k < leadPositions.length; k++) {
    const p = leadPositions[k] - leadOffset
    for (let j = 0; j < n; j++) {
      if (j === lead) continue
      const { offset, positions } = terms[j]
      const target = p + offset
      let c = cursor[j]
      while (c < positions.length && positions[c] < target) c++
      cursor[j] = c
      if (c === positions.length) return freq
      if (positions[c] !== target) continue next
    }
    freq++
    spans?.push([p + least, p + greatest])
  }
  return freq
}

/** Repeat groups: group[i] (-1 when none), rank[i] (index in its group), members of group g at members[starts[g]..starts[g+1]). */
interface RepeatPlan {
  hasRepeats: boolean
  /** An entry with several terms is a repeat: Lucene's hasMultiTermRpts (another start-up). */
  multiTerm: boolean
  group: Int32Array
  rank: Int32Array
  members: Int32Array
  starts: Int32Array
  groups: number
}

const newPlan = (n: number): RepeatPlan => ({ hasRepeats: false, multiTerm: false, group: new Int32Array(n), rank: new Int32Array(n), members: new Int32Array(n), starts: new Int32Array(n + 1), groups: 0 })

/** Repeat groups from `terms` (Lucene's repeatingTerms, gatherRptGroups, sortRptGroups). */
function planFromTerms(entries: readonly PhraseTermPositions[]): RepeatPlan {
  const n = entries.length
  const plan = newPlan(n)
  const count = new Map<string, number>()
  for (const { terms } of entries) for (const t of terms!) count.set(t, (count.get(t) ?? 0) + 1)
  const repeating = entries.map(({ terms }) => terms!.some((t) => count.get(t)! > 1))
  plan.hasRepeats = repeating.includes(true)
  plan.multiTerm = entries.some(({ terms }, i) => repeating[i] && terms!.length > 1)
  const groups: number[][] = []
  plan.group.fill(-1)
  if (!plan.multiTerm) {
    // A later entry joins an earlier one's group when it has the same term at a different offset.
    for (let i = 0; i < n; i++) {
      if (!repeating[i] || plan.group[i] >= 0) continue
      for (let j = i + 1; j < n; j++) {
        if (!repeating[j] || plan.group[j] >= 0 || entries[j].offset === entries[i].offset || entries[j].terms![0] !== entries[i].terms![0]) continue
        if (plan.group[i] < 0) {
          plan.group[i] = groups.length
          groups.push([i])
        }
        plan.group[j] = plan.group[i]
        groups[plan.group[i]].push(j)
      }
    }
  } else {
    // Connected entries through shared repeated terms (Lucene's unionTermGroups); Lucene's order
    // within a group is a hash set's, made deterministic here by phrase order before the offset sort.
    const root = Int32Array.from({ length: n }, (_, i) => i)
    const find = (i: number): number => (root[i] === i ? i : (root[i] = find(root[i])))
    const owner = new Map<string, number>()
    entries.forEach(({ terms }, i) => {
      for (const t of terms!) {
        if (count.get(t)! < 2) continue
        const o = owner.get(t)
        if (o === undefined) owner.set(t, i)
        else root[find(i)] = find(o)
      }
    })
    const ids = new Map<number, number>()
    for (let i = 0; i < n; i++) {
      if (!repeating[i]) continue
      const r = find(i)
      if (!ids.has(r)) {
        ids.set(r, groups.length)
        groups.push([])
      }
      plan.group[i] = ids.get(r)!
      groups[plan.group[i]].push(i)
    }
  }
  let at = 0
  groups.forEach((members, g) => {
    members.sort((a, b) => entries[a].offset - entries[b].offset) // stable, as Java's
    plan.starts[g] = at
    members.forEach((m, r) => {
      plan.rank[m] = r
      plan.members[at++] = m
    })
  })
  plan.groups = groups.length
  plan.starts[groups.length] = at
  return plan
}

function samePositions(a: ArrayLike<number>, b: ArrayLike<number>): boolean {
  if (a === b) return true
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const NONE: readonly PhraseTermPositions[] = []

/** Lucene's SloppyPhraseMatcher over arrays; one instance, its scratch arrays grown as needed. */
class SloppyRun {
  terms = NONE
  pos = new Int32Array(0) // phrase position: document position - offset
  used = new Int32Array(0) // positions consumed
  off = new Int32Array(0)
  heap = new Int32Array(1) // Lucene's PriorityQueue: 1-based binary heap of entry indexes
  size = 0
  end = 0 // the greatest phrase position reached
  stack = new Int32Array(0)
  marks = new Uint8Array(0)
  plan: RepeatPlan = newPlan(0)
  byPositions: RepeatPlan = newPlan(0)
  /** The last terms-based plan and what it was made from. */
  memo: { entries: readonly PhraseTermPositions[]; offsets: number[]; terms: Array<readonly string[]>; plan: RepeatPlan } | null = null

  fit(n: number): this {
    if (this.pos.length < n) {
      const size = Math.max(n, 2 * this.pos.length, 8)
      this.pos = new Int32Array(size)
      this.used = new Int32Array(size)
      this.off = new Int32Array(size)
      this.heap = new Int32Array(size + 1)
      this.stack = new Int32Array(size)
      this.marks = new Uint8Array(size)
      this.byPositions = newPlan(size)
    }
    return this
  }

  run(terms: readonly PhraseTermPositions[], slop: number, spans: Array<[number, number]> | null): number {
    const n = terms.length
    if (n === 0) return 0
    for (let i = 0; i < n; i++) if (terms[i].positions.length === 0) return 0
    if (n === 1) {
      // Lucene rewrites a one-term phrase to a term query: freq = tf.
      const { positions } = terms[0]
      if (spans) for (let k = 0; k < positions.length; k++) spans.push([positions[k], positions[k]])
      return positions.length
    }
    this.fit(n)
    this.terms = terms
    try {
      return this.match(n, slop, spans)
    } finally {
      this.terms = NONE // keep no document's arrays alive
    }
  }

  private match(n: number, slop: number, spans: Array<[number, number]> | null): number {
    const { pos, off, heap } = this
    this.plan = this.planFor(this.terms)
    this.marks.fill(0)
    for (let i = 0; i < n; i++) {
      off[i] = this.terms[i].offset
      pos[i] = this.terms[i].positions[0] - off[i]
      this.used[i] = 1
    }
    this.end = -Infinity
    const repeats = this.plan.hasRepeats
    if (repeats && !this.advanceRepeatGroups()) return 0
    this.size = 0
    for (let i = 0; i < n; i++) {
      if (pos[i] > this.end) this.end = pos[i]
      this.add(i)
    }
    let freq = 0
    let pp = this.pop()
    let lead = pp
    let leadPosition = pos[pp] + off[pp]
    let length = this.end - pos[pp]
    let next = pos[heap[1]]
    const emit = () => {
      freq = Math.fround(freq + Math.fround(1 / (1 + length)))
      if (spans) {
        // Lucene's startPosition/endPosition: the lead as captured, the others where they are.
        let first = leadPosition
        let last = leadPosition
        for (let i = 0; i < n; i++) {
          const at = pos[i] + off[i]
          if (at < first) first = at
          if (i !== lead && at > last) last = at
        }
        spans.push([first, last])
      }
    }
    while (this.advance(pp)) {
      if (repeats && !this.advanceRepeats(pp)) break
      if (pos[pp] > next) {
        // done minimising this match's length
        this.add(pp)
        if (length <= slop) emit()
        pp = this.pop()
        next = pos[heap[1]]
        length = this.end - pos[pp]
      } else if (this.end - pos[pp] < length) {
        length = this.end - pos[pp]
      }
      lead = pp
      leadPosition = pos[pp] + off[pp]
    }
    if (length <= slop) emit()
    return freq
  }

  private planFor(entries: readonly PhraseTermPositions[]): RepeatPlan {
    const n = entries.length
    if (entries.every((e) => e.terms !== undefined)) {
      const memo = this.memo
      if (memo && memo.entries === entries && entries.every((e, i) => e.offset === memo.offsets[i] && e.terms === memo.terms[i])) return memo.plan
      const plan = planFromTerms(entries)
      this.memo = { entries, offsets: entries.map((e) => e.offset), terms: entries.map((e) => e.terms!), plan }
      return plan
    }
    // Without terms: identical positions mark repeats; Lucene's one-term grouping, allocation free.
    const plan = this.byPositions
    plan.group.fill(-1, 0, n)
    plan.hasRepeats = false
    plan.multiTerm = false
    let groups = 0
    let at = 0
    for (let i = 0; i < n; i++) {
      if (plan.group[i] >= 0) continue
      for (let j = i + 1; j < n; j++) {
        if (plan.group[j] >= 0 || !samePositions(entries[i].positions, entries[j].positions)) continue
        plan.hasRepeats = true
        if (entries[j].offset === entries[i].offset) continue
        if (plan.group[i] < 0) {
          plan.group[i] = groups
          plan.starts[groups++] = at
          plan.rank[i] = 0
          plan.members[at++] = i
        }
        plan.group[j] = plan.group[i]
        plan.rank[j] = at - plan.starts[plan.group[i]]
        plan.members[at++] = j
      }
    }
    plan.groups = groups
    plan.starts[groups] = at
    // Members went in phrase order, so offsets ascend already unless the caller broke that rule.
    return plan
  }

  /** PhrasePositions.nextPosition. */
  private step(i: number): boolean {
    const positions = this.terms[i].positions
    const u = this.used[i]
    if (u >= positions.length) return false
    this.pos[i] = positions[u] - this.off[i]
    this.used[i] = u + 1
    return true
  }

  /** advancePP: step and raise `end`. */
  private advance(i: number): boolean {
    if (!this.step(i)) return false
    if (this.pos[i] > this.end) this.end = this.pos[i]
    return true
  }

  /** PhraseQueue.lessThan: by phrase position, then offset, then phrase order. */
  private less(a: number, b: number): boolean {
    const { pos, off } = this
    if (pos[a] !== pos[b]) return pos[a] < pos[b]
    if (off[a] !== off[b]) return off[a] < off[b]
    return a < b
  }

  /** The lesser of two colliding entries, by phrase position then offset only (Lucene's `lesser`). */
  private lesser(a: number, b: number): number {
    const { pos, off } = this
    return pos[a] < pos[b] || (pos[a] === pos[b] && off[a] < off[b]) ? a : b
  }

  /** The rank of another member of i's group at the same document position, or -1. */
  private collide(i: number): number {
    const { pos, off, plan } = this
    const at = pos[i] + off[i]
    const g = plan.group[i]
    for (let k = plan.starts[g]; k < plan.starts[g + 1]; k++) {
      const m = plan.members[k]
      if (m !== i && pos[m] + off[m] === at) return plan.rank[m]
    }
    return -1
  }

  /** Start positions for repeat groups: member j starts at its (j+1)th position (multi-term: until no collision). */
  private advanceRepeatGroups(): boolean {
    const { plan } = this
    for (let g = 0; g < plan.groups; g++) {
      const from = plan.starts[g]
      const count = plan.starts[g + 1] - from
      if (plan.multiTerm) {
        for (let r = 0; r < count; ) {
          let increment = 1
          const pp = plan.members[from + r]
          let k: number
          while ((k = this.collide(pp)) >= 0) {
            const pp2 = this.lesser(pp, plan.members[from + k])
            if (!this.advance(pp2)) return false
            if (plan.rank[pp2] < r) {
              increment = 0
              break
            }
          }
          r += increment
        }
      } else {
        for (let j = 1; j < count; j++) {
          for (let k = 0; k < j; k++) if (!this.step(plan.members[from + j])) return false
        }
      }
    }
    return true
  }

  /** advanceRpts: `pp` was advanced; while it collides, advance the lesser; then re-queue the moved ones. */
  private advanceRepeats(pp: number): boolean {
    const { plan, marks } = this
    const g = plan.group[pp]
    if (g < 0) return true
    const from = plan.starts[g]
    const k0 = plan.rank[pp]
    let marked = 0
    let k: number
    while ((k = this.collide(pp)) >= 0) {
      pp = this.lesser(pp, plan.members[from + k])
      if (!this.advance(pp)) return false
      if (k !== k0 && marks[k] === 0) {
        marks[k] = 1
        marked++
      }
    }
    // Pop until every marked entry is out. Lucene checks the rank only, so an entry of another group
    // with a marked rank clears the mark too (the marked entry then stays queued, out of order).
    let n = 0
    while (marked > 0 && this.size > 0) {
      const pp2 = this.pop()
      this.stack[n++] = pp2
      if (plan.group[pp2] >= 0 && marks[plan.rank[pp2]] === 1) {
        marks[plan.rank[pp2]] = 0
        marked--
      }
    }
    if (marked > 0) marks.fill(0) // not reached: every marked entry is queued
    for (let i = n - 1; i >= 0; i--) this.add(this.stack[i])
    return true
  }

  private add(i: number): void {
    const heap = this.heap
    let at = ++this.size
    let parent = at >>> 1
    while (parent > 0 && this.less(i, heap[parent])) {
      heap[at] = heap[parent]
      at = parent
      parent >>>= 1
    }
    heap[at] = i
  }

  private pop(): number {
    const heap = this.heap
    const top = heap[1]
    heap[1] = heap[this.size--]
    // downHeap
    const node = heap[1]
    let at = 1
    let child = 2
    if (child + 1 <= this.size && this.less(heap[child + 1], heap[child])) child++
    while (child <= this.size && this.less(heap[child], node)) {
      heap[at] = heap[child]
      at = child
      child = at << 1
      if (child + 1 <= this.size && this.less(heap[child + 1], heap[child])) child++
    }
    heap[at] = node
    return top
  }
}

const SLOPPY = new SloppyRun()
