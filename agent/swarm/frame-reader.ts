/**
 * Splits the raw byte stream from a peer into BEP 3 frames before bittorrent-protocol sees it, and checks
 * each one: the library trusts the length prefix (a peer could make it buffer 4 GiB) and never checks fixed
 * message sizes. Piece messages, nearly all the bytes, are handed to us directly as zero-copy slices;
 * everything else goes to the library as runs of whole frames, so it never re-copies a partial message.
 */

/** Handshake: pstrlen(1) + "BitTorrent protocol"(19) + reserved(8) + info_hash(20) + peer_id(20). BEP 3. */
const HANDSHAKE_LENGTH = 68
/** Largest block we serve or accept; webtorrent and libtorrent use the same 128 KiB cap. */
export const MAX_BLOCK_LENGTH = 128 * 1024
/** Largest frame: a piece message with a max block, or an extended message (ut_metadata sends 16 KiB + dict). */
const MAX_FRAME = 9 + MAX_BLOCK_LENGTH
/** Upper bound on a bitfield before we know the piece count: 400,000 pieces, as bittorrent-protocol caps. */
const MAX_UNKNOWN_BITFIELD = 1 + 50_000
/** BEP 3 message ids we treat specially. */
const ID_BITFIELD = 5
const ID_PIECE = 7
const ID_EXTENDED = 20
/** Exact payload lengths for fixed-size messages, by message id (BEP 3). */
const FIXED_LENGTH: Record<number, number> = { 0: 1, 1: 1, 2: 1, 3: 1, 4: 5, 6: 13, 8: 13, 9: 3 }

export interface FrameSink {
  /** Whole frames (or the handshake) for bittorrent-protocol. */
  passThrough(bytes: Buffer): void
  /** A piece message; `block` may be a slice of the socket's buffer. */
  piece(index: number, offset: number, block: Buffer): void
}

export class FrameReader {
  /** Piece count once known; bitfields must then be exactly ceil(n/8) bytes. */
  pieceCount: number | null = null
  private handshakeLeft = HANDSHAKE_LENGTH
  private handshake: Buffer[] = []
  /** Bytes of a frame that straddles chunks. */
  private pending: Buffer[] = []
  private pendingLength = 0
  /** Length of the straddling frame including its prefix, once known (-1 before). */
  private pendingTotal = -1

  /**
   * `reusedInput`: chunks live in one buffer the socket overwrites on its next read, so everything kept
   * past `feed` (partial frames, frames for the library) is copied; piece slices are used synchronously.
   */
  constructor (private readonly sink: FrameSink, private readonly reusedInput = false) {}

  private keep (b: Buffer): Buffer { return this.reusedInput ? Buffer.from(b) : b }

  /** Feed a chunk; returns why to drop the peer, or null while the stream is well formed. */
  feed (chunk: Buffer): string | null {
    let pos = 0
    const n = chunk.length
    if (this.handshakeLeft > 0) {
      const take = Math.min(this.handshakeLeft, n)
      this.handshake.push(this.keep(chunk.subarray(0, take)))
      this.handshakeLeft -= take
      pos = take
      if (this.handshakeLeft > 0) return null
      this.sink.passThrough(Buffer.concat(this.handshake))
      this.handshake = []
    }
    if (this.pendingLength > 0) {
      const r = this.completePending(chunk, pos)
      if (typeof r === 'string') return r
      pos = r
      if (this.pendingLength > 0) return null
    }
    let run = pos
    while (pos + 4 <= n) {
      const len = chunk.readUInt32BE(pos)
      const bad = this.checkLength(len, pos + 4 < n ? chunk[pos + 4]! : -1)
      if (bad !== null) return bad
      if (pos + 4 + len > n) break
      if (len > 0 && chunk[pos + 4] === ID_PIECE) {
        if (run < pos) this.sink.passThrough(this.keep(chunk.subarray(run, pos)))
        this.sink.piece(chunk.readUInt32BE(pos + 5), chunk.readUInt32BE(pos + 9), chunk.subarray(pos + 13, pos + 4 + len))
        run = pos + 4 + len
      }
      pos += 4 + len
    }
    if (run < pos) this.sink.passThrough(this.keep(chunk.subarray(run, pos)))
    if (pos < n) {
      this.pending.push(this.keep(chunk.subarray(pos)))
      this.pendingLength = n - pos
    }
    return null
  }

  /** Add bytes to the straddling frame; returns the new position in `chunk`, or a violation. */
  private completePending (chunk: Buffer, pos: number): number | string {
    if (this.pendingLength < 4) {
      const take = Math.min(4 - this.pendingLength, chunk.length - pos)
      this.pending.push(this.keep(chunk.subarray(pos, pos + take)))
      this.pendingLength += take
      pos += take
      if (this.pendingLength < 4) return pos
    }
    if (this.pendingTotal === -1) {
      const len = Buffer.concat(this.pending).readUInt32BE(0)
      const bad = this.checkLength(len, -1)
      if (bad !== null) return bad
      this.pendingTotal = 4 + len
    }
    const total = this.pendingTotal
    const take = Math.min(total - this.pendingLength, chunk.length - pos)
    if (take > 0) {
      this.pending.push(this.keep(chunk.subarray(pos, pos + take)))
      this.pendingLength += take
      pos += take
    }
    if (this.pendingLength < total) return pos
    const frame = Buffer.concat(this.pending, total)
    this.pending = []
    this.pendingLength = 0
    this.pendingTotal = -1
    if (total > 4) {
      const bad = this.checkLength(total - 4, frame[4]!)
      if (bad !== null) return bad
    }
    if (total > 4 && frame[4] === ID_PIECE) this.sink.piece(frame.readUInt32BE(5), frame.readUInt32BE(9), frame.subarray(13))
    else this.sink.passThrough(frame)
    return pos
  }

  /** Checks a frame's length against its id (`-1` while the id byte has not arrived). */
  private checkLength (len: number, id: number): string | null {
    const max = Math.max(MAX_FRAME, this.maxBitfield())
    if (len > max) return `message length ${len} exceeds ${max}`
    if (len === 0 || id === -1) return null
    const fixed = FIXED_LENGTH[id]
    if (fixed !== undefined && len !== fixed) return `message id ${id} has length ${len}, expected ${fixed}`
    if (id === ID_BITFIELD && this.pieceCount !== null && len !== this.maxBitfield()) {
      return `bitfield of ${len - 1} bytes for ${this.pieceCount} pieces`
    }
    if (id === ID_PIECE && len < 9) return `piece message of length ${len}`
    if (id === ID_EXTENDED && len < 2) return `extended message of length ${len}`
    // Fast extension (BEP 6) is never negotiated, so its messages are violations too.
    if (id >= 13 && id <= 17) return `fast-extension message ${id} without negotiation`
    return null
  }

  private maxBitfield (): number {
    return this.pieceCount === null ? MAX_UNKNOWN_BITFIELD : 1 + Math.ceil(this.pieceCount / 8)
  }
}
