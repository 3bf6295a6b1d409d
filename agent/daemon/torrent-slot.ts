/**
 * One torrent of the daemon: its engine on the shared port, read-only over the user's data (verified before a byte
 * is served, never written), charged through the daemon's one payment agent or free. A torrent whose data fails
 * to open or matches nothing is kept in state `error` with the reason, and the others go on.
 */
import type { Logger } from 'pino'
import { TorrentEngine, type PeerInfo, type PortRouter, type TorrentMeta } from '../swarm/index.ts'
import { amountFor, bttUnits, formatBtt } from '../pay/index.ts'
import type { DaemonPayments, TorrentTerms } from './payments-view.ts'
import { seedResumeFile } from '../swarm/index.ts'

export type TorrentState = 'checking' | 'seeding' | 'paused' | 'error'
/** Where a torrent of the daemon comes from: its config, `seedpay add`, the Transmission it imports from, its watch folder. */
export type TorrentSource = 'config' | 'api' | 'transmission' | 'watch'

/** How a torrent is sold: charged or free and, where it differs from the daemon's [payments], its own terms. */
export interface TorrentSale {
  /** Charged through the payment agent (when the daemon has one); false: free for everyone. */
  paid: boolean
  /** Its own price, BTT per MiB ("0.0005"); checked > 0 where it was read (config, API, state). */
  price?: string
  /** Its own upload slots for peers that never pay. */
  freeSlots?: number
}

export interface TorrentSpec extends TorrentSale {
  meta: TorrentMeta
  /** The .torrent file it was loaded from (the daemon's copy for torrents added over the API). */
  file: string
  /** The directory that holds `<meta.name>`. */
  dataDir: string
  source: TorrentSource
}

export interface TorrentStatus {
  infoHash: string
  name: string
  length: number
  state: TorrentState
  /** Why the torrent is in state `error`. */
  error?: string
  paid: boolean
  /** What it is sold at, BTT per MiB; null when free. */
  pricePerMiB: string | null
  /** Its upload slots for peers that never pay; null when free (every slot is). */
  freeSlots: number | null
  source: TorrentSource
  file: string
  dataDir: string
  pieces: number
  piecesVerified: number
  verifiedBytes: number
  peers: number
  uploaded: number
  /** Of `uploaded`, what went to peers paying us. */
  paidBytes: number
  /** What `paidBytes` is worth at its price, BTT (receipts may still be on their way). */
  earned: string
  uploadRate: number
}

/** A peer of one torrent, and the account paying us for it (null: an ordinary or a free peer). */
export interface TorrentPeer extends PeerInfo { payer: string | null }

export interface TorrentSlotComponents {
  logger: Logger
  router: PortRouter
  /** The daemon's payment side, null when it seeds for free. */
  payments: DaemonPayments | null
  /** The daemon's [payments] free-slots, for a torrent without its own. */
  freeSlots: number
}

export class TorrentSlot {
  private engine: TorrentEngine | null = null
  private mount: ReturnType<DaemonPayments['mount']> | null = null
  private detach: (() => void) | null = null
  private current: TorrentState = 'paused'
  private failure: string | null = null
  /** Uploaded by the engines this slot ran before (a pause ends an engine; the count goes on). */
  private uploadedBefore = 0
  private paid = 0

  constructor (private readonly c: TorrentSlotComponents, readonly spec: TorrentSpec, private readonly maxPeers: number) {}

  get infoHash (): string { return this.spec.meta.infoHash }
  get state (): TorrentState { return this.current }
  get error (): string | null { return this.failure }
  get running (): TorrentEngine | null { return this.engine }

