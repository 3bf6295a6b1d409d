import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { SeedpayChild } from '../../../devtools/seedpay-child.ts'
import type { SwarmPair } from './types.ts'

/** seedpay seed → seedpay get, each its own process, over 127.0.0.1. */
export const pair: SwarmPair = {
  name: 'agent→agent',
  async run (torrentPath, dataPath) {
    const out = await mkdtemp(join(tmpdir(), 'seedpay-bench-get-'))
    const seed = new SeedpayChild(['seed', torrentPath, '--data', dirname(dataPath), '--host', '127.0.0.1', '--port', '0'])
    try {
      const listening = await seed.next('listening')
      const get = new SeedpayChild(['get', torrentPath, '--out', out, '--host', '127.0.0.1', '--peer', `127.0.0.1:${String(listening['port'])}`])
      const started = await get.next('listening')
      const done = await get.next('done')
      const exit = await get.next('exit')
      const code = await get.exited
      if (code !== 0) throw new Error(`get exited ${code}: ${get.stderr}`)
      await seed.stop()
      const seedExit = await seed.next('exit').catch(() => null)
      const seconds = (Date.parse(done.time) - Date.parse(started.time)) / 1000
      const bytes = Number(done['verifiedBytes'])
      return {
        mbps: round(bytes / 1e6 / seconds),
        seconds: round(seconds),
        leecherCpuMs: Number(exit['cpuUserMs']) + Number(exit['cpuSystemMs']),
        leecherPeakRssMiB: Number(exit['maxRssMiB']),
        seederCpuMs: seedExit === null ? null : Number(seedExit['cpuUserMs']) + Number(seedExit['cpuSystemMs']),
        seederPeakRssMiB: seedExit === null ? null : Number(seedExit['maxRssMiB'])
      }
    } finally {
      await seed.stop()
      await rm(out, { recursive: true, force: true })
    }
  }
}

function round (n: number): number { return Math.round(n * 100) / 100 }
