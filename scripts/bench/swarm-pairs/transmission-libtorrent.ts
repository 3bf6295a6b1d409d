import { stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { LibtorrentClient, TransmissionClient } from '../../../test/helpers/clients/index.ts'
import { addresses, checkCopy, timeLeecher, withPair } from './debian-common.ts'
import type { SwarmPair } from './types.ts'

/** Transmission 3 seeds → libtorrent downloads (dialling it): the bar transmission-agent.ts must reach. */
export const pair: SwarmPair = {
  name: 'transmission→libtorrent',
  async run (torrentPath, dataPath) {
    const length = (await stat(dataPath)).size
    const seeder = new TransmissionClient()
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
