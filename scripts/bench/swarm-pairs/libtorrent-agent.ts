import { stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { LibtorrentClient } from '../../../devtools/clients/index.ts'
import { SeedpayChild } from '../../../devtools/seedpay-child.ts'
import { addresses, checkCopy, round, withPair } from './debian-common.ts'
import type { PairResult, SwarmPair } from './types.ts'

/** python3-libtorrent seeds → `seedpay get` downloads, dialling it: the agent against the C++ reference seeder. */
export const pair: SwarmPair = {
  name: 'libtorrent→agent',
  async run (torrentPath, dataPath) { return await libtorrentToAgent(torrentPath, dataPath, false) },
  async runProcess (torrentPath, dataPath) { return await libtorrentToAgent(torrentPath, dataPath, true) }
}

async function libtorrentToAgent (torrentPath: string, dataPath: string, wholeProcess: boolean): Promise<PairResult> {
  const length = (await stat(dataPath)).size
  const seeder = new LibtorrentClient()
  let get: SeedpayChild | null = null
  return await withPair(false, [seeder, { stop: async () => { await get?.kill() } }], async ({ outDir }) => {
    const { seed, leech } = await addresses()
    await seeder.start(torrentPath, dirname(dataPath), seed)
    await seeder.waitForComplete({ timeoutMs: 120_000 })
    const spawnedAt = Date.now()
    const child = new SeedpayChild(['get', torrentPath, '--out', outDir, '--host', leech.host, '--port', String(leech.port), '--peer', `${seed.host}:${seed.port}`])
    get = child
    const exitedAt = new Promise<number>(resolve => child.proc.once('exit', () => resolve(Date.now())))
    const code = await child.exited
    if (code !== 0) throw new Error(`get exited ${code}: ${child.stderr}`)
    const end = await exitedAt
    const [started, done, exit] = [await child.next('listening'), await child.next('done'), await child.next('exit')]
    await checkCopy(dataPath, join(outDir, basename(dataPath)))
    const from = wholeProcess ? spawnedAt : Date.parse(started.time)
    const to = wholeProcess ? end : Date.parse(done.time)
    const seconds = (to - from) / 1000
    return {
      mbps: round(length / 1e6 / seconds),
      seconds: round(seconds),
      ...(wholeProcess
        ? {
            startupSeconds: round((Date.parse(started.time) - spawnedAt) / 1000),
            transferSeconds: round((Date.parse(done.time) - Date.parse(started.time)) / 1000),
            exitSeconds: round((end - Date.parse(done.time)) / 1000)
          }
        : {}),
      leecherCpuMs: Number(exit['cpuUserMs']) + Number(exit['cpuSystemMs']),
      leecherPeakRssMiB: Number(exit['maxRssMiB'])
    }
  })
}
