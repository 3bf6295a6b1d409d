/**
 * Peer sources besides trackers and PEX: the DHT (BEP 5) and Local Service Discovery (BEP 14). A source outlives
 * the engines that use it (one DHT node per process or daemon, shared by its torrents); an engine asks it to find
 * peers for its info hash and stops asking through the signal. Never used for a private torrent (BEP 27).
 */
export interface FindInit {
  /** Our BitTorrent listen port, announced to the source (0: look up only). */
  port: number
  /** An address (`host:port`) the source found; the engine's dialler dedups and bounds them. */
  onPeer: (address: string) => void
  signal: AbortSignal
}

export interface PeerSource {
  readonly name: string
  /** Look for peers of `infoHash` (hex) and announce `init.port`, again and again, until `init.signal` aborts. */
  find (infoHash: string, init: FindInit): void
}

export interface DhtPeerSource extends PeerSource {
  /** The UDP port our node listens on, sent to peers in the BEP 5 `port` message. */
  readonly port: number
  /** A connected peer's BEP 5 `port` message: its node is at `host:port`. */
  addNode (host: string, port: number): void
}

/** The same source, looking up without announcing (a metadata fetch has nothing to serve yet). */
export function lookupOnly (source: DhtPeerSource): DhtPeerSource {
  return {
    name: source.name,
    get port () { return source.port },
    addNode: (host, port) => { source.addNode(host, port) },
    find: (infoHash, init) => { source.find(infoHash, { ...init, port: 0 }) }
  }
}
