/** The package version, reported by `lsr --version` and the server. */
export const VERSION = '0.1.0'
