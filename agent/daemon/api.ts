/**
 * The daemon's local HTTP API (docs/api.md): JSON in and out, every request carrying the token from the daemon's
 * token file as `Authorization: Bearer <token>` (401 without it). Errors are `{ "error": { code, message, hint } }`
 * with the HTTP status that fits. Bodies are small (an add request): more than 64 KiB is refused.
 *
 *   GET    /api/v1/status                        the daemon: port, torrents, peers, bytes up
 *   GET    /api/v1/torrents                      every torrent with its state
 *   POST   /api/v1/torrents                      { file, data, paid?, price?, freeSlots? } → the torrent, once its
 *                                                data checked out
 *   GET    /api/v1/torrents/<info hash>
 *   DELETE /api/v1/torrents/<info hash>          stop and forget
 *   POST   /api/v1/torrents/<info hash>/pause    stop serving, kept across restarts
 *   POST   /api/v1/torrents/<info hash>/resume
 *   GET    /api/v1/torrents/<info hash>/peers    its peers, their rates, who pays for each
 *   GET    /api/v1/torrents/<info hash>/files/<n>   file n's bytes (HEAD, Range → 206, 416 past the end), for a player
 *   GET    /api/v1/payments                      what we are owed, per payer, and the recent settlements
 *   GET    /api/v1/history                       bytes served over time per torrent
 *   GET    /api/v1/events                        server-sent events: a `snapshot` every second, `settled` at once
 *   GET    /metrics                              Prometheus text format (metrics.ts)
 *   GET    /                                     the dashboard (web/); `/?token=<token>` logs a browser in with a
 *                                                cookie (HttpOnly, SameSite=Strict) and drops the token from the URL
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'
import * as z from 'zod'
import type { PayeeView } from './payments-view.ts'
import { tokenMatches } from './api-token.ts'
import { booksJson, earningsOverTime, payerBooks, recentSettlements, type EarningsCache } from './payee-books.ts'
import { webAsset } from './web-assets.ts'
import { saleOf, type Daemon } from './daemon.ts'
import { torrentPrice } from './config.ts'
import { DaemonRequestError } from './errors.ts'
import { serveFile } from '../swarm/index.ts'

const MAX_BODY_BYTES = 64 * 1024
/** The browser's login cookie (its value is the API token). */
const COOKIE = 'seedpay_token'
/** How often an event stream gets a snapshot. */
const SNAPSHOT_MS = 1000
const HASH = /^[0-9a-fA-F]{40}$/

const addBody = z.strictObject({
  file: z.string().min(1),
  data: z.string().min(1),
  paid: z.boolean().optional(),
  /** Its own price, BTT per MiB as a string. */
  price: torrentPrice.optional(),
  freeSlots: z.number().int().min(0).max(100).optional()
})

export interface ApiServerComponents {
  logger: Logger
  daemon: Daemon
  /** The payment side's books (a charging daemon), for /api/v1/payments and the dashboard. */
  payee?: PayeeView | null
  /** Served at GET /metrics (Prometheus text format), behind the same token. */
  metrics?: Registry
}
export interface ApiServerInit { host: string, port: number, token: string }

export class ApiServer {
  private server: Server | null = null
  private listenPort = 0

