import { stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Aria2Client } from '../../../devtools/clients/index.ts'
import { addresses, checkCopy, timeLeecher, withPair } from './debian-common.ts'
import { SeedpayChild } from '../../../devtools/seedpay-child.ts'
import type { SwarmPair } from './types.ts'

/** `seedpay seed` → aria2c downloads; aria2c dials only tracker peers, so the agent announces to one. */
export const pair: SwarmPair = {
  name: 'agent→aria2c',
  async run (torrentPath, dataPath) {
    const length = (await stat(dataPath)).size
    const leecher = new Aria2Client()
    let seeder: SeedpayChild | null = null
    return await withPair(true, [leecher, { stop: async () => { await seeder?.stop() } }], async ({ outDir, tracker }) => {
      const url = tracker?.httpUrl ?? ''
      const { seed, leech } = await addresses()
      seeder = new SeedpayChild(['seed', torrentPath, '--data', dirname(dataPath), '--host', seed.host, '--port', String(seed.port), '--tracker', url])
      await seeder.next('listening', 120_000)
      await leecher.start(torrentPath, outDir, { ...leech, trackers: [url], seed: false })
      const r = await timeLeecher(leecher, Date.now(), length)
      await checkCopy(dataPath, join(outDir, basename(dataPath)))
      await seeder.stop()
      const seedExit = await seeder.next('exit', 10_000).catch(() => null)
      return {
        ...r,
        seederCpuMs: seedExit === null ? null : Number(seedExit['cpuUserMs']) + Number(seedExit['cpuSystemMs']),
        seederPeakRssMiB: seedExit === null ? null : Number(seedExit['maxRssMiB'])
      }
    })
  }
}
