/** python3-libtorrent (Debian, 2.0.x) driven through lt_client.py; it can dial peers directly. */
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { startProcess, type ManagedProcess } from './process.ts'
import { waitForClient } from './wait.ts'
import type { BitTorrentClient, ClientProgress, ClientStartOptions } from './types.ts'

/** Debian's libtorrent binding is installed for the system interpreter, not for other python3s on PATH. */
export const SYSTEM_PYTHON = '/usr/bin/python3'
export const LT_SCRIPT = fileURLToPath(new URL('./lt_client.py', import.meta.url))

interface LtLine {
  event: string, progress?: number, seeding?: boolean, rate_down?: number, rate_up?: number, peers?: number, message?: string, t?: number
  cpu_user_ms?: number, cpu_system_ms?: number, max_rss_kib?: number, total_download?: number, total_upload?: number
}

/** What lt_client.py reports as it stops: its own CPU time and peak RSS (getrusage), and the payload it moved. */
export interface LibtorrentUsage { cpuUserMs: number, cpuSystemMs: number, maxRssMiB: number, downloaded: number, uploaded: number }

export interface LibtorrentInit {
  /** libtorrent's `connections_limit`. @default 200 */
  connectionsLimit?: number
  /** libtorrent's `listen_queue_size` (listen backlog). @default 5 (libtorrent's) */
  listenQueue?: number
  /** Turn libtorrent's DHT on, bootstrapped from these `host:port` nodes (settings for a DHT on loopback). */
  dhtBootstrap?: string[]
  /** libtorrent's `upload_rate_limit`, bytes/s. @default 0 (none) */
  uploadRate?: number
  /** MSE/PE: `forced` is out/in_enc_policy pe_forced with allowed_enc_level rc4. @default 'enabled' (libtorrent's) */
  encryption?: 'enabled' | 'forced' | 'disabled'
}

export class LibtorrentClient implements BitTorrentClient {
  readonly name = 'libtorrent'
  private proc: ManagedProcess | null = null
  private last: LtLine | null = null
  private finished = false
  /** Wall-clock time (ms) libtorrent reported the download finished, for benchmarks. */
  finishedAt: number | null = null
  /** Wall-clock time (ms) the first payload byte arrived (polled every 50 ms by the script). */
  firstByteAt: number | null = null
  readonly errors: string[] = []
  /** Set from the script's last line once it stopped (after `stop()` resolves, or an exit on completion). */
  usage: LibtorrentUsage | null = null
  private stdoutClosed: Promise<unknown> = Promise.resolve()
  /** Wall-clock time (ms) the python process was spawned, for whole-process benchmarks. */
  spawnedAt: number | null = null
  private exitTime: Promise<number> | null = null

  constructor (private readonly init: LibtorrentInit = {}) {}

  async start (torrentPath: string, dataDir: string, options: ClientStartOptions): Promise<void> {
    // A magnet link instead of a file: libtorrent fetches the metadata from the peers it finds.
    const source = torrentPath.startsWith('magnet:') ? ['--magnet', torrentPath] : ['--torrent', torrentPath]
    const args = [LT_SCRIPT, ...source, '--save-path', dataDir, '--host', options.host, '--port', String(options.port)]
    for (const n of this.init.dhtBootstrap ?? []) args.push('--dht-bootstrap', n)
    for (const p of options.peers ?? []) args.push('--peer', `${p.host}:${p.port}`)
    for (const t of options.trackers ?? []) args.push('--tracker', t)
    if (options.seed === false) args.push('--exit-on-complete')
    if (this.init.connectionsLimit !== undefined) args.push('--connections-limit', String(this.init.connectionsLimit))
    if (this.init.listenQueue !== undefined) args.push('--listen-queue', String(this.init.listenQueue))
    if (this.init.uploadRate !== undefined) args.push('--upload-rate', String(this.init.uploadRate))
    if (this.init.encryption !== undefined) args.push('--encryption', this.init.encryption)
    this.spawnedAt = Date.now()
    const proc = startProcess('libtorrent', SYSTEM_PYTHON, args)
    this.proc = proc
    this.exitTime = proc.exited.then(() => Date.now())
    this.stdoutClosed = proc.child.stdout !== null ? once(proc.child.stdout, 'close').catch(() => undefined) : Promise.resolve()
    let buf = ''
    proc.child.stdout?.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8')
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        let msg: LtLine
        try { msg = JSON.parse(line) as LtLine } catch { continue }
        if (msg.event === 'progress') this.last = msg
        if (msg.event === 'first_byte') this.firstByteAt = (msg.t ?? Date.now() / 1000) * 1000
        if (msg.event === 'finished') { this.finished = true; this.finishedAt = (msg.t ?? Date.now() / 1000) * 1000 }
        if (msg.event === 'error' && msg.message !== undefined) this.errors.push(msg.message)
        if (msg.event === 'stopped' && msg.cpu_user_ms !== undefined) {
          this.usage = {
            cpuUserMs: msg.cpu_user_ms, cpuSystemMs: msg.cpu_system_ms ?? 0, maxRssMiB: Math.round((msg.max_rss_kib ?? 0) / 1024),
            downloaded: msg.total_download ?? 0, uploaded: msg.total_upload ?? 0
          }
        }
      }
    })
    await waitForClient('libtorrent (listening)', proc, async () => await Promise.resolve(this.proc?.output().includes('"listening"') === true), { timeoutMs: 15_000 })
  }

  async progress (): Promise<ClientProgress> {
    return {
      fraction: this.finished ? 1 : this.last?.progress ?? 0,
      complete: this.finished,
      downloadRate: this.last?.rate_down,
      uploadRate: this.last?.rate_up,
      peers: this.last?.peers
    }
  }

  async waitForComplete (options: { timeoutMs?: number, signal?: AbortSignal } = {}): Promise<void> {
    await waitForClient('libtorrent', this.proc, async () => await Promise.resolve(this.finished), options)
  }

  /** Resolves with the wall-clock time (ms) the process exited (a downloader with `seed: false` exits once done). */
  async exitedAt (): Promise<number> {
    if (this.exitTime === null) throw new Error('libtorrent was not started')
    return await this.exitTime
  }

  /** Ends the process (SIGTERM, then SIGKILL) and reads its last lines, so `usage` is set when it stopped cleanly. */
  async stop (): Promise<void> {
    await this.proc?.stop()
    await this.stdoutClosed
  }

  /** Resolves once the process has exited on its own (e.g. `seed: false` after completing) and its output is read. */
  async exited (): Promise<void> {
    await this.proc?.exited
    await this.stdoutClosed
  }

  output (): string { return this.proc?.output() ?? '' }
}
