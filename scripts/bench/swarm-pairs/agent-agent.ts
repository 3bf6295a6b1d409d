import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { SeedpayChild, SEEDPAY_BIN } from '../../../devtools/seedpay-child.ts'
import { checkCopy, round } from './debian-common.ts'
import { loopMonitorFlag } from '../swarm-many/setup.ts'
import type { PairResult, SwarmPair } from './types.ts'

/**
 * seedpay seed → seedpay get, each its own process, over 127.0.0.1. `SWARM_BENCH_BASE_BIN=<checkout>/bin/seedpay.js`
 * adds the same pair run by another checkout (built, if it needs a build), interleaved with this one in the
 * same run: a before/after comparison under the same load.
 */
const BASE_BIN = process.env['SWARM_BENCH_BASE_BIN']
export const pairs: SwarmPair[] = [
  agentPair('agent→agent', SEEDPAY_BIN),
  ...(BASE_BIN !== undefined && BASE_BIN !== '' ? [agentPair('agent→agent (base)', BASE_BIN)] : [])
]

function agentPair (name: string, bin: string): SwarmPair {
  return {
    name,
    async run (torrentPath, dataPath) { return await transfer(torrentPath, dataPath, bin) },
    async runProcess (torrentPath, dataPath) { return await wholeProcess(torrentPath, dataPath, bin) }
  }
}

async function transfer (torrentPath: string, dataPath: string, bin: string): Promise<PairResult> {
  return await withAgentPair(torrentPath, dataPath, bin, async (get, seeder) => {
    const started = await get.next('listening')
    const done = await get.next('done')
    const exit = await get.next('exit')
    const code = await get.exited
    if (code !== 0) throw new Error(`get exited ${code}: ${get.stderr}`)
    const seconds = (Date.parse(done.time) - Date.parse(started.time)) / 1000
    const bytes = Number(done['verifiedBytes'])
    return {
      mbps: round(bytes / 1e6 / seconds),
      seconds: round(seconds),
      leecherCpuMs: Number(exit['cpuUserMs']) + Number(exit['cpuSystemMs']),
      leecherPeakRssMiB: Number(exit['maxRssMiB']),
      ...await seederUsage(seeder)
    }
  })
}

async function wholeProcess (torrentPath: string, dataPath: string, bin: string): Promise<PairResult> {
  const length = (await stat(dataPath)).size
  return await withAgentPair(torrentPath, dataPath, bin, async (get, seeder, spawnedAt, out) => {
    const exitedAt = new Promise<number>(resolve => get.proc.once('exit', () => resolve(Date.now())))
    const code = await get.exited
    if (code !== 0) throw new Error(`get exited ${code}: ${get.stderr}`)
    const end = await exitedAt
    const [started, done, exit] = [await get.next('listening'), await get.next('done'), await get.next('exit')]
    await checkCopy(dataPath, join(out, basename(dataPath)))
    return processResult(length, spawnedAt, end, {
      startupSeconds: round((Date.parse(started.time) - spawnedAt) / 1000),
      transferSeconds: round((Date.parse(done.time) - Date.parse(started.time)) / 1000),
      exitSeconds: round((end - Date.parse(done.time)) / 1000),
      leecherCpuMs: Number(exit['cpuUserMs']) + Number(exit['cpuSystemMs']),
      leecherPeakRssMiB: Number(exit['maxRssMiB']),
      ...await seederUsage(seeder)
    })
  })
}

/** MB/s from the downloader's spawn to its exit, as a user waits for `seedpay get` (or any client) to return. */
export function processResult (length: number, spawnedAt: number, exitedAt: number, extra: Record<string, unknown>): PairResult {
  const seconds = (exitedAt - spawnedAt) / 1000
  return { mbps: round(length / 1e6 / seconds), seconds: round(seconds), ...extra }
}

/**
 * `SWARM_BENCH_LOOP=1`: both processes carry devtools/bench/loop-monitor.mjs, and each result gets their
 * event-loop utilization, worst lag and GC pauses from `listening` on (`leecherLoop`, `seederLoop`).
 */
const LOOP = process.env['SWARM_BENCH_LOOP'] === '1'

/** Start `seedpay seed`, wait until it listens, then spawn `seedpay get` against it; both stop afterwards. */
async function withAgentPair (
  torrentPath: string,
  dataPath: string,
  bin: string,
  body: (get: SeedpayChild, seeder: SeedpayChild, spawnedAt: number, out: string) => Promise<PairResult>
): Promise<PairResult> {
  const out = await mkdtemp(join(tmpdir(), 'seedpay-bench-get-'))
  const mon = LOOP ? await mkdtemp(join(tmpdir(), 'seedpay-bench-loop-')) : null
  const flags = (role: string): string[] => mon === null ? [] : [loopMonitorFlag(join(mon, `${role}.json`))]
  const seed = new SeedpayChild(['seed', torrentPath, '--data', dirname(dataPath), '--host', '127.0.0.1', '--port', '0'], { bin, nodeFlags: flags('seeder') })
  let get: SeedpayChild | null = null
  try {
    const listening = await seed.next('listening')
    const spawnedAt = Date.now()
    get = new SeedpayChild(['get', torrentPath, '--out', out, '--host', '127.0.0.1', '--peer', `127.0.0.1:${String(listening['port'])}`], { bin, nodeFlags: flags('leecher') })
    const result = await body(get, seed, spawnedAt, out)
    if (mon === null) return result
    await seed.stop()
    return { ...result, leecherLoop: await loopSummary(join(mon, 'leecher.json')), seederLoop: await loopSummary(join(mon, 'seeder.json')) }
  } finally {
    await get?.kill()
    await seed.stop()
    await rm(out, { recursive: true, force: true })
    if (mon !== null) await rm(mon, { recursive: true, force: true })
  }
}

async function loopSummary (file: string): Promise<Record<string, unknown> | null> {
  try {
    const r = JSON.parse(await readFile(file, 'utf8')) as { utilization: number, lagMs: { max: number }, gc?: { count: number, ms: number, over5ms: number, major: number } }
    return { utilization: r.utilization, lagMaxMs: r.lagMs.max, gcPauses: r.gc?.count, gcMs: r.gc?.ms, gcOver5ms: r.gc?.over5ms, gcMajor: r.gc?.major }
  } catch {
    return null
  }
}

async function seederUsage (seed: SeedpayChild): Promise<{ seederCpuMs: number | null, seederPeakRssMiB: number | null }> {
  await seed.stop()
  const e = await seed.next('exit', 10_000).catch(() => null)
  return {
    seederCpuMs: e === null ? null : Number(e['cpuUserMs']) + Number(e['cpuSystemMs']),
    seederPeakRssMiB: e === null ? null : Number(e['maxRssMiB'])
  }
}
