/**
 * Piece buffers the upload read cache lends out as block slices. A fresh 256 KiB buffer per piece read is
 * external memory to V8, and 512 MiB of it drove a seeder into a full mark-compact every ~32 MiB served
 * (measured: 24–39 major GCs per 512 MiB; ~10 with reused buffers). A lent buffer goes back to the pool
 * only once it has left the cache and every slice lent from it has been written to its socket, so bytes
 * still queued for a peer are never overwritten. A slice that is dropped without being released only keeps
 * its buffer out of the pool; the garbage collector still frees it.
 */
const loans = new WeakMap<ArrayBufferLike, Loan>()

export class Loan {
  /** Slices lent out (and reads waiting to slice) not yet released. */
  private refs = 0
  private cached = true
  private returned = false

  constructor (readonly buffer: Buffer, private readonly giveBack: (buffer: Buffer) => void) {
    loans.set(buffer.buffer, this)
  }

  /** Pin the buffer for a slice about to be cut from it (before waiting for the read to land). */
  pin (): void { this.refs++ }

  /** One pinned slice has been written (or dropped on purpose). */
  release (): void {
    if (this.refs > 0) this.refs--
    this.maybeReturn()
  }

  /** The cache forgot the piece: the buffer may be reused once nothing lent from it is outstanding. */
  evict (): void {
    this.cached = false
    this.maybeReturn()
  }

  private maybeReturn (): void {
    if (this.cached || this.refs > 0 || this.returned) return
    this.returned = true
    loans.delete(this.buffer.buffer)
    this.giveBack(this.buffer)
  }
}

/**
 * Smaller chunks are never looked up: they are message headers, and reading `.buffer` of a small typed
 * array makes V8 move it off its heap. (A lent slice this short, a torrent's last block, then just keeps
 * its buffer out of the pool.)
 */
const MIN_LENT_CHUNK = 4096

/** The loan a chunk about to be written was cut from, if any (its write callback must then release it). */
export function loanOf (chunk: Uint8Array): Loan | undefined {
  return chunk.byteLength < MIN_LENT_CHUNK ? undefined : loans.get(chunk.buffer)
}

/** Release the loan `chunk` was cut from, e.g. a block we read but will not send after all. */
export function releaseChunk (chunk: Uint8Array): void {
  loanOf(chunk)?.release()
}
