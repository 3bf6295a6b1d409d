/** What `seed` needs beyond the engine: where its resume data lives, and what it says about damaged data. */
import type { TorrentEngine, TorrentMeta } from '../swarm/index.ts'
import { CliError } from './errors.ts'

/** Piece numbers listed in the damaged-data line; the rest are counted, not listed. */
const LISTED_PIECES = 10

/**
 * After `seed` hashed (or trusted) its data: refuse if nothing verifies and --repair is off, and say which
 * pieces are bad (stderr, plus a `pieces:bad` event with --json) when some are.
 */
export function checkSeedData (engine: TorrentEngine, meta: TorrentMeta, dataDir: string, repair: boolean, json: boolean): void {
  const bad = engine.missingPieces()
  if (bad.length === 0) return
  const total = meta.pieceCount
  if (bad.length === total && !repair) {
    throw new CliError(`none of the ${total} pieces of "${meta.name}" match the data under ${dataDir}`,
      'point --data at the file or directory the torrent was created from, or pass --repair to download it into --data', 2)
  }
  const listed = bad.slice(0, LISTED_PIECES).join(', ') + (bad.length > LISTED_PIECES ? `, … ${bad.length - LISTED_PIECES} more` : '')
  const what = `${bad.length} of ${total} pieces do not match the data (piece${bad.length === 1 ? '' : 's'} ${listed})`
  const line = repair
    ? `${what}; seeding the other ${total - bad.length} and downloading them into --data (--repair)`
    : `${what}; seeding the other ${total - bad.length}; pass --repair to download them into --data`
  process.stderr.write(`warning: ${line}\n`)
  if (json) process.stdout.write(JSON.stringify({ event: 'pieces:bad', time: new Date().toISOString(), count: bad.length, pieces: total, bad, repair }) + '\n')
}
