/** Our engine as one side of an interop transfer, with the same start/wait/stop shape as the client harnesses. */
import pino from 'pino'
import { TorrentEngine, loadTorrent } from '../../agent/swarm/index.ts'
import type { PeerAddress } from '../../devtools/clients/index.ts'
import type { EncryptionPolicy } from '../../agent/swarm/mse/index.ts'

export interface EnginePeerOptions {
  host: string
  port?: number
  peers?: PeerAddress[]
  announce?: string[]
  seed?: boolean
  /** MSE/PE policy. @default the engine's ('prefer') */
  encryption?: EncryptionPolicy
}

export class EnginePeer {
  readonly name = 'seedpay engine'
  engine: TorrentEngine | null = null
  private done = false
  private readonly logs: string[] = []

  async start (torrentPath: string, dataDir: string, options: EnginePeerOptions): Promise<void> {
    const torrent = await loadTorrent(torrentPath)
    // Keep the engine's log lines for failure messages instead of printing them.
    const logger = pino({ level: process.env.SEEDPAY_INTEROP_LOG ?? 'info' }, {
      write: (line: string) => { this.logs.push(line); if (this.logs.length > 200) this.logs.shift() }
    })
    this.engine = new TorrentEngine({ logger }, {
      torrent,
      dataDir,
      host: options.host,
      port: options.port ?? 0,
      peers: (options.peers ?? []).map(p => `${p.host}:${p.port}`),
      ...(options.announce !== undefined ? { announce: options.announce } : {}),
      seed: options.seed ?? true,
      ...(options.encryption !== undefined ? { encryption: options.encryption } : {})
    })
    this.engine.on('done', () => { this.done = true })
    await this.engine.start()
    if (this.engine.isDone) this.done = true
  }

  get port (): number { return this.engine?.port ?? 0 }

  async waitForComplete (options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 60_000
    const deadline = Date.now() + timeoutMs
    while (!this.done) {
      if (Date.now() > deadline) {
        const s = this.engine?.stats()
        throw new Error(`seedpay engine did not complete within ${timeoutMs} ms (stats ${JSON.stringify(s)}); log tail:\n${this.output()}`)
      }
      await new Promise(resolve => setTimeout(resolve, 200))
    }
  }

  async stop (): Promise<void> { await this.engine?.stop() }

  output (): string { return this.logs.slice(-40).join('') }
}
