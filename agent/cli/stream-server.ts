/**
 * `seedpay stream`'s HTTP server: one file of the torrent on 127.0.0.1 at `/` (and `/<file name>`), answered by
 * agent/swarm/file-http.ts (Range, 206, 416, HEAD) while the torrent downloads, the reader's next pieces first.
 */
import { createServer, type Server } from 'node:http'
import { once } from 'node:events'
import type { Logger } from 'pino'
import { serveFile, type FileTarget } from '../swarm/index.ts'

export interface StreamServerInit extends FileTarget {
  host: string
  /** 0 picks a free one. */
  port: number
  logger: Logger
}

export class StreamServer {
  private readonly server: Server
  private readonly reads = new Set<AbortController>()

  constructor (private readonly init: StreamServerInit) {
    this.server = createServer((req, res) => {
      const name = baseName(init.file.path)
      const path = decodeURIComponent((req.url ?? '/').split('?')[0]!)
      if (path !== '/' && path !== `/${name}`) {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`this stream serves ${name} at /\n`)
        return
      }
      serveFile(req, res, init, init.logger, this.reads)
    })
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
}

function baseName (path: string): string {
  return path.split('/').pop() ?? path
}
