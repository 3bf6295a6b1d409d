import { createServer, connect, type Server, type Socket } from 'node:net'
import type { Logger } from 'pino'
import { formatAddress, parseAddress } from './address.ts'
import type { PortRouter } from './port-router.ts'
import { DEFAULT_ENCRYPTION, driveMse, MseHandshake, req2Hash, type EncryptionPolicy, type MseLink } from './mse/index.ts'
import { MseError } from './errors.ts'

const PROTOCOL = Buffer.from('\x13BitTorrent protocol', 'latin1')
/** An accepted connection that has not shown plain or encrypted within this long is closed (as PortRouter does). */
const SNIFF_TIMEOUT_MS = 10_000
/** Accepted connections still in their (plain or MSE) handshake at once; more are refused, as PortRouter's maxPending. */
const MAX_HANDSHAKING = 512

/** Outgoing TCP connects that take longer than this are abandoned (libtorrent: peer_connect_timeout 15 s; loopback needs far less). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000
/** Dial known-but-unconnected addresses this often. */
const DIAL_INTERVAL_MS = 2_000
/** After a failed dial, wait this long (doubling per failure, capped) before dialling that address again. */
const REDIAL_BASE_MS = 2_000
const REDIAL_MAX_MS = 120_000
/** Known addresses kept per torrent; trackers and PEX cannot make this list grow without bound. */
const MAX_KNOWN_ADDRESSES = 2_000
/**
 * Connections per torrent unless told otherwise: libtorrent's default connections_limit. At 50 a seed refused
 * 150 of 200 peers dialling at once, which then backed off and redialled: 12 s for that crowd became 128 s
 * (bench:swarm-many). An idle connection costs little (outgoing ones read into a 256 KiB buffer, touched only
 * as data arrives).
 */
export const DEFAULT_MAX_PEERS = 200

export interface PeerManagerComponents { logger: Logger }
export interface PeerManagerInit {
  /** @default '127.0.0.1' */
  host?: string
  /** @default 0 (random) */
  port?: number
  /** @default DEFAULT_MAX_PEERS (200) */
  maxPeers?: number
  /** @default 5000 */
  connectTimeoutMs?: number
  /**
   * Share this listening port with other torrents instead of opening one: connections whose handshake names
   * `infoHash` are accepted here (host and port are then the router's).
   */
  router?: { router: PortRouter, infoHash: string }
  /** The torrent's info hash (hex): the SKEY of MSE handshakes. */
  infoHash: string
  /** MSE/PE policy for dialled and accepted connections (see mse/policy.ts). @default 'prefer' */
  encryption?: EncryptionPolicy
  /**
   * Called for every accepted or dialled socket; the engine wraps it in a PeerWire. `link`: the connection began with
   * an MSE handshake (its ciphers and the payload bytes already read).
   */
  onSocket: (socket: Socket, address: string, direction: 'in' | 'out', reader?: ReaderHook, link?: MseLink) => void
  /** An outgoing connect failed before any socket reached the engine (`error`: an errno code or a message). */
  onDialFailed?: (address: string, error: string) => void
}

/** `plainOnly`: an encrypted dial failed under `prefer`, so this address is dialled plain (libtorrent's pe_support = false). */
const req2Cache = new Map<string, Buffer>()
/** HASH('req2', SKEY) for one info hash, computed once. */
function req2HashOf (infoHash: string): Buffer {
  let h = req2Cache.get(infoHash)
  if (h === undefined) { h = req2Hash(infoHash); req2Cache.set(infoHash, h) }
  return h
}

interface Known { failures: number, nextDialAt: number, plainOnly: boolean }

/**
 * Outgoing sockets read into one reused buffer (`onread`) instead of a fresh allocation per read: on a
 * downloading connection that is most of the process's allocation and GC. The hook installs the consumer.
 */
export type ReaderHook = (consume: (chunk: Buffer) => void) => void
/** Per-connection read buffer: large enough that a fast sender fills few reads per tick. */
const READ_BUFFER_BYTES = 256 * 1024

