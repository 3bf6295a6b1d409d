/**
 * Positional file reads and writes that run on the event loop while the page cache absorbs them, and on the
 * thread pool once the disk pushes back.
 *
 * Why: a piece write into the page cache takes ~0.1 ms, but handing it to libuv's thread pool wakes a worker,
 * which on a loaded machine preempts the event loop and costs more than the copy. In a swarm of 5 (256 MiB,
 * every leecher uploading about as much as it downloads) this raised the aggregate by 9 % and cut CPU per GiB by
 * 10 % (median of 7 interleaved rounds, docs/benchmarks.md "Swarm of 21"). A slow disk (dirty-page throttling, a cold read from a spinning
 * disk) would instead stall every connection for the length of the call: so each synchronous call is timed, and
 * one slower than `slowMs` sends every call to the thread pool for `backoffMs` before the loop tries again.
 *
 * ```ts
 * const io = new FileIO()
 * await io.write(fd, buf, 0, buf.length, position)
 * ```
 */
import { read as fsRead, readSync, write as fsWrite, writeSync } from 'node:fs'

/**
 * A synchronous call slower than this means the disk, not the page cache, is answering. Not lower: on a loaded
 * machine a page-cache call that the scheduler interrupts measures 8 ms and more (at 8 ms the loop backed off so
 * often that the gain was gone).
 */
export const SLOW_SYNC_MS = 50
/** How long calls then go to the thread pool before the loop tries a synchronous one again. */
export const SYNC_BACKOFF_MS = 5_000

export interface FileIOInit {
  /** @default SLOW_SYNC_MS */
  slowMs?: number
  /** @default SYNC_BACKOFF_MS */
  backoffMs?: number
  /** false: always the thread pool. @default true */
  sync?: boolean
  /** Milliseconds, monotonic. @default performance.now */
  clock?: () => number
}

/** The pure part: whether the next call may run on the event loop, given how long the last ones took. */
export class SyncGate {
  private asyncUntil = -Infinity
  constructor (private readonly slowMs = SLOW_SYNC_MS, private readonly backoffMs = SYNC_BACKOFF_MS) {}

  /** Whether a call starting at `now` runs synchronously. */
  allows (now: number): boolean { return now >= this.asyncUntil }

  /** A synchronous call took `ms`, ending at `now`. */
  record (ms: number, now: number): void {
    if (ms > this.slowMs) this.asyncUntil = now + this.backoffMs
  }

  /** Whether calls go to the thread pool now (for logs and tests). */
  backingOff (now: number): boolean { return !this.allows(now) }
}

type Op = (fd: number, buf: Buffer, offset: number, length: number, position: number) => number
type AsyncOp = (fd: number, buf: Buffer, offset: number, length: number, position: number, cb: (err: NodeJS.ErrnoException | null, n: number) => void) => void

export class FileIO {
  readonly gate: SyncGate
  private readonly sync: boolean
  private readonly clock: () => number

  constructor (init: FileIOInit = {}) {
    this.gate = new SyncGate(init.slowMs, init.backoffMs)
    this.sync = init.sync ?? true
    this.clock = init.clock ?? (() => performance.now())
  }

  /** Writes `length` bytes of `buf` from `offset` at `position`; resolves with the bytes written. */
  async write (fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return await this.run(writeSync, fsWrite, fd, buf, offset, length, position)
  }

  /** Reads up to `length` bytes at `position` into `buf` from `offset`; resolves with the bytes read. */
  async read (fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return await this.run(readSync, fsRead, fd, buf, offset, length, position)
  }

  private async run (op: Op, asyncOp: AsyncOp, fd: number, buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    const start = this.clock()
    if (this.sync && this.gate.allows(start)) {
      const n = op(fd, buf, offset, length, position)
      const end = this.clock()
      this.gate.record(end - start, end)
      return n
    }
    return await new Promise<number>((resolve, reject) => {
      asyncOp(fd, buf, offset, length, position, (err, n) => { if (err !== null) reject(err); else resolve(n) })
    })
  }
}
