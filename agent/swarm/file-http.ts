/**
 * One file of a torrent as an HTTP response, as players and browsers expect it (RFC 9110 §14): `Accept-Ranges`,
 * one `Range` answered 206 with `Content-Range` as soon as the pieces it needs have verified (asked for first
 * meanwhile: file-reader.ts), a range past the end 416 with `Content-Range: bytes *∕<size>`, several ranges the whole
 * file (200, which RFC 9110 allows a server; players ask for one), HEAD, and 405 for other methods. A client that
 * hangs up ends only its own read. Used by `seedpay stream` and the daemon's API; routing is the caller's.
 */
import { once } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import rangeParser from 'range-parser'
import type { Logger } from 'pino'
import { readFileRange, type ReadableTorrent } from './file-reader.ts'
import type { TorrentFileEntry } from './torrent-file.ts'

export interface FileTarget {
  engine: ReadableTorrent
  meta: { pieceLength: number, pieceCount: number }
  file: TorrentFileEntry
}

/**
 * Answers `req` with `target.file`. Each read under way holds an AbortController in `reads` (when given), so whoever
 * owns the server can end them all when it stops.
 */
export function serveFile (req: IncomingMessage, res: ServerResponse, target: FileTarget, logger: Logger, reads?: Set<AbortController>): void {
  const { file } = target
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('only GET and HEAD\n')
    return
  }
  void contentType(file.path).then(type => { respond(req, res, target, type, logger, reads) }, (err: unknown) => {
    logger.warn({ err }, 'stream failed')
    res.destroy()
  })
}

/**
 * The file's Content-Type. mime-types is imported at the first request, not with this module: loading it builds
 * its maps of mime-db's 2,400 types (~0.08 s of CPU), which a `seed` or `get` that serves no HTTP would pay at
 * every start-up.
 */
async function contentType (path: string): Promise<string> {
  // the CommonJS module's exports: in the bundle a dynamic import of it has no named exports
  const mime = (await import('mime-types')).default
  return mime.lookup(path) || 'application/octet-stream'
}

function respond (req: IncomingMessage, res: ServerResponse, target: FileTarget, type: string, logger: Logger, reads: Set<AbortController> | undefined): void {
  const { file } = target
  const headers: Record<string, string | number> = { 'Accept-Ranges': 'bytes', 'Content-Type': type }
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
  void send(res, target, start, end, logger, reads)
}

async function send (res: ServerResponse, target: FileTarget, start: number, end: number, logger: Logger, reads: Set<AbortController> | undefined): Promise<void> {
  const read = new AbortController()
  reads?.add(read)
  res.once('close', () => { read.abort() })
  try {
    for await (const chunk of readFileRange(target.engine, target.meta, target.file, start, end, { signal: read.signal })) {
      if (!res.write(chunk)) await once(res, 'drain', { signal: read.signal })
    }
    res.end()
  } catch (err) {
    if (!read.signal.aborted) logger.warn({ err }, 'stream read failed')
    res.destroy()
  } finally {
    reads?.delete(read)
  }
}