/** TCP listener and dialler with connection limits, per-address backoff and bans. */
export class PeerManager {
  private readonly log: Logger
  private readonly host: string
  private readonly wantPort: number
  private readonly maxPeers: number
  private readonly connectTimeoutMs: number
  private readonly onSocket: PeerManagerInit['onSocket']
  private readonly onDialFailed: NonNullable<PeerManagerInit['onDialFailed']>
  private readonly router: PeerManagerInit['router']
  private readonly infoHash: string
  readonly encryption: EncryptionPolicy
  private server: Server | null = null
  private unroute: (() => void) | null = null
  private timer: NodeJS.Timeout | null = null
  private readonly known = new Map<string, Known>()
  /** Addresses with an open or pending socket. */
  private readonly open = new Set<string>()
  /**
   * Listen addresses of peers that dialled us (BEP 10 `p`), with how many of their connections are open. Dialling
   * one would only open a duplicate, dropped after its handshake once both sides paid for an MSE exchange, and
   * redialled after every back-off while the first lasts. libtorrent does not dial a peer it is connected to either.
   */
  private readonly reachedFrom = new Map<string, number>()
  private readonly sockets = new Set<Socket>()
  private readonly bannedAddresses = new Set<string>()
  private readonly bannedIds = new Set<string>()
  private listenPort = 0
  private stopped = false
  /** Accepted connections whose first bytes or MSE handshake are still under way (own listener only). */
  private handshaking = 0

  constructor (components: PeerManagerComponents, init: PeerManagerInit) {
    this.log = components.logger
    this.router = init.router
    this.infoHash = init.infoHash.toLowerCase()
    this.encryption = init.encryption ?? DEFAULT_ENCRYPTION
    this.host = init.router?.router.listenHost ?? init.host ?? '127.0.0.1'
    this.wantPort = init.port ?? 0
    this.maxPeers = init.maxPeers ?? DEFAULT_MAX_PEERS
    this.connectTimeoutMs = init.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS
    this.onSocket = init.onSocket
    this.onDialFailed = init.onDialFailed ?? (() => {})
  }

  get port (): number { return this.router?.router.port ?? this.listenPort }
  get address (): string { return formatAddress(this.host, this.port) }
  get connectionCount (): number { return this.open.size }

