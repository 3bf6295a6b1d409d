/**
 * What the API changed, kept across restarts: torrents added (their .torrent copied under the daemon's folder),
 * config torrents removed, and torrents paused. The config file is the user's and is never written; this file is
 * the daemon's. Written whole to a temporary file, fsynced and renamed over the old one, so a crash (kill -9)
 * leaves either the old state or the new one, never half of it.
 */
import { open, readFile, rename } from 'node:fs/promises'
import * as z from 'zod'
import { torrentPrice } from './config.ts'
import { ConfigError } from './errors.ts'

const entry = z.strictObject({
  infoHash: z.string().regex(/^[0-9a-f]{40}$/),
  /** The daemon's copy of the .torrent. */
  file: z.string().min(1),
  data: z.string().min(1),
  paid: z.boolean(),
  /** Its own price (BTT per MiB) and free slots, as `seedpay add` set them. */
  price: torrentPrice.optional(),
  freeSlots: z.number().int().min(0).max(100).optional()
})

const schema = z.strictObject({
  version: z.literal(1),
  added: z.array(entry),
  /** Info hashes of config torrents removed over the API (the config still lists them). */
  removed: z.array(z.string()),
  paused: z.array(z.string())
})

export type DaemonState = z.infer<typeof schema>
export type AddedTorrent = z.infer<typeof entry>

export const emptyState = (): DaemonState => ({ version: 1, added: [], removed: [], paused: [] })

/** Reads the state; none yet is the empty state. A damaged file stops the start, naming the file, and is left as it is. */
export async function loadState (path: string): Promise<DaemonState> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => { if (err.code === 'ENOENT') return null; throw err })
  if (text === null) return emptyState()
  let raw: unknown
  try { raw = JSON.parse(text) } catch { raw = undefined }
  const parsed = schema.safeParse(raw)
  if (!parsed.success) throw new ConfigError(path, null, 'is damaged (not the daemon\'s state JSON)', `move it away and start again: the torrents in your config come back; those added with \`seedpay add\` must be added again`)
  return parsed.data
}

export async function saveState (path: string, state: DaemonState): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  const fh = await open(tmp, 'w', 0o644)
  try {
    await fh.writeFile(JSON.stringify(state, null, 2) + '\n')
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, path)
}
