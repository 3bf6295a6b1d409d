declare module 'create-torrent' {
  export interface CreateTorrentOptions {
    name?: string
    comment?: string
    createdBy?: string
    private?: boolean
    pieceLength?: number
    announceList?: string[][]
    urlList?: string[]
  }
  export default function createTorrent(
    input: string | string[],
    opts: CreateTorrentOptions,
    cb: (err: Error | null, torrent: Uint8Array) => void
  ): void
}
