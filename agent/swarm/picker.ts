/**
 * Which blocks to ask which peer for: finish pieces already started, then rarest first (random among
 * equals, random first piece), then endgame duplicates. Holds in-flight piece buffers until verified.
 */
import { BLOCK_LENGTH } from '../pay/price.ts'

/** BEP 3: de-facto request size; every client serves 16 KiB blocks (the constant lives in agent/pay, which prices by it). */
export { BLOCK_LENGTH }

/** Endgame: how many peers may be asked for the same block at once. */
const ENDGAME_DUPLICATES = 2
/**
 * Spare piece buffers kept for reuse (bytes). Sized above the live set (requests in flight plus the write
 * backlog) so in steady state every piece reuses a buffer: dead 256 KiB buffers otherwise pile up as
 * external memory until V8 gets round to collecting them (measured: ~30 MiB of peak RSS).
 */
const BUFFER_POOL_BYTES = 16 * 1024 * 1024
/** Rebuild the rarest-first order at most this often; availability changes on every `have`. */
const REORDER_INTERVAL_MS = 1000

export interface BlockRequest { index: number, offset: number, length: number }

export interface CompletedPiece {
  index: number
  data: Buffer
  /** Sender peer id per block, in block order. */
  senders: string[]
}

interface Active {
  index: number
  length: number
  blocks: number
  /** Outstanding requests per block (0 = free). */
  requested: Uint8Array
  received: Uint8Array
  receivedCount: number
  /** First block index that might still be free; blocks before it are requested or received. */
  cursor: number
  data: Buffer | null
  senders: string[]
  /** Peer that started the piece; others leave it alone so a corrupt piece has one sender (until endgame). */
  owner: string | null
}

export interface PickerInit {
  pieceCount: number
  pieceLength: number
  lastPieceLength: number
  /** Pieces already on disk and verified. */
  have?: boolean[]
  random?: () => number
}

export class Picker {
  readonly pieceCount: number
  private readonly pieceLength: number
  private readonly lastPieceLength: number
  private readonly have: Uint8Array
  private readonly availability: Uint32Array
  private readonly active = new Map<number, Active>()
  /**
   * 1 while a piece is active or pending (received whole, being hashed or written: neither wanted nor had), so
   * `wanted` reads a byte, not a Map and a Set. In a swarm of 21 `pickNew`'s scans, done per refill of every
   * unchoking peer, were the agent's hottest JavaScript (perf, docs/benchmarks.md).
   */
  private readonly busy: Uint8Array
  private readonly random: () => number
  private haveCount = 0
  private readonly pool: Buffer[] = []
  private endgameActive = false
  /** Pieces a reader waits for, in reading order (streaming): picked before rarest-first; null when no one reads. */
  private urgent: { from: number, to: number } | null = null
  private order: number[] = []
  private head = 0
  private dirty = true
  private orderedAt = 0

  constructor (init: PickerInit) {
    this.pieceCount = init.pieceCount
    this.pieceLength = init.pieceLength
    this.lastPieceLength = init.lastPieceLength
    this.have = new Uint8Array(init.pieceCount)
    this.busy = new Uint8Array(init.pieceCount)
    this.availability = new Uint32Array(init.pieceCount)
    this.random = init.random ?? Math.random
    init.have?.forEach((h, i) => { if (h) { this.have[i] = 1; this.haveCount++ } })
  }

  get done (): boolean { return this.haveCount === this.pieceCount }
  get verifiedCount (): number { return this.haveCount }
  hasPiece (index: number): boolean { return this.have[index] === 1 }

  /**
   * Deadline mode: pieces [from, to) are picked first, in order (the next ones a reader needs), before pieces
   * already started elsewhere and rarest-first; `null` goes back to rarest-first alone.
   */
  setUrgent (window: { from: number, to: number } | null): void {
    this.urgent = window
  }

  /**
   * Whether the piece the reader waits for (the window's first) has blocks not asked for yet: then requests queued
   * elsewhere should make way. The rest of the window was asked for, urgent first, when it was set; as the window
   * slides a piece at a time, only its new last piece joins the queues' ends, with the window's length to arrive.
   */
  get urgentUnrequested (): boolean {
    const w = this.urgent
    if (w === null || w.from >= this.pieceCount) return false
    if (this.wanted(w.from)) return true
    const a = this.active.get(w.from)
    return a !== undefined && a.cursor < a.blocks
  }

  /**
   * The urgent window's free blocks, in order, from any peer that has them: a piece someone else started is shared
   * (its blocks' senders are still recorded one by one), since the reader waits for the whole piece.
   */
  private takeUrgent (w: { from: number, to: number }, has: (i: number) => boolean, max: number, peer: string, out: BlockRequest[]): void {
    for (let p = Math.max(0, w.from); p < Math.min(this.pieceCount, w.to) && out.length < max; p++) {
      if (!has(p)) continue
      const a = this.active.get(p) ?? (this.wanted(p) ? this.start(p, peer) : undefined)
      if (a !== undefined && a.cursor < a.blocks) this.takeFree(a, max, out)
    }
  }

