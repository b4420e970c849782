/**
 * Long CPU work on the write path (log merges, compaction chunks) yields to the event loop every
 * few milliseconds, so searches and other requests are served meanwhile instead of stalling for
 * seconds. Writes are serialized and readers never change the state, so yielding mid-plan is safe.
 * @module
 */
import type { BatchOp } from './write-plan.js'
import type { IndexDb } from './load.js'

/** Work between two yields. */
const SLICE_MS = 10

export class TimeSlices {
  #start = performance.now()

  /** True once the current slice is used up (then `await next()`). */
  get due(): boolean {
    return performance.now() - this.#start >= SLICE_MS
  }

  /** Lets pending I/O and timers run, then starts a new slice. */
  async next(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve))
    this.#start = performance.now()
  }
}

/**
 * Writes `ops` as ONE atomic LevelDB batch. Handing a large array to `db.batch` converts every
 * operation in one synchronous call (about 2 µs each: 200,000 operations of a big log merge held
 * the event loop for 0.4 s), so a large batch is built as a chained batch, in time slices.
 * @param sync - fsync LevelDB's log before resolving: the batch survives an operating-system
 *   crash or power loss, not only the process's (about 0.6 ms per batch here)
 */
export async function writeBatch(db: IndexDb, ops: readonly BatchOp[], sync = false): Promise<void> {
  if (ops.length < 10_000) return db.batch(ops as BatchOp[], { sync })
  const batch = db.batch()
  const slices = new TimeSlices()
  try {
    for (const op of ops) {
      if (slices.due) await slices.next()
      if (op.type === 'put') batch.put(op.key, op.value)
      else batch.del(op.key)
    }
  } catch (error) {
    await batch.close()
    throw error
  }
  await batch.write({ sync })
}
