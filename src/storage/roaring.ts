/**
 * `roaring` is a CommonJS module whose exports Node's ESM loader cannot name statically; this is the
 * one place that unwraps it.
 * @module
 */
import roaring from 'roaring'

export const RoaringBitmap32 = roaring.RoaringBitmap32
export type RoaringBitmap32 = InstanceType<typeof roaring.RoaringBitmap32>
