/**
 * The daemon's watch folder: every `.torrent` dropped into it is seeded from the data folder the config names, and
 * stops being seeded when its file is removed (as Transmission's watch-dir adds torrents, but for data already on
 * disk). Polled, not fs.watch: a network share or an editor's rename dance is seen the same way everywhere.
 */
import type { TorrentSale } from './torrent-slot.ts'
import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import type { Daemon } from './daemon.ts'
import { Poller } from './poller.ts'

export interface WatchFolderComponents {
  logger: Logger
  daemon: Daemon
  report: (event: 'watch:error' | 'torrent:error', fields: Record<string, unknown>) => void
}

export interface WatchFolderInit {
  folder: string
  /** The directory holding the data of the torrents dropped in `folder`. */
  data: string
  /** How its torrents are sold. */
  sale: TorrentSale
  /** @default 2000 */
  pollMs?: number
}

export class WatchFolder {
  private poller: Poller | null = null
  private lastError: string | null = null
  private readonly reported = new Set<string>()

  constructor (private readonly c: WatchFolderComponents, private readonly init: WatchFolderInit) {}

  /** Looks once now, then every pollMs until `signal` aborts. */
  async start (signal: AbortSignal): Promise<void> {
    this.poller = new Poller(async () => { await this.scan() }, this.init.pollMs ?? 2000)
    await this.poller.start(signal)
  }

  async stopped (): Promise<void> { await this.poller?.stopped() }

  async scan (): Promise<void> {
    let names: string[]
    try {
      names = (await readdir(this.init.folder)).filter(n => n.toLowerCase().endsWith('.torrent')).sort()
    } catch (err) {
      const reason = `cannot read ${this.init.folder} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`
      if (reason !== this.lastError) {
        this.lastError = reason
        this.c.report('watch:error', { folder: this.init.folder, reason, action: 'its torrents served so far go on; looking again' })
      }
      return
    }
    this.lastError = null
    const problems = await this.c.daemon.syncSource('watch', names.map(n => ({ file: join(this.init.folder, n), data: this.init.data, ...this.init.sale })))
    for (const p of problems) {
      if (this.reported.has(p.file)) continue
      this.reported.add(p.file)
      this.c.report('torrent:error', { file: p.file, reason: p.reason })
    }
  }
}
