/** python3-libtorrent (Debian, 2.0.x) driven through lt_client.py; it can dial peers directly. */
import { fileURLToPath } from 'node:url'
import { startProcess, type ManagedProcess } from './process.ts'
import { waitForClient } from './wait.ts'
import type { BitTorrentClient, ClientProgress, ClientStartOptions } from './types.ts'

/** Debian's libtorrent binding is installed for the system interpreter, not for other python3s on PATH. */
export const SYSTEM_PYTHON = '/usr/bin/python3'
export const LT_SCRIPT = fileURLToPath(new URL('./lt_client.py', import.meta.url))

interface LtLine { event: string, progress?: number, seeding?: boolean, rate_down?: number, rate_up?: number, peers?: number, message?: string, t?: number }

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
  /** Wall-clock time (ms) the python process was spawned, for whole-process benchmarks. */
  spawnedAt: number | null = null
  private exitTime: Promise<number> | null = null

  async start (torrentPath: string, dataDir: string, options: ClientStartOptions): Promise<void> {
    const args = [LT_SCRIPT, '--torrent', torrentPath, '--save-path', dataDir, '--host', options.host, '--port', String(options.port)]
    for (const p of options.peers ?? []) args.push('--peer', `${p.host}:${p.port}`)
    for (const t of options.trackers ?? []) args.push('--tracker', t)
    if (options.seed === false) args.push('--exit-on-complete')
    this.spawnedAt = Date.now()
    const proc = startProcess('libtorrent', SYSTEM_PYTHON, args)
    this.proc = proc
    this.exitTime = proc.exited.then(() => Date.now())
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

  async stop (): Promise<void> {
    await this.proc?.stop()
  }

  output (): string { return this.proc?.output() ?? '' }
}
