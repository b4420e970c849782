/**
 * The shape checks of JSON request objects shared by the engine's query compiler and the server.
 * @module
 */

/** A JSON object. */
export type Json = Record<string, unknown>

/** True for a JSON object (not null, not an array). */
export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * The values under any of `keys`, anywhere in a JSON tree (the subtrees under those keys are not
 * searched further). Iterative, so that a deeply nested or very wide body cannot overflow the
 * stack before the query compiler's own limits apply.
 */
export function* valuesUnderKeys(root: unknown, keys: readonly string[]): Generator<[key: string, value: unknown]> {
  const stack: unknown[] = [root]
  while (stack.length > 0) {
    const node = stack.pop()
    // One push per element: spreading a 100,000-element array into push() overflows the stack.
    if (Array.isArray(node)) for (const item of node) stack.push(item)
    if (!isObject(node)) continue
    for (const [key, value] of Object.entries(node)) {
      if (keys.includes(key)) yield [key, value]
      else stack.push(value)
    }
  }
}
