/**
 * Checks BEP 3 framing on the raw byte stream before bittorrent-protocol parses it: the library trusts
 * the length prefix (a peer could make it buffer 4 GiB) and never checks fixed message sizes.
 * The guard only counts bytes; it never copies them.
 */

/** Handshake: pstrlen(1) + "BitTorrent protocol"(19) + reserved(8) + info_hash(20) + peer_id(20). BEP 3. */
const HANDSHAKE_LENGTH = 68
/** Largest block we serve or accept; webtorrent and libtorrent use the same 128 KiB cap. */
export const MAX_BLOCK_LENGTH = 128 * 1024
/** Largest frame: a piece message with a max block, or an extended message (ut_metadata sends 16 KiB + dict). */
const MAX_FRAME = 9 + MAX_BLOCK_LENGTH
/** Upper bound on a bitfield before we know the piece count: 400,000 pieces, as bittorrent-protocol caps. */
const MAX_UNKNOWN_BITFIELD = 1 + 50_000

/** Exact payload lengths for fixed-size messages, by message id (BEP 3, BEP 6 fast ids are not negotiated). */
const FIXED_LENGTH: Record<number, number> = { 0: 1, 1: 1, 2: 1, 3: 1, 4: 5, 6: 13, 8: 13, 9: 3 }

export class FrameGuard {
  private handshakeLeft = HANDSHAKE_LENGTH
  private header = Buffer.alloc(5)
  private headerFill = 0
  private payloadLeft = 0
  /** Piece count once known; bitfields must then be exactly ceil(n/8) bytes. */
  pieceCount: number | null = null

  /** Offset in the last fed chunk just past the first frame that ended in it, or -1. */
  firstEnd = -1
  /** Offset in the last fed chunk just past the last frame that ended in it, or -1. */
  lastEnd = -1

  /** Feed a chunk; returns the reason to drop the peer, or null if the stream is still well formed. */
  feed (chunk: Uint8Array): string | null {
    let i = 0
    const n = chunk.length
    this.firstEnd = -1
    this.lastEnd = -1
    if (this.handshakeLeft > 0) {
      const take = Math.min(this.handshakeLeft, n)
      this.handshakeLeft -= take
      i += take
      if (this.handshakeLeft === 0) this.frameEnded(i)
    }
    while (i < n) {
      if (this.payloadLeft > 0) {
        const take = Math.min(this.payloadLeft, n - i)
        this.payloadLeft -= take
        i += take
        if (this.payloadLeft === 0) this.frameEnded(i)
        continue
      }
      this.header[this.headerFill++] = chunk[i++]!
      if (this.headerFill === 4) {
        const len = this.header.readUInt32BE(0)
        if (len === 0) { this.headerFill = 0; this.frameEnded(i); continue } // keep-alive
        if (len > Math.max(MAX_FRAME, this.maxBitfield())) return `message length ${len} exceeds ${Math.max(MAX_FRAME, this.maxBitfield())}`
      } else if (this.headerFill === 5) {
        const len = this.header.readUInt32BE(0)
        const id = this.header[4]!
        const reason = this.checkLength(id, len)
        if (reason !== null) return reason
        this.headerFill = 0
        this.payloadLeft = len - 1
        if (this.payloadLeft === 0) this.frameEnded(i)
      }
    }
    return null
  }

  private frameEnded (at: number): void {
    if (this.firstEnd === -1) this.firstEnd = at
    this.lastEnd = at
  }

  private maxBitfield (): number {
    return this.pieceCount === null ? MAX_UNKNOWN_BITFIELD : 1 + Math.ceil(this.pieceCount / 8)
  }

  private checkLength (id: number, len: number): string | null {
    const fixed = FIXED_LENGTH[id]
    if (fixed !== undefined && len !== fixed) return `message id ${id} has length ${len}, expected ${fixed}`
    if (id === 5 && this.pieceCount !== null && len !== this.maxBitfield()) {
      return `bitfield of ${len - 1} bytes for ${this.pieceCount} pieces`
    }
    if (id === 7 && len < 9) return `piece message of length ${len}`
    if (id === 20 && len < 2) return `extended message of length ${len}`
    // Fast extension (BEP 6) is never negotiated, so its messages are violations too.
    if (id >= 13 && id <= 17) return `fast-extension message ${id} without negotiation`
    return null
  }
}
