/** The server half of bittorrent-tracker@11 (its client pulls node-datachannel and is not used). */
declare module 'bittorrent-tracker/server' {
  import { EventEmitter } from 'node:events'
  import type { Server as HttpServer } from 'node:http'
  import type { Socket } from 'node:dgram'

  export interface ServerOptions {
    /** Interval told to clients, in ms (the response carries ceil(ms / 1000) seconds). */
    interval?: number
    trustProxy?: boolean
    http?: boolean | object
    udp?: boolean | object
    ws?: boolean | object
    stats?: boolean
    filter?: (infoHash: string, params: Record<string, unknown>, cb: (err: Error | null) => void) => void
  }

  export interface AnnounceParams {
    info_hash: string
    peer_id: string
    event?: string
    left: number
    uploaded: number
    downloaded: number
    port: number
    ip: string
    numwant: number
    compact?: number
    type: 'http' | 'udp' | 'ws'
  }

  export interface Swarm {
    complete: number
    incomplete: number
    peers: { keys: string[] }
  }

  export default class Server extends EventEmitter {
    constructor (opts?: ServerOptions)
    http: HttpServer | null
    udp4: Socket | null
    udp6: Socket | null
    intervalMs: number
    torrents: Record<string, Swarm | undefined>
    listen (port?: number | { http?: number, udp?: number }, hostname?: string | { http?: string, udp?: string, udp6?: string }, onlistening?: () => void): void
    close (cb?: () => void): void
    on (event: 'start' | 'complete' | 'stop' | 'update', listener: (addr: string, params: AnnounceParams) => void): this
    on (event: 'error' | 'warning', listener: (err: Error) => void): this
    on (event: 'listening', listener: () => void): this
  }
}
