import type { Socket } from 'node:net'
import Wire, { type WireExtensionCtor } from 'bittorrent-protocol'
import type { Logger } from 'pino'
import { TypedEmitter } from './events.ts'
import { FrameReader } from './frame-reader.ts'
import { loanOf } from './lent-buffers.ts'
import type { ReaderHook } from './peer-manager.ts'
import type { MseLink } from './mse/index.ts'
import type { Rc4 } from './mse/rc4.ts'

/** BEP 3 message ids for the messages we write ourselves. */
const MSG_REQUEST = 6
const MSG_PIECE = 7
const MSG_CANCEL = 8
/** What `respond` hands bittorrent-protocol once we sent a block ourselves: it only drops its request entry. */
const SENT_BY_US = new Error('block sent by PeerWire')

/** BEP 3 handshake must arrive promptly; libtorrent uses 10 s for the same purpose. */
const HANDSHAKE_TIMEOUT_MS = 10_000
/** BEP 3: peers send keep-alives about every 2 minutes; silence longer than that means the peer is gone. */
const IDLE_TIMEOUT_MS = 150_000
/**
 * Bytes queued on a socket before we stop taking messages from bittorrent-protocol (which then buffers
 * them itself). Enough for a few pieces' worth of blocks per write; bounded so a slow peer holds little.
 */
const MAX_QUEUED_WRITE_BYTES = 1024 * 1024
/** How long a graceful close waits for the peer to close its side before destroying the socket. */
const GRACEFUL_CLOSE_MS = 2_000

export type { WireExtensionCtor }

export interface PeerWireEvents {
  'wire:handshake': { infoHash: string, peerId: string, extended: boolean, /** BEP 5 reserved bit: it runs a DHT node */ dht: boolean }
  /** BEP 5 `port` message: the peer's DHT node listens on this UDP port. */
  'wire:port': { port: number }
  'wire:extended': { handshake: Record<string, unknown> }
  'wire:choke': undefined
  'wire:unchoke': undefined
  'wire:interested': undefined
  'wire:uninterested': undefined
  'wire:have': { index: number }
  'wire:bitfield': { bits: Uint8Array }
  'wire:request': { index: number, offset: number, length: number, respond: (data: Uint8Array | null) => void }
  /** `data` may be a view of a reused read buffer: copy it before the handler returns if you keep it. */
  'wire:piece': { index: number, offset: number, data: Uint8Array }
  'wire:cancel': { index: number, offset: number, length: number }
  'wire:close': { reason: string }
}

export interface PeerWireComponents { logger: Logger }
export interface PeerWireInit {
  socket: Socket
  /** `host:port` of the remote end. */
  address: string
  direction: 'in' | 'out'
  /** Piece count if the metadata is known (bitfield and have indexes are then checked). */
  pieceCount?: number
  /** Set for sockets that read into a reused buffer (see PeerManager): chunks arrive here, not as 'data'. */
  reader?: ReaderHook
  /**
   * The connection began with an MSE/PE handshake: its payload ciphers (RC4, or none when plaintext was selected)
   * and the payload bytes that arrived with the handshake's end, fed to the reader first.
   */
  link?: MseLink
}

/**
 * One peer connection. Wraps bittorrent-protocol's Wire so its positional events and public mutable
 * fields stay here; every malformed input ends in `destroy(reason)` which closes only this peer.
 */
export class PeerWire extends TypedEmitter<PeerWireEvents> {
  readonly address: string
  readonly direction: 'in' | 'out'
  /** The bittorrent-protocol wire, for BEP 10 extensions only (they are written against its `use` API). */
  readonly raw: Wire
  private readonly socket: Socket
  private readonly log: Logger
  private readonly reader: FrameReader
  private pieceCount: number | null
  private closed = false
  private ending: Promise<void> | null = null
  private endReason: string | null = null
  private lastReceived = Date.now()
  private idleTimer: NodeJS.Timeout | null = null
  private handshakeTimer: NodeJS.Timeout | null = null
  peerId: string | null = null
  private sentPeerId: string | null = null
  /** RC4 for an encrypted link; null on a plain one, whose reads and writes are untouched (the fast path). */
  private readonly encrypt: Rc4 | null
  private readonly decrypt: Rc4 | null
  private initial: Buffer | null
  private readonly onChunk: (chunk: Buffer, decrypted?: boolean) => void
  /** `plaintext` or `rc4` after an MSE handshake, null for a plain BitTorrent connection. */
  readonly encryption: 'plaintext' | 'rc4' | null