  /** Listens, or with a router takes this torrent's route on its port (PortRouteTakenError if already taken). */
  async listen (): Promise<number> {
    if (this.router !== undefined) {
      this.unroute = this.router.router.route(this.router.infoHash, (socket, link) => { this.accept(socket, link) })
      return this.port
    }
    const server = createServer({ noDelay: true }, socket => this.sniff(socket))
    this.server = server
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.wantPort, this.host, () => { server.off('error', reject); resolve() })
    })
    server.on('error', err => this.log.error({ err }, 'listener error'))
    const addr = server.address()
    this.listenPort = typeof addr === 'object' && addr !== null ? addr.port : 0
    return this.listenPort
  }

  startDialing (): void {
    this.timer = setInterval(() => this.dialDue(), DIAL_INTERVAL_MS)
    this.timer.unref()
  }

  /** Remember an address and dial it as soon as limits allow. Invalid addresses are ignored with a log line. */
  add (address: string): void {
    try {
      const { host, port } = parseAddress(address)
      address = formatAddress(host, port)
    } catch (err) {
      this.log.warn({ address, err: (err as Error).message }, 'ignoring peer address')
      return
    }
    if (address === this.address || this.known.has(address)) return
    if (this.known.size >= MAX_KNOWN_ADDRESSES) return
    this.known.set(address, { failures: 0, nextDialAt: 0, plainOnly: false })
    this.dial(address)
  }

  /** Stop redialling an address (e.g. a seed, once we are a seed too). */
  forget (address: string): void {
    this.known.delete(address)
  }

  ban (id: string | null, address: string): void {
    if (id !== null) this.bannedIds.add(id)
    this.bannedAddresses.add(address)
    this.known.delete(address)
  }

  isBanned (id: string | null, address: string): boolean {
    return this.bannedAddresses.has(address) || (id !== null && this.bannedIds.has(id))
  }

  /** A peer that dialled us listens at `address`: do not dial it while that connection is open. */
  connectedFrom (address: string): void {
    this.reachedFrom.set(address, (this.reachedFrom.get(address) ?? 0) + 1)
  }

  /** A connection `connectedFrom` noted closed: its listen address may be dialled again. */
  disconnectedFrom (address: string): void {
    const n = (this.reachedFrom.get(address) ?? 0) - 1
    if (n > 0) this.reachedFrom.set(address, n)
    else this.reachedFrom.delete(address)
  }

  /** A handshaken peer closed: allow redialling its address later. */
  closed (address: string, failed: boolean): void {
    this.open.delete(address)
    const k = this.known.get(address)
    if (k === undefined) return
    if (failed) k.failures++
    else k.failures = 0
    k.nextDialAt = Date.now() + Math.min(REDIAL_MAX_MS, REDIAL_BASE_MS * 2 ** k.failures)
  }

  async stop (): Promise<void> {
    this.stopped = true
    if (this.timer !== null) clearInterval(this.timer)
    this.unroute?.()
    this.unroute = null
    for (const s of this.sockets) s.destroy()
    const server = this.server
    this.server = null
    if (server !== null) await new Promise<void>(resolve => server.close(() => resolve()))
  }

  private dialDue (): void {
    const now = Date.now()
    for (const [address, k] of this.known) {
      if (this.open.size >= this.maxPeers) return
      if (k.nextDialAt <= now) this.dial(address)
    }
  }

  private dial (address: string): void {
    if (this.stopped || this.open.has(address) || this.reachedFrom.has(address) || this.open.size >= this.maxPeers || this.bannedAddresses.has(address)) return
    const { host, port } = parseAddress(address)
    this.open.add(address)
    // Dial from our listen address so peers (and their ban lists) see one IP for us.
    const wildcard = this.host === '0.0.0.0' || this.host === '::'
    let consume: (chunk: Buffer) => void = () => {}
    const socket = connect({
      host,
      port,
      noDelay: true,
      ...(wildcard ? {} : { localAddress: this.host }),
      onread: { buffer: Buffer.allocUnsafe(READ_BUFFER_BYTES), callback: (n: number, buf: Uint8Array) => { consume(Buffer.from(buf.buffer, buf.byteOffset, n)); return true } }
    })
    this.track(socket)
    const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), this.connectTimeoutMs)
    // `socket.connecting` is already false when a refused connect reports its error: remember it ourselves
    let connected = false
    let negotiating = false
    const hook: ReaderHook = (fn) => { consume = fn }
    socket.once('connect', () => {
      connected = true
      clearTimeout(timer)
      const policy = this.encryption
      if (policy === 'off' || (policy === 'prefer' && this.known.get(address)?.plainOnly === true)) {
        this.onSocket(socket, address, 'out', hook)
        return
      }
      negotiating = true
      driveMse(socket, new MseHandshake({ role: 'initiator', policy, infoHash: this.infoHash }), { input: hook }, (err, link) => {
        negotiating = false
        if (link !== null) { this.onSocket(socket, address, 'out', hook, link); return }
        socket.destroy()
        this.encryptedDialFailed(address, err ?? new MseError('no link'))
      })
    })
    socket.once('error', (err: Error) => {
      clearTimeout(timer)
      if (connected) return
      this.log.debug({ address, err: err.message }, 'dial failed')
      this.onDialFailed(address, (err as NodeJS.ErrnoException).code ?? err.message)
    })
    socket.once('close', () => {
      clearTimeout(timer)
      if (!negotiating && this.open.has(address) && socket.bytesRead === 0) this.closed(address, true)
    })
  }

  /**
   * `prefer`: redial plain at once and from now on (libtorrent reconnects the same way), not counted as a failure;
   * `require`: the dial failed, with the reason logged and reported.
   */
  private encryptedDialFailed (address: string, err: MseError): void {
    this.open.delete(address)
    const k = this.known.get(address)
    if (this.encryption === 'prefer' && k !== undefined && !this.stopped) {
      this.log.debug({ address, reason: err.reason }, 'encrypted dial failed, redialling plain')
      k.plainOnly = true
      this.dial(address)
      return
    }
    this.log.info({ address, reason: err.reason, encryption: this.encryption }, 'encrypted dial failed')
    this.open.add(address)
    this.closed(address, true)
    this.onDialFailed(address, `encryption: ${err.reason}`)
  }

  /** Own listener: a plain handshake starts with its protocol string, anything else is taken for MSE's Ya. */
  private sniff (socket: Socket): void {
    if (this.handshaking >= MAX_HANDSHAKING) { this.refuse(socket, 'too many pending handshakes'); return }
    this.handshaking++
    // tracked from the start, so stop() closes a connection still in its handshake
    this.sockets.add(socket)
    let counted = true
    const release = (): void => { if (counted) { counted = false; this.handshaking-- } }
    socket.once('close', () => { release(); this.sockets.delete(socket) })
    let got: Buffer = Buffer.alloc(0)
    const timer = setTimeout(() => { socket.destroy() }, SNIFF_TIMEOUT_MS)
    const onData = (chunk: Buffer): void => {
      got = got.length === 0 ? chunk : Buffer.concat([got, chunk])
      const seen = Math.min(got.length, PROTOCOL.length)
      const plain = got.subarray(0, seen).equals(PROTOCOL.subarray(0, seen))
      if (plain && seen < PROTOCOL.length) return
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('error', onError)
      socket.pause()
      if (plain) {
        release()
        socket.unshift(got)
        this.accept(socket)
        socket.resume()
        return
      }
      if (this.encryption === 'off') { this.refuse(socket, 'encrypted connection refused (encryption off)'); return }
      const infoHash = this.infoHash
      const find = (req2: Buffer): string | null => req2.equals(req2HashOf(infoHash)) ? infoHash : null
      driveMse(socket, new MseHandshake({ role: 'responder', policy: this.encryption, findTorrent: find }), { input: 'data', first: got }, (err, link) => {
        release()
        if (link === null) { this.refuse(socket, `encrypted handshake failed: ${err?.reason ?? '?'}`); return }
        this.accept(socket, link)
        socket.resume()
      })
    }
    const onError = (): void => { clearTimeout(timer) }
    socket.on('data', onData)
    socket.once('error', onError)
    socket.once('close', () => clearTimeout(timer))
  }

  private refuse (socket: Socket, reason: string): void {
    this.log.info({ address: formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0), reason }, 'connection refused')
    socket.destroy()
  }

  private accept (socket: Socket, link?: MseLink): void {
    const address = formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0)
    if (this.stopped || this.open.size >= this.maxPeers || this.bannedAddresses.has(address)) {
      socket.destroy()
      return
    }
    if (link === undefined && this.encryption === 'require') { this.refuse(socket, 'plaintext connection refused (encryption require)'); return }
    if (link !== undefined && link.method === 'plaintext' && this.encryption === 'require') { this.refuse(socket, 'MSE with plaintext payload refused (encryption require)'); return }
    if (link !== undefined && this.encryption === 'off') { this.refuse(socket, 'encrypted connection refused (encryption off)'); return }
    this.open.add(address)
    this.track(socket)
    this.onSocket(socket, address, 'in', undefined, link)
  }

  private track (socket: Socket): void {
    if (this.sockets.has(socket)) return
    this.sockets.add(socket)
    socket.once('close', () => this.sockets.delete(socket))
  }
}
