/** Shapes shared by the HTTP and UDP tracker protocols. */

export type AnnounceEvent = 'started' | 'completed' | 'stopped'

export interface Peer {
  host: string
  port: number
}

export interface AnnounceRequest {
  /** 20-byte SHA-1 info hash. */
  infoHash: Uint8Array
  /** 20-byte peer id. */
  peerId: Uint8Array
  port: number
  uploaded: number
  downloaded: number
  left: number
  event?: AnnounceEvent
  /** How many peers we want; the tracker may send fewer. @default 50 */
  numwant?: number
  /** Random per-session key (BEP 15 `key`, HTTP `key`) so the tracker can recognise us across IP changes. */
  key: number
  /** `tracker id` from a previous HTTP response, echoed back (BEP 3). */
  trackerId?: string
}

export interface AnnounceResponse {
  /** Seconds to wait before the next regular announce. */
  interval: number
  /** Seconds the tracker insists we wait at least (HTTP `min interval`). */
  minInterval?: number
  /** Seeders, if the tracker says. */
  complete?: number
  /** Leechers, if the tracker says. */
  incomplete?: number
  peers: Peer[]
  warning?: string
  trackerId?: string
}

export interface ScrapeEntry {
  complete: number
  incomplete: number
  downloaded: number
}

/** Keyed by lower-case hex info hash. */
export type ScrapeResponse = Map<string, ScrapeEntry>

export interface TransportOptions {
  signal?: AbortSignal
  /** Local address to send from: the tracker records the source address as the peer's address. */
  localAddress?: string
}