  constructor (components: PeerWireComponents, init: PeerWireInit) {
    super()
    this.address = init.address
    this.direction = init.direction
    this.socket = init.socket
    this.pieceCount = init.pieceCount ?? null
    this.encrypt = init.link?.encrypt ?? null
    this.decrypt = init.link?.decrypt ?? null
    this.initial = init.link !== undefined && init.link.initial.length > 0 ? init.link.initial : null
    this.encryption = init.link?.method ?? null
    this.reader = new FrameReader({
      passThrough: (bytes) => this.feedRaw(bytes),
      piece: (index, offset, data) => {
        // The library handles the handshake a tick later than we see the frames after it; a legitimate
        // peer cannot send a block before we asked for one, which needs its handshake first.
        if (this.peerId === null) this.destroy('protocol violation: piece before handshake')
        else this.emit('wire:piece', { index, offset, data })
      }
    }, init.reader !== undefined)
    this.reader.pieceCount = this.pieceCount
    this.log = components.logger.child({ peer: init.address })
    this.raw = new Wire(init.direction === 'in' ? 'tcpIncoming' : 'tcpOutgoing')
    this.socket.setNoDelay(true)
    this.bindRaw()
    this.onChunk = this.bindSocket(init.reader)
    this.handshakeTimer = setTimeout(() => this.destroy('no handshake within timeout'), HANDSHAKE_TIMEOUT_MS)
    this.idleTimer = setInterval(() => {
      if (Date.now() - this.lastReceived > IDLE_TIMEOUT_MS) this.destroy('idle')
    }, 10_000)
    this.idleTimer.unref()
  }

  get isClosed (): boolean { return this.closed }
  get amChoking (): boolean { return this.raw.amChoking }
  get amInterested (): boolean { return this.raw.amInterested }
  get peerChoking (): boolean { return this.raw.peerChoking }
  get peerInterested (): boolean { return this.raw.peerInterested }
  get peerExtended (): Record<string, unknown> { return this.raw.peerExtendedHandshake }
  /** Whether the peer advertised the named BEP 10 extension. */
  peerSupports (name: string): boolean { return (this.raw.peerExtendedMapping[name] ?? 0) > 0 }

  /** The peer's pieces as the library tracked them (bitfield plus haves), for use after late metadata. */
  peerBitfield (): Uint8Array | null {
    const b = this.raw.peerPieces.buffer
    return b.length > 0 ? b : null
  }

  setPieceCount (n: number): void {
    this.pieceCount = n
    this.reader.pieceCount = n
  }

  /** Mount a BEP 10 extension; must happen before `handshake`. */
  use (ext: WireExtensionCtor): void { this.raw.use(ext) }

  /** Our peer id as sent in `handshake` (hex), for extensions that sign over it (seedpay's hello proof). */
  get localPeerId (): string | null { return this.sentPeerId }

  /** `options.dht`: set BEP 5's reserved bit (we run a DHT node and will send `port`). */
  handshake (infoHash: string, peerId: string, extendedHandshake: Record<string, unknown>, options: { dht?: boolean } = {}): void {
    this.sentPeerId = peerId
    Object.assign(this.raw.extendedHandshake, extendedHandshake)
    this.raw.handshake(infoHash, peerId, { dht: options.dht === true, fast: false })
    this.raw.setKeepAlive(true)
    // Bytes that came with the end of an MSE handshake: fed now that the owner has subscribed to our events.
    const initial = this.initial
    this.initial = null
    if (initial !== null) this.onChunk(initial, true)
  }

  choke (): void { if (!this.closed) this.raw.choke() }
  unchoke (): void { if (!this.closed) this.raw.unchoke() }
  interested (): void { if (!this.closed) this.raw.interested() }
  uninterested (): void { if (!this.closed) this.raw.uninterested() }
  have (index: number): void { if (!this.closed) this.raw.have(index) }
  bitfield (bits: Uint8Array): void { if (!this.closed) this.raw.bitfield(bits) }
  /**
   * Requests and cancels are written by us, not bittorrent-protocol: piece messages bypass the library
   * (FrameReader), so its request list would only grow. `push` keeps them in order with its own output.
   */
  request (index: number, offset: number, length: number): void { this.requestMany([{ index, offset, length }]) }

  /** Several requests in one buffer (one push, one syscall with the tick's other messages). */
  requestMany (blocks: ReadonlyArray<{ index: number, offset: number, length: number }>): void {
    if (this.closed || blocks.length === 0) return
    const buf = Buffer.allocUnsafe(17 * blocks.length)
    blocks.forEach((b, k) => writeBlockMessage(buf, k * 17, MSG_REQUEST, b.index, b.offset, b.length))
    this.raw.push(buf)
  }

