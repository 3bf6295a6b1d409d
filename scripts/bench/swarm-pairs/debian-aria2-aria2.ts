import { stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Aria2Client } from '../../../test/helpers/clients/index.ts'
import { addresses, checkCopy, timeLeecher, withPair } from './debian-common.ts'
import type { SwarmPair } from './types.ts'

/** aria2c seeds → aria2c downloads; aria2c only dials peers from a tracker, so both announce to one. */
export const pair: SwarmPair = {
  name: 'aria2c→aria2c',
  async run (torrentPath, dataPath) {
    const length = (await stat(dataPath)).size
    const seeder = new Aria2Client()
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
