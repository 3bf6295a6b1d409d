/** Test torrents: a file of random bytes and a .torrent made by Debian's mktorrent (a third-party encoder). */
import { mkdtemp, rm, readFile } from 'node:fs/promises'
import { createWriteStream } from 'node:fs'
import { createHash, randomBytes } from 'node:crypto'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import parseTorrent from 'parse-torrent'

const run = promisify(execFile)

/** mktorrent insists on an announce URL; nothing listens on port 9 (discard), so clients just fail to reach it. */
export const NO_TRACKER = 'http://127.0.0.1:9/announce'

export interface TestTorrent {
  /** Temp dir holding everything below; `cleanup()` removes it. */
  dir: string
  /** Directory that holds the complete data (a seeder's data dir). */
  seedDir: string
  /** The data file itself: seedDir/name. */
  dataPath: string
  torrentPath: string
  name: string
  infoHash: string
  length: number
  sha256: string
  cleanup: () => Promise<void>
}

export interface MakeTorrentOptions {
  /** Bytes of random data. @default 4 MiB */
  size?: number
  /** log2 of the piece length. @default 16 (64 KiB) */
  pieceLengthExp?: number
  announce?: string[]
  name?: string
}

export async function makeTestTorrent (options: MakeTorrentOptions = {}): Promise<TestTorrent> {
  const size = options.size ?? 4 * 1024 * 1024
  const name = options.name ?? `seedpay-test-${randomBytes(4).toString('hex')}.bin`
  const dir = await mkdtemp(path.join(tmpdir(), 'seedpay-torrent-'))
  const seedDir = path.join(dir, 'seed')
  await import('node:fs/promises').then(async fs => { await fs.mkdir(seedDir) })
  const dataPath = path.join(seedDir, name)
  const hash = createHash('sha256')
  await new Promise<void>((resolve, reject) => {
    const out = createWriteStream(dataPath)
    out.on('error', reject)
    let left = size
    const write = (): void => {
      while (left > 0) {
        const chunk = randomBytes(Math.min(left, 1024 * 1024))
        left -= chunk.length
        hash.update(chunk)
        if (!out.write(chunk)) { out.once('drain', write); return }
      }
      out.end(resolve)
    }
    write()
  })
  const torrentPath = path.join(dir, `${name}.torrent`)
  const announce = options.announce ?? [NO_TRACKER]
  const args = ['-l', String(options.pieceLengthExp ?? 16), '-o', torrentPath, '-t', '1', '-d']
  for (const a of announce) args.push('-a', a)
  await run('mktorrent', [...args, dataPath])
  const parsed = await parseTorrent(await readFile(torrentPath))
  return {
    dir, seedDir, dataPath, torrentPath, name, infoHash: parsed.infoHash, length: size, sha256: hash.digest('hex'),
    cleanup: async () => { await rm(dir, { recursive: true, force: true }) }
  }
}

export async function sha256File (file: string): Promise<string> {
  const { createReadStream } = await import('node:fs')
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}
