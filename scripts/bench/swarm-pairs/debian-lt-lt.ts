import { stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { LibtorrentClient } from '../../../test/helpers/clients/index.ts'
import { addresses, checkCopy, timeLeecher, withPair } from './debian-common.ts'
import type { SwarmPair } from './types.ts'

/** python3-libtorrent seeds → python3-libtorrent downloads, dialling the seeder directly. The reference ceiling. */
export const pair: SwarmPair = {
  name: 'libtorrent→libtorrent',
  async run (torrentPath, dataPath) {
    const length = (await stat(dataPath)).size
    const seeder = new LibtorrentClient()
    const leecher = new LibtorrentClient()
    return await withPair(false, [seeder, leecher], async ({ outDir }) => {
      const { seed, leech } = await addresses()
      await seeder.start(torrentPath, dirname(dataPath), seed)
      await seeder.waitForComplete({ timeoutMs: 120_000 })
      await leecher.start(torrentPath, outDir, { ...leech, peers: [seed], seed: false })
      const r = await timeLeecher(leecher, Date.now(), length)
      await checkCopy(dataPath, join(outDir, basename(dataPath)))
      return r
    })
  }
}
