/** The common shape of every client harness (aria2c, Transmission, libtorrent). */

export interface PeerAddress { host: string, port: number }

export interface ClientStartOptions {
  /** Local address the client listens on and connects from (each test peer gets its own 127.0.0.x). */
  host: string
  port: number
  /** Peers to connect to directly, for clients that can (libtorrent); others need a tracker in the torrent. */
  peers?: PeerAddress[]
  /** Extra tracker announce URLs (added to the torrent's own); aria2c and Transmission find peers only this way. */
  trackers?: string[]
  /** Keep running and seeding after the download completes (a downloader exits when done otherwise). @default true */
  seed?: boolean
}

export interface ClientProgress {
  /** 0..1 of the torrent verified on disk. */
  fraction: number
  /** True once the client holds every piece and serves them. */
  complete: boolean
  downloadRate?: number
  uploadRate?: number
  peers?: number
}

export interface BitTorrentClient {
  readonly name: string
  start: (torrentPath: string, dataDir: string, options: ClientStartOptions) => Promise<void>
  progress: () => Promise<ClientProgress>
  /** Resolves when the client has every piece; rejects with the client's log tail on timeout or exit. */
  waitForComplete: (options?: { timeoutMs?: number, signal?: AbortSignal }) => Promise<void>
  /** Ends the client's whole process tree. */
  stop: () => Promise<void>
  /** Recent log output, for failure messages. */
  output: () => string
}
