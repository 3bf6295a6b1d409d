/**
 * A crowd of python3-libtorrent sessions in one process (lt_crowd.py), each on its own address, all downloading
 * one torrent from the peers given and nobody else (no tracker, DHT or PEX). For benchmarks that need hundreds of
 * real peers dialling one seeder at once: `start` makes the sessions, `go` releases them.
 */
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { startProcess, waitFor, type ManagedProcess } from './process.ts'
import { SYSTEM_PYTHON } from './libtorrent.ts'

export const LT_CROWD_SCRIPT = fileURLToPath(new URL('./lt_crowd.py', import.meta.url))

interface CrowdLine {
  event: string, t: number, index?: number, message?: string, finished?: number, sessions?: number
  cpu_user_ms?: number, cpu_system_ms?: number, max_rss_kib?: number
}

export interface CrowdUsage { cpuUserMs: number, cpuSystemMs: number, maxRssMiB: number, finished: number, sessions: number }

export interface LtCrowdInit {
  torrentPath: string
  /** Session i downloads into `<saveRoot>/<i>`. */
  saveRoot: string
  /** One session per address. */
  hosts: string[]
  /** Index of the first session (several crowd processes share one numbering). @default 0 */
  firstIndex?: number
  /** host:port of the peers to download from. */
  peers: string[]
  /** Seconds after `go` to give up. @default 600 */
  timeoutS?: number
}

export class LtCrowd {
  private readonly proc: ManagedProcess
  private readonly stdoutClosed: Promise<unknown>
  private ready = false
  /** Session index → wall-clock ms it reported holding every piece. */
  readonly finishedAt = new Map<number, number>()
  /** Session index → wall-clock ms its first payload byte arrived. */
  readonly firstByteAt = new Map<number, number>()
  readonly errors: string[] = []
  usage: CrowdUsage | null = null
  readonly size: number

  constructor (init: LtCrowdInit) {
    const args = [LT_CROWD_SCRIPT, '--torrent', init.torrentPath, '--save-root', init.saveRoot, '--first-index', String(init.firstIndex ?? 0),
      '--timeout', String(init.timeoutS ?? 600)]
    for (const h of init.hosts) args.push('--host', h)
    for (const p of init.peers) args.push('--peer', p)
    this.size = init.hosts.length
    this.proc = startProcess('libtorrent-crowd', SYSTEM_PYTHON, args)
    this.stdoutClosed = this.proc.child.stdout !== null ? once(this.proc.child.stdout, 'close').catch(() => undefined) : Promise.resolve()
    let buf = ''
    this.proc.child.stdout?.on('data', (chunk: Buffer) => {
      buf += chunk.toString('utf8')
      let nl: number
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl)
        buf = buf.slice(nl + 1)
        let msg: CrowdLine
        try { msg = JSON.parse(line) as CrowdLine } catch { continue }
        this.onLine(msg)
      }
    })
  }

  /** Resolves once every session listens (making hundreds takes a few seconds). */
  async whenReady (timeoutMs = 60_000): Promise<void> {
    await waitFor('libtorrent crowd to be ready', () => {
      if (this.proc.child.exitCode !== null) throw new Error(`libtorrent crowd exited: ${this.proc.output().slice(-2000)}`)
      return this.ready ? true : undefined
    }, timeoutMs, 50)
  }

  /** Every session dials now. */
  go (): void {
    if (this.proc.child.pid !== undefined) process.kill(this.proc.child.pid, 'SIGUSR1')
  }

  /** Resolves once the process exits on its own (every session finished, or its timeout) and its output is read. */
  async exited (): Promise<void> {
    await this.proc.exited
    await this.stdoutClosed
  }

  async stop (): Promise<void> {
    await this.proc.stop()
    await this.stdoutClosed
  }

  output (): string { return this.proc.output() }

  private onLine (msg: CrowdLine): void {
    const at = msg.t * 1000
    if (msg.event === 'ready') this.ready = true
    else if (msg.event === 'finished' && msg.index !== undefined) this.finishedAt.set(msg.index, at)
    else if (msg.event === 'first_byte' && msg.index !== undefined) this.firstByteAt.set(msg.index, at)
    else if (msg.event === 'error' && msg.message !== undefined) this.errors.push(`session ${String(msg.index)}: ${msg.message}`)
    else if (msg.event === 'stopped') {
      this.usage = {
        cpuUserMs: msg.cpu_user_ms ?? 0, cpuSystemMs: msg.cpu_system_ms ?? 0, maxRssMiB: Math.round((msg.max_rss_kib ?? 0) / 1024),
        finished: msg.finished ?? 0, sessions: msg.sessions ?? 0
      }
    }
  }
}
