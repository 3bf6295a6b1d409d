import type { PeerWire } from './peer-wire.ts'
import type { ChokerPeer } from './choker.ts'
import { BLOCK_LENGTH } from './picker.ts'

/** BEP 10 `reqq` default when a peer does not advertise one (libtorrent's historical default). */
export const DEFAULT_PEER_REQQ = 250
/**
 * Never queue more than this many requests at one peer, whatever its reqq says: libtorrent's default
 * max_out_request_queue. 500 × 16 KiB is 8 MiB in flight, enough for Transmission's ~20 MB/s pacing and far
 * more than loopback needs, without holding more piece buffers than necessary.
 */
const MAX_QUEUE_DEPTH = 500
/**
 * Starting queue depth. Transmission serves what is queued each 500 ms bandwidth pulse (~2 MB/s at 64
 * requests, ~20 MB/s at 500), so starting shallow costs seconds; reqq still caps it.
 */
const INITIAL_QUEUE_DEPTH = 250
/** Fewest requests kept in flight once a peer is unchoked. */
const MIN_QUEUE_DEPTH = 8
/** Keep this many seconds of the peer's measured rate requested (libtorrent's request_queue_time). */
const QUEUE_TIME_S = 3

/** Bytes per second over a short sliding window (1 s buckets). */
export class RateMeter {
  private readonly buckets = new Float64Array(5)
  private last = 0
  private first = 0
  total = 0

  add (bytes: number, now = Date.now()): void {
    this.roll(now)
    this.buckets[this.last % this.buckets.length]! += bytes
    this.total += bytes
  }

  rate (now = Date.now()): number {
    this.roll(now)
    let sum = 0
    for (const b of this.buckets) sum += b
    // A young meter averages over the seconds it has seen, not over empty buckets.
    const span = Math.min(this.buckets.length, Math.max(1, this.last - this.first + 1))
    return sum / span
  }

  private roll (now: number): void {
    const sec = Math.floor(now / 1000)
    if (this.last === 0) { this.last = sec; this.first = sec; return }
    for (let s = this.last + 1; s <= sec && s <= this.last + this.buckets.length; s++) this.buckets[s % this.buckets.length] = 0
    if (sec > this.last) this.last = sec
  }
}

/** Our view of one connected, handshaken peer. */
export class Peer implements ChokerPeer {
  readonly wire: PeerWire
  readonly id: string
  readonly address: string
  /** Pieces the peer has (1 byte per piece for O(1) checks). */
  pieces: Uint8Array
  pieceTotal = 0
  /** Requests we sent and still wait for: key → time sent. */
  readonly outstanding = new Map<number, number>()
  /**
   * Requests we gave back (choked, snubbed, cancelled) whose answers may still arrive: key → how many copies. A block
   * asked for, given back and asked again can come once per request, so a yes/no is not enough.
   */
  readonly abandoned = new Map<number, number>()
  /** Bytes this peer sent us in pieces not yet verified and written (what a charging peer is still owed for). */
  unverifiedBytes = 0
  readonly down = new RateMeter()
  readonly up = new RateMeter()
  /** Peer's advertised max outstanding requests (BEP 10 `reqq`). */
  reqq = DEFAULT_PEER_REQQ
  depth = INITIAL_QUEUE_DEPTH
  strikes = 0
  snubbed = false
  lastBlockAt = Date.now()
  /** Send time of the newest request the peer has answered; older unanswered ones were likely dropped. */
  lastAnsweredSentAt = 0
  /** Where the peer accepts connections (dialled address, or remote IP + BEP 10 `p`), for PEX. */
  listenAddress: string | null = null
  /** Upload reads in flight for this peer. */
  reading = 0
  /**
   * Reads in flight per `index:offset:length`, and how many of them were cancelled (or choked away).
   * bittorrent-protocol answers a request by matching equal fields, so a stale read must never answer
   * the same block requested again after a cancel.
   */
  readonly serving = new Map<string, { inflight: number, cancelled: number }>()

  constructor (wire: PeerWire, id: string, pieceCount: number) {
    this.wire = wire
    this.id = id
    this.address = wire.address
    this.pieces = new Uint8Array(pieceCount)
  }

  get interested (): boolean { return this.wire.peerInterested }
  get downloadRate (): number { return this.down.rate() }
  get uploadRate (): number { return this.up.rate() }
  get isSeed (): boolean { return this.pieces.length > 0 && this.pieceTotal === this.pieces.length }
  supports (extension: string): boolean { return this.wire.peerSupports(extension) }

  readonly has = (i: number): boolean => this.pieces[i] === 1

  setHave (i: number): boolean {
    if (this.pieces[i] === 1) return false
    this.pieces[i] = 1
    this.pieceTotal++
    return true
  }

  setBitfield (bits: Uint8Array): void {
    this.pieceTotal = 0
    for (let i = 0; i < this.pieces.length; i++) {
      const v = ((bits[i >> 3] ?? 0) >> (7 - (i & 7))) & 1
      this.pieces[i] = v
      this.pieceTotal += v
    }
  }

  /** Requests to keep in flight: enough for QUEUE_TIME_S at the current rate, within the peer's reqq. */
  targetDepth (blockLength: number): number {
    const byRate = Math.ceil((this.down.rate() * QUEUE_TIME_S) / blockLength)
    this.depth = Math.max(this.depth, byRate, MIN_QUEUE_DEPTH)
    // One below reqq: Transmission 3 advertises reqq 512 but drops the request that would fill its queue
    // (`pendingReqsToClient + 1 >= REQQ`, peer-msgs.c) — silently without BEP 6 — stalling that block for
    // the whole request timeout. (Found by test/interop, transmission-agent bench: 47 s → 13 s for 64 MiB.)
    return Math.min(this.depth, Math.max(1, this.reqq - 1), MAX_QUEUE_DEPTH)
  }
}

/** One number per block request, so outstanding sets avoid string keys on the hot path. */
export function blockKey (index: number, offset: number): number {
  return index * 0x10000 + offset / BLOCK_LENGTH
}
