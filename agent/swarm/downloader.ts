import type { Logger } from 'pino'
import { BLOCK_LENGTH, type Picker, type CompletedPiece } from './picker.ts'
import { blockKey, type Peer } from './peer.ts'
import type { Storage } from './storage.ts'
import type { TorrentMeta } from './torrent-file.ts'
import { pieceMatches, bytesBySender } from './verifier.ts'

/** Without a block for this long while requests are outstanding, a peer is snubbed (libtorrent: 60 s). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000
/**
 * Peers answer requests in order, so one still unanswered this long after a later one was answered was
 * dropped (Transmission drops requests past its queue silently when BEP 6 is off): ask again at once
 * instead of waiting for the request timeout.
 */
const DROPPED_REQUEST_SLACK_MS = 3_000
/** A peer silent this long while requests sent no later than an answered one are pending has dropped them. */
const DROPPED_IDLE_MS = 5_000
/** A snubbed peer keeps only this many requests so it cannot hold up pieces. */
const SNUBBED_DEPTH = 2
/**
 * Endgame duplicates go only to a peer whose own queue has run this low, this many at a time (libtorrent's rule:
 * a peer with nothing new to ask for asks for blocks already asked of others). Handing them to every peer with
 * room let a leecher of a swarm of 21, which keeps hundreds of requests queued at each of its peers, start the
 * endgame with a third of the torrent still in flight: 6–10 % of what it received was duplicates.
 */
const ENDGAME_QUEUE = 8
/** Corrupt pieces a peer may send before it is banned. */
export const DEFAULT_MAX_STRIKES = 3
/** Verified pieces waiting for the disk; above this we stop requesting so memory stays bounded on slow disks. */
const MAX_WRITE_BACKLOG = 8 * 1024 * 1024
/** Abandoned-request memory per peer; old entries only matter for a few round trips. */
const MAX_ABANDONED = 4096

export interface DownloaderHooks {
  /** A piece passed SHA-1 (its write to disk is under way): what a payer pays for. */
  hashed(index: number, bytesByPeer: Map<string, number>): void
  /** A piece passed SHA-1 and is on disk: we have it (announce it, serve it). */
  verified(index: number, bytesByPeer: Map<string, number>): void
  corrupt(index: number, senders: string[]): void
  /** Peer earned enough strikes; the engine bans and closes it. */
  ban(peer: Peer, reason: string): void
  violation(peer: Peer, reason: string): void
  storageFailed(err: Error): void
}

/**
 * Lets another layer bound what we owe a peer at once, without touching the request pipeline: the payment
 * layer keeps what a charging peer has served ahead of our receipts (requested + received but not yet
 * verified) within the credit it granted, so the seller never has to choke us.
 */
export interface DownloadPolicy {
  /**
   * Most bytes to have requested from, or received and not yet hashed from, this peer; undefined: no limit.
   * Above 0 it is raised to one piece (a piece is paid for only once all of it arrived); 0: ask for nothing now
   * (the payer's receipts for what it verified are still on their way).
   */
  maxOutstandingBytes(peerId: string): number | undefined
  /**
   * A hard limit on the same bytes (what the payer's budget pays for); below one piece nothing is requested,
   * since a piece is paid for only once all of it passed SHA-1. undefined: no limit.
   */
  affordableBytes?(peerId: string): number | undefined
}

export interface DownloaderInit {
  requestTimeoutMs?: number
  maxStrikes?: number
  downloadPolicy?: DownloadPolicy
}

/** Keeps every unchoked peer's request queue full and turns received blocks into verified pieces. */
export class Downloader {
  private readonly log: Logger
  private readonly picker: Picker
  private readonly storage: Storage
  private readonly meta: TorrentMeta
  private readonly peers: ReadonlyMap<string, Peer>
  private readonly hooks: DownloaderHooks
  private readonly requestTimeoutMs: number
  private readonly maxStrikes: number
  private readonly policy: DownloadPolicy | undefined
  private readonly fetch: boolean
  /** Pieces a peer has that we still lack, per peer id (drives interest in O(1)). */
  private readonly wanted = new Map<string, number>()
  private endgame = false
  private writing = 0

