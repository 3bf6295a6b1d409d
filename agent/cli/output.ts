import cliProgress from 'cli-progress'
import { MIB } from '../pay/price.ts'
import type { EngineStats } from '../swarm/index.ts'
import { bttText, formatBtt } from './amounts.ts'
import { bytesText, eventText } from './event-text.ts'

/** What a paying download has signed this run, and its `--budget` (null: the escrow balance). */
export type SpendReader = () => { spent: bigint, cap: bigint | null }

/** Reports engine progress: a live bar on a terminal, JSON lines (one object per line) otherwise. */
export interface Reporter {
  event(name: string, fields: Record<string, unknown>): void
  progress(stats: EngineStats): void
  /** Shows what this run has paid (and its budget) beside the progress. */
  paying(read: SpendReader): void
  close(): void
}

/** The `paid` field of a JSON progress line: "0.03 BTT" or "0.03/1 BTT" (what scripts read; unchanged). */
function spendText (read: SpendReader | null): string | null {
  if (read === null) return null
  const { spent, cap } = read()
  return cap === null ? `${formatBtt(spent)} BTT` : `${formatBtt(spent)}/${formatBtt(cap)} BTT`
}

let shared: Reporter | null = null

/**
 * The process's reporter. One per process: the engine runner and the payment side both report through it, so the
 * bar shows what the payment side has paid and the payment events clear the bar's line before they print.
 */
export function makeReporter (json: boolean): Reporter {
  shared ??= json || process.stderr.isTTY !== true ? new JsonReporter() : new BarReporter()
  return shared
}

class JsonReporter implements Reporter {
  private spend: SpendReader | null = null

  paying (read: SpendReader): void { this.spend = read }

  event (name: string, fields: Record<string, unknown>): void {
    process.stdout.write(JSON.stringify({ event: name, time: new Date().toISOString(), ...fields }) + '\n')
  }

  progress (s: EngineStats): void {
    const paid = spendText(this.spend)
    this.event('progress', { ...s, ...(paid !== null ? { paid } : {}) })
  }
  close (): void {}
}

class BarReporter implements Reporter {
  private readonly bar = new cliProgress.SingleBar({
    // our own ETA ({eta} is the bar's, which prints "NULL"/"INF", cut to "LLs"/"NFs", while nothing arrives)
    format: '{bar} {percentage}% | {value}/{total} MiB | down {down}/s up {up}/s | {peers} peers{paid} | {remaining}',
    hideCursor: true,
    stream: process.stderr
  }, cliProgress.Presets.shades_classic)

  private started = false
  private stopped = false
  private spend: SpendReader | null = null

  paying (read: SpendReader): void { this.spend = read }

  event (name: string, fields: Record<string, unknown>): void {
    if (name === 'progress') return
    // Clear the bar's line first; the bar redraws itself on the next update.
    process.stderr.write((this.started && !this.stopped ? '\r\x1b[K' : '') + eventText(name, fields) + '\n')
  }

  progress (s: EngineStats): void {
    if (this.stopped) return
    const mib = (n: number): number => Math.round(n / 1048576 * 10) / 10
    const paid = this.spend === null ? null : this.spend()
    const payload = {
      down: bytesText(s.downloadRate), up: bytesText(s.uploadRate), peers: s.peers,
      paid: paid === null ? '' : ` | ${paidText(paid.spent, paid.cap, s.downloaded)}`,
      remaining: etaText(s)
    }
    if (!this.started) {
      this.bar.start(mib(s.length), mib(s.verifiedBytes), payload)
      this.started = true
    }
    this.bar.setTotal(mib(s.length))
    this.bar.update(mib(s.verifiedBytes), payload)
  }

  close (): void {
    if (this.started && !this.stopped) this.bar.stop()
    this.stopped = true
  }
}

/**
 * "paid 0.03 BTT (0.01 BTT/MiB)", or with a budget "paid 0.03 of 1 BTT (0.01 BTT/MiB)": what this run signed and
 * what that came to per MiB received this run (free peers' bytes included, so it is what the download cost).
 */
export function paidText (spent: bigint, cap: bigint | null, downloadedBytes: number): string {
  const total = cap === null ? bttText(spent) : `${formatBtt(spent, { grouped: true })} of ${bttText(cap)}`
  if (!(downloadedBytes > 0) || spent === 0n) return `paid ${total}`
  return `paid ${total} (${roughBtt(spent * MIB / BigInt(Math.floor(downloadedBytes)))} BTT/MiB)`
}

/** About four significant digits, cut: a rate, not an amount anyone is owed. */
function roughBtt (units: bigint): string {
  const digits = Math.min(18, Math.max(2, 18 - units.toString().length + 4))
  return formatBtt(units, { maxDecimals: digits, grouped: true })
}

/** "ETA 3m 05s" from what is left and the current rate; "ETA –" while nothing arrives; "done" when complete. */
export function etaText (s: Pick<EngineStats, 'done' | 'length' | 'verifiedBytes' | 'downloadRate'>): string {
  if (s.done || (s.length > 0 && s.verifiedBytes >= s.length)) return 'done'
  const left = (s.length - s.verifiedBytes) / s.downloadRate
  // no rate yet (0 → Infinity, 0/0 → NaN), or so slow the figure means nothing
  if (!Number.isFinite(left) || left < 0 || left > 100 * 86400) return 'ETA –'
  return `ETA ${duration(Math.ceil(left))}`
}

export function duration (seconds: number): string {
  const pad = (n: number): string => String(n).padStart(2, '0')
  if (seconds < 60) return `${seconds}s`
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${pad(seconds % 60)}s`
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${pad(Math.floor(seconds / 60) % 60)}m`
  return `${Math.floor(seconds / 86400)}d ${pad(Math.floor(seconds / 3600) % 24)}h`
}