  /** A block we serve: header and payload pushed in order with the rest of our output (see the 'request' handler). */
  private piece (index: number, offset: number, data: Uint8Array): void {
    const header = Buffer.allocUnsafe(13)
    header.writeUInt32BE(9 + data.length, 0)
    header[4] = MSG_PIECE
    header.writeUInt32BE(index, 5)
    header.writeUInt32BE(offset, 9)
    this.raw.push(header)
    this.raw.push(data)
  }

  cancel (index: number, offset: number, length: number): void {
    if (this.closed) return
    const buf = Buffer.allocUnsafe(17)
    writeBlockMessage(buf, 0, MSG_CANCEL, index, offset, length)
    this.raw.push(buf)
  }

  extended (name: string, payload: Uint8Array | Record<string, unknown>): void { if (!this.closed) this.raw.extended(name, payload) }
  /** BEP 5 `port`: our DHT node's UDP port. */
  port (port: number): void { if (!this.closed) this.raw.port(port) }

  /**
   * Close this peer after what is already queued has been sent (a payment receipt, say), then wait for the
   * peer to close too, at most GRACEFUL_CLOSE_MS. bittorrent-protocol delivers queued messages on a later tick,
   * so destroying at once would drop them. Resolves once closed. Idempotent.
   */
  async end (reason: string): Promise<void> {
    if (this.closed) return
    this.ending ??= new Promise<void>(resolve => {
      this.endReason = reason
      this.once('wire:close', () => resolve())
      setImmediate(() => {
        if (this.closed) return
        this.socket.end()
        setTimeout(() => this.destroy(reason), GRACEFUL_CLOSE_MS).unref()
      })
    })
    await this.ending
  }

