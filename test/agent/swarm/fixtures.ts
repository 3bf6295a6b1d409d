import { mkdtemp, mkdir, writeFile, rm, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, dirname } from 'node:path'
import { randomBytes } from 'node:crypto'
import pino from 'pino'
import { createTorrentFile, parseTorrentBuffer, TorrentEngine, type TorrentMeta, type EngineInit, type TorrentSource } from '../../../agent/swarm/index.ts'

export const logger = pino({ level: process.env['SWARM_LOG'] ?? 'silent' })

export interface Fixture {
  root: string
  /** Directory holding the seed's copy (`<seedDir>/<name>`). */
  seedDir: string
  meta: TorrentMeta
  torrent: Buffer
  files: Map<string, Buffer>
  cleanup(): Promise<void>
}

/** Random content on disk plus its torrent. `files` maps relative paths to sizes; one entry = single-file. */
export async function makeFixture (files: Record<string, number>, pieceLength = 32 * 1024, name = 'data'): Promise<Fixture> {
  const root = await mkdtemp(join(tmpdir(), 'seedpay-swarm-'))
  const seedDir = join(root, 'seed')
  const entries = Object.entries(files)
  const single = entries.length === 1 && entries[0]![0] === name
  const contents = new Map<string, Buffer>()
  for (const [rel, size] of entries) {
    const path = single ? join(seedDir, name) : join(seedDir, name, rel)
    await mkdir(dirname(path), { recursive: true })
    const buf = randomBytes(size)
    await writeFile(path, buf)
    contents.set(single ? name : join(name, rel), buf)
  }
  const torrent = await createTorrentFile(join(seedDir, name), { pieceLength })
  const meta = await parseTorrentBuffer(torrent)
  return { root, seedDir, meta, torrent, files: contents, cleanup: async () => { await rm(root, { recursive: true, force: true }) } }
}

export async function sameFiles (fx: Fixture, dataDir: string): Promise<boolean> {
  for (const [rel, buf] of fx.files) {
    const got = await readFile(join(dataDir, rel)).catch(() => Buffer.alloc(0))
    if (!got.equals(buf)) return false
  }
  return true
}

export function engine (torrent: TorrentSource, dataDir: string, extra: Partial<EngineInit> = {}): TorrentEngine {
  return new TorrentEngine({ logger }, { torrent, dataDir, host: '127.0.0.1', port: 0, ...extra })
}

export async function waitFor<T> (e: TorrentEngine, event: 'done', ms = 60_000): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${event}`)), ms)
    e.once(event, (ev) => { clearTimeout(t); resolve(ev as T) })
  })
}

export async function waitEvent<T> (wait: (resolve: (v: T) => void) => void, what: string, ms = 60_000): Promise<T> {
  return await new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), ms)
    wait((v) => { clearTimeout(t); resolve(v) })
  })
}
