/**
 * Reads a byte range of one of a torrent's files while it downloads: each piece is yielded once it has passed its
 * SHA-1 check, and the pieces the reader is about to need are asked for first (the engine's deadline mode), so a
 * player gets its next seconds while the rest of the torrent still downloads rarest-first.
 *
 * ```ts
 * for await (const chunk of readFileRange(engine, file, 0, file.length - 1, { signal })) res.write(chunk)
 * ```
 */
import type { TorrentEngine } from './engine.ts'
import type { TorrentFileEntry } from './torrent-file.ts'

/** How far ahead of the reader pieces are urgent: at least this many bytes (a few seconds of a video)... */
const READ_AHEAD_BYTES = 8 * 1024 * 1024
/** ...and at least this many pieces, however large they are. */
const READ_AHEAD_PIECES = 4

export class ReaderStoppedError extends Error {
  constructor (reason: string) {
    super(`the download stopped before the range was read (${reason})`)
    this.name = 'ReaderStoppedError'
  }
}

/** The pieces of the engine and their length (the parts of its metadata a reader needs). */
export type ReadableTorrent = Pick<TorrentEngine, 'hasPiece' | 'readVerifiedPiece' | 'setUrgent' | 'releaseUrgent' | 'on' | 'off'>

/**
 * Yields `file`'s bytes `start`..`end` (inclusive, offsets within the file), in order, as their pieces verify.
 * Aborting `signal` ends it (the download goes on); the engine stopping ends it with ReaderStoppedError.
 */
export async function * readFileRange (
  engine: ReadableTorrent, meta: { pieceLength: number, pieceCount: number }, file: Pick<TorrentFileEntry, 'offset' | 'length'>,
  start: number, end: number, options: { signal?: AbortSignal } = {}
): AsyncGenerator<Buffer> {
  if (start < 0 || end >= file.length || start > end) throw new RangeError(`bytes ${start}-${end} are not within the file's ${file.length}`)
  const from = file.offset + start
  const to = file.offset + end
  const ahead = Math.max(READ_AHEAD_PIECES, Math.ceil(READ_AHEAD_BYTES / meta.pieceLength))
  const window = { from: 0, to: 0 }
  try {
    for (let piece = Math.floor(from / meta.pieceLength); piece <= Math.floor(to / meta.pieceLength); piece++) {
      if (!engine.hasPiece(piece)) {
        window.from = piece
        window.to = Math.min(meta.pieceCount, piece + ahead)
        engine.setUrgent(window)
        await verified(engine, piece, options.signal)
      }
      const data = await engine.readVerifiedPiece(piece)
      const pieceStart = piece * meta.pieceLength
      yield data.subarray(Math.max(0, from - pieceStart), Math.min(data.length, to - pieceStart + 1))
    }
  } finally {
    // back to rarest-first, unless another reader has set its own window since
    engine.releaseUrgent(window)
  }
}

async function verified (engine: ReadableTorrent, index: number, signal: AbortSignal | undefined): Promise<void> {
  signal?.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onVerified = ({ index: i }: { index: number }): void => { if (i === index) { done(); resolve() } }
    const onStopping = (): void => { done(); reject(new ReaderStoppedError('stopping')) }
    const onAbort = (): void => { done(); reject(signal!.reason) }
    const done = (): void => {
      engine.off('piece:verified', onVerified)
      engine.off('stopping', onStopping)
      signal?.removeEventListener('abort', onAbort)
    }
    engine.on('piece:verified', onVerified)
    engine.on('stopping', onStopping)
    signal?.addEventListener('abort', onAbort, { once: true })
    // verified between the caller's check and now
    if (engine.hasPiece(index)) { done(); resolve() }
  })
}