  constructor (
    components: { logger: Logger, picker: Picker, storage: Storage, peers: ReadonlyMap<string, Peer>, hooks: DownloaderHooks },
    /** `fetch: false`: never interested, never request (a seeder that must not write into its data). */
    init: { meta: TorrentMeta, fetch?: boolean } & DownloaderInit
  ) {
    this.log = components.logger
    this.picker = components.picker
    this.storage = components.storage
    this.peers = components.peers
    this.hooks = components.hooks
    this.meta = init.meta
    this.requestTimeoutMs = init.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS
    this.maxStrikes = init.maxStrikes ?? DEFAULT_MAX_STRIKES
    this.policy = init.downloadPolicy
    this.fetch = init.fetch ?? true
  }

  onBitfield (peer: Peer, bits: Uint8Array): void {
    if (peer.pieceTotal > 0) this.picker.addBitfield(peer.has, -1)
    peer.setBitfield(bits)
    this.picker.addBitfield(peer.has, 1)
    let w = 0
    for (let i = 0; i < this.meta.pieceCount; i++) if (peer.has(i) && !this.picker.hasPiece(i)) w++
    this.wanted.set(peer.id, w)
    this.updateInterest(peer)
  }

  onHave (peer: Peer, index: number): void {
    if (!peer.setHave(index)) return
    this.picker.addAvailability(index, 1)
    if (!this.picker.hasPiece(index)) this.wanted.set(peer.id, (this.wanted.get(peer.id) ?? 0) + 1)
    this.updateInterest(peer)
  }

  onUnchoke (peer: Peer): void { this.fill(peer) }

  onChoke (peer: Peer): void { this.abandonAll(peer, false) }

  onClose (peer: Peer): void {
    this.abandonAll(peer, false)
    if (peer.pieceTotal > 0) this.picker.addBitfield(peer.has, -1)
    this.wanted.delete(peer.id)
  }

  onBlock (peer: Peer, index: number, offset: number, data: Uint8Array): void {
    const key = blockKey(index, offset)
    const sentAt = peer.outstanding.get(key)
    if (sentAt !== undefined && sentAt > peer.lastAnsweredSentAt) peer.lastAnsweredSentAt = sentAt
    let late = false
    // Copies of this block we asked for, gave back, and may still get: one per request given back.
    const givenBack = peer.abandoned.get(key) ?? 0
    if (peer.outstanding.delete(key)) {
      // Asked again after giving it back: this answer may be an old copy; the request still open is now a
      // duplicate the peer would serve (and a charging peer count as owed) for nothing, so cancel it. The copies
      // given back stay counted: those already on their way are taken quietly.
      if (givenBack > 0) {
        peer.wire.cancel(index, offset, data.length)
        late = true
      }
    } else if (givenBack > 0) {
      // A late answer to a request we gave back (the peer choked us, or we cancelled it): kept if the piece still
      // needs it. A charging peer counted it as served; thrown away, it was owed forever, and each choke added
      // more until the payer's debt stayed above the half of its credit it must be under to be unchoked again.
      if (givenBack === 1) peer.abandoned.delete(key)
      else peer.abandoned.set(key, givenBack - 1)
      late = true
    } else {
      this.hooks.violation(peer, `unrequested block ${index}:${offset}+${data.length}`)
      return
    }
    peer.down.add(data.length)
    peer.lastBlockAt = Date.now()
    peer.snubbed = false
    const got = this.picker.receive(index, offset, data, peer.id, { late })
    if (late && (got === 'duplicate' || got === 'unexpected')) return
    if (got === 'unexpected') {
      this.hooks.violation(peer, `block ${index}:${offset} has length ${data.length}`)
      return
    }
    if (got !== 'duplicate') peer.unverifiedBytes += data.length
    if (this.endgame) this.cancelDuplicates(peer, index, offset)
    if (got !== null && got !== 'duplicate') this.complete(got)
    this.fill(peer)
  }

