import { open, mkdir, stat, type FileHandle } from 'node:fs/promises'
import { read as fsRead, write as fsWrite } from 'node:fs'
import { dirname, join } from 'node:path'
import type { Logger } from 'pino'
import type { TorrentMeta } from './torrent-file.ts'
import { StorageError } from './errors.ts'
import { pieceMatches } from './verifier.ts'
import { Loan } from './lent-buffers.ts'

/**
 * Whole pieces kept for serving uploads. Peers request a piece's blocks in order, so one read per piece
 * instead of one per 16 KiB block cuts syscalls ~16x; capped in bytes so RSS stays small with big pieces.
 */
const READ_CACHE_BYTES = 16 * 1024 * 1024
/** Spare read-cache buffers kept for reuse (see lent-buffers.ts): the cache's size again covers slices still queued. */
const READ_POOL_BYTES = READ_CACHE_BYTES

export interface StorageComponents { logger: Logger }
export interface StorageInit {
  meta: TorrentMeta
  /** Directory that holds the torrent's files (`<dataDir>/<file.path>`). */
  dataDir: string
  /**
   * Open existing files read-only: nothing is created, truncated or written (a seeder's own data).
   * A missing file is left missing; its pieces are simply not present. @default false
   */
  readOnly?: boolean
}

interface Segment { fh: FileHandle, filePos: number, bufPos: number, length: number }

/**
 * Maps piece ranges onto the torrent's files, with one open handle per file for the whole session.
 * Pieces are written whole, after they verify, so a file never holds unverified bytes.
 */
export class Storage {
  private readonly log: Logger
  private readonly meta: TorrentMeta
  private readonly dataDir: string
  private readonly readOnly: boolean
  private handles: Array<FileHandle | null> = []
  private readonly cache = new Map<number, { loan: Loan, ready: Promise<Loan> }>()
  private cacheBytes = 0
  private readonly pool: Buffer[] = []

  constructor (components: StorageComponents, init: StorageInit) {
    this.log = components.logger
    this.meta = init.meta
    this.dataDir = init.dataDir
    this.readOnly = init.readOnly ?? false
  }

