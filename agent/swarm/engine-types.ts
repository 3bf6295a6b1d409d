import type { Logger } from 'pino'
import type { PeerWire, WireExtensionCtor } from './peer-wire.ts'
import type { DownloaderInit } from './downloader.ts'
import type { TorrentMeta, TorrentSource } from './torrent-file.ts'
import type { UploadPolicy } from './choker.ts'
import type { DownloadPolicy } from './downloader.ts'
import type { PortRouter } from './port-router.ts'
import type { EncryptionPolicy } from './mse/index.ts'
import type { DhtPeerSource, PeerSource } from './discovery.ts'

/** Public shapes of TorrentEngine: its init, its events and its stats. */

export interface EngineStats {
  verifiedBytes: number
  length: number
  piecesVerified: number
  pieceCount: number
  /** Bytes/s received and sent over the last few seconds. */
  downloadRate: number
  uploadRate: number
  downloaded: number
  uploaded: number
  peers: number
  done: boolean
}

export interface PeerEvent { peerId: string, address: string }

/** One connected peer as a status page shows it (TorrentEngine.peerList). */
export interface PeerInfo {
  /** BitTorrent peer id, hex. */
  id: string
  address: string
  /** Bytes/s we receive from it and send to it, over the last few seconds. */
  downloadRate: number
  uploadRate: number
  /** It has every piece. */
  seed: boolean
  /** It wants what we have. */
  interested: boolean
  /** We are not serving it now. */
  choked: boolean
  /** How the link is carried: `rc4` encrypted (MSE/PE), `plaintext` after an MSE handshake, null plain BitTorrent. */
  encryption: PeerWire['encryption']
}
export interface EngineEvents {
  /** A new connection, before any handshake: mount BEP 10 extensions here (`wire.use(...)`). */
  'wire:created': { wire: PeerWire }
  'metadata': { meta: TorrentMeta }
  'peer:connect': PeerEvent & { direction: 'in' | 'out' }
  'peer:close': { peerId: string | null, address: string, reason: string }
  /** Dialling `address` failed before a connection existed (`error`: ECONNREFUSED, connect timeout, …). */
  'peer:dial-failed': { address: string, error: string }
  'peer:banned': PeerEvent & { reason: string }
  /**
   * A piece passed SHA-1; its write to disk is under way. Bytes attributed per block to the peer that sent it:
   * what a payer pays for (paying only once the disk has it put the write into every receipt's round trip).
   */
  'piece:hashed': { index: number, bytesByPeer: Map<string, number> }
  /** A piece passed SHA-1 and is on disk (announced, servable); the same attribution as 'piece:hashed'. */
  'piece:verified': { index: number, bytesByPeer: Map<string, number> }
  /** A piece failed SHA-1; nothing counts, every sender earns a strike. */
  'piece:corrupt': { index: number, senders: string[] }
  /** We sent a block to a peer (the payee side counts these). */
  'block:uploaded': PeerEvent & { index: number, offset: number, length: number }
  'progress': EngineStats
  'done': EngineStats
  /** `stop()` began: the wires are still open (last messages, e.g. a final receipt, may still go out). */
  'stopping': Record<string, never>
  'engine:error': { error: Error }
}

export interface EngineComponents { logger: Logger }
export interface EngineInit extends DownloaderInit {
  torrent: TorrentSource
  /** Directory holding the torrent's files. */
  dataDir: string
  /** Listen address. @default '127.0.0.1' */
  host?: string
  /** Listen port; 0 picks a free one. @default 0 */
  port?: number
  /**
   * A port shared with other torrents (the daemon's): the engine takes its info hash's route there instead of
   * listening itself; `host` and `port` are ignored.
   */
  router?: PortRouter
  /** `host:port` peers to dial directly. */
  peers?: string[]
  /** Tracker URLs; defaults to the torrent's own announce list. */
  announce?: string[]
  /** Most connections for the torrent. @default 200 (DEFAULT_MAX_PEERS) */
  maxPeers?: number
  /** Keep serving after the download completes. @default true */
  seed?: boolean
  /** 40 hex chars. @default random with the -SP0100- prefix */
  peerId?: string
  /** BEP 10 extensions mounted on every wire before the handshake. */
  extensions?: Array<(wire: PeerWire) => WireExtensionCtor>
  uploadPolicy?: UploadPolicy
  /** Bounds what a peer serves ahead of verification (payments: the credit a charging peer granted). */
  downloadPolicy?: DownloadPolicy
  /** @default 4 */
  uploadSlots?: number
  /** @default 1 */
  optimisticSlots?: number
  /** @default 5000 */
  connectTimeoutMs?: number
  /**
   * MSE/PE: `prefer` dials encrypted and falls back to plain, accepts both; `require` RC4 only both ways; `off` plain
   * only (libtorrent's pe_enabled, pe_forced + rc4, pe_disabled). With a `router`, incoming MSE is the router's.
   * @default 'prefer'
   */
  encryption?: EncryptionPolicy
  /** @default 120000 */
  metadataTimeoutMs?: number
  /**
   * Fast-resume file: the verified bitfield is saved here on stop and trusted on start if no file changed
   * since (size and mtime). Without it, or if anything changed, existing data is re-hashed.
   */
  resumeFile?: string
  /** Ignore the resume file and hash what is on disk (the result is saved again). @default false */
  recheck?: boolean
  /**
   * Never write into `dataDir`: files are opened read-only (nothing created or truncated) and nothing is
   * downloaded; only the pieces that verify are served. The resume file is saved once, right after hashing.
   * @default false
   */
  readOnly?: boolean
  /** Magnet only: fetch the metadata and stop there (no storage is opened; see `waitForMetadata`). @default false */
  metadataOnly?: boolean
  /** Exchange peer addresses with ut_pex (BEP 11); never for private torrents. @default true */
  pex?: boolean
  /**
   * A DHT node (BEP 5; usually one per process, shared): the engine looks its info hash up there, announces its
   * port, sets the handshake's DHT bit and sends peers our node's port. Never for private torrents (BEP 27).
   */
  dht?: DhtPeerSource
  /** Local Service Discovery (BEP 14), or another source of LAN peers; never for private torrents. */
  lsd?: PeerSource
}
