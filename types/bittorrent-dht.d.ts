// Minimal types for bittorrent-dht@11. Only agent/swarm/dht/dht-node.ts touches this module.
declare module 'bittorrent-dht' {
  import { EventEmitter } from 'node:events'

  export interface DhtContact { host: string, port: number, id?: Uint8Array }

  /** The subset of dgram.Socket that k-rpc-socket uses (its `opts.socket`). */
  export interface DhtSocketLike extends EventEmitter {
    send(buf: Uint8Array, offset: number, length: number, port: number, host: string, cb?: (err: Error | null) => void): void
    bind(port?: number, host?: string, cb?: () => void): void
    address(): { address: string, family: string, port: number }
    close(cb?: () => void): void
  }

  export interface DhtOptions {
    nodeId?: Uint8Array
    bootstrap?: string[] | false
    host?: string | false
    socket?: DhtSocketLike
    concurrency?: number
    maxTables?: number
    maxValues?: number
    maxPeers?: number
    maxAge?: number
    timeBucketOutdated?: number
  }

  export default class DHT extends EventEmitter {
    constructor(opts?: DhtOptions)
    readonly nodeId: Uint8Array
    readonly listening: boolean
    readonly destroyed: boolean
    readonly nodes: { count(): number, toArray(): DhtContact[] }
    listen(port?: number, host?: string, cb?: () => void): void
    address(): { address: string, family: string, port: number }
    addNode(node: DhtContact): void
    lookup(infoHash: string | Uint8Array, cb?: (err: Error | null, n?: number) => void): () => void
    announce(infoHash: string | Uint8Array, port: number, cb?: (err: Error | null) => void): void
    toJSON(): { nodes: Array<{ host: string, port: number }>, values: Record<string, unknown> }
    destroy(cb?: () => void): void
  }
}
