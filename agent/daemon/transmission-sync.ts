/**
 * Sells what the user's Transmission has finished: every `pollMs` the daemon lists Transmission's torrents over its
 * RPC and serves each complete one from Transmission's own files (read-only: the engine never opens them for
 * writing, and its resume data lives under SEEDPAY_HOME), verifying every piece before serving it. Torrents removed
 * from Transmission stop here at the next poll; ones that are still downloading there are left until they finish.
 * An unreachable Transmission is reported once (and once when it is back); the daemon's other torrents go on.
 */
import type { TorrentSale } from './torrent-slot.ts'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { Daemon } from './daemon.ts'
import { Poller } from './poller.ts'
import type { TransmissionRpc, TransmissionTorrent } from './transmission-rpc.ts'

/** Transmission is checking the files (1 waiting to check, 2 checking): not complete yet, whatever percentDone says. */
const CHECKING = new Set([1, 2])

export interface TransmissionSyncComponents {
  logger: Logger
  daemon: Daemon
  rpc: TransmissionRpc
  /** Reports a change a person should see (unreachable, back, a torrent it cannot serve). */
  report: (event: 'transmission:error' | 'transmission:synced' | 'torrent:error', fields: Record<string, unknown>) => void
}

export interface TransmissionSyncInit {
  /** @default 10000 */
  pollMs?: number
  /** How the imported torrents are sold (with the daemon's [payments]). @default paid at [payments]' terms */
  sale?: TorrentSale
}

/** Transmission's finished torrents: the ones to sell. */
export function completeTorrents (all: readonly TransmissionTorrent[]): TransmissionTorrent[] {
  return all.filter(t => t.percentDone === 1 && t.leftUntilDone === 0 && !CHECKING.has(t.status) && t.error !== 3)
}

export class TransmissionSync {
  private poller: Poller | null = null
  private lastError: string | null = null
  private lastCount = -1
  private readonly reported = new Set<string>()

  constructor (private readonly c: TransmissionSyncComponents, private readonly init: TransmissionSyncInit = {}) {}

  /** Syncs once now, then every pollMs until `signal` aborts. */
  async start (signal: AbortSignal): Promise<void> {
    this.poller = new Poller(async () => { await this.syncOnce(signal) }, this.init.pollMs ?? 10_000)
    await this.poller.start(signal)
  }

  /** Waits for a sync in progress (the daemon stops after it). */
  async stopped (): Promise<void> { await this.poller?.stopped() }

  async syncOnce (signal?: AbortSignal): Promise<void> {
    let all: TransmissionTorrent[]
    try {
      all = await this.c.rpc.torrents(signal !== undefined ? { signal } : {})
    } catch (err) {
      if (signal?.aborted === true) return
      const message = (err as Error).message
      if (message !== this.lastError) {
        this.lastError = message
        this.c.logger.warn({ err: message }, 'cannot list Transmission\'s torrents')
        this.c.report('transmission:error', { url: this.c.rpc.url, reason: message, hint: (err as { hint?: string }).hint ?? '', action: 'its torrents served so far go on; retrying' })
      }
      return
    }
    const complete = completeTorrents(all)
    const problems = await this.c.daemon.syncSource('transmission', complete.map(t => ({ file: t.torrentFile, data: join(t.downloadDir, t.name), ...(this.init.sale ?? { paid: true }) })))
    for (const p of problems) {
      if (this.reported.has(p.file)) continue
      this.reported.add(p.file)
      this.c.report('torrent:error', { file: p.file, reason: p.reason })
    }
    if (this.lastError !== null || complete.length !== this.lastCount) {
      this.c.report('transmission:synced', { url: this.c.rpc.url, torrents: all.length, complete: complete.length })
    }
    this.lastError = null
    this.lastCount = complete.length
  }
}
