/**
 * Two per-key coordination helpers for the index registry: a serializer (tasks on one key run
 * one at a time, in call order) and a use counter (wait until a key has no users left).
 * @module
 */

/** Runs tasks one at a time per key, in call order; tasks on different keys run concurrently. */
export class KeyedSerializer {
  readonly #tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const result = (this.#tails.get(key) ?? Promise.resolve()).then(task)
    const tail = result.then(() => undefined, () => undefined)
    this.#tails.set(key, tail)
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key)
    })
    return result
  }
}

/** Counts the users of each key; {@link drained} resolves once a key has none. */
export class UseCounter {
  readonly #counts = new Map<string, number>()
  readonly #waiters = new Map<string, Array<() => void>>()

  has(key: string): boolean {
    return this.#counts.has(key)
  }

  add(key: string): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + 1)
  }

  remove(key: string): void {
    const left = (this.#counts.get(key) ?? 1) - 1
    if (left > 0) return void this.#counts.set(key, left)
    this.#counts.delete(key)
    for (const wake of this.#waiters.get(key) ?? []) wake()
    this.#waiters.delete(key)
  }

  drained(key: string): Promise<void> {
    if (!this.#counts.has(key)) return Promise.resolve()
    return new Promise((resolve) => this.#waiters.set(key, [...(this.#waiters.get(key) ?? []), resolve]))
  }
}