  /** Top up a peer's request queue to its target depth. */
  fill (peer: Peer): void {
    const wire = peer.wire
    if (!this.fetch || wire.isClosed || wire.peerChoking || !wire.amInterested || this.writing > MAX_WRITE_BACKLOG) return
    const depth = peer.snubbed ? SNUBBED_DEPTH : peer.targetDepth(BLOCK_LENGTH)
    // Refill in batches: one picker call per eighth of the queue instead of one per block. Checked first against the
    // depth alone: the download policy only lowers it, so a queue too full for the depth is too full for the limit
    // too (size > 7/8 of the depth ≥ 7/8 of the limit), and a full pipe, called once per block, skips the policy.
    if (!this.refillDue(depth, peer.outstanding.size)) return
    const target = this.limitedDepth(peer, depth)
    if (!this.refillDue(target, peer.outstanding.size)) return
    const free = target - peer.outstanding.size
    const duplicates = peer.outstanding.size < ENDGAME_QUEUE ? ENDGAME_QUEUE : 0
    const blocks = this.picker.next(peer.has, free, (i, o) => peer.outstanding.has(blockKey(i, o)), peer.id, duplicates)
    if (blocks.length === 0) return
    if (this.picker.inEndgame) this.endgame = true
    const now = Date.now()
    for (const b of blocks) peer.outstanding.set(blockKey(b.index, b.offset), now)
    wire.requestMany(blocks)
  }

  /**
   * A reader now waits for pieces [from, to): when some of their blocks are not yet asked for, requests queued for
   * other pieces are cancelled (given back to the picker, asked again later) so the urgent ones are not served behind
   * seconds of queue, and every peer is asked again, urgent blocks first. Null: rarest-first alone again.
   */
  setUrgent (window: { from: number, to: number } | null): void {
    this.picker.setUrgent(window)
    if (window !== null && this.picker.urgentUnrequested) {
      for (const peer of this.peers.values()) {
        for (const key of peer.outstanding.keys()) {
          const index = Math.floor(key / 0x10000)
          if (index >= window.from && index < window.to) continue
          peer.outstanding.delete(key)
          this.giveBack(peer, key, true)
        }
      }
    }
    this.refillAll()
  }

  /** Asks every peer for more, e.g. when the download policy's answer changed. */
  refillAll (): void {
    for (const peer of this.peers.values()) this.fill(peer)
  }

  /** Periodic: snub peers that sit on requests, and give their blocks to others. */
  checkTimeouts (): void {
    const now = Date.now()
    for (const peer of this.peers.values()) this.retryDropped(peer)
    for (const peer of this.peers.values()) {
      if (peer.outstanding.size === 0 || now - peer.lastBlockAt < this.requestTimeoutMs) continue
      if (!peer.snubbed) this.log.debug({ peer: peer.address, outstanding: [...peer.outstanding.keys()].slice(0, 5), n: peer.outstanding.size, verified: this.picker.verifiedCount }, 'peer snubbed: no block within request timeout')
      peer.snubbed = true
      this.abandonAll(peer, true)
      peer.lastBlockAt = now
    }
    for (const peer of this.peers.values()) this.fill(peer)
  }

  private retryDropped (peer: Peer): void {
    if (peer.lastAnsweredSentAt === 0 || peer.outstanding.size === 0) return
    // Streaming: skipped by later answers for a while. Idle: everything sent with or after it was answered.
    const idle = Date.now() - peer.lastBlockAt > DROPPED_IDLE_MS
    const cutoff = idle ? peer.lastAnsweredSentAt + 1 : peer.lastAnsweredSentAt - DROPPED_REQUEST_SLACK_MS
    for (const [key, sentAt] of peer.outstanding) {
      if (sentAt >= cutoff) continue
      peer.outstanding.delete(key)
      this.giveBack(peer, key, true)
    }
  }

  /** We verified a piece: peers that only had it for us may stop being interesting. */
  private afterVerified (index: number): void {
    for (const peer of this.peers.values()) {
      if (!peer.has(index)) continue
      const w = (this.wanted.get(peer.id) ?? 1) - 1
      this.wanted.set(peer.id, w)
      if (w <= 0) this.updateInterest(peer)
    }
  }

  private updateInterest (peer: Peer): void {
    if (this.fetch && (this.wanted.get(peer.id) ?? 0) > 0) {
      peer.wire.interested()
      this.fill(peer)
    } else {
      peer.wire.uninterested()
    }
  }

  private abandonAll (peer: Peer, cancel: boolean): void {
    for (const key of peer.outstanding.keys()) this.giveBack(peer, key, cancel)
    peer.outstanding.clear()
    this.picker.disown(peer.id)
  }

