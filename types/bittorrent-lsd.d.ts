// Minimal types for bittorrent-lsd@2. Only agent/swarm/lsd.ts touches this module.
declare module 'bittorrent-lsd' {
  import { EventEmitter } from 'node:events'

  export interface LsdOptions { peerId: string, infoHash: string, port: number }

  export default class LSD extends EventEmitter {
    constructor(opts: LsdOptions)
    readonly destroyed: boolean
    start(): void
    destroy(cb?: () => void): void
    /** Parses one BT-SEARCH datagram; null when it is not one (the library emits 'warning'). */
    _parseAnnounce(announce: string): { host: string, port: string, infoHash: string[], cookie: string | null } | null
  }
}
