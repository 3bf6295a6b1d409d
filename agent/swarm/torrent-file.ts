import { readFile, stat } from 'node:fs/promises'
import { createHash } from 'node:crypto'
import bencode from 'bencode'
import parseTorrent from 'parse-torrent'
import createTorrent from 'create-torrent'
import { InvalidTorrentError } from './errors.ts'

/** BEP 3 piece hashes are SHA-1, 20 bytes each. */
const PIECE_HASH_LENGTH = 20
/** Piece lengths above 64 MiB are not produced by any client we know and would let a torrent pin huge buffers. */
const MAX_PIECE_LENGTH = 64 * 1024 * 1024
/** A magnet's info hash is 40 hex characters (BEP 9, v1 only). */
const INFO_HASH_HEX = /^[0-9a-f]{40}$/

export interface TorrentFileEntry {
  /** Relative path inside the data directory, `name/...` for multi-file torrents. */
  path: string
  length: number
  /** Offset of the file's first byte in the torrent's byte stream. */
  offset: number
}

/** A torrent whose info dictionary is known. */
export interface TorrentMeta {
  kind: 'torrent'
  infoHash: string
  name: string
  announce: string[]
  files: TorrentFileEntry[]
  length: number
  pieceLength: number
  lastPieceLength: number
  pieceCount: number
  pieceHashes: Buffer[]
  /** Bencoded info dictionary, served to magnet peers over ut_metadata (BEP 9). */
  infoBuffer: Buffer
  /** BEP 27 private torrent: peers come from the tracker only (no PEX). */
  private: boolean
}

/** A magnet link: the info dictionary must still be fetched from peers. */
export interface MagnetLink {
  kind: 'magnet'
  infoHash: string
  name?: string
  announce: string[]
  /** `x.pe` peer addresses carried by the link (BEP 9). */
  peers: string[]
}

export type TorrentSource = TorrentMeta | MagnetLink

/**
 * Load a torrent from a .torrent path, a .torrent buffer, or a magnet link.
 * Throws InvalidTorrentError naming the field that is wrong.
 */
export async function loadTorrent (source: string | Uint8Array): Promise<TorrentSource> {
  if (typeof source === 'string' && source.startsWith('magnet:')) return parseMagnet(source)
  let buf: Uint8Array
  let label = 'buffer'
  if (typeof source === 'string') {
    label = source
    try {
      buf = await readFile(source)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unknown'
      throw new InvalidTorrentError(source, 'file', `cannot read it (${code})`)
    }
  } else {
    buf = source
  }
  return parseTorrentBuffer(buf, label)
}

export function parseMagnet (uri: string): MagnetLink {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    throw new InvalidTorrentError('magnet link', 'uri', 'not a URL')
  }
  const xts = url.searchParams.getAll('xt')
  const xt = xts.find(x => x.startsWith('urn:btih:'))
  if (xt === undefined) throw new InvalidTorrentError('magnet link', 'xt', 'missing urn:btih: info hash')
  let infoHash = xt.slice('urn:btih:'.length).toLowerCase()
  if (/^[a-z2-7]{32}$/.test(infoHash)) infoHash = base32ToHex(infoHash)
  if (!INFO_HASH_HEX.test(infoHash)) {
    throw new InvalidTorrentError('magnet link', 'xt', `info hash "${infoHash}" is not 40 hex or 32 base32 characters`)
  }
  const dn = url.searchParams.get('dn')
  return {
    kind: 'magnet',
    infoHash,
    ...(dn !== null ? { name: dn } : {}),
    announce: url.searchParams.getAll('tr'),
    peers: url.searchParams.getAll('x.pe')
  }
}

export async function parseTorrentBuffer (buf: Uint8Array, label = 'buffer'): Promise<TorrentMeta> {
  let decoded: unknown
  try {
    decoded = bencode.decode(buf)
  } catch (err) {
    throw new InvalidTorrentError(label, 'bencode', (err as Error).message)
  }
  if (decoded === null || typeof decoded !== 'object' || !('info' in decoded)) {
    throw new InvalidTorrentError(label, 'info', 'missing info dictionary')
  }
  const info = decoded.info
  if (info === null || typeof info !== 'object' || ArrayBuffer.isView(info)) {
    throw new InvalidTorrentError(label, 'info', 'not a dictionary')
  }
  const fields = info as Record<string, unknown>
  const pieceLength = fields['piece length']
  if (typeof pieceLength !== 'number' || !Number.isInteger(pieceLength) || pieceLength <= 0 || pieceLength > MAX_PIECE_LENGTH) {
    throw new InvalidTorrentError(label, 'info.piece length', `must be an integer in 1..${MAX_PIECE_LENGTH}`)
  }
  const pieces = fields['pieces']
  if (!(pieces instanceof Uint8Array) || pieces.length === 0 || pieces.length % PIECE_HASH_LENGTH !== 0) {
    throw new InvalidTorrentError(label, 'info.pieces', `must be a non-empty multiple of ${PIECE_HASH_LENGTH} bytes`)
  }
  checkRawPaths(fields, label)
  let parsed
  try {
    parsed = await parseTorrent(buf)
  } catch (err) {
    throw new InvalidTorrentError(label, 'info', (err as Error).message)
  }
  const files = (parsed.files ?? []).map(f => ({ path: f.path, length: f.length, offset: f.offset }))
  for (const f of files) {
    if (!Number.isSafeInteger(f.length) || f.length < 0) throw new InvalidTorrentError(label, 'info.files.length', `bad length for ${f.path}`)
    const parts = f.path.split(/[\\/]/)
    if (f.path.startsWith('/') || parts.some(p => p === '..' || p === '' || p === '.')) {
      throw new InvalidTorrentError(label, 'info.files.path', `unsafe path "${f.path}"`)
    }
  }
  const length = parsed.length ?? 0
  const pieceCount = pieces.length / PIECE_HASH_LENGTH
  if (length <= 0) throw new InvalidTorrentError(label, 'info.length', 'torrent holds no data')
  if (Math.ceil(length / pieceLength) !== pieceCount) {
    throw new InvalidTorrentError(label, 'info.pieces', `${pieceCount} hashes for ${length} bytes at ${pieceLength} per piece`)
  }
  const pieceHashes: Buffer[] = []
  for (let i = 0; i < pieceCount; i++) pieceHashes.push(Buffer.from(pieces.subarray(i * 20, i * 20 + 20)))
  return {
    kind: 'torrent',
    infoHash: parsed.infoHash,
    name: parsed.name ?? 'unnamed',
    announce: parsed.announce ?? [],
    files,
    length,
    pieceLength,
    lastPieceLength: length - (pieceCount - 1) * pieceLength,
    pieceCount,
    pieceHashes,
    infoBuffer: Buffer.from(bencode.encode(info)),
    private: fields['private'] === 1
  }
}

