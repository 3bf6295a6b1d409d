/**
 * libtorrent in the same shape as the agent's swarm: one lt_client.py seeder on 127.0.0.2 and N lt_client.py
 * leechers on 127.0.0.10…, one process (one session) each, finding each other through the same tracker, keeping
 * on seeding until the last is done. Times from each process's spawn to its `finished` line; CPU and peak RSS
 * from the script's getrusage as it stops.
 */
import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { LibtorrentClient } from '../../../devtools/clients/index.ts'
import { withDeadline } from './children.ts'
import { SEEDER_HOST, leecherHost } from './hosts.ts'
import type { Leecher, ProcessUsage, SwarmRun } from './results.ts'
import { seederListed, startRunTracker, type SwarmSetup } from './setup.ts'

export async function libtorrentSwarm (s: SwarmSetup, run: number): Promise<SwarmRun> {
  const shape = 'libtorrent'
  const dir = join(s.root, `${shape}-${run}`)
  await mkdir(dir, { recursive: true })
  const tracker = await startRunTracker(s.trackerPort)
  const seeder = new LibtorrentClient()
  const leechers: Array<{ client: LibtorrentClient, spawnAt: number, listeningAt: number }> = []
  try {
    await seeder.start(s.torrent, s.data, { host: SEEDER_HOST, port: 0 })
    await seederListed(tracker, s.infoHash)
    const started: Array<Promise<void>> = []
    for (let i = 0; i < s.leechers; i++) {
      const l = { client: new LibtorrentClient(), spawnAt: Date.now(), listeningAt: 0 }
      leechers.push(l)
      // start() spawns at once and resolves when the session listens: all are spawned back to back, as the agent's.
      started.push(l.client.start(s.torrent, join(dir, `leecher-${i}`), { host: leecherHost(i), port: 0 }).then(() => { l.listeningAt = Date.now() }))
    }
    await Promise.all(started)
    const t0 = leechers[0]!.spawnAt
    await withDeadline(Promise.all(leechers.map(async l => { await l.client.waitForComplete({ timeoutMs: s.timeoutMs }) })), s.timeoutMs,
      () => `${shape}: leechers ${leechers.map((l, i) => l.client.finishedAt === null ? i : -1).filter(i => i >= 0).join(', ')} not done`)
    const lastS = (Math.max(...leechers.map(l => l.client.finishedAt!)) - t0) / 1000
    await Promise.all(leechers.map(async l => { await l.client.stop() }))
    await seeder.stop()
    const result: Leecher[] = leechers.map((l, i) => {
      const u = l.client.usage
      if (u === null) throw new Error(`libtorrent leecher ${i} reported no usage: ${l.client.output().slice(-500)}`)
      return {
        host: leecherHost(i),
        spawnToDoneS: (l.client.finishedAt! - l.spawnAt) / 1000,
        transferS: (l.client.finishedAt! - l.listeningAt) / 1000,
        cpuMs: u.cpuUserMs + u.cpuSystemMs,
        sysMs: u.cpuSystemMs,
        maxRssMiB: u.maxRssMiB,
        downloaded: u.downloaded,
        uploaded: u.uploaded,
        startupCpuMs: null,
        transferCpuMs: null,
        listeningRssMiB: null
      }
    })
    const su = seeder.usage
    if (su === null) throw new Error(`libtorrent seeder reported no usage: ${seeder.output().slice(-500)}`)
    const seederUsage: ProcessUsage = { cpuMs: su.cpuUserMs + su.cpuSystemMs, sysMs: su.cpuSystemMs, maxRssMiB: su.maxRssMiB, uploaded: su.uploaded }
    return { shape, bytes: s.bytes, leechers: result, seeder: seederUsage, lastS }
  } finally {
    await Promise.all([...leechers.map(async l => { await l.client.stop() }), seeder.stop()])
    await tracker.close()
    await Promise.all(leechers.map(async (_l, i) => await rm(join(dir, `leecher-${i}`), { recursive: true, force: true })))
  }
}