  /** Earnings series per payer, re-read from the ledger only when a payer's newest receipt moved. */
  private readonly earnings: EarningsCache = new Map()
  /** File reads under way (the stream endpoint): ended when the API stops. */
  private readonly reads = new Set<AbortController>()

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
    for (const r of this.reads) r.abort()
    // event streams never end by themselves
    server.closeAllConnections()
    await new Promise<void>(resolve => { server.close(() => { resolve() }) })
  }

  private async handle (req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost')
      const path = url.pathname
      const login = url.searchParams.get('token') ?? undefined
      if (path === '/' && req.method === 'GET' && login !== undefined && tokenMatches(this.init.token, login)) {
        // the token leaves the address bar (and the browser's history) at once; the cookie goes only to this origin
        res.writeHead(303, { location: '/', 'set-cookie': `${COOKIE}=${login}; HttpOnly; SameSite=Strict; Path=/`, 'cache-control': 'no-store' })
        res.end()
        return
      }
      if (!this.authorized(req)) {
        throw new DaemonRequestError('unauthorized', 'this request has no valid API token', 'send `Authorization: Bearer <token>` with the token in the daemon\'s api-token file; in a browser, open the address `seedpay dashboard` prints', 401)
      }
      const asset = req.method === 'GET' ? await webAsset(path) : null
      if (asset !== null) {
        res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.length, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'" })
        res.end(asset.body)
        return
      }
      if (path === '/api/v1/events' && req.method === 'GET') { this.events(req, res); return }
      const file = /^\/api\/v1\/torrents\/([0-9a-fA-F]{40})\/files\/(\d{1,7})$/.exec(path)
      if (file !== null && (req.method === 'GET' || req.method === 'HEAD')) {
        serveFile(req, res, this.c.daemon.fileTarget(file[1]!, Number(file[2])), this.c.logger, this.reads)
        return
      }
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

  /** A bearer token (CLI, scripts, Prometheus) or the dashboard's cookie. */
  private authorized (req: IncomingMessage): boolean {
    const auth = req.headers.authorization
    if (auth?.startsWith('Bearer ') === true) return tokenMatches(this.init.token, auth.slice(7).trim())
    const cookie = (req.headers.cookie ?? '').split(';').map(c => c.trim()).find(c => c.startsWith(`${COOKIE}=`))
    return tokenMatches(this.init.token, cookie?.slice(COOKIE.length + 1))
  }

  /** What the dashboard shows, in one object. */
  private snapshot (): Record<string, unknown> {
    const d = this.c.daemon
    const payee = this.c.payee ?? null
    return { time: Date.now(), status: d.status(), torrents: d.list(), payments: payee === null ? null : this.payments(payee) }
  }

  private payments (payee: PayeeView): Record<string, unknown> {
    const books = payerBooks(payee)
    return { ...booksJson(payee, books), settlements: recentSettlements(payee, 20), earnings: earningsOverTime(payee, 120, this.earnings) }
  }

  /** Server-sent events: a snapshot now and every second, and `settled` as soon as a settlement is mined. */
  private events (req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' })
    const push = (event: string, data: unknown): void => { res.write(`event: ${event}\ndata: ${JSON.stringify(data, bigints)}\n\n`) }
    const tick = (): void => {
      try { push('snapshot', this.snapshot()) } catch (err) { this.c.logger.warn({ err }, 'dashboard snapshot failed') }
    }
    tick()
    const timer = setInterval(tick, SNAPSHOT_MS)
    const scheduler = this.c.payee?.scheduler
    const settled = (e: { txId: string, total: bigint, reason: string }): void => { push('settled', { txId: e.txId, total: e.total, reason: e.reason }) }
    scheduler?.on('settle:confirmed', settled)
    req.on('close', () => {
      clearInterval(timer)
      scheduler?.off('settle:confirmed', settled)
    })
  }

  private async route (method: string, path: string, req: IncomingMessage): Promise<unknown> {
    const d = this.c.daemon
    const parts = path.split('/').filter(p => p !== '')
    if (parts[0] !== 'api' || parts[1] !== 'v1') throw notFound(method, path)
    const [, , what, hash, action] = parts
    if (what === 'status' && parts.length === 3 && method === 'GET') return d.status()
    if (what === 'payments' && parts.length === 3 && method === 'GET') {
      const payee = this.c.payee ?? null
      return payee === null ? { charging: false } : { charging: true, ...this.payments(payee) }
    }
    if (what === 'history' && parts.length === 3 && method === 'GET') return { samples: d.history.samples() }
    if (what !== 'torrents') throw notFound(method, path)
    if (hash === undefined) {
      if (method === 'GET') return { torrents: d.list() }
      if (method === 'POST') {
        const parsed = addBody.safeParse(await readJson(req))
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!
          throw new DaemonRequestError('bad-request', `${issue.path.join('.') || 'body'}: ${issue.message}`, 'send { "file": "<.torrent path>", "data": "<data path>", "paid": true, "price": "0.0001" } (price and paid are optional)', 400)
        }
        const { file, data, ...sale } = parsed.data
        return await d.add({ file, data, ...saleOf({ paid: sale.paid ?? true, price: sale.price, freeSlots: sale.freeSlots }) })
      }
      throw notFound(method, path)
    }
    if (!HASH.test(hash)) throw new DaemonRequestError('bad-request', `"${hash}" is not an info hash`, 'give the 40 hex digits `seedpay list` shows', 400)
    if (action === undefined && method === 'GET') return d.torrent(hash)
    if (action === 'peers' && method === 'GET') return { peers: d.peers(hash) }
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

const bigints = (_k: string, v: unknown): unknown => typeof v === 'bigint' ? v.toString() : v

function send (res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, bigints)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' })
  res.end(text)
}
