import { readFile, writeFile, mkdir, rename, stat } from 'node:fs/promises'
import { dirname, join, resolve } from 'node:path'
import type { TorrentMeta } from './torrent-file.ts'

/** Bumped when the file's meaning changes; other versions are ignored (full re-check). */
const RESUME_VERSION = 1

export interface FileStamp { path: string, size: number, mtimeMs: number }
/** `dataDir` (absolute) ties the file to one copy of the data; files written before it existed lack it. */
interface ResumeData { version: number, infoHash: string, dataDir?: string, pieces: string, files: FileStamp[] }

/**
 * Fast resume: the verified-piece bitfield saved on a clean stop, trusted on the next start only if every
 * file still has the size and mtime it had then. Any write since (a crash mid-download, someone editing a
 * file) changes an mtime, and the caller falls back to hashing what is on disk.
 */
export async function loadResume (file: string, meta: TorrentMeta, dataDir: string): Promise<boolean[] | null> {
  let data: ResumeData
  try {
    data = JSON.parse(await readFile(file, 'utf8')) as ResumeData
  } catch {
    return null
  }
  if (data.version !== RESUME_VERSION || data.infoHash !== meta.infoHash || !Array.isArray(data.files)) return null
  if (data.dataDir !== undefined && data.dataDir !== resolve(dataDir)) return null
  const now = await fileStamps(meta, dataDir)
  if (now === null || now.length !== data.files.length) return null
  for (let i = 0; i < now.length; i++) {
    const a = now[i]!
    const b = data.files[i]
    if (b === undefined || a.path !== b.path || a.size !== b.size || a.mtimeMs !== b.mtimeMs) return null
  }
  const bits = Buffer.from(String(data.pieces), 'base64')
  if (bits.length !== Math.ceil(meta.pieceCount / 8)) return null
  const have: boolean[] = []
  for (let i = 0; i < meta.pieceCount; i++) have.push(((bits[i >> 3]! >> (7 - (i & 7))) & 1) === 1)
  return have
}

/**
 * Save the bitfield with the files' stamps: by default their current ones (call after the files are closed);
 * a read-only seeder passes the stamps it took before hashing, so a change during the hash is never trusted.
 */
export async function saveResume (file: string, meta: TorrentMeta, dataDir: string, bitfield: Uint8Array, stamped?: FileStamp[] | null): Promise<void> {
  const files = stamped !== undefined ? stamped : await fileStamps(meta, dataDir)
  if (files === null) return
  const data: ResumeData = { version: RESUME_VERSION, infoHash: meta.infoHash, dataDir: resolve(dataDir), pieces: Buffer.from(bitfield).toString('base64'), files }
  await mkdir(dirname(file), { recursive: true })
  const tmp = `${file}.tmp`
  await writeFile(tmp, JSON.stringify(data))
  await rename(tmp, file)
}

/** Size and mtime of every file of the torrent; null if one is missing. */
export async function fileStamps (meta: TorrentMeta, dataDir: string): Promise<FileStamp[] | null> {
  const out: FileStamp[] = []
  for (const f of meta.files) {
    try {
      const s = await stat(join(dataDir, f.path))
      out.push({ path: f.path, size: s.size, mtimeMs: s.mtimeMs })
    } catch {
      return null
    }
  }
  return out
}
