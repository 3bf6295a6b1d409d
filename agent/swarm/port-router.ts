/**
 * One listening port for many torrents, as libtorrent and Transmission have one per session: an accepted
 * connection is handed to the torrent its BitTorrent handshake names (BEP 3: `<19>BitTorrent protocol`, 8 reserved
 * bytes, then the 20-byte info hash). The router reads those 48 bytes, puts them back on the socket (`unshift`) and
 * gives the socket to that torrent's PeerManager, which reads the handshake again as if it had accepted the socket
 * itself. Anything else (another protocol, an info hash nobody here serves, a peer that sends nothing) is closed
 * with a logged reason and never reaches a torrent.
 *
 * An MSE/PE encrypted handshake (BEP 8-style obfuscation) starts with random bytes, so it is closed here as "not a
 * BitTorrent handshake" like it is on a single torrent's port today.
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { Logger } from 'pino'
import { formatAddress } from './address.ts'
import { PortRouteTakenError } from './errors.ts'

const PROTOCOL = Buffer.from('\x13BitTorrent protocol', 'latin1')
/** pstrlen + pstr + reserved + info hash: what routing needs (the peer id follows). */
export const ROUTING_PREFIX_BYTES = PROTOCOL.length + 8 + 20
/** A connection that has not sent its handshake's first 48 bytes by then is closed (libtorrent: handshake_timeout 10 s). */
const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000
/**
 * Connections waiting for their handshake at once; more are refused at accept. Each holds a socket and at most
 * one read chunk, so a crowd that connects and stays silent costs bounded memory (each is timed out).
 */
const DEFAULT_MAX_PENDING = 512

export interface PortRouterComponents { logger: Logger }
export interface PortRouterInit {
  /** @default '127.0.0.1' */
  host?: string
  /** @default 0 (any free port) */
  port?: number
  /** @default 10000 */
  handshakeTimeoutMs?: number
  /** @default 512 */
  maxPending?: number
}

/** Gives the routed socket to its torrent; the first 48 bytes are back on the socket, unread. */
export type AcceptRouted = (socket: Socket) => void

/** Why a connection was closed before reaching a torrent (the `unrouted` hook and the debug log say it). */
export type UnroutedReason = 'not a BitTorrent handshake' | 'no such torrent' | 'handshake timeout' | 'too many pending handshakes' | 'closed before its handshake'

export class PortRouter {
  private readonly log: Logger
  private readonly host: string
  private readonly wantPort: number
  private readonly handshakeTimeoutMs: number
  private readonly maxPending: number
  private readonly routes = new Map<string, AcceptRouted>()
  private readonly pending = new Set<Socket>()
  private server: Server | null = null
  private listenPort = 0
  /** Connections closed before reaching a torrent, by reason (for status and tests). */
  readonly unrouted = new Map<UnroutedReason, number>()

  constructor (components: PortRouterComponents, init: PortRouterInit = {}) {
    this.log = components.logger
    this.host = init.host ?? '127.0.0.1'
    this.wantPort = init.port ?? 0
    this.handshakeTimeoutMs = init.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS
    this.maxPending = init.maxPending ?? DEFAULT_MAX_PENDING
  }

  get port (): number { return this.listenPort }
  get listenHost (): string { return this.host }
  get address (): string { return formatAddress(this.host, this.listenPort) }
  /** Info hashes (hex) routed here. */
  get torrents (): string[] { return [...this.routes.keys()] }

  /** Listens; rejects with the listener's error (EADDRINUSE, EACCES) and leaves nothing open. */
  async listen (): Promise<number> {
    const server = createServer({ noDelay: true }, socket => { this.accept(socket) })
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.wantPort, this.host, () => { server.off('error', reject); resolve() })
    })
    server.on('error', err => this.log.error({ err }, 'listener error'))
    this.server = server
    const addr = server.address()
    this.listenPort = typeof addr === 'object' && addr !== null ? addr.port : 0
    return this.listenPort
  }

  /**
   * Routes connections for `infoHash` (40 hex characters) to `accept` until the returned function is called.
   * Throws PortRouteTakenError if another torrent already has that info hash here.
   */
  route (infoHash: string, accept: AcceptRouted): () => void {
    const key = infoHash.toLowerCase()
    if (this.routes.has(key)) throw new PortRouteTakenError(key)
    this.routes.set(key, accept)
    return () => { if (this.routes.get(key) === accept) this.routes.delete(key) }
  }

  /** Closes the listener and every connection still waiting for its handshake (routed ones belong to their torrents). */
  async stop (): Promise<void> {
    for (const s of this.pending) s.destroy()
    this.pending.clear()
    const server = this.server
    this.server = null
    if (server !== null) await new Promise<void>(resolve => server.close(() => { resolve() }))
  }

  private accept (socket: Socket): void {
    if (this.pending.size >= this.maxPending) {
      this.drop(socket, 'too many pending handshakes')
      return
    }
    this.pending.add(socket)
    let got: Buffer = Buffer.alloc(0)
    const timer = setTimeout(() => { finish('handshake timeout') }, this.handshakeTimeoutMs)
    const onData = (chunk: Buffer): void => {
      got = got.length === 0 ? chunk : Buffer.concat([got, chunk])
      // a wrong protocol string is known before all 48 bytes are in: close at once
      const seen = Math.min(got.length, PROTOCOL.length)
      if (!got.subarray(0, seen).equals(PROTOCOL.subarray(0, seen))) { finish('not a BitTorrent handshake'); return }
      if (got.length < ROUTING_PREFIX_BYTES) return
      const infoHash = got.subarray(PROTOCOL.length + 8, ROUTING_PREFIX_BYTES).toString('hex')
      const accept = this.routes.get(infoHash)
      if (accept === undefined) { finish('no such torrent', infoHash); return }
      finish(null)
      // paused so the handshake waits on the socket, unread, until the torrent's reader is attached; an explicitly
      // paused stream stays paused when a 'data' listener is added, so it is resumed once accept() has attached one
      socket.pause()
      socket.unshift(got)
      accept(socket)
      socket.resume()
    }
    const onClose = (): void => { finish('closed before its handshake') }
    const finish = (reason: UnroutedReason | null, infoHash?: string): void => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('close', onClose)
      socket.off('error', onClose)
      this.pending.delete(socket)
      if (reason !== null) this.drop(socket, reason, infoHash)
    }
    socket.on('data', onData)
    socket.once('close', onClose)
    socket.once('error', onClose)
  }

  private drop (socket: Socket, reason: UnroutedReason, infoHash?: string): void {
    this.unrouted.set(reason, (this.unrouted.get(reason) ?? 0) + 1)
    this.log.debug({ address: formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0), reason, ...(infoHash !== undefined ? { infoHash } : {}) }, 'connection closed before reaching a torrent')
    socket.destroy()
  }
}