/** Build a TorrentMeta from an info dictionary fetched over ut_metadata, checking it hashes to `infoHash`. */
export async function metaFromInfo (infoBuffer: Uint8Array, infoHash: string, announce: string[]): Promise<TorrentMeta> {
  const got = createHash('sha1').update(infoBuffer).digest('hex')
  if (got !== infoHash) throw new InvalidTorrentError('metadata', 'info', `hashes to ${got}, expected ${infoHash}`)
  const info = bencode.decode(infoBuffer)
  const meta = await parseTorrentBuffer(bencode.encode({ info }), 'metadata')
  return { ...meta, announce }
}

export interface CreateTorrentInit {
  /** Tracker announce URLs; empty for a trackerless torrent. */
  announce?: string[]
  /** @default chosen by create-torrent from the total size */
  pieceLength?: number
  name?: string
  comment?: string
}

/** Hash the file or directory at `path` into a .torrent buffer. */
export async function createTorrentFile (path: string, init: CreateTorrentInit = {}): Promise<Buffer> {
  try {
    await stat(path)
  } catch {
    throw new InvalidTorrentError(path, 'input', 'file or directory does not exist')
  }
  return await new Promise<Buffer>((resolve, reject) => {
    createTorrent(path, {
      // create-torrent adds public WebTorrent trackers when no list is given; we never want those.
      announceList: (init.announce ?? []).map(u => [u]),
      urlList: [],
      createdBy: 'seedpay',
      ...(init.pieceLength !== undefined ? { pieceLength: init.pieceLength } : {}),
      ...(init.name !== undefined ? { name: init.name } : {}),
      ...(init.comment !== undefined ? { comment: init.comment } : {})
    }, (err, torrent) => {
      if (err !== null) reject(new InvalidTorrentError(path, 'input', err.message))
      else resolve(Buffer.from(torrent))
    })
  })
}

/** Magnet link for a torrent (BEP 9), optionally naming peers to dial. */
export function magnetFor (meta: TorrentMeta, peers: string[] = []): string {
  const q = [`xt=urn:btih:${meta.infoHash}`, `dn=${encodeURIComponent(meta.name)}`]
  for (const tr of meta.announce) q.push(`tr=${encodeURIComponent(tr)}`)
  for (const p of peers) q.push(`x.pe=${encodeURIComponent(p)}`)
  return `magnet:?${q.join('&')}`
}

/** Path components come from strangers: refuse anything that could leave the data directory. */
function checkRawPaths (info: Record<string, unknown>, label: string): void {
  const bad = (c: unknown): boolean => {
    const t = c instanceof Uint8Array ? Buffer.from(c).toString() : typeof c === 'string' ? c : null
    return t === null || t === '' || t === '.' || t === '..' || /[/\\\0]/.test(t)
  }
  if (bad(info['name'])) throw new InvalidTorrentError(label, 'info.name', 'missing or not a plain file name')
  const files = info['files']
  if (files === undefined) return
  if (!Array.isArray(files)) throw new InvalidTorrentError(label, 'info.files', 'not a list')
  for (const f of files as unknown[]) {
    const path = (f as { path?: unknown } | null)?.path
    if (!Array.isArray(path) || path.length === 0 || path.some(bad)) {
      throw new InvalidTorrentError(label, 'info.files.path', `unsafe or empty path ${JSON.stringify(Array.isArray(path) ? path.map((c: unknown) => c instanceof Uint8Array ? Buffer.from(c).toString() : c) : path)}`)
    }
  }
}

function base32ToHex (s: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567'
  let bits = ''
  for (const c of s) bits += alphabet.indexOf(c).toString(2).padStart(5, '0')
  let hex = ''
  for (let i = 0; i + 4 <= bits.length; i += 4) hex += parseInt(bits.slice(i, i + 4), 2).toString(16)
  return hex
}