  /** Checks the data and serves it; on failure the slot is left in `error` with the reason (nothing thrown). */
  async start (): Promise<void> {
    if (this.engine !== null) return
    this.current = 'checking'
    this.failure = null
    const { meta, dataDir } = this.spec
    const mount = this.charged ? this.c.payments!.mount(this.terms()) : null
    this.mount = mount
    const engine = new TorrentEngine({ logger: this.c.logger }, {
      torrent: meta,
      dataDir,
      router: this.c.router,
      seed: true,
      readOnly: true,
      maxPeers: this.maxPeers,
      encryption: this.c.router.encryption,
      resumeFile: seedResumeFile(meta.infoHash),
      ...mount?.engineInit
    })
    this.engine = engine
    // a disk that fails while serving (file removed, unreadable) stops this torrent only
    engine.on('engine:error', ({ error }) => { if (this.engine === engine) void this.fail(`stopped: ${error.message}`) })
    this.detach = mount?.attach(engine) ?? null
    if (mount !== null) engine.on('block:uploaded', ({ peerId, length }) => { if (mount.payerOf(peerId) !== null) this.paid += length })
    try {
      await engine.start()
    } catch (err) {
      await this.fail(`cannot serve ${dataDir}: ${(err as Error).message}`)
      return
    }
    if (engine.missingPieces().length === meta.pieceCount) {
      await this.fail(`none of the ${meta.pieceCount} pieces of "${meta.name}" match the data under ${dataDir}`)
      return
    }
    // it may have been paused or removed while it checked
    if (this.engine === engine) this.current = 'seeding'
  }

  /** Stops serving (pause, remove, shutdown); `paused` unless it failed. */
  async stop (): Promise<void> {
    const engine = this.engine
    this.engine = null
    this.detach?.()
    this.detach = null
    this.mount = null
    if (engine !== null) {
      this.uploadedBefore += engine.stats().uploaded
      await engine.stop()
    }
    if (this.current !== 'error') this.current = 'paused'
  }

  private get charged (): boolean { return this.spec.paid && this.c.payments !== null }

  /** Its own terms for the payment side: what the spec sets (the price was checked where it was read). */
  private terms (): TorrentTerms {
    return {
      ...(this.spec.price !== undefined ? { pricePerMiB: bttUnits(this.spec.price)! } : {}),
      ...(this.spec.freeSlots !== undefined ? { freeSlots: this.spec.freeSlots } : {})
    }
  }

  /** Base units per MiB it is sold at, null when free. */
  private get price (): bigint | null {
    if (!this.charged) return null
    return this.spec.price !== undefined ? bttUnits(this.spec.price)! : this.c.payments!.payee.pricePerMiB
  }

  status (): TorrentStatus {
    const { meta } = this.spec
    const price = this.price
    const s = this.engine?.stats()
    return {
      infoHash: meta.infoHash,
      name: meta.name,
      length: meta.length,
      state: this.current,
      ...(this.failure !== null ? { error: this.failure } : {}),
      paid: this.charged,
      pricePerMiB: price === null ? null : formatBtt(price),
      freeSlots: price === null ? null : this.spec.freeSlots ?? this.c.freeSlots,
      source: this.spec.source,
      file: this.spec.file,
      dataDir: this.spec.dataDir,
      pieces: meta.pieceCount,
      piecesVerified: s?.piecesVerified ?? 0,
      verifiedBytes: s?.verifiedBytes ?? 0,
      peers: s?.peers ?? 0,
      uploaded: this.uploadedBefore + (s?.uploaded ?? 0),
      paidBytes: this.paid,
      earned: formatBtt(price === null ? 0n : amountFor(BigInt(this.paid), price)),
      uploadRate: s?.uploadRate ?? 0
    }
  }

  /** Its connected peers, with who pays for each (none while paused). */
  peers (): TorrentPeer[] {
    const mount = this.mount
    return (this.engine?.peerList() ?? []).map(p => ({ ...p, payer: mount?.payerOf(p.id) ?? null }))
  }

  private async fail (reason: string): Promise<void> {
    this.c.logger.warn({ infoHash: this.infoHash, reason }, 'torrent not served')
    await this.stop()
    this.current = 'error'
    this.failure = reason
  }
}
