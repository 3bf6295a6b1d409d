/**
 * aria2c (Debian) as a seeder or downloader, watched over its JSON-RPC interface.
 *
 * aria2c cannot be told to dial a given peer (no option or RPC call for it): as a downloader it needs a tracker
 * (`trackers`, passed as --bt-tracker, or one in the torrent). As a seeder it just listens on host:port.
 */
import { startProcess, freePort, type ManagedProcess } from './process.ts'
import { waitForClient } from './wait.ts'
import type { BitTorrentClient, ClientProgress, ClientStartOptions } from './types.ts'

interface Aria2Status { status: string, totalLength: string, completedLength: string, seeder?: string, downloadSpeed: string, uploadSpeed: string, connections: string, errorMessage?: string }

export interface Aria2Init {
  /** Extra command line options, e.g. ['--max-overall-upload-limit=1M']. */
  extraArgs?: string[]
}

export class Aria2Client implements BitTorrentClient {
  readonly name = 'aria2c'
  private proc: ManagedProcess | null = null
  private rpcUrl = ''
  private seed = true
  private exitedOk = false

  constructor (private readonly init: Aria2Init = {}) {}

  async start (torrentPath: string, dataDir: string, options: ClientStartOptions): Promise<void> {
    // --rpc-listen-all=false puts RPC on 127.0.0.1 whatever --interface says.
    const rpcPort = await freePort('127.0.0.1')
    this.rpcUrl = `http://127.0.0.1:${rpcPort}/jsonrpc`
    this.seed = options.seed !== false
    const args = [
      `--dir=${dataDir}`,
      `--listen-port=${options.port}`,
      `--interface=${options.host}`,
      '--enable-rpc=true', `--rpc-listen-port=${rpcPort}`, '--rpc-listen-all=false',
      '--disable-ipv6=true', '--enable-dht=false', '--enable-dht6=false', '--bt-enable-lpd=false', '--enable-peer-exchange=false',
      '--check-integrity=true', '--bt-hash-check-seed=true', '--bt-seed-unverified=false',
      '--file-allocation=none', '--allow-overwrite=true', '--auto-file-renaming=false',
      '--console-log-level=warn', '--summary-interval=0', '--bt-stop-timeout=0',
      '--max-overall-upload-limit=0', '--max-overall-download-limit=0', '--bt-max-peers=0',
      this.seed ? '--seed-ratio=0.0' : '--seed-time=0',
      ...(options.trackers !== undefined && options.trackers.length > 0 ? [`--bt-tracker=${options.trackers.join(',')}`] : []),
      ...(this.init.extraArgs ?? []),
      torrentPath
    ]
    const proc = startProcess('aria2c', 'aria2c', args)
    this.proc = proc
    void proc.exited.then(code => { this.exitedOk = code === 0 })
    await waitForClient('aria2c (rpc)', proc, async () => { await this.rpc('aria2.getVersion'); return true }, { timeoutMs: 15_000, exitMeansComplete: !this.seed })
  }

  private async rpc (method: string, params: unknown[] = []): Promise<unknown> {
    const res = await fetch(this.rpcUrl, { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: '1', method, params }), signal: AbortSignal.timeout(5000) })
    const body = await res.json() as { result?: unknown, error?: { message: string } }
    if (body.error !== undefined) throw new Error(`aria2 rpc ${method}: ${body.error.message}`)
    return body.result
  }

  private async status (): Promise<Aria2Status | null> {
    const keys = ['status', 'totalLength', 'completedLength', 'seeder', 'downloadSpeed', 'uploadSpeed', 'connections', 'errorMessage']
    const active = await this.rpc('aria2.tellActive', [keys]) as Aria2Status[]
    if (active[0] !== undefined) return active[0]
    const stopped = await this.rpc('aria2.tellStopped', [0, 1, keys]) as Aria2Status[]
    return stopped[0] ?? null
  }

  async progress (): Promise<ClientProgress> {
    if (this.exitedOk) return { fraction: 1, complete: true }
    const s = await this.status()
    if (s === null) return { fraction: 0, complete: false }
    const total = Number(s.totalLength)
    const done = Number(s.completedLength)
    return {
      fraction: total > 0 ? done / total : 0,
      complete: s.seeder === 'true' || s.status === 'complete',
      downloadRate: Number(s.downloadSpeed),
      uploadRate: Number(s.uploadSpeed),
      peers: Number(s.connections)
    }
  }

  async waitForComplete (options: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<void> {
    await waitForClient('aria2c', this.proc, async () => (await this.progress()).complete, { ...options, exitMeansComplete: !this.seed })
  }

  async stop (): Promise<void> {
    await this.proc?.stop()
  }

  output (): string { return this.proc?.output() ?? '' }
}
