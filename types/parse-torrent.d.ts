declare module 'parse-torrent' {
  export interface ParsedFile { path: string; name: string; length: number; offset: number }
  export interface ParsedTorrent {
    infoHash: string
    infoHashBuffer?: Uint8Array
    name?: string
    info?: Record<string, unknown>
    infoBuffer?: Uint8Array
    announce?: string[]
    urlList?: string[]
    files?: ParsedFile[]
    length?: number
    pieceLength?: number
    lastPieceLength?: number
    pieces?: string[]
    private?: boolean
    peerAddresses?: string[]
    xPe?: string | string[]
  }
  export default function parseTorrent(id: string | Uint8Array | ParsedTorrent): Promise<ParsedTorrent>
  export function toTorrentFile(parsed: ParsedTorrent): Uint8Array
}
