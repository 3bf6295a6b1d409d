import { stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { TransmissionClient } from '../../../devtools/clients/index.ts'
import { addresses, checkCopy, result, withPair } from './debian-common.ts'
import { SeedpayChild } from '../../../devtools/seedpay-child.ts'
import type { SwarmPair } from './types.ts'

/**
 * Transmission 3 seeds → `seedpay get` downloads, dialling it. The target: from a Transmission seeder
 * the agent gets at least what libtorrent gets (transmission-libtorrent.ts). Transmission 3 serves slowly
 * unless the downloader keeps its advertised reqq (512) requests queued.
 */
export const pair: SwarmPair = {
  name: 'transmission→agent',
  async run (torrentPath, dataPath) {
    const length = (await stat(dataPath)).size
    const seeder = new TransmissionClient()
    let get: SeedpayChild | null = null
    return await withPair(false, [seeder, { stop: async () => { await get?.stop() } }], async ({ outDir }) => {
      const { seed, leech } = await addresses()
      await seeder.start(torrentPath, dirname(dataPath), seed)
      await seeder.waitForComplete({ timeoutMs: 120_000 })
      get = new SeedpayChild(['get', torrentPath, '--out', outDir, '--host', leech.host, '--port', String(leech.port), '--peer', `${seed.host}:${seed.port}`])
      // The CLI reports progress once a second. Take the last report that still had nothing verified as the
      // first-byte time: that errs against the agent (its after-first-byte rate comes out low, never high).
      let lastEmpty: number | null = null
      let firstByte: number | null = null
      get.proc.stdout?.on('data', (d: Buffer) => {
        if (firstByte !== null) return
        for (const line of d.toString('utf8').split('\n')) {
          if (!line.includes('"progress"')) continue
          try {
            const ev = JSON.parse(line) as { event?: string, verifiedBytes?: number, time?: string }
            if (ev.event !== 'progress' || ev.time === undefined) continue
            if ((ev.verifiedBytes ?? 0) === 0) lastEmpty = Date.parse(ev.time)
            else { firstByte = lastEmpty; break }
          } catch { /* partial line */ }
        }
      })
      const started = await get.next('listening')
      const done = await get.next('done', 300_000)
      const exit = await get.next('exit')
      await checkCopy(dataPath, join(outDir, basename(dataPath)))
      return {
        ...result(length, Date.parse(started.time), firstByte ?? Date.parse(started.time), Date.parse(done.time)),
        leecherCpuMs: Number(exit['cpuUserMs']) + Number(exit['cpuSystemMs']),
        leecherPeakRssMiB: Number(exit['maxRssMiB'])
      }
    })
  }
}