  /** The window set last (the same object), or null. */
  get urgentWindow (): { from: number, to: number } | null { return this.urgent }
  pieceSize (index: number): number { return index === this.pieceCount - 1 ? this.lastPieceLength : this.pieceLength }

  /** Bytes verified so far. */
  get verifiedBytes (): number {
    let n = this.haveCount * this.pieceLength
    if (this.have[this.pieceCount - 1] === 1) n += this.lastPieceLength - this.pieceLength
    return n
  }

  /** Bitfield of verified pieces, BEP 3 bit order. */
  bitfield (): Uint8Array {
    const bits = new Uint8Array(Math.ceil(this.pieceCount / 8))
    for (let i = 0; i < this.pieceCount; i++) if (this.have[i] === 1) bits[i >> 3]! |= 0x80 >> (i & 7)
    return bits
  }

  addAvailability (index: number, delta: number): void {
    if (index >= this.pieceCount) return
    this.availability[index] = Math.max(0, (this.availability[index] ?? 0) + delta)
    this.dirty = true
  }

  addBitfield (has: (i: number) => boolean, delta: number): void {
    for (let i = 0; i < this.pieceCount; i++) if (has(i)) this.availability[i]! += delta
    this.dirty = true
  }

  /**
   * Up to `max` blocks this peer can serve. `mine` says whether the peer already has the block in flight
   * (endgame must not ask the same peer twice); of them at most `maxDuplicates` endgame duplicates.
   */
  next (has: (i: number) => boolean, max: number, mine: (index: number, offset: number) => boolean, peer: string, maxDuplicates = max): BlockRequest[] {
    const out: BlockRequest[] = []
    if (max <= 0 || this.done) return out
    if (this.urgent !== null) this.takeUrgent(this.urgent, has, max, peer, out)
    for (const a of this.active.values()) {
      if (out.length >= max) return out
      if ((a.owner === peer || a.owner === null) && a.cursor < a.blocks && has(a.index)) {
        a.owner = peer
        this.takeFree(a, max, out)
      }
    }
    // Each pick resumes after the last one: the order does not change within one call (it is rebuilt only at the
    // first pick), and the pieces before the last pick are unwanted now or not the peer's.
    let from = -1
    while (out.length < max) {
      const at = this.pickNew(has, from)
      if (at === -1) break
      const index = this.order[at]!
      // a newcomer's random first piece sits anywhere in the order: the next pick scans from the start
      from = this.newcomer ? -1 : at + 1
      const a = this.start(index, peer)
      this.takeFree(a, max, out)
    }
    if (out.length < max && maxDuplicates > 0) this.endgame(has, Math.min(max, out.length + maxDuplicates), mine, out)
    return out
  }

  /** A request was cancelled, refused or timed out: the block is free again (unless received). */
  release (index: number, offset: number): void {
    const a = this.active.get(index)
    if (a === undefined) return
    const b = offset / BLOCK_LENGTH
    if ((a.requested[b] ?? 0) > 0) a.requested[b]!--
    if (a.requested[b] === 0 && a.received[b] === 0 && b < a.cursor) a.cursor = b
  }

  /**
   * Store a received block. Returns the whole piece when its last block lands, `null` when more blocks
   * are due, or `'unexpected'` if the block does not belong to any piece in flight (or was already received).
   * `late`: a block no longer requested (we gave the request back) is stored too while its piece still needs it.
   */
  receive (index: number, offset: number, data: Uint8Array, sender: string, init: { late?: boolean } = {}): CompletedPiece | null | 'duplicate' | 'unexpected' {
    const a = this.active.get(index)
    // not active: had, or pending (busy) is a block that came twice
    if (a === undefined) return this.have[index] === 1 || this.busy[index] === 1 ? 'duplicate' : 'unexpected'
    const b = offset / BLOCK_LENGTH
    if (!Number.isInteger(b) || b >= a.blocks || data.length !== blockLength(a.length, b)) return 'unexpected'
    if (a.received[b] === 1) return 'duplicate'
    // `late`: the answer to a request we gave back (the peer choked us as it sent it); still wanted
    if (a.requested[b] === 0 && init.late !== true) return 'unexpected'
    a.data ??= (a.length === this.pieceLength ? this.pool.pop() : undefined) ?? Buffer.allocUnsafe(a.length)
    a.data.set(data, offset)
    a.received[b] = 1
    if (a.requested[b]! > 0) a.requested[b]!--
    a.receivedCount++
    a.senders[b] = sender
    if (a.receivedCount < a.blocks) return null
    this.active.delete(index)
    return { index, data: a.data, senders: a.senders }
  }

  /** The piece hashed correctly and is on disk. */
  verified (index: number): void {
    this.busy[index] = 0
    if (this.have[index] === 1) return
    this.have[index] = 1
    this.haveCount++
  }

  /** The piece failed its hash: every block is wanted again. */
  failed (index: number): void {
    this.busy[index] = 0
    this.dirty = true
    this.orderedAt = 0
  }

