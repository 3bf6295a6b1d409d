/**
 * The daemon's local HTTP API (docs/api.md): JSON in and out, every request carrying the token from the daemon's
 * token file as `Authorization: Bearer <token>` (401 without it). Errors are `{ "error": { code, message, hint } }`
 * with the HTTP status that fits. Bodies are small (an add request): more than 64 KiB is refused.
 *
 *   GET    /api/v1/status                        the daemon: port, torrents, peers, bytes up
 *   GET    /api/v1/torrents                      every torrent with its state
 *   POST   /api/v1/torrents                      { file, data, paid? } → the torrent, once its data checked out
 *   GET    /api/v1/torrents/<info hash>
 *   DELETE /api/v1/torrents/<info hash>          stop and forget
 *   POST   /api/v1/torrents/<info hash>/pause    stop serving, kept across restarts
 *   POST   /api/v1/torrents/<info hash>/resume
 *   GET    /metrics                              Prometheus text format (metrics.ts)
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import * as z from 'zod'
import { tokenMatches } from './api-token.ts'
import type { Daemon } from './daemon.ts'
import { DaemonRequestError } from './errors.ts'

const MAX_BODY_BYTES = 64 * 1024
const HASH = /^[0-9a-fA-F]{40}$/

const addBody = z.strictObject({ file: z.string().min(1), data: z.string().min(1), paid: z.boolean().optional() })

export interface ApiServerComponents {
  logger: Logger
  daemon: Daemon
  /** Served at GET /metrics (Prometheus text format), behind the same token. */
  metrics?: Registry
}
export interface ApiServerInit { host: string, port: number, token: string }

export class ApiServer {
  private server: Server | null = null
  private listenPort = 0

  constructor (private readonly c: ApiServerComponents, private readonly init: ApiServerInit) {}

  get url (): string {
    const host = this.init.host.includes(':') ? `[${this.init.host}]` : this.init.host
    return `http://${host}:${this.listenPort}`
  }

  async listen (): Promise<void> {
    const server = createServer((req, res) => { void this.handle(req, res) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.init.port, this.init.host, () => { server.off('error', reject); resolve() })
    })
    server.on('error', err => { this.c.logger.error({ err }, 'API listener error') })
    this.server = server
    const addr = server.address()
    this.listenPort = typeof addr === 'object' && addr !== null ? addr.port : 0
  }

  async stop (): Promise<void> {
    const server = this.server
    this.server = null
    if (server === null) return
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const auth = req.headers.authorization
      const token = auth?.startsWith('Bearer ') === true ? auth.slice(7).trim() : undefined
      if (!tokenMatches(this.init.token, token)) {
        throw new DaemonRequestError('unauthorized', 'this request has no valid API token', 'send `Authorization: Bearer <token>` with the token in the daemon\'s api-token file', 401)
      }
      const path = new URL(req.url ?? '/', 'http://localhost').pathname
      const metrics = this.c.metrics
      if (path === '/metrics' && req.method === 'GET' && metrics !== undefined) {
        const text = await metrics.metrics()
        res.writeHead(200, { 'content-type': metrics.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
        res.end(text)
        return
      }
      send(res, 200, await this.route(req.method ?? 'GET', path, req))
    } catch (err) {
      if (err instanceof DaemonRequestError) {
        send(res, err.status, { error: { code: err.code, message: err.message, hint: err.hint } })
        return
      }
      this.c.logger.error({ err }, 'API request failed')
      send(res, 500, { error: { code: 'internal', message: (err as Error).message, hint: 'see the daemon\'s log' } })
    }
  }

  private async route (method: string, path: string, req: IncomingMessage): Promise<unknown> {
    const d = this.c.daemon
    const parts = path.split('/').filter(p => p !== '')
    if (parts[0] !== 'api' || parts[1] !== 'v1') throw notFound(method, path)
    const [, , what, hash, action] = parts
    if (what === 'status' && parts.length === 3 && method === 'GET') return d.status()
    if (what !== 'torrents') throw notFound(method, path)
    if (hash === undefined) {
      if (method === 'GET') return { torrents: d.list() }
      if (method === 'POST') {
        const parsed = addBody.safeParse(await readJson(req))
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!
          throw new DaemonRequestError('bad-request', `${issue.path.join('.') || 'body'}: ${issue.message}`, 'send { "file": "<.torrent path>", "data": "<data path>", "paid": true }', 400)
        }
        const { file, data, paid } = parsed.data
        return await d.add({ file, data, ...(paid !== undefined ? { paid } : {}) })
      }
      throw notFound(method, path)
    }
    if (!HASH.test(hash)) throw new DaemonRequestError('bad-request', `"${hash}" is not an info hash`, 'give the 40 hex digits `seedpay list` shows', 400)
    if (action === undefined && method === 'GET') return d.torrent(hash)
    if (action === undefined && method === 'DELETE') return await d.remove(hash)
    if (action === 'pause' && method === 'POST') return await d.pause(hash)
    if (action === 'resume' && method === 'POST') return await d.resume(hash)
    throw notFound(method, path)
  }
}

function notFound (method: string, path: string): DaemonRequestError {
  return new DaemonRequestError('not-found', `no API endpoint ${method} ${path}`, 'docs/api.md lists the endpoints', 404)
}

async function readJson (req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new DaemonRequestError('bad-request', `the request body is over ${MAX_BODY_BYTES / 1024} KiB`, 'send only the fields of the endpoint', 413)
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new DaemonRequestError('bad-request', 'the request body is not JSON', 'send a JSON object with Content-Type: application/json', 400)
  }
}

function send (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, (_k, v: unknown) => typeof v === 'bigint' ? v.toString() : v)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}