  /** Close this peer; `reason` is logged and reported in `wire:close`. Idempotent. */
  destroy (reason: string): void {
    if (this.closed) return
    this.closed = true
    // A close we asked for keeps its reason when the peer's FIN or close arrives first.
    reason = this.endReason ?? reason
    if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer)
    if (this.idleTimer !== null) clearInterval(this.idleTimer)
    // Misbehaviour is worth an operator's attention; ordinary disconnects are not.
    if (/^(protocol violation|banned)/.test(reason)) this.log.warn({ reason }, 'peer closed')
    else this.log.debug({ reason }, 'peer closed')
    this.raw.destroy()
    this.socket.destroy()
    this.emit('wire:close', { reason })
  }

  private bindSocket (hook: ReaderHook | undefined): (chunk: Buffer, decrypted?: boolean) => void {
    const socket = this.socket
    const decrypt = this.decrypt
    const encrypt = this.encrypt
    const onChunk = (chunk: Buffer, decrypted = false): void => {
      if (this.closed) return
      this.lastReceived = Date.now()
      // In place: the chunk is ours (a fresh 'data' buffer, or our reused read buffer), and the reader copies what it keeps.
      if (decrypt !== null && !decrypted) decrypt.apply(chunk)
      const bad = this.reader.feed(chunk)
      if (bad !== null) this.destroy(`protocol violation: ${bad}`)
    }
    if (hook !== undefined) hook(onChunk)
    else socket.on('data', onChunk)
    socket.on('error', (err: Error) => this.destroy(`socket error: ${err.message}`))
    socket.on('close', () => this.destroy('socket closed'))
    socket.on('end', () => this.destroy('remote ended connection'))
    // bittorrent-protocol pushes every message (and a piece's header and payload) as its own chunk; piping
    // them straight to the socket costs one syscall each. Corked until the event loop has run every I/O
    // callback that is ready, they go as one writev: the library emits each answered request on its own
    // microtask, so uncorking on the next tick sent every 16 KiB block alone (32,768 writev for 512 MiB).
    let corked = false
    this.raw.on('data', (chunk: Uint8Array) => {
      if (this.closed) return
      if (!corked) {
        corked = true
        socket.cork()
        setImmediate(() => { corked = false; socket.uncork() })
      }
      // A block lent by the read cache goes back to its pool once the socket is done with it.
      const loan = loanOf(chunk)
      if (encrypt !== null) {
        // Never in place: blocks are views of the read cache or of the library's buffers. The copy frees a loan at once.
        const out = Buffer.from(chunk)
        encrypt.apply(out)
        loan?.release()
        socket.write(out)
      } else if (loan === undefined) socket.write(chunk)
      else socket.write(chunk, () => loan.release())
      // Not on write()'s false: that comes at the socket's 16 KiB high-water mark, i.e. after every block,
      // and pausing there let one block through per event-loop turn.
      if (socket.writableLength > MAX_QUEUED_WRITE_BYTES) {
        this.raw.pause()
        socket.once('drain', () => this.raw.resume())
      }
    })
    return onChunk
  }

  /** Whole non-piece frames for bittorrent-protocol, with backpressure onto the socket. */
  private feedRaw (bytes: Buffer): void {
    if (this.closed) return
    if (!this.raw.write(bytes)) {
      this.socket.pause()
      this.raw.once('drain', () => this.socket.resume())
    }
  }

  private bindRaw (): void {
    const w = this.raw
    const on = (ev: string, fn: (...a: never[]) => void): void => { w.on(ev, fn) }
    on('handshake', (infoHash: string, peerId: string, ext: Record<string, boolean>) => {
      if (this.handshakeTimer !== null) clearTimeout(this.handshakeTimer)
      this.handshakeTimer = null
      this.peerId = peerId
      this.emit('wire:handshake', { infoHash, peerId, extended: ext['extended'] === true, dht: ext['dht'] === true })
    })
    // The library reads the u16 itself; 0 is no port (BEP 5 names none).
    on('port', (port: number) => { if (port > 0 && port < 65536) this.emit('wire:port', { port }) })
    on('extended', (ext: string, payload: unknown) => {
      if (ext === 'handshake') this.emit('wire:extended', { handshake: payload as Record<string, unknown> })
    })
    on('choke', () => this.emit('wire:choke', undefined))
    on('unchoke', () => this.emit('wire:unchoke', undefined))
    on('interested', () => this.emit('wire:interested', undefined))
    on('uninterested', () => this.emit('wire:uninterested', undefined))
    // bittorrent-protocol reads u32 fields with signed shifts; `>>> 0` restores the unsigned value.
    on('have', (i: number) => {
      const index = i >>> 0
      if (this.pieceCount !== null && index >= this.pieceCount) { this.destroy(`protocol violation: have for piece ${index} of ${this.pieceCount}`); return }
      this.emit('wire:have', { index })
    })
    on('bitfield', (bf: { buffer: Uint8Array }) => {
      const bits = bf.buffer
      if (this.pieceCount !== null && !spareBitsClear(bits, this.pieceCount)) { this.destroy('protocol violation: bitfield has spare bits set'); return }
      this.emit('wire:bitfield', { bits })
    })
    // Blocks are written by us, not by the library: it answers a request only if that request is the first of
    // its list matching (index, offset, length), and its list is reordered on every removal. A peer that asks
    // twice for one block (it gave the first request back when we choked it, and the first was already on its
    // way) had both answers silently dropped, counted as served, and waited out its own timeout (5 s stalls,
    // and a paying peer's debt grew by every dropped block). Its list is only emptied: one entry per answer.
    on('request', (index: number, offset: number, length: number, respond: (err: Error | null, buf?: Uint8Array) => void) => {
      const at = { index: index >>> 0, offset: offset >>> 0, length: length >>> 0 }
      this.emit('wire:request', {
        ...at,
        respond: (data) => {
          if (this.closed) return
          if (data !== null) this.piece(at.index, at.offset, data)
          respond(data === null ? new Error('refused') : SENT_BY_US)
        }
      })
    })
    on('cancel', (index: number, offset: number, length: number) => this.emit('wire:cancel', { index: index >>> 0, offset: offset >>> 0, length: length >>> 0 }))
    on('unknownmessage', () => {})
    on('error', (err: Error) => this.destroy(`wire error: ${err.message}`))
    on('close', () => this.destroy('wire closed'))
    on('finish', () => this.destroy('wire finished'))
  }
}

/** BEP 3: spare bits at the end of a bitfield must be zero. */
function spareBitsClear (bits: Uint8Array, pieceCount: number): boolean {
  const bytes = Math.ceil(pieceCount / 8)
  if (bits.length !== bytes) return false
  const spare = bytes * 8 - pieceCount
  if (spare === 0) return true
  const mask = (1 << spare) - 1
  return ((bits[bytes - 1] ?? 0) & mask) === 0
}

/** request/cancel: <len=13><id><index><begin><length>, big-endian (BEP 3). */
function writeBlockMessage (buf: Buffer, at: number, id: number, index: number, offset: number, length: number): void {
  buf.writeUInt32BE(13, at)
  buf[at + 4] = id
  buf.writeUInt32BE(index, at + 5)
  buf.writeUInt32BE(offset, at + 9)
  buf.writeUInt32BE(length, at + 13)
}
