import cliProgress from 'cli-progress'
import type { EngineStats } from '../swarm/index.ts'
import { formatBtt } from './amounts.ts'

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

function spendText (read: SpendReader | null): string | null {
  if (read === null) return null
  const { spent, cap } = read()
  return cap === null ? `${formatBtt(spent)} BTT` : `${formatBtt(spent)}/${formatBtt(cap)} BTT`
}

export function makeReporter (json: boolean): Reporter {
  if (json || process.stderr.isTTY !== true) return new JsonReporter()
  return new BarReporter()
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
    format: '{bar} {percentage}% | {value}/{total} MiB | down {down}/s up {up}/s | {peers} peers{paid} | ETA {eta_formatted}',
    hideCursor: true,
    stream: process.stderr
  }, cliProgress.Presets.shades_classic)

  private started = false
  private spend: SpendReader | null = null

  paying (read: SpendReader): void { this.spend = read }

  event (name: string, fields: Record<string, unknown>): void {
    if (name === 'progress') return
    const line = `${name}: ${Object.entries(fields).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`
    // Clear the bar's line first; the bar redraws itself on the next update.
    process.stderr.write((this.started ? '\r\x1b[K' : '') + line + '\n')
  }

  progress (s: EngineStats): void {
    const mib = (n: number): number => Math.round(n / 1048576 * 10) / 10
    const paid = spendText(this.spend)
    const payload = { down: human(s.downloadRate), up: human(s.uploadRate), peers: s.peers, paid: paid === null ? '' : ` | paid ${paid}` }
    if (!this.started) {
      this.bar.start(mib(s.length), mib(s.verifiedBytes), payload)
      this.started = true
    }
    this.bar.setTotal(mib(s.length))
    this.bar.update(mib(s.verifiedBytes), payload)
  }

  close (): void { if (this.started) this.bar.stop() }
}

export function human (bytesPerSecond: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB']
  let v = bytesPerSecond
  let u = 0
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++ }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`
}
