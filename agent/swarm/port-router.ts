/**
 * One listening port for many torrents, as libtorrent and Transmission have one per session: an accepted
 * connection is handed to the torrent its BitTorrent handshake names (BEP 3: `<19>BitTorrent protocol`, 8 reserved
 * bytes, then the 20-byte info hash). The router reads those 48 bytes, puts them back on the socket (`unshift`) and
 * gives the socket to that torrent's PeerManager, which reads the handshake again as if it had accepted the socket
 * itself. Anything else (another protocol, an info hash nobody here serves, a peer that sends nothing) is closed
 * with a logged reason and never reaches a torrent.
 *
 * An MSE/PE encrypted handshake starts with the peer's random Diffie-Hellman key instead: unless `encryption` is
 * `off`, the router answers it as responder and finds the torrent by req2 = HASH('req2', SKEY) xor HASH('req3', S) among
 * every info hash routed here, then hands over the socket with its link (ciphers and the payload bytes already read).
 * The torrent's PeerManager applies its own policy to what arrives.
 */
import { createServer, type Server, type Socket } from 'node:net'
import type { Logger } from 'pino'
import { formatAddress } from './address.ts'
import { PortRouteTakenError } from './errors.ts'
import { DEFAULT_ENCRYPTION, driveMse, MseHandshake, req2Hash, type EncryptionPolicy, type MseLink } from './mse/index.ts'

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
  /** Incoming MSE/PE: `off` closes it as "not a BitTorrent handshake"; `require` answers with RC4 only. @default 'prefer' */
  encryption?: EncryptionPolicy
}

/**
 * Gives the routed socket to its torrent: plain, with the first 48 bytes back on the socket, unread; or after an MSE
 * handshake with its `link`.
 */
export type AcceptRouted = (socket: Socket, link?: MseLink) => void

/** Why a connection was closed before reaching a torrent (the `unrouted` hook and the debug log say it). */
export type UnroutedReason = 'not a BitTorrent handshake' | 'no such torrent' | 'handshake timeout' | 'too many pending handshakes' | 'closed before its handshake' | 'encrypted handshake failed'

export class PortRouter {
  private readonly log: Logger
  private readonly host: string
  private readonly wantPort: number
  private readonly handshakeTimeoutMs: number
  private readonly maxPending: number
  /** Policy for incoming MSE here; torrents routed here dial with it too (the daemon's one setting). */
  readonly encryption: EncryptionPolicy
  private readonly routes = new Map<string, AcceptRouted>()
  /** HASH('req2', SKEY) (hex) → info hash, for the MSE responder. */
  private readonly req2 = new Map<string, string>()
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
    this.encryption = init.encryption ?? DEFAULT_ENCRYPTION
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
    const req2 = req2Hash(key).toString('hex')
    this.req2.set(req2, key)
    return () => {
      if (this.routes.get(key) !== accept) return
      this.routes.delete(key)
      this.req2.delete(req2)
    }
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
      if (!got.subarray(0, seen).equals(PROTOCOL.subarray(0, seen))) {
        if (this.encryption === 'off') { finish('not a BitTorrent handshake'); return }
        // still pending (counted against maxPending) until the MSE handshake ends; driveMse has its own timer
        clearTimeout(timer)
        socket.off('data', onData)
        socket.off('close', onClose)
        socket.off('error', onClose)
        this.answerEncrypted(socket, got)
        return
      }
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

  /** MSE responder for a connection that did not start with the protocol string. */
  private answerEncrypted (socket: Socket, first: Buffer): void {
    const find = (req2: Buffer): string | null => this.req2.get(req2.toString('hex')) ?? null
    const hs = new MseHandshake({ role: 'responder', policy: this.encryption, findTorrent: find })
    driveMse(socket, hs, { input: 'data', first, timeoutMs: this.handshakeTimeoutMs }, (err, link) => {
      this.pending.delete(socket)
      if (link === null) { this.drop(socket, 'encrypted handshake failed', undefined, err?.reason); return }
      const accept = this.routes.get(link.infoHash)
      if (accept === undefined) { this.drop(socket, 'no such torrent', link.infoHash); return }
      accept(socket, link)
      socket.resume()
    })
  }

  private drop (socket: Socket, reason: UnroutedReason, infoHash?: string, detail?: string): void {
    this.unrouted.set(reason, (this.unrouted.get(reason) ?? 0) + 1)
    this.log.debug({ address: formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0), reason, ...(infoHash !== undefined ? { infoHash } : {}), ...(detail !== undefined ? { detail } : {}) }, 'connection closed before reaching a torrent')
    socket.destroy()
  }
}
