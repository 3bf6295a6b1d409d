import { randomBytes } from 'node:crypto'
import type { Socket } from 'node:net'
import type { Logger } from 'pino'
import { TypedEmitter } from './events.ts'
import { PeerWire } from './peer-wire.ts'
import { Peer } from './peer.ts'
import { Picker } from './picker.ts'
import { Storage } from './storage.ts'
import { Downloader } from './downloader.ts'
import { Uploader, OUR_REQQ } from './uploader.ts'
import { PeerManager, type ReaderHook } from './peer-manager.ts'
import type { MseLink } from './mse/index.ts'
import { mountMetadata } from './metadata-ext.ts'
import { pexExtension } from './pex.ts'
import { loadResume, saveResume, fileStamps } from './resume.ts'
import { routePeerEvents } from './peer-session.ts'
import type { TorrentMeta } from './torrent-file.ts'
import { EngineStateError, MetadataTimeoutError } from './errors.ts'
import { startAnnouncer } from './announcer.ts'
import { parseAddress } from './address.ts'
import type { TrackerClient } from './tracker/index.ts'
import type { EngineComponents, EngineEvents, EngineInit, EngineStats, PeerInfo } from './engine-types.ts'

/** Our BEP 20 peer id prefix: Azureus style, "SP" + version. */
const PEER_ID_PREFIX = Buffer.from('-SP0100-')
/** How often `progress` is emitted and timeouts are checked. */
const TICK_MS = 1000
/** Give up on a magnet whose metadata nobody sends. */
const DEFAULT_METADATA_TIMEOUT_MS = 120_000
/** The longest wires wait for `beforeClose` work (a receipt being stored) before they close anyway. */
const CLOSE_HOLD_MS = 10_000

type State = 'idle' | 'starting' | 'running' | 'stopped'

/** One torrent, one listening port: downloads, verifies, seeds. */
export class TorrentEngine extends TypedEmitter<EngineEvents> {
  readonly peerId: string
  readonly infoHash: string
  private readonly log: Logger
  private readonly init: EngineInit
  private readonly manager: PeerManager
  private readonly peers = new Map<string, Peer>()
  private readonly wires = new Set<PeerWire>()
  /** Work the graceful closes wait for (beforeClose). */
  private readonly closeHolds = new Set<() => Promise<void>>()
  private meta: TorrentMeta | null
  private storage: Storage | null = null
  private picker: Picker | null = null
  private downloader: Downloader | null = null
  private uploader: Uploader | null = null
  private tracker: TrackerClient | null = null
  private state: State = 'idle'
  private timer: NodeJS.Timeout | null = null
  private doneEmitted = false
  private downloaded = 0
  private uploaded = 0
  private metadataWaiters: Array<(m: TorrentMeta) => void> = []
  private resumed: 'saved' | 'hashed' | null = null
  /** Ends the DHT and LSD lookups: on stop, or when a magnet's metadata says the torrent is private. */
  private readonly discovery = new AbortController()

  constructor (components: EngineComponents, init: EngineInit) {
    super()
    this.init = init
    this.infoHash = init.torrent.infoHash
    this.meta = init.torrent.kind === 'torrent' ? init.torrent : null
    this.peerId = init.peerId ?? Buffer.concat([PEER_ID_PREFIX, randomBytes(12)]).toString('hex')
    this.log = components.logger.child({ torrent: this.infoHash.slice(0, 8), peerId: this.peerId.slice(16, 24) })
    this.manager = new PeerManager({ logger: this.log }, {
      ...(init.host !== undefined ? { host: init.host } : {}),
      ...(init.port !== undefined ? { port: init.port } : {}),
      ...(init.router !== undefined ? { router: { router: init.router, infoHash: this.infoHash } } : {}),
      ...(init.maxPeers !== undefined ? { maxPeers: init.maxPeers } : {}),
      ...(init.connectTimeoutMs !== undefined ? { connectTimeoutMs: init.connectTimeoutMs } : {}),
      ...(init.encryption !== undefined ? { encryption: init.encryption } : {}),
      infoHash: this.infoHash,
      onSocket: (socket, address, direction, reader, link) => this.onSocket(socket, address, direction, reader, link),
      onDialFailed: (address, error) => this.emit('peer:dial-failed', { address, error })
    })
  }

  /** Listening port (after `start`). */
  get port (): number { return this.manager.port }
  get address (): string { return this.manager.address }
  get metadata (): TorrentMeta | null { return this.meta }
  get isDone (): boolean { return this.picker?.done ?? false }
  /** How the pieces on disk were found at start: a trusted resume file, or hashing. Null before metadata. */
  get resumeSource (): 'saved' | 'hashed' | null { return this.resumed }