  /** Give back a completed piece's buffer once it is written (or thrown away); nothing may hold it after. */
  recycle (data: Buffer): void {
    if (data.length === this.pieceLength && (this.pool.length + 1) * this.pieceLength <= BUFFER_POOL_BYTES) this.pool.push(data)
  }

  /** Whether any peer has a request outstanding for this block (for endgame cancels). */
  isActive (index: number): boolean { return this.active.has(index) }

  private takeFree (a: Active, max: number, out: BlockRequest[]): void {
    for (let b = a.cursor; b < a.blocks && out.length < max; b++) {
      if (a.requested[b] !== 0 || a.received[b] !== 0) {
        if (b === a.cursor) a.cursor++
        continue
      }
      a.requested[b] = 1
      if (b === a.cursor) a.cursor++
      out.push({ index: a.index, offset: b * BLOCK_LENGTH, length: blockLength(a.length, b) })
    }
  }

  private endgame (has: (i: number) => boolean, max: number, mine: (i: number, o: number) => boolean, out: BlockRequest[]): void {
    if (this.unstartedExists()) return
    // Blocks taken earlier in this same call are not yet in the caller's outstanding set.
    const taken = new Set(out.map(r => r.index * 0x10000 + r.offset / BLOCK_LENGTH))
    for (const a of this.active.values()) {
      if (!has(a.index)) continue
      for (let b = 0; b < a.blocks && out.length < max; b++) {
        const r = a.requested[b] ?? 0
        if (a.received[b] !== 0 || r >= ENDGAME_DUPLICATES || taken.has(a.index * 0x10000 + b) || mine(a.index, b * BLOCK_LENGTH)) continue
        a.requested[b] = r + 1
        if (r > 0) this.endgameActive = true
        out.push({ index: a.index, offset: b * BLOCK_LENGTH, length: blockLength(a.length, b) })
      }
      if (out.length >= max) return
    }
  }

  private unstartedExists (): boolean {
    this.reorder()
    for (let i = this.head; i < this.order.length; i++) {
      const p = this.order[i]!
      if (this.wanted(p)) return true
    }
    return false
  }

  /** Nothing had and nothing started: the next piece is picked at random. */
  private get newcomer (): boolean { return this.haveCount === 0 && this.active.size === 0 }

  private wanted (p: number): boolean {
    return this.have[p] === 0 && this.busy[p] === 0
  }

  /** Endgame duplicates have been handed out; the caller should cancel the losers when a block lands. */
  get inEndgame (): boolean { return this.endgameActive }

  /** The peer left or choked us: its pieces may be finished by anyone. */
  disown (peer: string): void {
    for (const a of this.active.values()) if (a.owner === peer) a.owner = null
  }

  private start (index: number, owner: string): Active {
    const length = this.pieceSize(index)
    const blocks = Math.ceil(length / BLOCK_LENGTH)
    const a: Active = {
      index,
      length,
      blocks,
      requested: new Uint8Array(blocks),
      received: new Uint8Array(blocks),
      receivedCount: 0,
      cursor: 0,
      data: null,
      senders: new Array<string>(blocks).fill(''),
      owner
    }
    this.active.set(index, a)
    this.busy[index] = 1
    return a
  }

  /**
   * The position in `order` of the rarest wanted piece the peer has, at or after `from` (-1: a new call, which
   * may rebuild the order first), or -1 if there is none.
   */
  private pickNew (has: (i: number) => boolean, from: number): number {
    if (from < 0) {
      this.reorder()
      if (this.newcomer) {
        // Random first piece: a newcomer gets something to trade quickly instead of the swarm's rarest.
        const n = this.order.length
        const start = Math.floor(this.random() * n)
        for (let k = 0; k < n; k++) {
          const at = (start + k) % n
          const p = this.order[at]!
          if (this.wanted(p) && has(p)) return at
        }
        return -1
      }
    }
    while (this.head < this.order.length) {
      const p = this.order[this.head]!
      if (!this.wanted(p)) this.head++
      else break
    }
    for (let i = Math.max(this.head, from); i < this.order.length; i++) {
      const p = this.order[i]!
      if (this.wanted(p) && has(p)) return i
    }
    return -1
  }

  private reorder (): void {
    const now = Date.now()
    if (!this.dirty || (now - this.orderedAt < REORDER_INTERVAL_MS && this.head < this.order.length)) return
    const order: number[] = []
    for (let i = 0; i < this.pieceCount; i++) if (this.wanted(i)) order.push(i)
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1))
      const t = order[i]!
      order[i] = order[j]!
      order[j] = t
    }
    const av = this.availability
    order.sort((x, y) => av[x]! - av[y]!)
    this.order = order
    this.head = 0
    this.dirty = false
    this.orderedAt = now
  }
}

function blockLength (pieceLength: number, block: number): number {
  return Math.min(BLOCK_LENGTH, pieceLength - block * BLOCK_LENGTH)
}