  /** Open (creating if needed, never truncating) every file of the torrent; read-only: open what exists. */
  async open (): Promise<void> {
    if (this.readOnly) { await this.openReadOnly(); return }
    for (const f of this.meta.files) {
      const path = join(this.dataDir, f.path)
      try {
        await mkdir(dirname(path), { recursive: true })
        let fh: FileHandle
        try {
          fh = await open(path, 'r+')
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
          fh = await open(path, 'w+')
        }
        const size = (await fh.stat()).size
        if (size > f.length) throw new StorageError(path, `is ${size} bytes, torrent says ${f.length}; move it away or pick another --out`)
        this.handles.push(fh)
      } catch (err) {
        await this.close()
        if (err instanceof StorageError) throw err
        throw new StorageError(path, `cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err })
      }
    }
  }

  private async openReadOnly (): Promise<void> {
    for (const f of this.meta.files) {
      const path = join(this.dataDir, f.path)
      try {
        const fh = await open(path, 'r')
        this.handles.push(fh)
        const size = (await fh.stat()).size
        if (size > f.length) throw new StorageError(path, `is ${size} bytes, torrent says ${f.length}; it is not the torrent's data`)
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') { this.handles.push(null); continue }
        await this.close()
        if (err instanceof StorageError) throw err
        throw new StorageError(path, `cannot open (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err })
      }
    }
  }

  async close (): Promise<void> {
    const hs = this.handles
    this.handles = []
    // Not evicted into the pool: nothing is served after close, and the buffers go to the garbage collector.
    this.cache.clear()
    this.cacheBytes = 0
    this.pool.length = 0
    await Promise.all(hs.map(async h => await h?.close().catch(() => {})))
  }

  pieceLength (index: number): number {
    return index === this.meta.pieceCount - 1 ? this.meta.lastPieceLength : this.meta.pieceLength
  }

  async writePiece (index: number, data: Buffer): Promise<void> {
    if (this.readOnly) throw new StorageError(this.dataDir, `piece ${index}: storage is read-only`)
    for (const s of this.segments(index * this.meta.pieceLength, data.length)) {
      let done = 0
      while (done < s.length) {
        done += await writeFd(s.fh.fd, data, s.bufPos + done, s.length - done, s.filePos + done)
      }
    }
  }

  /**
   * Read a block for upload through the piece cache. The block is a slice of a pooled buffer: whoever gets
   * it must write it through a PeerWire (which releases it once written) or `releaseChunk` it, and must not
   * keep it after that.
   */
  async read (index: number, offset: number, length: number): Promise<Buffer> {
    let entry = this.cache.get(index)
    if (entry === undefined) {
      const size = this.pieceLength(index)
      const full = this.pool.pop() ?? Buffer.allocUnsafe(this.meta.pieceLength)
      const loan = new Loan(full, b => { if ((this.pool.length + 1) * this.meta.pieceLength <= READ_POOL_BYTES) this.pool.push(b) })
      const ready = this.readPiece(index, full).then(() => loan)
      entry = { loan, ready }
      this.cache.set(index, entry)
      this.cacheBytes += size
      ready.catch(() => { this.invalidate(index) })
      for (const [k] of this.cache) {
        if (this.cacheBytes <= READ_CACHE_BYTES || k === index) break
        this.invalidate(k)
      }
    }
    // Pinned before the wait: an eviction meanwhile must not hand the buffer to another read.
    const loan = entry.loan
    loan.pin()
    try {
      await entry.ready
    } catch (err) {
      loan.release()
      throw err
    }
    return loan.buffer.subarray(offset, offset + length)
  }

  /** Read a whole piece; bytes past the end of a short file read as zeros (and fail the hash). */
  async readPiece (index: number, into?: Buffer): Promise<Buffer> {
    // Unzeroed: every byte is read from disk, and a short read zero-fills the rest below.
    const size = this.pieceLength(index)
    const buf = into !== undefined && into.length >= size ? into.subarray(0, size) : Buffer.allocUnsafe(size)
    for (const s of this.segments(index * this.meta.pieceLength, buf.length)) {
      let done = 0
      while (done < s.length) {
        const bytesRead = await readFd(s.fh.fd, buf, s.bufPos + done, s.length - done, s.filePos + done)
        if (bytesRead === 0) { buf.fill(0, s.bufPos + done, s.bufPos + s.length); break }
        done += bytesRead
      }
    }
    return buf
  }

  /** Forget a cached piece (after a write, so uploads never serve stale bytes). */
  invalidate (index: number): void {
    const entry = this.cache.get(index)
    if (entry === undefined) return
    this.cache.delete(index)
    this.cacheBytes -= this.pieceLength(index)
    entry.loan.evict()
  }

  /** Which pieces lie wholly inside bytes that exist on disk; only those are worth hashing on resume. */
  async presentPieces (): Promise<boolean[]> {
    const have = new Array<boolean>(this.meta.pieceCount).fill(true)
    for (const f of this.meta.files) {
      let size = 0
      try {
        size = (await stat(join(this.dataDir, f.path))).size
      } catch {}
      if (size >= f.length || f.length === 0) continue
      // Sparse files report their full length; only a short file rules pieces out here.
      const firstMissing = Math.floor((f.offset + size) / this.meta.pieceLength)
      const last = Math.floor((f.offset + f.length - 1) / this.meta.pieceLength)
      for (let i = firstMissing; i <= last; i++) have[i] = false
    }
    return have
  }

  /** Resume: hash every piece whose bytes exist on disk; only those that pass count as had. */
  async verifyExisting (): Promise<boolean[]> {
    const present = await this.presentPieces()
    const have = new Array<boolean>(this.meta.pieceCount).fill(false)
    // One buffer for the whole pass: a fresh one per piece leaves gigabytes of garbage for V8 to find.
    const scratch = Buffer.allocUnsafe(this.meta.pieceLength)
    for (let i = 0; i < this.meta.pieceCount; i++) {
      if (present[i] !== true) continue
      have[i] = pieceMatches(await this.readPiece(i, scratch), this.meta.pieceHashes[i]!)
    }
    return have
  }

  private * segments (start: number, length: number): Generator<Segment> {
    const files = this.meta.files
    let lo = 0
    let hi = files.length - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1
      if (files[mid]!.offset <= start) lo = mid
      else hi = mid - 1
    }
    let bufPos = 0
    for (let i = lo; i < files.length && bufPos < length; i++) {
      const f = files[i]!
      const fh = this.handles[i]
      if (f.length === 0) continue
      if (fh === undefined || fh === null) throw new StorageError(join(this.dataDir, f.path), 'not open')
      const filePos = start + bufPos - f.offset
      if (filePos >= f.length) continue
      const n = Math.min(f.length - filePos, length - bufPos)
      yield { fh, filePos, bufPos, length: n }
      bufPos += n
    }
  }
}

// Callback fs calls on the FileHandle's fd: FileHandle.read/write add ~0.1 ms of main-thread time per call
// (measured: ~8% of a leecher's CPU at 256 KiB pieces). The handle still owns the fd and closes it.
async function writeFd (fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    fsWrite(fd, buf, offset, length, position, (err, n) => { if (err !== null) reject(err); else resolve(n) })
  })
}

async function readFd (fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
  return await new Promise<number>((resolve, reject) => {
    fsRead(fd, buf, offset, length, position, (err, n) => { if (err !== null) reject(err); else resolve(n) })
  })
}
