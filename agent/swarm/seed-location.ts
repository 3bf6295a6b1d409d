/** Where a seed's data and its resume file are: shared by `seedpay seed` and the daemon. */
import { stat } from 'node:fs/promises'
import { basename, dirname, join, resolve } from 'node:path'
import { seedpayHome } from '../util/home.ts'

/**
 * `seed` must not write into --data, so its fast-resume file lives under ~/.seedpay/resume (SEEDPAY_HOME moves it),
 * keyed by info hash; the file also records which --data it describes.
 */
export function seedResumeFile (infoHash: string): string {
  return join(seedpayHome(), 'resume', `${infoHash}.resume`)
}

/**
 * The directory holding a torrent's data (`<dir>/<name>`), given the path of the shared file or directory itself
 * or of the directory that contains it (`seed --data`, the daemon's `data`); null if neither holds `name`.
 */
export async function findSeedData (data: string, name: string): Promise<string | null> {
  const p = resolve(data)
  if (await exists(join(p, name))) return p
  if (basename(p) === name && await exists(p)) return dirname(p)
  return null
}

async function exists (p: string): Promise<boolean> {
  try { await stat(p); return true } catch { return false }
}

