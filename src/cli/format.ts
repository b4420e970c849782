/**
 * Small formatting helpers for CLI output.
 * @module
 */
import { InvalidArgumentError } from 'commander'

/** Human-readable byte size (binary units). */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`
}

/** Parses a number option, naming the option in the error. */
export function parseNumber(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError(`${name} must be a number, got "${value}"`)
    return n
  }
}

/** Parses a positive integer option. */
export function parsePositiveInt(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`)
    return n
  }
}

/** Parses a TCP port: an integer from 0 (any free port) to 65535. */
export function parsePort(name: string): (value: string) => number {
  return (value) => {
    const n = Number(value)
    if (value.trim() === '' || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError(`${name} must be an integer from 0 to 65535, got "${value}"`)
    return n
  }
}
