/**
 * `seedpay stream`'s HTTP server: one file of the torrent on 127.0.0.1, as a player or a browser expects it. Range
 * requests (RFC 9110 §14) are answered 206 with `Content-Range` as soon as the pieces they need verify; the pieces
 * are asked for first while a reader waits (deadline mode, agent/swarm/file-reader.ts). A range past the end is
 * 416 with `Content-Range: bytes *∕<size>`; a request for several ranges gets the whole file (200), as RFC 9110
 * lets a server do, since players ask for one. A client that hangs up ends only its own read: the download goes on.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import rangeParser from 'range-parser'
import { lookup } from 'mime-types'
import type { Logger } from 'pino'
import { readFileRange, type ReadableTorrent, type TorrentFileEntry } from '../swarm/index.ts'

export interface StreamServerInit {
  engine: ReadableTorrent
  meta: { pieceLength: number, pieceCount: number }
  file: TorrentFileEntry
  host: string
  /** 0 picks a free one. */
  port: number
  logger: Logger
}

export class StreamServer {
  private readonly server: Server
  private readonly reads = new Set<AbortController>()

  constructor (private readonly init: StreamServerInit) {
    this.server = createServer((req, res) => { this.handle(req, res) })
  }

  /** Listens; resolves with the URL the file is at. */
  async listen (): Promise<string> {
    this.server.listen(this.init.port, this.init.host)
    await once(this.server, 'listening')
    const addr = this.server.address()
    const port = typeof addr === 'object' && addr !== null ? addr.port : this.init.port
    const host = this.init.host.includes(':') ? `[${this.init.host}]` : this.init.host
    return `http://${host}:${port}/${encodeURIComponent(baseName(this.init.file.path))}`
  }

  /** Stops listening and ends every read under way. */
  async close (): Promise<void> {
    for (const r of this.reads) r.abort()
    this.server.closeAllConnections()
    await new Promise<void>(resolve => { this.server.close(() => { resolve() }) })
  }

  private handle (req: IncomingMessage, res: ServerResponse): void {
    const { file } = this.init
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('only GET and HEAD\n')
      return
    }
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!)
    if (path !== '/' && path !== `/${baseName(file.path)}`) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`this stream serves ${baseName(file.path)} at /\n`)
      return
    }
    const headers: Record<string, string | number> = {
      'Accept-Ranges': 'bytes',
      'Content-Type': lookup(file.path) === false ? 'application/octet-stream' : String(lookup(file.path))
    }
    let start = 0
    let end = file.length - 1
    let status = 200
    const header = req.headers.range
    if (header !== undefined && file.length > 0) {
      const ranges = rangeParser(file.length, header, { combine: true })
      if (ranges === -1) {
        res.writeHead(416, { ...headers, 'Content-Range': `bytes */${file.length}`, 'Content-Type': 'text/plain' }).end(`${header} is past the end (${file.length} bytes)\n`)
        return
      }
      // -2 (malformed) is ignored, as RFC 9110 says; several ranges get the whole file
      if (ranges !== -2 && ranges.type === 'bytes' && ranges.length === 1) {
        start = ranges[0]!.start
        end = ranges[0]!.end
        status = 206
        headers['Content-Range'] = `bytes ${start}-${end}/${file.length}`
      }
    }
    headers['Content-Length'] = file.length === 0 ? 0 : end - start + 1
    res.writeHead(status, headers)
    if (req.method === 'HEAD' || file.length === 0) { res.end(); return }
    void this.send(res, start, end)
  }

  private async send (res: ServerResponse, start: number, end: number): Promise<void> {
    const read = new AbortController()
    this.reads.add(read)
    res.once('close', () => { read.abort() })
    try {
      for await (const chunk of readFileRange(this.init.engine, this.init.meta, this.init.file, start, end, { signal: read.signal })) {
        if (!res.write(chunk)) await once(res, 'drain', { signal: read.signal })
      }
      res.end()
    } catch (err) {
      if (!read.signal.aborted) this.init.logger.warn({ err }, 'stream read failed')
      res.destroy()
    } finally {
      this.reads.delete(read)
    }
  }
}

function baseName (path: string): string {
  return path.split('/').pop() ?? path
}
