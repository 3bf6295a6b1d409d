/** Medians and spreads of interleaved benchmark runs (the machine is noisy: report the middle, show the range). */
export interface Spread { median: number, min: number, max: number, n: number }

export function spread (values: readonly number[]): Spread {
  const s = [...values].sort((a, b) => a - b)
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN, n: 0 }
  const mid = Math.floor(s.length / 2)
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2
  return { median: round(median), min: round(s[0]!), max: round(s.at(-1)!), n: s.length }
}

export function round (n: number, digits = 2): number {
  const f = 10 ** digits
  return Math.round(n * f) / f
}
