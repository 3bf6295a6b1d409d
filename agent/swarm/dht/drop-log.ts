/**
 * Logs why datagrams were dropped without letting a flood flood the log: the first of each kind of reason is logged
 * at once, later ones are counted and reported with the next line of that kind, at most one per `intervalMs`. The
 * kind is the reason up to its first `(` or `:` (the rest quotes the input: sizes, addresses, parser messages), so
 * a hostile node cannot mint a new kind per datagram.
 */
import type { Logger } from 'pino'

/** Distinct reasons remembered; a hostile node can invent reasons (they quote its input), so they are bounded too. */
const MAX_REASONS = 256

export class DropLog {
  private readonly pending = new Map<string, { count: number, from: string }>()
  private readonly lastLogged = new Map<string, number>()
  private total = 0

  constructor (private readonly log: Logger, private readonly intervalMs = 10_000, private readonly now: () => number = Date.now) {}

  /** Datagrams dropped so far, for stats and tests. */
  get dropped (): number { return this.total }

  drop (reason: string, from: string): void {
    this.total++
    const key = reason.replace(/[(:].*$/s, '').trim().slice(0, 80)
    const last = this.lastLogged.get(key)
    const now = this.now()
    if (last === undefined || now - last >= this.intervalMs) {
      if (this.lastLogged.size >= MAX_REASONS) this.lastLogged.delete(this.lastLogged.keys().next().value!)
      this.lastLogged.set(key, now)
      const held = this.pending.get(key)
      this.pending.delete(key)
      this.log.warn({ from, reason: reason.slice(0, 200), ...(held !== undefined ? { alsoDropped: held.count } : {}) }, 'dht datagram dropped')
      return
    }
    const held = this.pending.get(key)
    if (held !== undefined) held.count++
    else if (this.pending.size < MAX_REASONS) this.pending.set(key, { count: 1, from })
  }
}