  /**
   * A request we no longer wait for (the caller takes it out of the peer's outstanding set): its block is free in
   * the picker again, the peer is told with a cancel if `cancel`, and a copy may still arrive (`remember`).
   */
  private giveBack (peer: Peer, key: number, cancel: boolean): void {
    const index = Math.floor(key / 0x10000)
    const offset = (key % 0x10000) * BLOCK_LENGTH
    this.picker.release(index, offset)
    if (cancel) peer.wire.cancel(index, offset, Math.min(BLOCK_LENGTH, this.picker.pieceSize(index) - offset))
    this.remember(peer, key)
  }

  private cancelDuplicates (from: Peer, index: number, offset: number): void {
    const key = blockKey(index, offset)
    for (const p of this.peers.values()) {
      if (p === from || !p.outstanding.delete(key)) continue
      this.giveBack(p, key, true)
    }
  }

  private remember (peer: Peer, key: number): void {
    const copies = peer.abandoned.get(key) ?? 0
    // Full: forget the oldest (its answer, if any, is long overdue), not everything (whose answers may be on the way).
    if (copies === 0 && peer.abandoned.size >= MAX_ABANDONED) peer.abandoned.delete(peer.abandoned.keys().next().value!)
    peer.abandoned.set(key, copies + 1)
  }

  /** Whether a queue of `size` requests is worth topping up to `target`: empty, or at least an eighth short. */
  private refillDue (target: number, size: number): boolean {
    const free = target - size
    return free > 0 && (free >= target / 8 || size === 0)
  }

  /** The queue depth within the download policy's byte limit for this peer (0: wait for verifications). */
  private limitedDepth (peer: Peer, depth: number): number {
    const asked = this.policy?.maxOutstandingBytes(peer.id)
    if (asked === undefined) return depth
    if (asked <= 0) return 0
    // Never below one piece: a piece only verifies (and gets paid for) once all of it has arrived.
    let limit = Math.max(asked, this.meta.pieceLength)
    const affordable = this.policy?.affordableBytes?.(peer.id)
    if (affordable !== undefined) {
      if (affordable < this.meta.pieceLength) return 0
      limit = Math.min(limit, affordable)
    }
    return Math.min(depth, Math.max(0, Math.floor((limit - peer.unverifiedBytes) / BLOCK_LENGTH)))
  }

  /** The piece's bytes are no longer unverified (hashed, or failed); peers held back by the download policy may ask for more. */
  private settled (piece: CompletedPiece): void {
    for (const [id, bytes] of bytesBySender(piece)) {
      const p = this.peers.get(id)
      if (p === undefined) continue
      p.unverifiedBytes = Math.max(0, p.unverifiedBytes - bytes)
      if (this.policy !== undefined) this.fill(p)
    }
  }

  private complete (piece: CompletedPiece): void {
    const expected = this.meta.pieceHashes[piece.index]!
    if (!pieceMatches(piece.data, expected)) {
      this.settled(piece)
      const senders = [...new Set(piece.senders)]
      this.picker.failed(piece.index)
      this.hooks.corrupt(piece.index, senders)
      for (const id of senders) {
        const p = this.peers.get(id)
        if (p === undefined) continue
        p.strikes++
        if (p.strikes >= this.maxStrikes) this.hooks.ban(p, `sent ${p.strikes} corrupt pieces`)
      }
      this.picker.recycle(piece.data)
      for (const p of this.peers.values()) this.fill(p)
      return
    }
    const size = piece.data.length
    const senders = bytesBySender(piece)
    // Paid for and out of the download policy's window as soon as SHA-1 passes: waiting for the disk too put a
    // write (24 ms on average, up to 170 ms under load, 256 KiB pieces) into every receipt's round trip, and the
    // pipe stalled while the window drained to disk. Memory stays bounded by MAX_WRITE_BACKLOG (fill stops).
    const throttled = this.writing > MAX_WRITE_BACKLOG
    this.writing += size
    this.hooks.hashed(piece.index, senders)
    this.settled(piece)
    this.storage.writePiece(piece.index, piece.data).then(() => {
      this.storage.invalidate(piece.index)
      this.picker.verified(piece.index)
      this.afterVerified(piece.index)
      this.hooks.verified(piece.index, senders)
    }).catch((err: Error) => {
      this.picker.failed(piece.index)
      this.hooks.storageFailed(err)
    }).finally(() => {
      this.picker.recycle(piece.data)
      this.writing -= size
      if (throttled || this.writing + size > MAX_WRITE_BACKLOG) for (const p of this.peers.values()) this.fill(p)
    })
  }
}
