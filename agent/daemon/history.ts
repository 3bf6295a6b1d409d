/**
 * Bytes served over time, per torrent, for the dashboard's charts: a sample every `intervalMs` of each torrent's
 * cumulative uploaded and paid bytes, the last `keep` samples kept (an hour at the defaults). In memory only: the
 * ledger is the record of what was earned; this is what a person watches.
 */
import type { TorrentStatus } from './torrent-slot.ts'

export interface Sample {
  /** ms since the epoch */
  t: number
  /** info hash → cumulative bytes uploaded, and of those paid for */
  uploaded: Record<string, number>
  paid: Record<string, number>
}

export interface HistoryInit {
  /** @default 2000 */
  intervalMs?: number
  /** @default 1800 */
  keep?: number
  /** @default Date.now */
  clock?: () => number
}

export class History {
  private readonly list: Sample[] = []
  private timer: NodeJS.Timeout | null = null
  private readonly keep: number
  private readonly clock: () => number

  constructor (private readonly read: () => TorrentStatus[], private readonly init: HistoryInit = {}) {
    this.keep = init.keep ?? 1800
    this.clock = init.clock ?? Date.now
  }

  start (): void {
    this.sample()
    this.timer = setInterval(() => { this.sample() }, this.init.intervalMs ?? 2000)
    this.timer.unref()
  }

  stop (): void {
    if (this.timer !== null) clearInterval(this.timer)
    this.timer = null
  }

  /** Takes one sample now (also what the timer does). */
  sample (): void {
    const uploaded: Record<string, number> = {}
    const paid: Record<string, number> = {}
    for (const t of this.read()) { uploaded[t.infoHash] = t.uploaded; paid[t.infoHash] = t.paidBytes }
    this.list.push({ t: this.clock(), uploaded, paid })
    if (this.list.length > this.keep) this.list.splice(0, this.list.length - this.keep)
  }

  samples (): readonly Sample[] { return this.list }
}
