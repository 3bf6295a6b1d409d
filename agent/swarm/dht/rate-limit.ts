/**
 * Token buckets per source address, with a bounded table: a flood from many spoofed addresses evicts the oldest
 * bucket instead of growing memory. Time comes from an injected clock, so the arithmetic is tested without waiting.
 */
export interface RateLimitInit {
  /** Datagrams per second one address may send, sustained. @default 20 */
  perSecond?: number
  /** Burst one address may send at once. @default 40 */
  burst?: number
  /** Most addresses tracked; past it the oldest is forgotten. @default 4096 */
  maxSources?: number
  /** @default Date.now */
  now?: () => number
}

interface Bucket { tokens: number, at: number }

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>()
  private readonly perMs: number
  private readonly burst: number
  private readonly maxSources: number
  private readonly now: () => number

  constructor (init: RateLimitInit = {}) {
    this.perMs = (init.perSecond ?? 20) / 1000
    this.burst = init.burst ?? 40
    this.maxSources = init.maxSources ?? 4096
    this.now = init.now ?? Date.now
  }

  /** Take one token for `source`; false when it is over its rate. */
  take (source: string): boolean {
    const now = this.now()
    let b = this.buckets.get(source)
    if (b === undefined) {
      if (this.buckets.size >= this.maxSources) this.buckets.delete(this.buckets.keys().next().value!)
      b = { tokens: this.burst, at: now }
      this.buckets.set(source, b)
    } else {
      b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perMs)
      b.at = now
    }
    if (b.tokens < 1) return false
    b.tokens -= 1
    return true
  }

  get size (): number { return this.buckets.size }
}
