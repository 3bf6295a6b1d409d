import { stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Aria2Client, TransmissionClient } from '../../../test/helpers/clients/index.ts'
import { addresses, checkCopy, timeLeecher, withPair } from './debian-common.ts'
import type { SwarmPair } from './types.ts'

/** Transmission 3 seeds → aria2c downloads (aria2c learns the seeder from a tracker and dials it). */
export const pair: SwarmPair = {
  name: 'transmission→aria2c',
  async run (torrentPath, dataPath) {
    const length = (await stat(dataPath)).size
    const seeder = new TransmissionClient()
    const leecher = new Aria2Client()
    return await withPair(true, [seeder, leecher], async ({ outDir, tracker }) => {
      const trackers = [tracker?.httpUrl ?? '']
      const { seed, leech } = await addresses()
      await seeder.start(torrentPath, dirname(dataPath), { ...seed, trackers })
      await seeder.waitForComplete({ timeoutMs: 120_000 })
      await leecher.start(torrentPath, outDir, { ...leech, trackers, seed: false })
      const r = await timeLeecher(leecher, Date.now(), length)
      await checkCopy(dataPath, join(outDir, basename(dataPath)))
      return r
    })
  }
}
