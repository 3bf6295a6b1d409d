/**
 * The agent's swarm of 21: `seedpay seed` on 127.0.0.2 and N `seedpay get --seed` leechers on 127.0.0.10…, every
 * one its own process, finding each other through the tracker the torrent names (and PEX), trading pieces among
 * themselves. Paid: the seeder asks `--price 0.0001` BTT/MiB and each leecher pays up to `--max-price 0.001` from
 * its own funded account; the leechers serve each other free (`get` never charges).
 *
 * Finished leechers keep seeding (`--seed`) until the last one is done, then all stop: each leecher is timed from
 * its spawn to its `done` event, and its CPU and peak RSS come from its `exit` event.
 */
import { mkdir, readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { JsonEvent, SeedpayChild } from '../../../devtools/seedpay-child.ts'
import { awaitLater, withDeadline } from './children.ts'
import { payerReceipts } from './ledgers.ts'
import { round } from '../../../devtools/bench/stats.ts'
import { SEEDER_HOST, leecherHost } from './hosts.ts'
import type { Leecher, ProcessUsage, SwarmRun } from './results.ts'
import { loopMonitorFlag, seederListed, startRunTracker, type SwarmSetup } from './setup.ts'

export const PRICE = '0.0001'
export const MAX_PRICE = '0.001'
/** SWARM_MANY_CPU_PROF=<dir>: V8 CPU profiles of the seeder and the first leecher (what one process spends its CPU on). */
const PROFILE_DIR = process.env['SWARM_MANY_CPU_PROF']
const profile = (name: string): string[] => PROFILE_DIR !== undefined ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : []

function usageOf (exit: JsonEvent): ProcessUsage & { downloaded: number } {
  return {
    cpuMs: Number(exit['cpuUserMs']) + Number(exit['cpuSystemMs']),
    sysMs: Number(exit['cpuSystemMs']),
    maxRssMiB: Number(exit['maxRssMiB']),
    uploaded: Number(exit['uploaded']),
    downloaded: Number(exit['downloaded'])
  }
}

export async function agentSwarm (s: SwarmSetup, paid: boolean, run: number): Promise<SwarmRun> {
  const shape = paid ? 'agent-paid' : 'agent-free'
  const p = paid ? s.paid : null
  if (paid && p === null) throw new Error('the paid shape needs the chain')
  const dir = join(s.root, `${shape}-${run}`)
  await mkdir(dir, { recursive: true })
  const tracker = await startRunTracker(s.trackerPort)
  const loopFile = join(dir, 'seeder-loop.json')
  const settled: JsonEvent[] = []
  const seeder = s.children.spawn(['seed', s.torrent, '--data', s.data, '--host', SEEDER_HOST, '--port', '0', '--log-file', join(dir, 'seed.log'),
    ...(p !== null ? ['--price', PRICE, '--key-file', p.payeeKey, ...p.chain.args] : [])],
  { nodeFlags: [loopMonitorFlag(loopFile), ...profile(`${shape}-${run}-seeder`)], onEvent: e => { if (e.event === 'settled') settled.push(e) } })
  const leechers: Array<{ child: SeedpayChild, spawnAt: number, paid: JsonEvent[] }> = []
  const home = process.env['SEEDPAY_HOME']!
  const receiptsBefore = p !== null ? payerReceipts(home) : null
  try {
    await seeder.next('listening')
    await seederListed(tracker, s.infoHash)
    for (let i = 0; i < s.leechers; i++) {
      const paidEvents: JsonEvent[] = []
      const spawnAt = Date.now()
      const child = s.children.spawn(['get', s.torrent, '--out', join(dir, `leecher-${i}`), '--host', leecherHost(i), '--port', '0', '--seed',
        '--log-file', join(dir, `get-${i}.log`), ...(p !== null ? ['--max-price', MAX_PRICE, '--key-file', p.payerKeys[i]!, ...p.chain.args] : [])],
      { nodeFlags: [loopMonitorFlag(join(dir, `leecher-${i}-loop.json`)), ...i === 0 ? profile(`${shape}-${run}-leecher-0`) : []], onEvent: e => { if (e.event === 'paid') paidEvents.push(e) } })
      leechers.push({ child, spawnAt, paid: paidEvents })
    }
    const t0 = leechers[0]!.spawnAt
    const finished = new Set<number>()
    const times = await withDeadline(Promise.all(leechers.map(async (l, i) => {
      const listening = await l.child.next('listening', s.timeoutMs)
      const done = await l.child.next('done', s.timeoutMs)
      finished.add(i)
      return { listening: Date.parse(listening.time), done: Date.parse(done.time) }
    })), s.timeoutMs, () => `${shape}: leechers ${leechers.map((_l, i) => i).filter(i => !finished.has(i)).join(', ')} not done`)
    const lastS = (Math.max(...times.map(t => t.done)) - t0) / 1000
    // Every leecher stops at once, as the swarm ends; each reports its own CPU and RSS on the way out.
    const exits = await Promise.all(leechers.map(async l => {
      const exit = awaitLater(l.child.next('exit', 60_000))
      await l.child.stop()
      return usageOf(await exit)
    }))
    const seederExit = awaitLater(seeder.next('exit', 90_000))
    await seeder.stop()
    const seederUsage = usageOf(await seederExit)
    const loops = await Promise.all(leechers.map(async (_l, i) => await readJson(join(dir, `leecher-${i}-loop.json`)) as LoopReport | null))
    const cpuBetween = (loop: LoopReport | null): number | null => {
      const { listening, done } = loop?.marks ?? {}
      return listening !== undefined && done !== undefined ? done.cpuMs - listening.cpuMs : null
    }
    const result: Leecher[] = leechers.map((l, i) => ({
      host: leecherHost(i),
      spawnToDoneS: (times[i]!.done - l.spawnAt) / 1000,
      transferS: (times[i]!.done - times[i]!.listening) / 1000,
      cpuMs: exits[i]!.cpuMs,
      sysMs: exits[i]!.sysMs,
      maxRssMiB: exits[i]!.maxRssMiB,
      downloaded: exits[i]!.downloaded,
      uploaded: exits[i]!.uploaded,
      startupCpuMs: loops[i]?.marks.listening?.cpuMs ?? null,
      transferCpuMs: cpuBetween(loops[i] ?? null),
      listeningRssMiB: loops[i]?.marks.listening?.rssMiB ?? null
    }))
    const lags = loops.map(l => l?.lagMs.max ?? NaN)
    const extra: Record<string, unknown> = { seederLoop: await readJson(loopFile), leecherLoopLagMaxMs: Math.max(...lags), leecherLoopUtilization: loops.map(l => l?.utilization ?? NaN),
      leecherPeakMiB: loops.map(l => l?.peakMiB ?? null) }
    if (p !== null && receiptsBefore !== null) {
      // What the leechers signed to the seeder (amount > 0) in this run, and what the seeder settled (every pass:
      // threshold and risk while serving, the rest on shutdown).
      const cumulative = leechers.map(l => (l.paid[0]?.['channels'] as Array<{ bytes: string, amount: string }> | undefined ?? [])
        .filter(c => Number(c.amount) > 0).reduce((a, c) => a + Number(c.bytes), 0))
      const thisRun = cumulative.map((b, i) => b - p.paidBytes[i]!)
      cumulative.forEach((b, i) => { p.paidBytes[i] = b })
      extra['paidBytesToSeeder'] = thisRun.reduce((a, b) => a + b, 0)
      extra['payingLeechers'] = thisRun.filter(b => b > 0).length
      extra['settledBtt'] = round(settled.reduce((a, e) => a + Number(e['total']), 0), 6)
      extra['settlements'] = settled.map(e => `${String(e['reason'])}:${String(e['method'])}`)
      const after = payerReceipts(home)
      extra['receipts'] = { toSeeder: after.charged - receiptsBefore.charged, toFreePeers: after.free - receiptsBefore.free }
    }
    return { shape, bytes: s.bytes, leechers: result, seeder: seederUsage, lastS, extra }
  } finally {
    await Promise.all([...leechers.map(async l => await l.child.kill()), seeder.kill()])
    await tracker.close()
    // The logs stay (the benchmark removes its folder unless a run failed); the downloads go now.
    await Promise.all(leechers.map(async (_l, i) => await rm(join(dir, `leecher-${i}`), { recursive: true, force: true })))
  }
}

/** What devtools/bench/loop-monitor.mjs writes. */
interface LoopReport {
  lagMs: { p50: number, p99: number, max: number, mean: number }
  utilization: number
  peakMiB: { rss: number, heapUsed: number, external: number, arrayBuffers: number }
  marks: Partial<Record<'listening' | 'done', { cpuMs: number, rssMiB: number, atMs: number }>>
}

async function readJson (file: string): Promise<unknown> {
  try { return JSON.parse(await readFile(file, 'utf8')) as unknown } catch { return null }
}