  /** Pieces not verified (missing or not matching their hash), ascending; empty before metadata. */
  missingPieces (): number[] {
    const out: number[] = []
    const picker = this.picker
    if (picker === null) return out
    for (let i = 0; i < picker.pieceCount; i++) if (!picker.hasPiece(i)) out.push(i)
    return out
  }

  /** Open storage, re-check existing data, listen, dial peers, announce. Resolves once listening. */
  async start (options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.state !== 'idle') throw new EngineStateError(this.state, 'start')
    this.state = 'starting'
    options.signal?.addEventListener('abort', () => { this.stop().catch(err => this.log.error({ err }, 'stop failed')) }, { once: true })
    try {
      if (this.meta !== null) await this.openTorrent(this.meta)
      await this.manager.listen()
    } catch (err) {
      await this.stop()
      throw err
    }
    this.state = 'running'
    this.manager.startDialing()
    this.timer = setInterval(() => this.tick(), TICK_MS)
    this.startTracker(options.signal)
    this.startDiscovery()
    for (const p of this.init.peers ?? []) this.manager.add(p)
    if (this.init.torrent.kind === 'magnet') for (const p of this.init.torrent.peers) this.manager.add(p)
    this.log.info({ port: this.port, have: this.picker?.verifiedCount ?? 0 }, 'engine started')
    if (this.picker?.done === true) this.finish()
  }

  /** Wait for magnet metadata (resolves at once for a .torrent). */
  async waitForMetadata (options: { signal?: AbortSignal } = {}): Promise<TorrentMeta> {
    if (this.meta !== null) return this.meta
    const ms = this.init.metadataTimeoutMs ?? DEFAULT_METADATA_TIMEOUT_MS
    return await new Promise<TorrentMeta>((resolve, reject) => {
      const t = setTimeout(() => reject(new MetadataTimeoutError(this.infoHash, ms)), ms)
      options.signal?.addEventListener('abort', () => { clearTimeout(t); reject(options.signal?.reason) }, { once: true })
      this.metadataWaiters.push(m => { clearTimeout(t); resolve(m) })
    })
  }

  addPeer (address: string): void { this.manager.add(address) }

  /**
   * Work that must end before this engine closes wires gracefully (to seeds once our download is done, to everyone
   * on stop): the payment layer stores and sends the receipt for the last pieces here, and that write is durable
   * on its own thread's time. Bounded by CLOSE_HOLD_MS.
   * @returns a function that removes it
   */
  beforeClose (work: () => Promise<void>): () => void {
    this.closeHolds.add(work)
    return () => { this.closeHolds.delete(work) }
  }

  private async runCloseHolds (): Promise<void> {
    if (this.closeHolds.size === 0) return
    let timer: NodeJS.Timeout | undefined
    const bound = new Promise<'timeout'>(resolve => { timer = setTimeout(() => resolve('timeout'), CLOSE_HOLD_MS) })
    const work = Promise.all([...this.closeHolds].map(async w => {
      await w().catch((err: unknown) => this.log.error({ err }, 'work before closing wires failed'))
    }))
    if (await Promise.race([work, bound]) === 'timeout') this.log.warn({ ms: CLOSE_HOLD_MS }, 'closing wires before the work they waited for ended')
    clearTimeout(timer)
  }

  /** Whether a piece has passed its SHA-1 check and is on disk (false before the metadata). */
  hasPiece (index: number): boolean { return this.picker?.hasPiece(index) ?? false }

  /** A verified piece's bytes, read from disk into a buffer of its own (a streaming reader's). */
  async readVerifiedPiece (index: number): Promise<Buffer> {
    if (this.storage === null || !this.hasPiece(index)) throw new EngineStateError(this.state, `read piece ${index}, which is not verified`)
    return await this.storage.readPiece(index)
  }

  /**
   * Deadline mode for a reader: pieces [from, to) are asked for first, in order, and every peer is asked again now
   * (the peers that answer fastest refill most often, so they get most of them); null: rarest-first again.
   */
  setUrgent (window: { from: number, to: number } | null): void {
    this.downloader?.setUrgent(window)
  }

  /** A reader is done with its window: rarest-first again, unless another reader has set its own since. */
  releaseUrgent (window: { from: number, to: number }): void {
    if (this.picker?.urgentWindow === window) this.picker.setUrgent(null)
  }

  /** Re-run the choker now, e.g. when the upload policy's answer for a peer changed. */
  rechoke (): void { this.uploader?.rechoke() }

  /** Request more from every peer now, e.g. when the download policy's answer for a peer grew. */
  refill (): void { this.downloader?.refillAll() }

  stats (): EngineStats {
    let down = 0
    let up = 0
    for (const p of this.peers.values()) { down += p.downloadRate; up += p.uploadRate }
    return {
      verifiedBytes: this.picker?.verifiedBytes ?? 0,
      length: this.meta?.length ?? 0,
      piecesVerified: this.picker?.verifiedCount ?? 0,
      pieceCount: this.meta?.pieceCount ?? 0,
      downloadRate: down,
      uploadRate: up,
      downloaded: this.downloaded,
      uploaded: this.uploaded,
      peers: this.peers.size,
      done: this.picker?.done ?? false
    }
  }

  /** The connected peers (after their handshake), for status pages: who they are and how fast they move data. */
  peerList (): PeerInfo[] {
    return [...this.peers.values()].map(p => ({
      id: p.id, address: p.address, downloadRate: p.downloadRate, uploadRate: p.uploadRate,
      seed: p.isSeed, interested: p.interested, choked: p.wire.amChoking, encryption: p.wire.encryption
    }))
  }

  /** Tell trackers we leave, close every peer and file. Safe to call twice. */
  async stop (): Promise<void> {
    if (this.state === 'stopped') return
    this.state = 'stopped'
    this.emit('stopping', {})
    this.discovery.abort()
    if (this.timer !== null) clearInterval(this.timer)
    this.uploader?.stop()
    // Graceful: a receipt signed for the last verified piece may still be being stored, or queued on a wire.
    await this.runCloseHolds()
    await Promise.all([...this.wires].map(async w => await w.end('engine stopped')))
    await Promise.all([
      this.tracker?.stop().catch(err => this.log.warn({ err }, 'tracker stop failed')),
      this.manager.stop()
    ])
    await this.storage?.close()
    // Read-only: nothing changed on disk since the save after hashing, so there is nothing to save.
    if (this.init.resumeFile !== undefined && this.init.readOnly !== true && this.meta !== null && this.picker !== null) {
      await saveResume(this.init.resumeFile, this.meta, this.init.dataDir, this.picker.bitfield())
        .catch((err: Error) => this.log.warn({ err: err.message }, 'could not save resume data'))
    }
  }

  private async openTorrent (meta: TorrentMeta): Promise<void> {
    const readOnly = this.init.readOnly === true
    const storage = new Storage({ logger: this.log }, { meta, dataDir: this.init.dataDir, readOnly })
    await storage.open()
    const resumeFile = this.init.resumeFile
    const saved = resumeFile !== undefined && this.init.recheck !== true ? await loadResume(resumeFile, meta, this.init.dataDir) : null
    // Stamped before hashing: a file that changes while we hash gets a new mtime and is hashed again next time.
    const before = resumeFile !== undefined && readOnly && saved === null ? await fileStamps(meta, this.init.dataDir) : null
    const have = saved ?? await storage.verifyExisting()
    this.resumed = saved !== null ? 'saved' : 'hashed'
    this.log.info({ resume: saved !== null ? 'saved bitfield' : 'hashed data on disk' }, 'resume check')
    this.storage = storage
    const picker = new Picker({ pieceCount: meta.pieceCount, pieceLength: meta.pieceLength, lastPieceLength: meta.lastPieceLength, have })
    this.picker = picker
    if (resumeFile !== undefined && before !== null) {
      await saveResume(resumeFile, meta, this.init.dataDir, picker.bitfield(), before)
        .catch((err: Error) => this.log.warn({ err: err.message }, 'could not save resume data'))
    }
    this.downloader = new Downloader({
      logger: this.log,
      picker,
      storage,
      peers: this.peers,
      hooks: {
        hashed: (index, bytesByPeer) => this.emit('piece:hashed', { index, bytesByPeer }),
        verified: (index, bytesByPeer) => this.onVerified(index, bytesByPeer),
        corrupt: (index, senders) => this.emit('piece:corrupt', { index, senders }),
        ban: (peer, reason) => this.ban(peer, reason),
        violation: (peer, reason) => peer.wire.destroy(`protocol violation: ${reason}`),
        storageFailed: (error) => {
          this.log.error({ err: error }, 'storage write failed')
          this.emit('engine:error', { error })
        }
      }
    }, { meta, fetch: !readOnly, ...pick(this.init, ['requestTimeoutMs', 'maxStrikes', 'downloadPolicy']) })
    this.uploader = new Uploader({
      logger: this.log,
      storage,
      picker,
      peers: this.peers,
      hooks: {
        uploaded: (peer, index, offset, length) => {
          this.uploaded += length
          this.emit('block:uploaded', { peerId: peer.id, address: peer.address, index, offset, length })
        },
        violation: (peer, reason) => peer.wire.destroy(`protocol violation: ${reason}`)
      }
    }, {
      ...(this.init.uploadPolicy !== undefined ? { policy: this.init.uploadPolicy } : {}),
      ...pick(this.init, ['uploadSlots', 'optimisticSlots'])
    })
    this.uploader.start()
  }

  private startTracker (signal: AbortSignal | undefined): void {
    const announce = this.init.announce ?? this.meta?.announce ?? (this.init.torrent.kind === 'magnet' ? this.init.torrent.announce : [])
    if (announce.length === 0) return
    this.tracker = startAnnouncer({ logger: this.log }, {
      announce,
      infoHash: this.infoHash,
      peerId: this.peerId,
      port: this.port,
      host: this.init.router?.listenHost ?? this.init.host ?? '127.0.0.1',
      stats: () => ({
        uploaded: this.uploaded,
        downloaded: this.downloaded,
        left: this.meta === null ? 1 : this.meta.length - (this.picker?.verifiedBytes ?? 0)
      }),
      onPeer: (address) => this.manager.add(address),
      completed: this.picker?.done === true,
      ...(signal !== undefined ? { signal } : {})
    })
  }

  /** DHT and LSD lookups for this info hash, announcing our port; a private torrent uses neither (BEP 27). */
  private startDiscovery (): void {
    if (this.meta?.private === true) return
    const port = this.port
    for (const source of [this.init.dht, this.init.lsd]) {
      source?.find(this.infoHash, { port, signal: this.discovery.signal, onPeer: (address) => this.manager.add(address) })
    }
  }

  private onSocket (socket: Socket, address: string, direction: 'in' | 'out', reader: ReaderHook | undefined, link: MseLink | undefined): void {
    const wire = new PeerWire({ logger: this.log }, {
      socket,
      address,
      direction,
      ...(link !== undefined ? { link } : {}),
      ...(reader !== undefined ? { reader } : {}),
      ...(this.meta !== null ? { pieceCount: this.meta.pieceCount } : {})
    })
    this.wires.add(wire)
    let peer: Peer | null = null
    /** An incoming peer's listen address, once its BEP 10 handshake named it: not dialled while this lasts. */
    let reachedAs: string | null = null
    wire.on('wire:close', ({ reason }) => {
      this.wires.delete(wire)
      this.manager.closed(address, peer === null)
      if (reachedAs !== null) this.manager.disconnectedFrom(reachedAs)
      if (peer !== null && this.peers.get(peer.id) === peer) {
        this.peers.delete(peer.id)
        this.downloader?.onClose(peer)
        this.uploader?.rechoke()
      }
      this.emit('peer:close', { peerId: wire.peerId, address, reason })
    })
    this.emit('wire:created', { wire })
    for (const make of this.init.extensions ?? []) wire.use(make(wire))
    mountMetadata(wire, {
      infoHash: this.infoHash,
      meta: this.meta,
      announce: this.init.torrent.kind === 'magnet' ? this.init.torrent.announce : [],
      logger: this.log,
      have: () => this.meta !== null,
      onMeta: (meta) => this.onMetadata(meta)
    })
    if (this.init.pex !== false && this.meta?.private !== true) {
      wire.use(pexExtension({
        known: () => [...this.peers.values()].filter(p => p.wire !== wire && p.listenAddress !== null).map(p => p.listenAddress!),
        onPeers: (addresses) => { for (const a of addresses) this.manager.add(a) }
      }))
    }
    const dht = this.meta?.private === true ? undefined : this.init.dht
    wire.on('wire:handshake', ({ infoHash, peerId, dht: peerDht }) => {
      const reason = this.rejectHandshake(infoHash, peerId, address, direction)
      if (reason !== null) { wire.destroy(reason); return }
      const attached = peer = this.attach(wire, peerId, direction)
      // after attach: its listener (peer-session.ts) reads the listen port from the same extended handshake first
      if (direction === 'in') {
        wire.on('wire:extended', () => {
          if (reachedAs !== null || attached.listenAddress === null) return
          reachedAs = attached.listenAddress
          this.manager.connectedFrom(reachedAs)
        })
      }
      // BEP 5: both ends set the reserved bit, so tell the peer where our node listens.
      if (dht !== undefined && peerDht && dht.port > 0) wire.port(dht.port)
    })
    if (dht !== undefined) {
      wire.on('wire:port', ({ port }) => {
        const host = parseHost(address)
        if (host !== null) dht.addNode(host, port)
      })
    }
    wire.handshake(this.infoHash, this.peerId, { reqq: OUR_REQQ, v: 'seedpay/0.1', p: this.port }, { dht: dht !== undefined })
  }

  private rejectHandshake (infoHash: string, peerId: string, address: string, direction: 'in' | 'out'): string | null {
    if (infoHash !== this.infoHash) return `wrong info hash ${infoHash}`
    if (peerId === this.peerId) return 'connected to ourselves'
    if (this.manager.isBanned(peerId, address)) return 'banned'
    const existing = this.peers.get(peerId)
    if (existing === undefined) return null
    // Both ends keep the connection opened by the lower peer id, so a crossed dial leaves exactly one.
    const keepOutgoing = this.peerId < peerId
    if ((direction === 'out') === keepOutgoing) {
      existing.wire.destroy('duplicate connection')
      return null
    }
    return 'duplicate connection'
  }

  private attach (wire: PeerWire, peerId: string, direction: 'in' | 'out'): Peer {
    const peer = new Peer(wire, peerId, this.meta?.pieceCount ?? 0)
    this.peers.set(peerId, peer)
    routePeerEvents(peer, direction, {
      downloader: () => this.downloader,
      uploader: () => this.uploader,
      hasMetadata: () => this.meta !== null,
      countDownloaded: (n) => { this.downloaded += n },
      bothSeeds: () => {
        if (this.picker?.done !== true) return false
        if (peer.listenAddress !== null) this.manager.forget(peer.listenAddress)
        return true
      }
    })
    if (this.picker !== null && this.picker.verifiedCount > 0) wire.bitfield(this.picker.bitfield())
    this.emit('peer:connect', { peerId, address: wire.address, direction })
    return peer
  }

  private async onMetadata (meta: TorrentMeta): Promise<void> {
    if (this.meta !== null || this.state !== 'running') return
    this.meta = meta
    // A magnet found on the DHT may turn out private: from now on only its trackers may find peers (BEP 27).
    if (meta.private) this.discovery.abort()
    if (this.init.metadataOnly === true) {
      this.emit('metadata', { meta })
      for (const w of this.metadataWaiters.splice(0)) w(meta)
      return
    }
    await this.openTorrent(meta)
    this.log.info({ name: meta.name, pieces: meta.pieceCount }, 'metadata received')
    for (const peer of this.peers.values()) {
      peer.pieces = new Uint8Array(meta.pieceCount)
      peer.wire.setPieceCount(meta.pieceCount)
      const bits = peer.wire.peerBitfield()
      if (bits !== null) this.downloader?.onBitfield(peer, bits)
    }
    this.emit('metadata', { meta })
    for (const w of this.metadataWaiters.splice(0)) w(meta)
    this.uploader?.rechoke()
  }

  private onVerified (index: number, bytesByPeer: Map<string, number>): void {
    for (const p of this.peers.values()) p.wire.have(index)
    this.emit('piece:verified', { index, bytesByPeer })
    if (this.picker?.done === true) this.finish()
  }

  private finish (): void {
    if (this.doneEmitted) return
    this.doneEmitted = true
    this.tracker?.completed()
    const seeds = [...this.peers.values()].filter(p => p.isSeed)
    for (const p of seeds) if (p.listenAddress !== null) this.manager.forget(p.listenAddress)
    // Graceful, and after the work before closing, so a receipt for the last piece reaches the seeder first.
    this.runCloseHolds()
      .then(async () => { await Promise.all(seeds.map(async p => await p.wire.end('both seeding'))) })
      .catch(err => this.log.warn({ err }, 'closing a seed failed'))
    this.uploader?.rechoke()
    this.emit('done', this.stats())
    if (this.init.seed === false) this.stop().catch(err => this.log.error({ err }, 'stop after done failed'))
  }

  private ban (peer: Peer, reason: string): void {
    this.log.warn({ peer: peer.address, reason }, 'peer banned')
    this.manager.ban(peer.id, peer.address)
    this.emit('peer:banned', { peerId: peer.id, address: peer.address, reason })
    peer.wire.destroy(`banned: ${reason}`)
  }

  private tick (): void {
    this.downloader?.checkTimeouts()
    this.emit('progress', this.stats())
  }
}

/** The host of a `host:port` / `[v6]:port` address, or null. */
function parseHost (address: string): string | null {
  try { return parseAddress(address).host } catch { return null }
}

function pick<T extends object, K extends keyof T> (o: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {}
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k]
  return out
}
